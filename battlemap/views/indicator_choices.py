"""Which indicators a store can show: its additive metrics, plus the cadre and funds
indicators when the data dir or database holds those tables (what the page offers in its
indicator selector; the HTML exports' tooltips list the same)."""

from __future__ import annotations

from battlemap.geodata.access import ScopedStore
from battlemap.geodata.cadres_store import cadre_source
from battlemap.geodata.funds import funds_source
from battlemap.geodata.metrics import METRIC_NAMES
from battlemap.layers.catalog import CADRE_DATA, available_indicators
from battlemap.layers.funds_catalog import FUNDS_DATA

__all__ = ["indicator_choices"]


def indicator_choices(access: ScopedStore) -> list[str]:
    """Indicator keys the store behind ``access`` supports, in the catalogue's order."""
    store = access.store
    names = list(getattr(store, "metric_names", None) or METRIC_NAMES)
    if cadre_source(store).has_data:
        names.append(CADRE_DATA)
    if funds_source(store).available:
        names.append(FUNDS_DATA)
    return available_indicators(names)
