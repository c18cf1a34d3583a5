"""The children of a region ranked by an indicator, read from a store (the ranking rules
themselves are pure, in :mod:`battlemap.indicators.ranking`)."""

from __future__ import annotations

from battlemap.geodata.store import Store
from battlemap.indicators.ranking import IndicatorFunc, RankRow, rank_regions

__all__ = ["rank_children"]


def rank_children(
    store: Store,
    code: str | int,
    year: int,
    indicator: str | IndicatorFunc,
    *,
    ascending: bool = False,
) -> list[RankRow]:
    """The children of a region ranked by ``indicator`` in ``year``, vs ``year - 1``."""
    info = store.region(code)
    children = store.regions.children(info.code)
    current = store.children_counts(info.code, year)
    previous = store.children_counts(info.code, year - 1) if year - 1 in store.years else None
    return rank_regions(
        current, previous, indicator, ascending=ascending, names={c.code: c.name for c in children}
    )
