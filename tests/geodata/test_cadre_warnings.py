"""Early-warning households in the cadre rankings (issue 15): per cadre, unit and region
recounted independently from the parquet files with the rules file's thresholds, summing to
``battlemap stats``' warning counts, and the same on the embedded and PostGIS stores."""

from __future__ import annotations

import argparse
import json
import tomllib

import numpy as np
import pandas as pd
import pytest

from battlemap.cli import cadres_report, stats
from battlemap.geodata.access import ScopedStore
from battlemap.indicators.cadre_report import OUTCOME_COLUMNS, region_ranking
from battlemap.indicators.rules import DEFAULT_RULES_PATH
from battlemap.views.cadres import cadre_detail

YEAR = 2018
PROVINCE = "520000000000"


@pytest.fixture(scope="module")
def expected(small_data_dir) -> dict[str, pd.Series]:
    """Warned households per helper on 31 December, straight from the files (pandas only)."""
    rules = tomllib.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    w, line = rules["warning"], rules["household"]["income_line"][str(YEAR)]
    d = small_data_dir
    hh_columns = ["hh_id", "village_code", "primary_cause", "secondary_causes"]
    hh = pd.read_parquet(d / "households.parquet", columns=hh_columns)
    hy_columns = ["hh_id", "year", "status", "income_per_capita"]
    hy = pd.read_parquet(d / "household_years.parquet", columns=hy_columns)
    now = hy[hy.year == YEAR].merge(
        hy.loc[hy.year == YEAR - 1, ["hh_id", "income_per_capita"]].rename(
            columns={"income_per_capita": "prev"}
        ),
        on="hh_id",
        how="left",
    )
    now = now.merge(hh, on="hh_id")
    severe = now.primary_cause.isin(w["severe_causes"]) | now.secondary_causes.map(
        lambda c: c is not None and any(x in w["severe_causes"] for x in c)
    )
    income, prev = now.income_per_capita, now.prev

    def dropped(pct: float) -> pd.Series:
        return (prev > 0) & ((prev - income) * 100 > pct * prev)

    warned = (now.status.astype(str) == "已脱贫") & (
        dropped(w["income_drop_pct"])
        | (severe & dropped(w["severe_cause_income_drop_pct"]))
        | (income < line * w["unstable_income_multiple"])
        | ((income < line * w["edge_income_multiple"]) & severe)
    )
    warned_ids = now.loc[warned, ["hh_id", "village_code"]]
    day = pd.Timestamp(YEAR, 12, 31)
    a = pd.read_parquet(d / "assignments.parquet")
    start, end = pd.to_datetime(a.start_date), pd.to_datetime(a.end_date)
    helper = a[(start <= day) & (end.isna() | (end >= day))][["hh_id", "cadre_id"]]
    assert not helper.hh_id.duplicated().any()  # one responsible helper at a time
    per_cadre = warned_ids.merge(helper, on="hh_id").groupby("cadre_id").size()
    c = pd.read_parquet(d / "cadres.parquet")
    cs, ce = pd.to_datetime(c.start_date), pd.to_datetime(c.end_date)
    posted = c[(cs <= day) & (ce.isna() | (ce >= day))].copy()
    posted["warned"] = posted.cadre_id.map(per_cadre).fillna(0).astype(int)
    return {
        "households": warned_ids.set_index("hh_id").village_code,
        "cadre": per_cadre,
        "unit": posted.groupby(["unit", "unit_level"]).warned.sum(),
        "prefecture": posted.groupby(posted.village_code.str[:4].str.ljust(12, "0")).warned.sum(),
    }


@pytest.fixture(scope="module")
def province_report(embedded_store) -> dict:
    return cadres_report.report_tables(embedded_store, "52", YEAR)


def _county(store) -> str:
    prefecture = store.regions.children(PROVINCE)[0].code
    return store.regions.children(prefecture)[0].code


def test_independent_recount_per_cadre_unit_region(expected, province_report) -> None:
    report = province_report
    assert expected["cadre"].sum() > 100  # the set has enough warned, helped households
    got = {c["cadre_id"]: c["households_warning"] for c in report["cadres"]}
    want = expected["cadre"].reindex(list(got), fill_value=0)
    assert got == want.to_dict()
    units = {(u["unit"], u["unit_level"]): u["households_warning"] for u in report["units"]}
    assert units == expected["unit"].to_dict()
    regions = {r["code"]: r["households_warning"] for r in report["regions"]}
    assert regions == expected["prefecture"].to_dict()


def test_households_sum_to_the_stats_warning_count(
    expected, province_report, embedded_store, small_data_dir, capsys
) -> None:
    parser = argparse.ArgumentParser()
    stats.register(parser.add_subparsers())
    for code in (PROVINCE, _county(embedded_store)):
        args = parser.parse_args(["stats", "--region", code, "--year", str(YEAR),
                                  "--data-dir", str(small_data_dir)])  # fmt: skip
        assert args.func(args) == 0
        counted = sum(json.loads(capsys.readouterr().out)["warning_households"].values())
        households = cadre_detail(ScopedStore(embedded_store), code, YEAR).households
        warned = households[households["warning"].notna()]
        assert len(warned) == counted > 0, code
        prefix = code[:2] if code == PROVINCE else code[:6]
        mine = expected["households"][expected["households"].str.startswith(prefix)]
        assert set(warned["hh_id"]) == set(mine.index)
    # every warned household has a helper: the regions add up to the province's count
    assert sum(r["households_warning"] for r in province_report["regions"]) == len(
        expected["households"]
    )
    assert province_report["summary"]["warning_households"] == len(expected["households"])


def test_both_stores_rank_the_same(embedded_store, postgis_store) -> None:
    county = _county(embedded_store)
    a = cadre_detail(ScopedStore(embedded_store), county, YEAR)
    b = cadre_detail(ScopedStore(postgis_store), county, YEAR)
    assert a.cadres["households_warning"].sum() > 0
    pd.testing.assert_frame_equal(a.cadres, b.cadres, check_dtype=False)
    pd.testing.assert_frame_equal(a.units, b.units, check_dtype=False)
    pd.testing.assert_frame_equal(a.households, b.households, check_dtype=False)
    pd.testing.assert_frame_equal(region_ranking(a.cadres, 9), region_ranking(b.cadres, 9),
                                  check_dtype=False)  # fmt: skip


def _order_key(row: dict, name: str) -> tuple:
    exited, wrong, warning, returned = (row[c] for c in OUTCOME_COLUMNS)
    return (-exited, wrong, warning, returned, -row["score"], row[name])


def test_report_rankings_follow_the_documented_order(province_report) -> None:
    for table, name in (("units", "unit"), ("regions", "code")):
        rows = province_report[table]
        assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
        keys = [_order_key(r, name) for r in rows]
        assert keys == sorted(keys), table
    cadres = pd.DataFrame(province_report["cadres"])
    posted = cadres[cadres.in_post]
    assert (cadres.loc[~cadres.in_post, "rank_in_county"] == 0).all()
    for _, county in posted.groupby(posted.village_code.str[:6]):
        ordered = county.sort_values("rank_in_county", kind="stable")
        keys = [_order_key(r, "rank_in_county")[:5] for r in ordered.to_dict("records")]
        assert keys == sorted(keys)
        assert ordered.rank_in_county.iloc[0] == 1
        ranks = ordered.rank_in_county.to_numpy()
        tied = np.array([keys[i] == keys[i - 1] for i in range(1, len(keys))], dtype=bool)
        assert (ranks[1:][tied] == ranks[:-1][tied]).all()  # ties share a rank
        assert (ranks[1:][~tied] == np.arange(2, len(keys) + 1)[~tied]).all()
