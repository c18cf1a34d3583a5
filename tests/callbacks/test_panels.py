"""Panels, tables and navigation built from the view state."""

from __future__ import annotations

import re

import plotly.graph_objects as go
import pytest

from battlemap.callbacks.navigation import crumbs
from battlemap.indicators.incidence import incidence_pct
from battlemap.views.charts import causes_panel, radar_panel, trend_panel
from battlemap.views.kpis import kpi_panel, region_title
from battlemap.views.tables import exit_check_view, household_view, ranking_view


def test_tiles_and_title(access, chain, state) -> None:
    tiles = {t.key: t for t in kpi_panel(access, state).data["tiles"]}
    assert tiles["kpi_poor"].value == f"{access.counts(chain[0], 2016)['poor_persons']:,}"
    assert tiles["kpi_poor"].delta  # 2016 has a 2015 to compare with
    first = {t.key: t for t in kpi_panel(access, state.but(year=2014)).data["tiles"]}
    assert first["kpi_poor"].delta == ""
    assert region_title(access, state) == f"{access.region(chain[0]).name} · 省 · 2016"
    assert "Province" in region_title(access, state.but(lang="en"))


def test_charts(context, chain, state) -> None:
    access = context.access()
    causes = go.Figure(causes_panel(access, state).figure)
    assert sum(causes.data[0].x) == access.counts(chain[0], 2016)["poor_persons"]
    trend = go.Figure(trend_panel(access, state.but(region=chain[2])).figure)
    assert list(trend.data[0].y) == [incidence_pct(c) for c in access.series(chain[2]).values()]
    assert len(trend.data) == 4  # region and parent, incidence and persons
    top = go.Figure(trend_panel(access, state).figure)
    assert len(top.data) == 2  # the province has no parent
    radar = go.Figure(radar_panel(access, state.but(region=chain[2])).figure)
    assert len(radar.data) in (0, 2)


def test_ranking_view(access, chain, state) -> None:
    rows, _columns = ranking_view(access, state)
    assert [r["id"] for r in rows if r["rank"] == 1]
    assert {r["id"] for r in rows} == {c.code for c in access.children(chain[0])}
    values = {r["id"]: r["value"] for r in rows}
    kids = access.children_counts(chain[0], 2016)
    assert values == {c: incidence_pct(v) for c, v in kids.items()}
    # a village (no children) is ranked among its township's villages, not an empty table
    village = ranking_view(access, state.but(region=chain[4]))[0]
    assert {r["id"] for r in village} == {c.code for c in access.children(chain[3])}
    assert chain[4] in {r["id"] for r in village}


def test_exit_checks_and_households(context, chain, state) -> None:
    rows, _, note = exit_check_view({"exit_checks": []}, "zh")
    assert rows == [] and note
    summary = context.summary(chain[2], 2016)
    rows, _, note = exit_check_view(summary, "zh")
    if summary.get("exit_checks"):
        assert len(rows) == len(summary["exit_checks"]) and note
    rows, _, note = household_view(context.access(), state)
    assert rows == [] and note
    rows, _, note = household_view(context.access(), state.but(region=chain[4]))
    assert rows and note == "" and all(r["head_name"].endswith("*") for r in rows)


@pytest.mark.parametrize(
    ("level", "zh", "en"),
    [(3, "本县不是贫困县", "Not a poverty county"), (5, "本村不是贫困村", "Not a poverty village")],
)
def test_exit_note_of_an_unflagged_region(embedded_store, context, level, zh, en) -> None:
    """A county or village without poverty_flag: the note says 摘帽/出列 do not apply to it
    (was: "本级没有退出核查（仅村、县）", as if its level had none)."""
    regions = embedded_store.regions
    code = next(c for c in regions.level_codes(level) if not regions.get(c).poverty_flag)
    summary = context.summary(code, 2016)
    assert summary["exit_checks"] == [] and summary["poverty_flag"] is False
    rows, _, note = exit_check_view(summary, "zh")
    assert rows == [] and note.startswith(zh)
    english = exit_check_view(summary, "en")[2]
    assert english.startswith(en) and not re.search("[\u4e00-\u9fff]", english)
    flagged = next(c for c in regions.level_codes(level) if regions.get(c).poverty_flag)
    rows, _, note = exit_check_view(context.summary(flagged, 2016), "zh")
    assert rows and zh not in note  # a flagged one has its checks
    city = context.summary(regions.level_codes(2)[0], 2016)
    assert exit_check_view(city, "zh")[2] == "本级没有退出核查（仅村、县）"


def test_breadcrumb(access, chain, state) -> None:
    items = crumbs(access, state.but(region=chain[4]))
    assert [name for _, name, _ in items] == [access.region(c).name for c in chain]
    assert items[-1][2] is None  # the current region is not a link
    assert items[0][2] == state.but(region=chain[4]).query(region=chain[0])
    assert [level for level, _, _ in items] == ["省", "市", "县", "乡镇", "村"]
