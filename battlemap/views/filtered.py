"""Household rows under a view's cross-filter: a cause's or a household type's households,
or the households not meeting a guarantee (the gaps behind a radar axis's share)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from battlemap.indicators.filters import household_mask, parse_filter
from battlemap.viewstate import ViewState

__all__ = ["filtered_loader"]

HouseholdLoader = Callable[[str, int], pd.DataFrame]


def filtered_loader(load: HouseholdLoader, state: ViewState) -> HouseholdLoader:
    """``load`` narrowed to the households the state's filter keeps (``load`` itself when
    there is no filter)."""
    flt = parse_filter(state.filter)
    if flt is None:
        return load

    def narrowed(code: str, year: int) -> pd.DataFrame:
        frame = load(code, year)
        return frame[household_mask(frame, flt)]

    return narrowed
