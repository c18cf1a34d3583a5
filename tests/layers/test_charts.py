"""Charts and tables: causes, trend, radar, KPI tiles, ranking, exit checks."""

from __future__ import annotations

from battlemap.geodata.schema import CAUSES
from battlemap.layers.catalog import INDICATORS
from battlemap.layers.causes import cause_bars, cause_label
from battlemap.layers.exitchecks import exit_check_columns, exit_check_rows
from battlemap.layers.kpi import kpi_tiles
from battlemap.layers.radar import radar_figure
from battlemap.layers.ranking import rank, ranking_columns, ranking_rows
from battlemap.layers.trend import trend_figure
from tests.layers.conftest import assert_valid

YEARS = range(2014, 2021)


def test_cause_bars_sorted_with_shares() -> None:
    fig = assert_valid(cause_bars({"因病": 42, "因学": 8, "缺水": 0, "其他": 50}))
    bar = fig.data[0]
    assert list(bar.y) == ["因学", "因病", "其他"]  # ascending: largest at the top
    assert list(bar.text) == ["8%", "42%", "50%"]
    english = cause_bars(dict.fromkeys(CAUSES, 1), lang="en")
    assert "Illness" in english["data"][0]["y"]
    assert all(cause_label(c, "en") != c for c in CAUSES)
    empty = assert_valid(cause_bars(dict.fromkeys(CAUSES, 0)))
    assert empty.layout.annotations[0].text == "暂无数据"


def test_trend_with_and_without_parent() -> None:
    incidence = {y: 20.0 - 3 * (y - 2014) for y in YEARS}
    persons = {y: 1000 - 100 * (y - 2014) for y in YEARS}
    fig = assert_valid(
        trend_figure(
            incidence,
            persons,
            parent_incidence=incidence,
            parent_persons=persons,
            year=2016,
            region_name="A",
            parent_name="B",
        )
    )
    assert len(fig.data) == 4 and fig.data[1].line.dash == "dash"
    assert fig.layout.shapes[0].x0 == 2016
    alone = assert_valid(trend_figure(incidence, persons, lang="en"))
    assert len(alone.data) == 2 and alone.data[0].name == "This region"


def test_radar() -> None:
    shares = {"income": 90.0, "housing": 80.5, "education": None, "medical": 99.0}
    fig = assert_valid(radar_figure(shares, shares, region_name="A", parent_name="B"))
    theta = list(fig.data[0].theta)
    assert theta[0] == theta[-1]  # closed polygon
    assert len(fig.data) == 2
    assert assert_valid(radar_figure({})).layout.annotations[0].text == "暂无数据"
    assert assert_valid(radar_figure({"income": None}, lang="en")).layout.annotations


def test_kpi_tiles() -> None:
    now = {
        "poor_persons": 900,
        "rural_population": 10_000,
        "exited_persons": 600,
        "poor_households": 300,
        "warning_households_edge": 7,
    }
    before = {
        "poor_persons": 1000,
        "rural_population": 10_000,
        "exited_persons": 500,
        "poor_households": 330,
        "warning_households_edge": 5,
    }
    tiles = {t.key: t for t in kpi_tiles(now, before)}
    assert tiles["kpi_poor"].value == "900" and tiles["kpi_poor"].good is True
    assert tiles["kpi_incidence"].value == "9.00%"
    assert "1.00\u00a0pp" in tiles["kpi_incidence"].delta
    assert tiles["kpi_exited"].good is True  # more exits is good
    assert tiles["kpi_warnings"].good is False  # more warnings is bad
    first = {t.key: t for t in kpi_tiles(now, None, lang="en")}
    assert first["kpi_poor"].delta == "" and first["kpi_poor"].label == "Poor persons"
    empty = {t.key: t for t in kpi_tiles({**now, "rural_population": 0}, None)}
    assert empty["kpi_incidence"].value == "—"
    no_warnings = {k: v for k, v in now.items() if not k.startswith("warning")}
    assert {t.key: t for t in kpi_tiles(no_warnings, None)}["kpi_warnings"].value == "—"


def test_ranking() -> None:
    assert rank({"a": 3, "b": 5, "c": 5, "d": None}) == {"b": 1, "c": 1, "a": 3}
    rows = ranking_rows(
        ["a", "b", "c", "d"],
        ["A", "B", "C", "D"],
        {"a": 3, "b": 5, "c": 1, "d": None},
        {"a": 9, "b": 5, "c": 1, "d": 2},
    )
    assert [r["id"] for r in rows] == ["b", "a", "c", "d"]
    assert [r["change"] for r in rows] == ["↑1", "↓1", "↑1", ""]  # c: 4th → 3rd (a rank)
    assert ranking_columns(INDICATORS["incidence"])[3]["name"] == "名次较上年"
    assert rows[-1]["rank"] is None
    columns = ranking_columns(INDICATORS["incidence"], lang="en")
    assert [c["id"] for c in columns] == ["rank", "name", "value", "change"]
    assert columns[2]["format"]["specifier"] == ",.2f"


def test_exit_check_rows_never_pass_missing_data() -> None:
    checks = [
        {
            "check": "incidence",
            "label": "贫困发生率",
            "value": 3.4,
            "threshold": 3.0,
            "comparison": "<",
            "passed": False,
            "reason": "贫困发生率 3.4%，高于 3% 标准",
        },
        {
            "check": "satisfaction",
            "label": "群众认可度",
            "value": None,
            "threshold": 90.0,
            "comparison": ">=",
            "passed": None,
            "reason": "无群众认可度调查数据",
        },
        {
            "check": "wrong_exit",
            "label": "错退率",
            "value": 0.5,
            "threshold": 2.0,
            "comparison": "<",
            "passed": True,
            "reason": None,
        },
    ]
    rows = exit_check_rows(checks)
    assert [r["passed"] for r in rows] == ["不达标", "暂无数据", "达标"]
    assert rows[0]["value"] == "3.40%" and rows[0]["threshold"] == "< 3.00%"
    assert rows[1]["value"] == "—" and rows[2]["reason"] == ""
    assert [r["status"] for r in rows] == ["fail", "no_data", "pass"]
    assert [c["id"] for c in exit_check_columns(lang="en")] == [
        "check",
        "value",
        "threshold",
        "passed",
        "reason",
    ]
