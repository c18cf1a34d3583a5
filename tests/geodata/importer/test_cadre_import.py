"""``battlemap import cadres|assignments|visits`` (issue 15): Chinese headers, every row
checked with its reason, idempotent, both stores agree afterwards, one helper at a time."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from battlemap.geodata.cadres_store import cadre_source
from battlemap.geodata.embedded import EmbeddedStore
from battlemap.geodata.importer.cadres import import_cadre_table
from battlemap.geodata.postgis.store import PostgisStore
from battlemap.geodata.synthetic.generate import generate

PROVINCE = "520000000000"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, postgis_cluster) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("cadre-import") / "data"
    generate(path, households=2000, seed=11, quiet=True)
    return path, postgis_cluster.load_database("cadre_import", path)


def _csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _rejects(report) -> list[str]:
    with open(report.rejects_file, encoding="utf-8") as handle:
        return [row[1] for row in list(csv.reader(handle))[1:]]


def test_visits_rows_checked_upserted_idempotent_both_stores(tiny, tmp_path) -> None:
    data_dir, dsn = tiny
    visits = pd.read_parquet(data_dir / "visits.parquet")
    hh = pd.read_parquet(data_dir / "households.parquet", columns=["hh_id", "lon", "lat"])
    first = visits.iloc[0]
    home = hh[hh.hh_id == first.hh_id].iloc[0]
    new_id = int(visits.visit_id.max()) + 1
    far_lat = home.lat + 0.03  # ~3.3 km: a far check-in
    rows = [
        [new_id, first.cadre_id, first.hh_id, "2018-06-01", home.lon, far_lat, "走访", "入户"],
        [new_id + 1, first.cadre_id, first.hh_id, "2018/6/2", home.lon, home.lat, "产业帮扶", ""],
        [new_id + 2, "NOBODY", first.hh_id, "2018-06-03", home.lon, home.lat, "走访", ""],
        [new_id + 3, first.cadre_id, "0000000000000000", "2018-06-03", 106, 26, "走访", ""],
        [new_id + 4, first.cadre_id, first.hh_id, "2018-13-40", home.lon, home.lat, "走访", ""],
        [new_id + 5, first.cadre_id, first.hh_id, "2018-06-03", 500, home.lat, "走访", ""],
        [new_id + 6, first.cadre_id, first.hh_id, "2018-06-03", home.lon, home.lat, "喝茶", ""],
        [new_id, first.cadre_id, first.hh_id, "2018-06-04", home.lon, home.lat, "走访", ""],
    ]
    header = ["日志编号", "干部编号", "户编号", "走访日期", "经度", "纬度", "帮扶类别", "备注"]
    path = _csv(tmp_path / "日志.csv", header, rows)
    before = EmbeddedStore(data_dir)
    far_before = cadre_source(before).counts(PROVINCE, 2018)["far_checkins_in_year"]
    report = import_cadre_table("visits", path, data_dir, dsn=dsn)
    assert (report.rows, report.loaded, report.inserted) == (8, 2, 2)
    assert sorted(_rejects(report)) == sorted(
        ["unknown_cadre", "unknown_household", "bad_date", "bad_point", "bad_choice",
         "duplicate_in_file"]
    )  # fmt: skip
    embedded, pg = EmbeddedStore(data_dir), PostgisStore(dsn)
    try:
        counts = cadre_source(embedded).counts(PROVINCE, 2018)
        assert counts["far_checkins_in_year"] == far_before + 1
        assert cadre_source(pg).counts(PROVINCE, 2018) == counts
        again = import_cadre_table("visits", path, data_dir, dsn=dsn)
        assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    finally:
        pg.close()


def test_a_visit_id_too_large_for_a_number_is_a_reject(tiny, tmp_path) -> None:
    data_dir, _ = tiny
    first = pd.read_parquet(data_dir / "visits.parquet").iloc[0]
    header = ["日志编号", "干部编号", "户编号", "走访日期", "经度", "纬度", "帮扶类别", "备注"]
    row = ["1e400", first.cadre_id, first.hh_id, "2018-06-01", first.lon, first.lat, "走访", ""]
    path = _csv(tmp_path / "日志.csv", header, [row])
    report = import_cadre_table("visits", path, data_dir, dry_run=True)  # OverflowError before
    assert report.reasons == {"bad_id": 1} and report.loaded == 0


def test_one_responsible_helper_at_a_time(tiny, tmp_path) -> None:
    data_dir, _ = tiny
    a = pd.read_parquet(data_dir / "assignments.parquet")
    open_row = a[a.end_date.isna()].iloc[0]
    other = a[a.cadre_id != open_row.cadre_id].iloc[0].cadre_id
    spare = a[~a.hh_id.isin([open_row.hh_id])].iloc[0].hh_id
    rows = [
        [other, open_row.hh_id, "2019-01-01", ""],  # overlaps the stored open assignment
        [other, spare, "2030-01-01", "2030-12-31"],  # its stored assignment is still open
        ["x", "y", "2019-01-01", "2018-01-01"],  # end before start
    ]
    path = _csv(tmp_path / "结对.csv", ["干部编号", "户编号", "开始日期", "结束日期"], rows)
    report = import_cadre_table("assignments", path, data_dir, dry_run=True)
    assert report.loaded == 0
    assert sorted(_rejects(report)) == ["bad_date", "second_helper", "second_helper"]


def test_cadres_checked(tiny, tmp_path) -> None:
    data_dir, _ = tiny
    village = pd.read_parquet(data_dir / "cadres.parquet").village_code.iloc[0]
    header = ["干部编号", "姓名", "帮扶单位", "单位级别", "职务", "村代码", "开始日期", "结束日期"]
    rows = [
        ["NEW-1", "张三", "某县扶贫办", "县直", "帮扶责任人", village, "2019-03-01", ""],
        ["NEW-2", "李四", "某县扶贫办", "部级", "帮扶责任人", village, "2019-03-01", ""],
        ["NEW-3", "王五", "某县扶贫办", "县直", "帮扶责任人", "520000000000", "2019-03-01", ""],
    ]
    report = import_cadre_table("cadres", _csv(tmp_path / "干部.csv", header, rows), data_dir)
    assert report.inserted == 1 and sorted(_rejects(report)) == ["bad_choice", "bad_code"]
    store = EmbeddedStore(data_dir)
    assert "NEW-1" in set(cadre_source(store).frames(village, 2019).cadres.cadre_id)


def test_database_failure_changes_neither_store(tiny, tmp_path, postgis_cluster) -> None:
    import psycopg2

    from battlemap.geodata.datadir import read_manifest
    from battlemap.geodata.errors import BattlemapError

    data_dir, _ = tiny
    broken = postgis_cluster.load_database("cadre_import_broken", data_dir)
    conn = psycopg2.connect(broken)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("ALTER TABLE cadres RENAME TO cadres_gone")
    conn.close()
    village = pd.read_parquet(data_dir / "cadres.parquet").village_code.iloc[0]
    header = ["cadre_id", "name", "unit", "unit_level", "role", "village_code", "start_date"]
    rows = [["NEW-9", "赵六", "某县扶贫办", "县直", "帮扶责任人", village, "2019-03-01"]]
    before = read_manifest(data_dir)["version"]
    with pytest.raises(BattlemapError, match="nothing was changed"):
        import_cadre_table("cadres", _csv(tmp_path / "c.csv", header, rows), data_dir, dsn=broken)
    assert read_manifest(data_dir)["version"] == before
    assert "NEW-9" not in set(pd.read_parquet(data_dir / "cadres.parquet").cadre_id)


def test_gcj02_check_ins_are_stored_as_wgs84(tiny, tmp_path) -> None:
    from battlemap.geodata.importer.crs import wgs84_to_gcj02

    data_dir, _ = tiny
    visits = pd.read_parquet(data_dir / "visits.parquet")
    hh = pd.read_parquet(data_dir / "households.parquet", columns=["hh_id", "lon", "lat"])
    first = visits.iloc[0]
    home = hh[hh.hh_id == first.hh_id].iloc[0]
    lon, lat = wgs84_to_gcj02(pd.Series([home.lon]).to_numpy(), pd.Series([home.lat]).to_numpy())
    new_id = int(visits.visit_id.max()) + 100
    header = ["visit_id", "cadre_id", "hh_id", "date", "lon", "lat", "kind"]
    rows = [[new_id, first.cadre_id, first.hh_id, "2019-05-05", lon[0], lat[0], "走访"]]
    path = _csv(tmp_path / "gcj.csv", header, rows)
    report = import_cadre_table("visits", path, data_dir, crs="gcj02")
    assert report.inserted == 1
    stored = pd.read_parquet(data_dir / "visits.parquet")
    row = stored[stored.visit_id == new_id].iloc[0]
    assert abs(row.lon - home.lon) < 1e-5 and abs(row.lat - home.lat) < 1e-5  # GCJ-02 is ~500 m off
