"""The region-year summary (``battlemap stats``) of a view, through the scope check."""

from __future__ import annotations

from typing import Any

from battlemap.geodata.access import ScopedStore
from battlemap.viewstate import ViewState

__all__ = ["summary_of"]


def summary_of(access: ScopedStore, state: ViewState) -> dict[str, Any]:
    """``region_summary`` of the view's region and year (scope checked first)."""
    return access.summary(state.region, state.year)
