"""Properties of the rule-dependent counts on the generated small set, and a pandas reference.

The reference recomputes every rule metric from the parquet files with the DataFrame
functions (``assess_households``, ``classify_warnings``), last year's income by a group-by
shift and causes by exploding the lists: independent of the stores' array preparation.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from battlemap.geodata.metrics import cause_metric, guarantee_metric
from battlemap.geodata.schema import CAUSES
from battlemap.indicators.household import assess_households
from battlemap.indicators.rules import GUARANTEES, default_rules
from battlemap.indicators.warning import WARNING_CATEGORIES, classify_warnings, warning_metric
from battlemap.views.exit_report import exit_report
from battlemap.views.summary import region_summary

RULES = default_rules()


@pytest.fixture(scope="module")
def rows(small_data_dir: Path) -> pd.DataFrame:
    """household_years joined to households with every rule's verdict per row."""
    households = pd.read_parquet(small_data_dir / "households.parquet",
                                 columns=["hh_id", "village_code", "size", "primary_cause",
                                          "secondary_causes"])  # fmt: skip
    years = pd.read_parquet(small_data_dir / "household_years.parquet")
    years["status"] = years["status"].astype(str)
    frame = years.merge(households, on="hh_id", how="left").sort_values(["hh_id", "year"])
    previous = frame.groupby("hh_id")[["year", "income_per_capita", "status"]].shift(1)
    consecutive = previous["year"] == frame["year"] - 1
    frame["prev_income"] = previous["income_per_capita"].where(consecutive)
    frame["prev_status"] = previous["status"].where(consecutive)
    frame = frame.reset_index(drop=True)
    frame = frame.join(assess_households(frame, RULES)).join(classify_warnings(frame, RULES))
    exploded = frame["secondary_causes"].explode()
    for name in CAUSES:
        secondary = (exploded == name).groupby(level=0).any()
        frame[f"any_{name}"] = (frame["primary_cause"] == name) | secondary
    return frame


def reference(rows: pd.DataFrame, code: str, year: int) -> dict[str, int]:
    prefix = code.rstrip("0")
    prefix = code[: min(n for n in (2, 4, 6, 9, 12) if n >= len(prefix))]
    r = rows[(rows["year"] == year) & rows["village_code"].str.startswith(prefix)]
    poor = r["status"].isin(["未脱贫", "返贫"])
    exited = r["status"] == "已脱贫"
    new = exited & (r["prev_status"].isna() | r["prev_status"].isin(["未脱贫", "返贫"]))

    def both(name: str, mask: pd.Series) -> dict[str, int]:
        return {f"{name}_households": int(mask.sum()),
                f"{name}_persons": int(r["size"][mask].sum())}  # fmt: skip

    out = {"exit_pass_households": int(r["passes"].sum())}
    out |= both("wrong_exit", r["wrong_exit"]) | both("passing_poor", r["passing_poor"])
    out |= both("new_exit", new)
    for g in GUARANTEES:
        out[guarantee_metric(g)] = int(r[f"met_{g}"].sum())
    for c in WARNING_CATEGORIES:
        member = r["category"] == c
        out[warning_metric(c)] = int(member.sum())
        out[warning_metric(c, "persons")] = int(r["size"][member].sum())
    for i, name in enumerate(CAUSES):
        has = poor & r[f"any_{name}"]
        out[cause_metric(i, any_cause=True)] = int(r["size"][has].sum())
        out[cause_metric(i, unit="households", any_cause=True)] = int(has.sum())
        primary = poor & (r["primary_cause"] == name)
        out[cause_metric(i, unit="households")] = int(primary.sum())
    return out


def sample(store, level: int, k: int = 2) -> list[str]:
    codes = store.regions.level_codes(level)
    return random.Random(40 + level).sample(codes, min(k, len(codes)))


@pytest.mark.parametrize("level", [1, 2, 3, 4, 5])
def test_rule_metrics_match_the_pandas_reference(embedded_store, rows, level: int) -> None:
    for code in sample(embedded_store, level):
        for year in (2015, 2017, 2019, 2020):
            counts = embedded_store.counts(code, year)
            expected = reference(rows, code, year)
            assert {k: counts[k] for k in expected} == expected, (code, year)


def test_invariants_for_every_county_and_year(embedded_store) -> None:
    counties = embedded_store.regions.level_codes(3)
    for year in embedded_store.years:
        for code, c in embedded_store.counts_many(counties, year).items():
            assert c["exit_pass_households"] == (
                c["exited_households"] - c["wrong_exit_households"] + c["passing_poor_households"]
            ), (code, year)
            assert c["wrong_exit_persons"] <= c["exited_persons"]
            assert c["new_exit_households"] <= c["exited_households"]
            warned = sum(c[warning_metric(k)] for k in WARNING_CATEGORIES)
            assert warned <= c["exited_households"]
            for g in GUARANTEES:
                assert 0 <= c[guarantee_metric(g)] <= c["registered_households"]
            assert sum(c[cause_metric(i)] for i in range(len(CAUSES))) == c["poor_persons"]
            for i in range(len(CAUSES)):
                assert c[cause_metric(i, any_cause=True)] >= c[cause_metric(i)]
                assert c[cause_metric(i, unit="households", any_cause=True)] <= c["poor_households"]


def test_generated_data_is_plausible(embedded_store) -> None:
    """A few % wrong exits, a few poor households already passing the exit test (ready to
    exit: incomes climb continuously, issue 16), warnings in every category."""
    series = embedded_store.series("52")
    for year, c in series.items():
        if c["exited_households"]:
            assert c["wrong_exit_households"] / c["exited_households"] < 0.05, year
        assert c["passing_poor_households"] <= 0.1 * c["poor_households"], year
    assert sum(c["passing_poor_households"] for c in series.values()) > 0
    late = series[2019]
    assert all(late[warning_metric(k)] > 0 for k in WARNING_CATEGORIES)
    assert (
        sum(late[warning_metric(k)] for k in WARNING_CATEGORIES) < 0.2 * late["exited_households"]
    )
    assert sum(c["new_exit_persons"] for c in series.values()) >= late["exited_persons"]


def test_exit_reports_on_generated_data(embedded_store) -> None:
    early = exit_report(embedded_store, "52", 2015)
    assert len(early) == 66  # the 贫困县 (摘帽 applies to them); 88 counties in all
    assert len(exit_report(embedded_store, "52", 2015, flagged_only=False)) == 88
    assert all(a.checks[3].status == "no_data" for a in early)  # no assessments before 2016
    assert all(not a.passed for a in early)
    late = exit_report(embedded_store, "52", 2020)
    assert all(a.checks[3].status != "no_data" for a in late)
    for a in early + late:
        assert bool(a.reasons) == (a.status != "pass")
        assert a.passed == all(c.passed for c in a.checks)
    assert sum(a.passed for a in late) > sum(a.passed for a in early)
    county = next(c for c in sample(embedded_store, 3, 88) if embedded_store.region(c).poverty_flag)
    villages = exit_report(embedded_store, county, 2018)
    assert villages and all(a.level == 5 and len(a.checks) == 1 for a in villages)


def test_summary_is_json_ready(embedded_store) -> None:
    import json

    for level in (1, 3, 5):
        code = sample(embedded_store, level, 1)[0]
        summary = region_summary(embedded_store, code, 2019)
        assert json.loads(json.dumps(summary, ensure_ascii=False)) == summary
        exits = sum(v["households"] for v in summary["exits_by_year"].values())
        assert exits >= summary["progress"]["exited_households"]  # every exit was counted once
        assert np.isclose(sum(v for v in summary["causes"].values()), summary["poor_persons"])
