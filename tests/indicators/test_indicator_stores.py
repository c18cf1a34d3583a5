"""Hand-computed counts, exit checks and rankings of the tiny data set, in both stores."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from battlemap.geodata.aggregate import DIGEST_ATTR
from battlemap.geodata.datadir import AGGREGATES_FILE
from battlemap.geodata.embedded import EmbeddedStore
from battlemap.geodata.metrics import METRIC_NAMES, metric_set
from battlemap.geodata.store import CountyAssessment
from battlemap.indicators.rules import parse_rules
from battlemap.views.exit_report import assess_region, exit_report, report_rows
from battlemap.views.ranking import rank_children
from battlemap.views.summary import region_summary
from tests.indicators.common import mutated
from tests.indicators.tiny import (
    A1A,
    A1B,
    B1A,
    COUNTY_A,
    COUNTY_B,
    EXPECTED,
    PROVINCE,
    write_tiny_data_dir,
)

# h6 2019 (no pension, water, electricity: 75 points) passes when water is worth 5 and
# income 35; h3 2018 (unsafe housing) passes when housing is no veto.
CUSTOM = parse_rules(mutated(lambda d: (
    d["household"]["weights"].update(income=35, water=5),
    d["household"].update(vetoes=["income", "education", "medical"]))))  # fmt: skip


@pytest.mark.parametrize(("code", "year"), sorted(EXPECTED))
def test_hand_computed_counts(tiny_store, code: str, year: int) -> None:
    counts = tiny_store.counts(code, year)
    assert {k: counts[k] for k in EXPECTED[code, year]} == EXPECTED[code, year]


def test_counts_add_up(tiny_store) -> None:
    for year in (2018, 2019):
        total = tiny_store.counts(PROVINCE, year)
        parts = [tiny_store.counts(c, year) for c in (A1A, A1B, B1A)]
        assert {m: sum(p[m] for p in parts) for m in METRIC_NAMES} == total


def test_assessments(tiny_store) -> None:
    assert tiny_store.assessment(COUNTY_A, 2019) == CountyAssessment(COUNTY_A, 2019, 90.0, 2.0)
    assert tiny_store.assessment(COUNTY_A, 2018) is None
    assert tiny_store.assessments([COUNTY_A, COUNTY_B], 2018) == {
        COUNTY_B: CountyAssessment(COUNTY_B, 2018, 95.0, 1.0)
    }


def reasons(store, code: str, year: int) -> tuple[str, list[str]]:
    result = assess_region(store, code, year)
    return result.status, result.reasons


def test_county_exit_checks_by_hand(tiny_store) -> None:
    assert reasons(tiny_store, COUNTY_A, 2019) == (
        "fail",
        [
            "贫困发生率 3.33%，高于 3% 标准",  # 5 / 150, west
            "错退率 16.67%，高于 2% 标准",  # 2 / 12 persons
            "漏评率 2%，等于 2% 标准（须低于 2%）",
        ],
    )  # satisfaction 90.0 passes (at least 90)
    assert reasons(tiny_store, COUNTY_A, 2018) == ("fail", [
        "贫困发生率 6%，高于 3% 标准", "错退率 25%，高于 2% 标准",
        "漏评率无数据：缺少 2018 年第三方评估数据", "群众认可度无数据：缺少 2018 年第三方评估数据",
    ])  # fmt: skip
    assert reasons(tiny_store, COUNTY_B, 2018) == ("pass", [])
    status, why = reasons(tiny_store, COUNTY_B, 2019)  # 1 / 50 = 2 %, east; no assessment
    assert status == "fail" and why[0] == "贫困发生率 2%，等于 2% 标准（须低于 2%）"
    assert why[1:] == ["漏评率无数据：缺少 2019 年第三方评估数据",
                       "群众认可度无数据：缺少 2019 年第三方评估数据"]  # fmt: skip
    assert assess_region(tiny_store, PROVINCE, 2019) is None


def test_exit_report_lists_counties_or_villages(tiny_store) -> None:
    counties = exit_report(tiny_store, PROVINCE, 2019)
    assert [a.code for a in counties] == [COUNTY_A, COUNTY_B]
    assert [a.standard for a in counties] == ["贫困县摘帽"] * 2
    villages = exit_report(tiny_store, COUNTY_A, 2019)
    assert [(a.code, a.status) for a in villages] == [(A1A, "fail"), (A1B, "pass")]
    assert villages[0].reasons == ["贫困发生率 5%，高于 3% 标准"]
    every_village = exit_report(tiny_store, PROVINCE, 2019, level=5)
    assert [(a.code, a.status) for a in every_village][-1] == (B1A, "fail")  # 2 %, east
    rows = report_rows(counties)
    assert rows[0]["incidence_value"] == 3.3333 and rows[0]["satisfaction_status"] == "pass"
    assert rows[0]["reasons"].count("；") == 2


def test_summary_fields(tiny_store) -> None:
    s = region_summary(tiny_store, PROVINCE, 2019)
    assert s["wrong_exit_households"] == 1 and s["passing_poor_households"] == 1
    assert s["warning_households"] == {"脱贫不稳定户": 2, "边缘易致贫户": 1, "突发严重困难户": 2}
    assert s["exits_by_year"] == {"2018": {"households": 6, "persons": 12},
                                  "2019": {"households": 2, "persons": 6}}  # fmt: skip
    assert s["radar"]["income"] == round(8 * 100 / 9, 4) and s["radar_parent"] is None
    assert s["exit_standard"] is None and s["exit_checks"] == []
    county = region_summary(tiny_store, COUNTY_A, 2019)
    assert county["exit_standard"] == "贫困县摘帽" and county["exit_status"] == "fail"
    assert [c["check"] for c in county["exit_checks"]] == [
        "incidence",
        "wrong_exit",
        "missed_registration",
        "satisfaction",
    ]
    assert county["radar_parent"] == region_summary(tiny_store, "5201", 2019)["radar"]
    assert county["causes_any"]["因病"] == 5


def test_rank_children(tiny_store) -> None:
    rows = rank_children(tiny_store, "5201", 2019, "incidence_pct")
    assert [(r.code, r.value, r.rank, r.previous_rank, r.change) for r in rows] == [
        (COUNTY_A, 3.3333, 1, 1, 0),
        (COUNTY_B, 2.0, 2, 2, 0),
    ]
    assert rows[0].name == "甲县"
    wrong = rank_children(tiny_store, COUNTY_A, 2019, "wrong_exit_households")
    assert [(r.code, r.rank, r.change) for r in wrong] == [("520101100000", 1, 0)]


@pytest.fixture
def tiny_copy(tmp_path: Path) -> Path:
    return write_tiny_data_dir(tmp_path / "tiny")


def _digest(path: Path) -> str:
    return pq.read_table(path / AGGREGATES_FILE).to_pandas().attrs[DIGEST_ATTR]


def test_rule_change_rebuilds_the_embedded_cache(tiny_copy: Path) -> None:
    default = EmbeddedStore(tiny_copy)
    assert _digest(tiny_copy) == default.metrics.digest
    custom = EmbeddedStore(tiny_copy, rules=CUSTOM)
    assert custom.metrics.digest != default.metrics.digest
    assert _digest(tiny_copy) == custom.metrics.digest
    assert default.counts(A1B, 2019)["wrong_exit_households"] == 1
    assert custom.counts(A1B, 2019)["wrong_exit_households"] == 0
    assert default.counts(A1A, 2018)["wrong_exit_households"] == 1
    assert custom.counts(A1A, 2018)["wrong_exit_households"] == 0
    assert custom.counts(A1A, 2018)["guarantee_households_housing"] == 2  # rule-free
    again = EmbeddedStore(tiny_copy)
    assert again.counts(A1B, 2019) == default.counts(A1B, 2019)
    assert _digest(tiny_copy) == default.metrics.digest


def test_rule_change_in_postgis_matches_embedded(tiny_postgis_dsn: str, tiny_copy: Path) -> None:
    from battlemap.geodata.postgis.store import PostgisStore

    store = PostgisStore(tiny_postgis_dsn, rules=CUSTOM)
    try:
        embedded = EmbeddedStore(tiny_copy, rules=CUSTOM)
        for code in (A1A, A1B, B1A, PROVINCE):
            for year in (2018, 2019):
                assert store.counts(code, year) == embedded.counts(code, year), (code, year)
        assert store.counts(A1B, 2019)["wrong_exit_households"] == 0
    finally:
        store.close()


def test_generated_cache_follows_the_environment_rules(
    tiny_copy: Path, tmp_path: Path, monkeypatch
) -> None:
    from tests.indicators.common import DEFAULT, mutated, to_toml

    path = tmp_path / "rules.toml"
    path.write_text(to_toml(mutated(lambda d: d["household"].update(threshold=95))), "utf-8")
    monkeypatch.setenv("BATTLEMAP_RULES", str(path))
    store = EmbeddedStore(tiny_copy)
    assert store.rules.household.threshold == 95
    assert (
        _digest(tiny_copy)
        == metric_set(store.rules).digest
        != metric_set(parse_rules(DEFAULT)).digest
    )
    shutil.rmtree(tiny_copy)
