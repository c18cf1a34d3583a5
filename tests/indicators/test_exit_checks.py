"""Village and county exit checks: exact boundaries, zones, reasons, no data never passing."""

from __future__ import annotations

import pytest

from battlemap.geodata.store import CountyAssessment
from battlemap.indicators.exit_checks import (
    county_exit_checks,
    format_pct,
    overall_status,
    village_exit_checks,
    wrong_exit_rate_pct,
    zone_threshold,
)
from battlemap.indicators.rules import default_rules, parse_rules
from tests.indicators.common import mutated

RULES = default_rules()


def village(poor: int, population: int, zone: str = "central"):
    return village_exit_checks({"poor_persons": poor, "rural_population": population}, zone,
                               RULES)[0]  # fmt: skip


def county(
    poor=0,
    population=1000,
    wrong=0,
    exited=500,
    sat=95.0,
    missed=1.0,
    zone="east",
    assessed=True,
    rules=RULES,
):
    counts = {"poor_persons": poor, "rural_population": population, "wrong_exit_persons": wrong,
              "exited_persons": exited}  # fmt: skip
    assessment = CountyAssessment("520101000000", 2019, sat, missed) if assessed else None
    checks = county_exit_checks(counts, zone, assessment, rules, year=2019)
    return {c.check: c for c in checks}


@pytest.mark.parametrize(
    ("poor", "population", "zone", "passed"),
    [
        (19_999, 1_000_000, "central", True),  # 1.9999 %
        (20_000, 1_000_000, "central", False),  # exactly 2 %: not below
        (20_000, 1_000_000, "east", False),
        (20_000, 1_000_000, "west", True),
        (29_999, 1_000_000, "west", True),
        (30_000, 1_000_000, "west", False),  # exactly 3 %
        (1, 3, "west", False),
        (0, 10, "central", True),
    ],
)
def test_village_incidence_boundaries(poor: int, population: int, zone: str, passed: bool) -> None:
    check = village(poor, population, zone)
    assert check.passed is passed
    assert check.threshold == (3.0 if zone == "west" else 2.0)
    assert (check.reason is None) == passed


def test_reasons_in_plain_chinese() -> None:
    assert village(34, 1000, "west").reason == "贫困发生率 3.4%，高于 3% 标准"
    assert village(30, 1000, "west").reason == "贫困发生率 3%，等于 3% 标准（须低于 3%）"
    assert village(20_001, 1_000_000).reason == "贫困发生率 2.0001%，高于 2% 标准"
    assert village(200_001, 10_000_000).reason == "贫困发生率 2.00001%，高于 2% 标准"
    assert village(34, 1000, "west").value == 3.4


def test_zero_population_is_no_data_not_a_pass() -> None:
    check = village(0, 0)
    assert check.status == "no_data" and check.passed is None and check.value is None
    assert check.reason == "贫困发生率无数据：农村人口为 0"
    assert overall_status([check]) == "no_data"


def test_county_all_pass_and_each_check_failing_alone() -> None:
    assert all(c.passed for c in county().values())
    assert county(poor=20)["incidence"].reason == "贫困发生率 2%，等于 2% 标准（须低于 2%）"
    assert county(poor=20, zone="west")["incidence"].passed
    assert county(wrong=10)["wrong_exit"].reason == "错退率 2%，等于 2% 标准（须低于 2%）"
    assert county(wrong=9)["wrong_exit"].passed
    assert county(missed=2.0)["missed_registration"].reason == (
        "漏评率 2%，等于 2% 标准（须低于 2%）"
    )
    assert county(missed=1.99)["missed_registration"].passed
    assert county(sat=89.9)["satisfaction"].reason == "群众认可度 89.9%，低于 90% 标准"
    assert county(sat=90.0)["satisfaction"].passed  # at least 90 %
    for name, kwargs in [
        ("incidence", {"poor": 25}),
        ("wrong_exit", {"wrong": 11}),
        ("missed_registration", {"missed": 2.5}),
        ("satisfaction", {"sat": 80}),
    ]:
        checks = county(**kwargs)
        assert [c for c, v in checks.items() if not v.passed] == [name]
        assert overall_status(list(checks.values())) == "fail"


def test_missing_assessment_says_no_data_and_blocks_the_exit() -> None:
    checks = county(assessed=False)
    for name in ("missed_registration", "satisfaction"):
        assert checks[name].status == "no_data" and checks[name].passed is None
        assert checks[name].reason.endswith("无数据：缺少 2019 年第三方评估数据")
    assert overall_status(list(checks.values())) == "no_data"
    partial = county(sat=None)
    assert partial["satisfaction"].status == "no_data" and partial["missed_registration"].passed
    assert overall_status(list(county(assessed=False, poor=50).values())) == "fail"


def test_no_exits_means_no_wrong_exit_rate() -> None:
    check = county(exited=0)["wrong_exit"]
    assert check.status == "no_data" and check.reason == "错退率无数据：当年无已脱贫人口"
    assert wrong_exit_rate_pct({"wrong_exit_persons": 0, "exited_persons": 0}) is None
    assert wrong_exit_rate_pct({"wrong_exit_persons": 1, "exited_persons": 3}) == 33.3333


def test_thresholds_are_configuration() -> None:
    lenient = parse_rules(
        mutated(
            lambda d: (
                d["village"]["max_incidence_pct"].update(central=2.5),
                d["county"].update(min_satisfaction_pct=85, max_wrong_exit_pct=2.5),
            )
        )
    )
    assert village_exit_checks({"poor_persons": 2, "rural_population": 100}, "central",
                               lenient)[0].passed  # fmt: skip
    checks = county(sat=86, wrong=12, rules=lenient)
    assert checks["satisfaction"].passed and checks["wrong_exit"].passed


def test_as_dict_and_unknown_zone() -> None:
    data = village(34, 1000, "west").as_dict()
    assert data == {"check": "incidence", "label": "贫困发生率", "value": 3.4, "threshold": 3.0,
                    "comparison": "<", "status": "fail", "passed": False,
                    "reason": "贫困发生率 3.4%，高于 3% 标准"}  # fmt: skip
    assert zone_threshold({"east": 2, "central": 2, "west": 3}, "unknown") == 2
    assert format_pct(2.5) == "2.5%" and format_pct(90.0) == "90%"
    assert overall_status([]) == "no_data"
