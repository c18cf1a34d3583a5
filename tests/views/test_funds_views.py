"""Funds on the map (issue 14): the projects layer, the funds choropleth choices, the funds
panel and the village view's payments to households, all under the caller's scope."""

from __future__ import annotations

import pytest

from battlemap.geodata.access import MissingRightError, OutOfScopeError, Scope, ScopedStore
from battlemap.layers.projects import MAX_PROJECT_POINTS
from battlemap.views import map_panel
from battlemap.views.funds import (
    funds_panel,
    funds_stats,
    project_points,
    village_payments,
)
from battlemap.viewstate import ViewState


@pytest.fixture(scope="module")
def access(embedded_store) -> ScopedStore:
    return ScopedStore(embedded_store)


def _projects(figure) -> list[dict]:
    return [t for t in figure["data"] if t.get("meta") == "projects"]


def test_payment_rate_choropleth_equals_the_stats_of_each_child(access):
    state = ViewState(region="520000000000", year=2018, indicator="payment_rate")
    values = map_panel(access, state).data["values"]
    for child in access.children("520000000000"):
        assert values[child.code] == funds_stats(access, child.code, 2018)["payment_rate_pct"]


@pytest.mark.parametrize("indicator", ["idle_funds", "fund_anomalies"])
def test_other_funds_indicators_have_values(access, indicator):
    state = ViewState(region="520000000000", year=2020, indicator=indicator)
    values = map_panel(access, state).data["values"]
    assert any(v for v in values.values())


def test_projects_layer_points_by_status_or_cells_where_dense(access):
    province = ViewState(region="520000000000", year=2020, layers=("choropleth", "projects"))
    assert len(project_points(access, "520000000000", 2020)) > MAX_PROJECT_POINTS
    (cells,) = _projects(map_panel(access, province).figure)
    assert cells["hovertemplate"].endswith("<extra>H3</extra>")
    county = project_points(access, "520000000000", 2020).code.iloc[0][:6] + "000000"
    traces = _projects(map_panel(access, province.but(region=county)).figure)
    drawn = sum(len(t["lon"]) for t in traces)
    assert drawn == len(project_points(access, county, 2020)) > 0
    assert len({t["marker"]["color"] for t in traces}) == len(traces)  # a colour per status


def test_funds_panel_lists_anomalies_with_reasons(access):
    panel = funds_panel(access, ViewState(region="520000000000", year=2020))
    assert panel.figure["data"][0]["type"] == "bar"
    assert panel.rows and all(r["reason"] for r in panel.rows)
    assert "支出进度" in panel.note


def test_village_payments_follow_the_scope(access, embedded_store):
    projects = project_points(access, "520000000000", 2020)
    villages = projects.code[~projects.code.str.endswith("000")]
    rows = None
    for village in villages:
        rows = village_payments(access, village, 2020)
        if len(rows):
            break
    assert rows is not None and len(rows)
    assert all(name.endswith("*") for name in rows.head_name if name)  # masked: no pii
    analyst = ScopedStore(embedded_store, Scope(roots=(village[:6],), households=False))
    with pytest.raises(MissingRightError):
        village_payments(analyst, village, 2020)
    other = ScopedStore(embedded_store, Scope(roots=("520100",)))
    if not village.startswith("5201"):
        with pytest.raises(OutOfScopeError):
            funds_stats(other, village, 2020)


def test_kpis_carry_the_fund_anomalies_warning_tile(access):
    from battlemap.views.kpis import kpi_panel

    tiles = kpi_panel(access, ViewState(region="520000000000", year=2020)).data["tiles"]
    tile = next(x for x in tiles if x.key == "kpi_fund_anomalies")
    assert tile.value == f"{funds_stats(access, '520000000000', 2020)['anomalies']:,}"
    assert tile.good is not True  # anomalies accumulate: never "good news" up to 2020
