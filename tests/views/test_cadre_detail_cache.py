"""A region's cadre detail is computed once per store for every scope (issue 19): the
cadres panel and the household table of one view share it; each scope still gets its own
cuts and masks."""

from __future__ import annotations

from battlemap.geodata.access import Scope, ScopedStore
from battlemap.geodata.cadres_store import cadre_source
from battlemap.views.cadres import _DETAILS, cadre_detail


def test_detail_computed_once_and_cut_per_scope(embedded_store):
    village = embedded_store.regions.level_codes(5)[3]
    named = cadre_detail(ScopedStore(embedded_store, Scope(pii=True)), village, 2018)
    details = _DETAILS[cadre_source(embedded_store)]
    misses = details.stats["misses"]
    masked = cadre_detail(ScopedStore(embedded_store, Scope(pii=False)), village, 2018)
    hidden = cadre_detail(ScopedStore(embedded_store, Scope(households=False)), village, 2018)
    assert details.stats["misses"] == misses  # the same whole detail, cut three ways
    assert len(named.cadres) and list(named.cadres.cadre_id) == list(masked.cadres.cadre_id)
    assert list(masked.cadres.name) != list(named.cadres.name)
    assert all(n.endswith("*") for n in masked.cadres.name if len(n) > 1)
    assert hidden.cadres.empty and hidden.households.empty
    assert not named.households.empty
