"""Household rows under a view's cross-filter (cause or household type)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from battlemap.indicators.filters import household_mask, parse_filter
from battlemap.viewstate import ViewState

__all__ = ["filtered_loader"]

HouseholdLoader = Callable[[str, int], pd.DataFrame]


def filtered_loader(load: HouseholdLoader, state: ViewState) -> HouseholdLoader:
    """``load`` narrowed to the households the state's filter keeps (``load`` itself when
    there is no filter or it does not apply to rows)."""
    flt = parse_filter(state.filter)
    if flt is None or flt.kind == "guarantee":
        return load

    def narrowed(code: str, year: int) -> pd.DataFrame:
        frame = load(code, year)
        return frame[household_mask(frame, flt)]

    return narrowed
