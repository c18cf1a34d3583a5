"""``battlemap import projects|allocations|payments``: Chinese or English headers, every bad
row rejected with its reason, idempotent, and the imported rows reach the stats and the cage."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from battlemap.geodata.access import ScopedStore
from battlemap.geodata.embedded import EmbeddedStore
from battlemap.geodata.importer.funds import import_funds_table
from battlemap.views.funds import funds_report
from tests.clirun import run_cli

HEADER = (
    "项目编号,项目名称,项目类型,行政区划代码,经度,纬度,计划开工日期,计划完工日期,"
    "实际开工日期,实际完工日期,项目状态,预算,资金来源,实施单位\n"
)
PROJECTS = (
    HEADER
    + "XM9000001,新建茶园项目,产业,{village},{lon},{lat},"
    + """2019-03-01,2019-12-31,2019-03-10,,在建,"120,000",中央,
XM9000002,坏类型项目,修路,{village},,,2019-03-01,2019-12-31,,,计划,1000,中央,
XM9000003,坏代码项目,产业,999999,,,2019-03-01,2019-12-31,,,计划,1000,中央,
XM9000004,坏日期项目,产业,{village},,,2019-13-01,2019-12-31,,,计划,1000,中央,
XM9000005,负预算项目,产业,{village},,,2019-03-01,2019-12-31,,,计划,-5,中央,
XM9000006,颠倒日期项目,产业,{village},,,2019-03-01,2018-12-31,,,计划,1000,中央,
XM9000001,重复项目,产业,{village},,,2019-03-01,2019-12-31,,,计划,1000,中央,
"""
)
PAYMENTS = """payment_id,project_id,date,amount,payee_type,payee_hh_id
ZF9000001,XM9000001,2019-05-01,3000,农户,{stranger}
ZF9000002,XM0000000,2019-05-01,3000,农户,
ZF9000003,XM9000001,2019-05-02,abc,企业,
ZF9000004,XM9000001,2019-05-02,500,银行,
"""


@pytest.fixture(scope="module")
def data_dir(small_data_dir: Path, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("funds-import") / "data"
    shutil.copytree(small_data_dir, path, ignore=shutil.ignore_patterns("funds_cache"))
    return path


def _village(data_dir: Path) -> tuple[str, float, float]:
    import pandas as pd

    p = pd.read_parquet(data_dir / "projects.parquet")
    row = p[~p.code.str.endswith("000")].iloc[0]
    return row.code, row.lon, row.lat


def _import(table: str, path: Path, data_dir: Path) -> dict:
    result = run_cli("import", table, str(path), "--data-dir", str(data_dir), "--quiet")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_import_rejects_bad_rows_is_idempotent_and_feeds_the_cage(data_dir, tmp_path):
    village, lon, lat = _village(data_dir)
    projects = tmp_path / "projects.csv"
    projects.write_text(PROJECTS.format(village=village, lon=lon, lat=lat), encoding="utf-8")
    report = _import("projects", projects, data_dir)
    assert report["loaded"] == 1 and report["inserted"] == 1
    assert report["reasons"] == {
        "bad_choice": 1,
        "unknown_region": 1,
        "bad_date": 2,
        "bad_amount": 1,
        "duplicate_in_file": 1,
    }
    with open(report["rejects_file"], encoding="utf-8-sig") as f:
        rejects = {row["项目编号"]: row["reason"] for row in csv.DictReader(f)}
    assert rejects["XM9000002"] == "bad_choice" and rejects["XM9000006"] == "bad_date"
    again = import_funds_table("projects", projects, data_dir).as_dict()
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 1)

    payments = tmp_path / "payments.csv"
    payments.write_text(PAYMENTS.format(stranger=village + "9999"), encoding="utf-8")
    report = import_funds_table("payments", payments, data_dir).as_dict()
    assert report["loaded"] == 1
    assert report["reasons"] == {"unknown_project": 1, "bad_amount": 1, "bad_choice": 1}

    report = funds_report(ScopedStore(EmbeddedStore(data_dir)), village, 2020)
    mine = set(report.rule[report.project_id == "XM9000001"])
    # paid an unregistered household, with no allocation: both caught
    assert mine == {"payee_not_registered", "payment_before_allocation"}


def test_import_with_dsn_keeps_both_stores_equal(postgis_cluster, tmp_path):
    """An import with --dsn writes both stores in one go: their funds answers stay equal."""
    from battlemap.geodata.postgis.store import PostgisStore
    from battlemap.geodata.synthetic.generate import generate
    from battlemap.views.funds import funds_stats

    data_dir = tmp_path / "tiny"
    generate(data_dir, households=2000, seed=5, quiet=True)
    dsn = postgis_cluster.load_database("funds_import", data_dir)
    village, lon, lat = _village(data_dir)
    projects = tmp_path / "projects.csv"
    projects.write_text(PROJECTS.format(village=village, lon=lon, lat=lat), encoding="utf-8")
    payments = tmp_path / "payments.csv"
    payments.write_text(PAYMENTS.format(stranger=village + "9999"), encoding="utf-8")
    pg = PostgisStore(dsn)
    try:
        before = funds_stats(ScopedStore(pg), village, 2020)  # derived tables built once
        for table, path in (("projects", projects), ("payments", payments)):
            report = import_funds_table(table, path, data_dir, dsn=dsn)
            assert report.loaded == 1 and report.stores == ["embedded", "postgis"]
        embedded = ScopedStore(EmbeddedStore(data_dir))
        after = funds_stats(ScopedStore(pg), village, 2020)
        assert after == funds_stats(embedded, village, 2020)
        assert after["projects"] == before["projects"] + 1
        assert after["paid"] == pytest.approx(before["paid"] + 3000)
        assert set(funds_report(ScopedStore(pg), village, 2020).rule) >= {
            "payee_not_registered",
            "payment_before_allocation",
        }
    finally:
        pg.close()


def test_database_failure_is_one_line_and_changes_neither_store(postgis_cluster, tmp_path):
    """A database that refuses the rows (here a CHECK no row passes) fails the import with
    one clear error, like the cadre imports (it was a raw psycopg2 error), and the data dir
    keeps its version."""
    import pandas as pd
    import psycopg2

    from battlemap.geodata.datadir import read_manifest
    from battlemap.geodata.errors import BattlemapError
    from battlemap.geodata.synthetic.generate import generate

    data_dir = tmp_path / "tiny"
    generate(data_dir, households=2000, seed=5, quiet=True)
    dsn = postgis_cluster.load_database("funds_import_refused", data_dir)
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("ALTER TABLE fund_payments ADD CONSTRAINT refused CHECK (false) NOT VALID")
    conn.close()
    stored = pd.read_parquet(data_dir / "fund_payments.parquet")
    payments = tmp_path / "payments.csv"
    stored.head(1).assign(amount=stored.amount.iloc[0] + 1).to_csv(payments, index=False)
    before = read_manifest(data_dir)["version"]
    with pytest.raises(BattlemapError, match="importing fund_payments into PostgreSQL failed"):
        import_funds_table("payments", payments, data_dir, dsn=dsn)
    assert read_manifest(data_dir)["version"] == before
    pd.testing.assert_frame_equal(pd.read_parquet(data_dir / "fund_payments.parquet"), stored)
