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


def test_details_are_built_one_at_a_time(embedded_store, monkeypatch):
    """Several threads asking for different regions' details build them one after another
    (a county's takes ~0.2 s of one core and ~30 MB while built), and each gets its own."""
    import threading
    import time

    from battlemap.views import cadres as views

    running, most = [0], [0]
    lock = threading.Lock()
    real = views.region_detail

    def counted(*args, **kwargs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)  # long enough for the other threads to arrive
        try:
            return real(*args, **kwargs)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(views, "region_detail", counted)
    villages = embedded_store.regions.level_codes(5)[10:14]
    access = ScopedStore(embedded_store, Scope(pii=True))
    found: dict[str, object] = {}
    threads = [
        threading.Thread(target=lambda v=v: found.update({v: cadre_detail(access, v, 2017)}))
        for v in villages
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(found) == sorted(villages)
    assert most[0] == 1
    assert {d.households.village_code.iloc[0] for d in found.values()} == set(villages)
