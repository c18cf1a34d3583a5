"""Projects and funds (issue 14): planted anomalies found exactly, payment rate and idle funds
recomputed independently from the parquet files, both stores identical, old data dirs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from battlemap.geodata.access import ScopedStore
from battlemap.geodata.datadir import read_manifest, record_files
from battlemap.geodata.embedded import EmbeddedStore
from battlemap.geodata.funds_schema import FUNDS_TABLE_FILES
from battlemap.views.funds import (
    funds_panel,
    funds_report,
    funds_stats,
    project_points,
    village_payments,
)
from battlemap.viewstate import ViewState

PROVINCE = "520000000000"
LAST = 2020
# what each rule's reason must say (the fact behind it)
REASON_WORDS = {
    "payee_not_registered": "名单外",
    "payee_exited": "已脱贫",
    "duplicate_payment": "领取 2 次",
    "payment_before_allocation": "早于首笔资金下达",
    "payment_after_close": "仍支付",
    "overpaid": "超过预算",
    "idle_allocation": "天内无支付",
    "location_outside": "不在所属区域",
    "beneficiary_double": "受益于 2 个",
    "completed_no_payment": "没有任何支付",
}


@pytest.fixture(scope="module")
def access(embedded_store) -> ScopedStore:
    return ScopedStore(embedded_store)


@pytest.fixture(scope="module")
def planted(small_data_dir: Path) -> list[dict]:
    return read_manifest(small_data_dir)["funds"]["planted"]


def test_every_planted_anomaly_is_found_with_its_reason_and_nothing_else(access, planted):
    report = funds_report(access, PROVINCE, LAST)
    assert {p["rule"] for p in planted} == set(REASON_WORDS)  # every rule planted
    found = sorted(zip(report.rule, report.project_id, strict=True))
    assert found == sorted((p["rule"], p["project_id"]) for p in planted)
    by_key = {(r.rule, r.project_id): r for r in report.itertuples()}
    for item in planted:
        row = by_key[(item["rule"], item["project_id"])]
        assert REASON_WORDS[item["rule"]] in row.reason, row.reason
        evidence = json.loads(row.evidence)
        for key in ("payment_id", "allocation_id", "hh_id"):
            # (overpaid: the evidence names the payment that crossed the budget)
            if key in item and key in evidence and item["rule"] != "overpaid":
                assert evidence[key] == item[key]
        if "hh_id" in item:
            assert item["hh_id"] in row.reason


def test_report_of_a_year_holds_only_what_arose_by_then(access):
    every = funds_report(access, PROVINCE, LAST)
    early = funds_report(access, PROVINCE, 2016)
    assert 0 < len(early) < len(every)
    assert (early.date <= "2016-12-31").all()
    stats = funds_stats(access, PROVINCE, 2016)
    assert stats["anomalies"] == len(early)


def _tables(data_dir: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(data_dir / f) for name, f in FUNDS_TABLE_FILES.items()}


def _recompute(tables, prefix: str, year: int) -> tuple[float, float, float]:
    """Independently: allocated, paid and in-year paid (yuan) of projects under prefix."""
    end = pd.Timestamp(f"{year}-12-31")
    mine = tables["projects"][tables["projects"].code.str.startswith(prefix)].project_id
    alloc = tables["fund_allocations"]
    alloc = alloc[alloc.project_id.isin(mine) & (pd.to_datetime(alloc.date) <= end)]
    pay = tables["fund_payments"]
    pay = pay[pay.project_id.isin(mine)]
    dates = pd.to_datetime(pay.date)
    in_year = pay[(dates <= end) & (dates.dt.year == year)].amount.sum()
    return alloc.amount.sum(), pay[dates <= end].amount.sum(), in_year


def test_payment_rate_and_idle_match_an_independent_recomputation(access, small_data_dir):
    tables = _tables(small_data_dir)
    village = tables["projects"].code[~tables["projects"].code.str.endswith("000")].iloc[0]
    cases = [(PROVINCE, "52"), ("520100000000", "5201"), (village[:6] + "000000", village[:6]),
             (village, village)]  # fmt: skip
    for code, prefix in cases:
        for year in (2015, 2018, LAST):
            allocated, paid, paid_in_year = _recompute(tables, prefix, year)
            got = funds_stats(access, code, year)
            assert got["allocated"] == pytest.approx(allocated, abs=0.01)
            assert got["paid"] == pytest.approx(paid, abs=0.01)
            assert got["paid_in_year"] == pytest.approx(paid_in_year, abs=0.01)
            assert got["idle"] == pytest.approx(allocated - paid, abs=0.01)
            if allocated:
                assert got["payment_rate_pct"] == pytest.approx(100 * paid / allocated, abs=0.005)


def test_stats_object_carries_the_interface_keys(access):
    stats = funds_stats(access, PROVINCE, 2018)
    for key in ("allocated", "paid", "payment_rate_pct", "idle", "allocated_in_year",
                "paid_in_year", "projects", "projects_overdue", "anomalies"):  # fmt: skip
        assert key in stats
    assert stats["available"] and stats["projects"] > 1000
    assert sum(stats["projects_by_type"].values()) == stats["projects"]
    assert sum(stats["projects_by_status"].values()) == stats["projects"]
    assert sum(s["allocated"] for s in stats["by_source"].values()) == pytest.approx(
        stats["allocated"], abs=0.05
    )
    children = stats["performance"]["children"]
    assert len(children) == 9 and all(c["exited_persons_per_10k"] for c in children)


def test_both_stores_agree(access, postgis_store, small_data_dir):
    pg = ScopedStore(postgis_store)
    codes = [PROVINCE, "520100000000", "522600000000"]
    county = next(c for c in funds_report(access, PROVINCE, LAST).code)[:6] + "000000"
    for code in [*codes, county]:
        for year in (2014, 2017, LAST):
            assert funds_stats(access, code, year) == funds_stats(pg, code, year)
    pd.testing.assert_frame_equal(
        funds_report(access, PROVINCE, LAST), funds_report(pg, PROVINCE, LAST)
    )
    pd.testing.assert_frame_equal(
        project_points(access, county, 2018), project_points(pg, county, 2018)
    )
    village = project_points(access, county, LAST).code
    village = village[~village.str.endswith("000")].iloc[0]
    pd.testing.assert_frame_equal(
        village_payments(access, village, LAST), village_payments(pg, village, LAST)
    )


def test_a_data_dir_without_funds_tables_opens_and_says_no_data(small_data_dir, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(small_data_dir, old)
    for name in FUNDS_TABLE_FILES.values():
        (old / name).unlink()
    shutil.rmtree(old / "funds_cache", ignore_errors=True)
    record_files(old)
    access = ScopedStore(EmbeddedStore(old))
    stats = funds_stats(access, PROVINCE, 2018)
    assert stats["available"] is False and stats["allocated"] == 0
    assert funds_report(access, PROVINCE, 2018).empty
    panel = funds_panel(access, ViewState(region=PROVINCE, year=2018))
    assert panel.note == "无项目资金数据" and panel.figure is None
    from battlemap.views.kpis import kpi_panel

    tiles = kpi_panel(access, ViewState(region=PROVINCE, year=2018)).data["tiles"]
    assert "kpi_fund_anomalies" not in {x.key for x in tiles}
