"""Binary COPY (db load's format for tables of numbers, booleans and text) on real PostGIS:
the rows arrive exactly as the CSV path sends them, NULLs and odd text included."""

from __future__ import annotations

from datetime import date

import pandas as pd
import psycopg2
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from battlemap.geodata.postgis import copy as copy_module
from battlemap.geodata.postgis.binary import binary_supported
from battlemap.geodata.postgis.copy import copy_parquet
from battlemap.geodata.postgis.ddl import TABLES, Column, Table

COLUMNS = (
    Column("code", 'char(12) COLLATE "C" NOT NULL'),
    Column("name", "text"),
    Column("small", "smallint"),
    Column("whole", "integer"),
    Column("big", "bigint"),
    Column("ratio", "double precision"),
    Column("flag", "boolean"),
    Column("status", "text"),
    Column("day", "date"),
    Column("absent", "double precision", optional=True),  # not in the file: NULL
    Column("absent_day", "date", optional=True),
)
ROWS = {
    "code": ["520102100200", "520102100201", "520102100202", "520102100203"],
    "name": ["张三", "", None, 'quote " comma , back\\slash\nnewline'],
    "small": pa.array([1, None, -32768, 32767], pa.int16()),
    "whole": pa.array([0, 2**31 - 1, None, -5], pa.int32()),
    "big": pa.array([2**40, None, -1, 0], pa.int64()),
    "ratio": [1.5, None, float("inf"), -0.0],
    "flag": [True, False, None, True],
    "status": pa.array(["未脱贫", "已脱贫", "返贫", "未脱贫"]).dictionary_encode(),
    "day": pa.array([date(2019, 12, 31), None, date(1999, 12, 31), date(2000, 1, 1)]),
}
DAYS = ROWS["day"].to_pylist()


@pytest.fixture
def conn(postgis_dsn):
    conn = psycopg2.connect(postgis_dsn)
    yield conn
    conn.rollback()
    conn.close()


def _copy(cur, monkeypatch, name: str, path, *, binary: bool) -> list[tuple]:
    table = Table(name, COLUMNS)
    cur.execute(table.create_sql())
    monkeypatch.setattr(copy_module, "binary_supported", lambda t: binary)
    assert copy_parquet(cur, table, path) == 4
    cur.execute(f"SELECT * FROM {name} ORDER BY code")
    return cur.fetchall()


@pytest.mark.parametrize("batch_rows", [2, 65_536])  # several batches, one batch
def test_binary_rows_equal_csv_rows(conn, tmp_path, monkeypatch, batch_rows) -> None:
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table(ROWS), path)
    monkeypatch.setattr(copy_module, "BATCH_ROWS", batch_rows)
    assert binary_supported(Table("t", COLUMNS))
    with conn.cursor() as cur:
        binary = _copy(cur, monkeypatch, "t_binary", path, binary=True)
        csv = _copy(cur, monkeypatch, "t_csv", path, binary=False)
    assert binary == csv
    assert binary[0] == (
        "520102100200", "张三", 1, 0, 2**40, 1.5, True, "未脱贫", date(2019, 12, 31), None, None
    )  # fmt: skip
    assert binary[2][2:7] == (-32768, None, -1, float("inf"), None)
    assert [r[8] for r in binary] == DAYS


@pytest.mark.parametrize(
    "days",
    [
        pa.array(["2019-12-31", None, "1999-12-31", "2000-01-01"]),  # ISO text
        pa.array(pd.to_datetime(["2019-12-31 18:00", None, "1999-12-31 0:00", "2000-01-01 0:00"])),
    ],
    ids=["text", "timestamp"],
)
def test_dates_from_text_or_timestamps_in_binary_equal_csv(conn, tmp_path, monkeypatch, days):
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({**ROWS, "day": days}), path)
    with conn.cursor() as cur:
        binary = _copy(cur, monkeypatch, "t_binary", path, binary=True)
        csv = _copy(cur, monkeypatch, "t_csv", path, binary=False)
    assert binary == csv
    assert [r[8] for r in binary] == DAYS
    assert binary[3][1] == ROWS["name"][3]


HOUSEHOLDS = {
    "hh_id": ["a1", "a2", "a3", "a4"],
    "village_code": ["520102100200"] * 4,
    "lon": [106.5, 106.25, -0.0, 179.999999],
    "lat": [26.5, 26.125, 0.0, -89.5],
    "size": pa.array([1, 2, 3, 30], pa.int16()),
    "hh_type": ["一般户", "低保户", "特困供养户", "一般户"],
    "primary_cause": ["因病", "因残", "缺资金", "其他"],
    "secondary_causes": pa.array(
        [[], ["因学", 'quote " and , comma'], None, ["缺技术", "", "因灾"]], pa.list_(pa.string())
    ),
    "head_name": ["张三", None, "", "欧阳 修"],
}


@pytest.mark.parametrize("geometry", [True, False])  # WKB points, or lon/lat only
def test_points_and_text_arrays_in_binary_equal_csv(conn, tmp_path, monkeypatch, geometry):
    import shapely

    data = dict(HOUSEHOLDS)
    if geometry:
        points = shapely.points(data["lon"], data["lat"])
        data["geometry"] = pa.array(shapely.to_wkb(points), pa.binary())
    path = tmp_path / "households.parquet"
    pq.write_table(pa.table(data), path)
    table = TABLES["households"]
    assert binary_supported(table)
    out = {}
    with conn.cursor() as cur:
        for name, binary in (("hh_binary", True), ("hh_csv", False)):
            cur.execute(table.create_sql().replace("households", name, 1))
            monkeypatch.setattr(copy_module, "binary_supported", lambda t, b=binary: b)
            assert copy_parquet(cur, Table(name, table.columns), path) == 4
            cur.execute(
                f"SELECT hh_id, size, secondary_causes, head_name, registered_year, "
                f"ST_AsEWKT(geom), lon, lat FROM {name} ORDER BY hh_id"
            )
            out[name] = cur.fetchall()
    assert out["hh_binary"] == out["hh_csv"]
    rows = out["hh_binary"]
    assert [r[2] for r in rows] == [
        [],
        ["因学", 'quote " and , comma'],
        None,
        ["缺技术", "", "因灾"],
    ]
    assert rows[0][5] == "SRID=4326;POINT(106.5 26.5)" and rows[0][4] is None


def test_only_multipolygon_and_money_tables_stay_csv() -> None:
    assert binary_supported(TABLES["household_years"])
    assert binary_supported(TABLES["households"])  # points, text[]
    assert binary_supported(TABLES["visits"])  # dates
    assert not binary_supported(TABLES["fund_payments"])  # numeric(16, 2)
    assert not binary_supported(TABLES["regions"])  # multipolygons
