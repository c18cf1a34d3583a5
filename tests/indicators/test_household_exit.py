"""Household exit assessment: points, vetoes, the threshold, the income line, config changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from battlemap.indicators.household import (
    FLAG_COLUMNS,
    assess_households,
    exit_scores,
    guarantees_met,
    passes_exit,
    veto_failed,
)
from battlemap.indicators.rules import GUARANTEES, default_rules, parse_rules
from tests.indicators.common import DEFAULT, mutated

RULES = default_rules()
LINE_2016 = 2952.0


def household(
    year: int = 2016, income: float = 5000.0, status: str = "已脱贫", **flags: bool
) -> dict:
    """One household-year row meeting everything unless told otherwise."""
    row = {"year": year, "status": status, "income_per_capita": income}
    row.update({column: True for column in FLAG_COLUMNS.values()})
    row.update(flags)
    return row


def assess(*rows: dict, rules=RULES) -> pd.DataFrame:
    return assess_households(pd.DataFrame(list(rows)), rules)


def test_meeting_everything_scores_100_and_passes() -> None:
    out = assess(household())
    assert out.loc[0, "score"] == 100
    assert bool(out.loc[0, "passes"]) and not out.loc[0, "veto_failed"]
    assert out.loc[0, "reasons"] == ""


@pytest.mark.parametrize(
    ("veto", "row"),
    [
        ("income", household(income=LINE_2016 - 1)),
        ("housing", household(housing_safe=False)),
        ("education", household(no_dropout=False)),
        ("medical", household(medical_insured=False)),
    ],
)
def test_each_veto_alone_fails_an_otherwise_perfect_household(veto: str, row: dict) -> None:
    out = assess(row)
    assert out.loc[0, "score"] == 100 - RULES.household.weights[veto]
    assert out.loc[0, "veto_failed"] and not out.loc[0, "passes"]
    assert out.loc[0, "wrong_exit"]
    assert "否决项" in out.loc[0, "reasons"]
    # with the veto lifted, the same household passes on points (income: see below)
    lifted = parse_rules(
        mutated(
            lambda d: d["household"].update(
                vetoes=[v for v in d["household"]["vetoes"] if v != veto]
            )
        )
    )
    assert assess(row, rules=lifted)["passes"].item() == (veto != "income")


def test_income_veto_fails_a_household_that_scores_85() -> None:
    """With income worth 15 points, missing it alone leaves 85 ≥ 80: only the veto fails it."""
    rules = parse_rules(mutated(lambda d: d["household"]["weights"].update(income=15, pension=25)))
    out = assess(household(income=LINE_2016 - 1), rules=rules)
    assert out.loc[0, "score"] == 85
    assert out.loc[0, "veto_failed"] and not out.loc[0, "passes"]


def test_income_must_be_strictly_above_the_line() -> None:
    out = assess(
        household(income=LINE_2016),
        household(income=LINE_2016 + 1),
        household(income=float("nan")),
        household(year=2030),
    )
    assert out["met_income"].tolist() == [False, True, False, False]
    assert "人均纯收入 2,952 元，未超过 2,952 元 标准（否决项）" in out.loc[0, "reasons"]
    assert "无人均纯收入数据" in out.loc[2, "reasons"]
    assert "当年无扶贫标准" in out.loc[3, "reasons"]


def test_threshold_boundary() -> None:
    """Vetoes give 75 points: + electricity (5) = 80 passes; vetoes alone (75) fail."""
    exactly_80 = household(pension_insured=False, water_safe=False)
    only_vetoes = household(pension_insured=False, water_safe=False, electricity=False)
    out = assess(exactly_80, only_vetoes)
    assert out["score"].tolist() == [80, 75]
    assert out["passes"].tolist() == [True, False]
    assert not out["veto_failed"].any()
    assert out.loc[1, "reasons"].endswith("得分 75 分，低于 80 分")


def test_non_veto_failures_only_cost_points() -> None:
    out = assess(
        household(pension_insured=False), household(water_safe=False), household(electricity=False)
    )
    assert out["score"].tolist() == [90, 90, 95]
    assert out["passes"].all()


def test_passing_but_still_poor_and_wrong_exit_flags() -> None:
    out = assess(
        household(status="未脱贫"),
        household(status="返贫"),
        household(status="未脱贫", income=100),
        household(status="已脱贫", income=100),
    )
    assert out["passing_poor"].tolist() == [True, True, False, False]
    assert out["wrong_exit"].tolist() == [False, False, False, True]


def test_weight_change_changes_the_verdict() -> None:
    """Moving 5 points from income to pension fails a household without pension and water
    (80 → 75); moving 5 points from water to income passes one with only the vetoes."""
    to_pension = parse_rules(
        mutated(lambda d: d["household"]["weights"].update(income=25, pension=15))
    )
    row = household(pension_insured=False, water_safe=False)
    assert assess(row)[["score", "passes"]].values.tolist() == [[80, True]]
    assert assess(row, rules=to_pension)[["score", "passes"]].values.tolist() == [[75, False]]
    to_income = parse_rules(mutated(lambda d: d["household"]["weights"].update(income=35, water=5)))
    vetoes_only = household(pension_insured=False, water_safe=False, electricity=False)
    assert assess(vetoes_only)[["score", "passes"]].values.tolist() == [[75, False]]
    assert assess(vetoes_only, rules=to_income)[["score", "passes"]].values.tolist() == [[80, True]]


def test_veto_set_and_threshold_are_configuration() -> None:
    unsafe = household(housing_safe=False)
    assert not assess(unsafe)["passes"].item()
    no_housing_veto = parse_rules(
        mutated(lambda d: d["household"].update(vetoes=["income", "education", "medical"]))
    )
    assert assess(unsafe, rules=no_housing_veto)["passes"].item()  # 85 points, no veto
    strict = parse_rules(mutated(lambda d: d["household"].update(threshold=90)))
    assert not assess(household(pension_insured=False, electricity=False), rules=strict)[
        "passes"
    ].item()


def test_array_functions_agree_with_the_frame_function() -> None:
    rng = np.random.default_rng(3)
    n = 500
    frame = pd.DataFrame({
        "year": rng.integers(2014, 2021, n),
        "status": rng.choice(["未脱贫", "已脱贫", "返贫"], n),
        "income_per_capita": rng.uniform(1000, 6000, n),
        **{c: rng.random(n) < 0.8 for c in FLAG_COLUMNS.values()},
    })  # fmt: skip
    flags = {name: frame[col].to_numpy() for name, col in FLAG_COLUMNS.items()}
    met = guarantees_met(
        frame["year"].to_numpy(), frame["income_per_capita"].to_numpy(), flags, RULES
    )
    out = assess_households(frame, RULES)
    assert np.array_equal(exit_scores(met, RULES), out["score"].to_numpy())
    assert np.array_equal(veto_failed(met, RULES), out["veto_failed"].to_numpy())
    assert np.array_equal(passes_exit(met, RULES), out["passes"].to_numpy())
    manual = sum(np.where(met[g], RULES.household.weights[g], 0) for g in GUARANTEES)
    assert np.array_equal(manual, out["score"].to_numpy())


def test_empty_and_missing_columns() -> None:
    empty = assess_households(pd.DataFrame(columns=["year", "income_per_capita"]), RULES)
    assert len(empty) == 0 and {"score", "passes", "reasons"} <= set(empty)
    partial = assess_households(pd.DataFrame({"year": [2016], "income_per_capita": [5000]}), RULES)
    assert partial["score"].tolist() == [30] and not partial["passes"].item()
    with_na = assess_households(pd.DataFrame([household(housing_safe=None)]), RULES)
    assert not with_na["met_housing"].item()


def test_default_table_is_unchanged_by_tests() -> None:
    assert DEFAULT["household"]["threshold"] == 80
