"""Every panel view returns its data and figure from the scoped store (one function per
panel, shared by the page, the exports, the wall and the brief)."""

from __future__ import annotations

import pytest

from battlemap.geodata.access import OutOfScopeError, Scope, ScopedStore
from battlemap.indicators.warning import WARNING_CATEGORIES, warning_metric
from battlemap.views import PANELS, PanelView, panel_view
from battlemap.viewstate import ViewState


@pytest.fixture(scope="module")
def chain(embedded_store) -> list[str]:
    """Province → village, each the child with the most households in 2018."""
    codes = [embedded_store.regions.roots()[0].code]
    while len(codes) < 5:
        kids = embedded_store.regions.children(codes[-1])
        codes.append(
            max(
                kids, key=lambda c: embedded_store.counts(c.code, 2018)["registered_households"]
            ).code
        )
    return codes


@pytest.mark.parametrize("panel", list(PANELS))
def test_every_panel_at_every_level(embedded_store, chain, panel) -> None:
    access = ScopedStore(embedded_store)
    for code in (chain[0], chain[2], chain[4]):
        view = panel_view(panel, access, ViewState(region=code, year=2018))
        assert isinstance(view, PanelView) and view.panel == panel and view.title
        assert view.figure is not None and "layout" in view.figure
        for row in view.rows:
            assert {c["id"] for c in view.columns} <= set(row) | {"rank_change"}


def test_numbers_are_the_store_counts(embedded_store, chain) -> None:
    access = ScopedStore(embedded_store)
    state = ViewState(region=chain[2], year=2018)
    counts = embedded_store.counts(chain[2], 2018)
    warnings = panel_view("warnings", access, state)
    assert warnings.data["households"] == {
        c: counts[warning_metric(c, "households")] for c in WARNING_CATEGORIES
    }
    kpis = panel_view("kpis", access, state)
    assert kpis.data["counts"]["poor_persons"] == counts["poor_persons"]
    assert len(kpis.figure["layout"]["annotations"]) == 3 * len(kpis.data["tiles"])
    shown = panel_view("map", access, state)
    children = embedded_store.children_counts(chain[2], 2018)
    assert set(shown.data["values"]) == set(children)
    exits = panel_view("exit_checks", access, state)
    summary_reasons = exits.data["reasons"]
    assert all(isinstance(r, str) and r for r in summary_reasons)


def test_households_masked_and_scoped(embedded_store, chain) -> None:
    village = ViewState(region=chain[4], year=2018)
    rows = panel_view("households", ScopedStore(embedded_store), village).rows
    assert rows and all(r["head_name"].endswith("*") for r in rows)
    named = panel_view("households", ScopedStore(embedded_store, Scope(pii=True)), village)
    assert not all(r["head_name"].endswith("*") for r in named.rows)
    analyst = ScopedStore(embedded_store, Scope(households=False))
    assert panel_view("households", analyst, village).rows == []
    elsewhere = ScopedStore(embedded_store, Scope(roots=(chain[3],)))
    other = next(c.code for c in embedded_store.regions.children(chain[2]) if c.code != chain[3])
    for panel in PANELS:
        with pytest.raises(OutOfScopeError):
            panel_view(panel, elsewhere, ViewState(region=other, year=2018))
