"""PostGIS store against a real throwaway PostgreSQL + PostGIS cluster (never skipped).

Loads, all-or-nothing reloads, domain errors, feature queries against the embedded store,
aggregates under other exit rules, and COPY of awkward values.
"""

from __future__ import annotations

import dataclasses
import shutil
import socket
import uuid
from pathlib import Path

import pandas as pd
import psycopg2
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from battlemap.cli import main
from battlemap.geodata.datadir import record_files
from battlemap.geodata.embedded import EmbeddedStore
from battlemap.geodata.errors import (
    DataDirError,
    StoreUnavailableError,
    UnknownRegionError,
    YearOutOfRangeError,
)
from battlemap.geodata.metrics import METRIC_NAMES
from battlemap.geodata.postgis import PostgisStore, load_data_dir
from battlemap.geodata.postgis.copy import copy_parquet
from battlemap.geodata.postgis.ddl import AGGREGATE_TABLE, TABLES, Column, Table
from battlemap.geodata.postgis.load import STAGING_SCHEMA
from battlemap.geodata.schema import OPTIONAL_TABLE_FILES, TABLE_FILES
from battlemap.indicators.rules import default_rules

pytestmark = pytest.mark.postgis

DATA_FILES = [*TABLE_FILES.values(), *OPTIONAL_TABLE_FILES.values(), "manifest.json"]


# -- helpers ------------------------------------------------------------------------------
def subset_data_dir(src: Path, dst: Path, counties: int) -> Path:
    """A copy of ``src`` cut down to its ``counties`` largest counties (by households).

    Regions keep those counties, their townships and villages and their ancestors; every
    table keeps the rows of those regions. Loads in about a second.
    """
    dst.mkdir(parents=True, exist_ok=True)
    for name in DATA_FILES:
        if (src / name).is_file():
            shutil.copy(src / name, dst / name)

    def rewrite(table: str, keep) -> pa.Table:
        rows = pq.read_table(src / TABLE_FILES.get(table, f"{table}.parquet"))
        rows = rows.filter(keep(rows))
        pq.write_table(rows, dst / TABLE_FILES.get(table, f"{table}.parquet"))
        return rows

    def county_of(codes) -> pa.Array:
        return pc.utf8_slice_codeunits(codes, 0, 6)

    households = pq.read_table(src / TABLE_FILES["households"], columns=["village_code"])
    sizes = pc.value_counts(county_of(households["village_code"])).to_pylist()
    chosen = sorted(sizes, key=lambda v: (-v["counts"], v["values"]))[:counties]
    keep = pa.array(sorted(v["values"] for v in chosen))
    ancestors = pa.array(
        sorted({c[:n].ljust(12, "0") for c in keep.to_pylist() for n in (2, 4, 6)})
    )
    rewrite(
        "regions",
        lambda t: pc.or_(
            pc.is_in(county_of(t["code"]), value_set=keep), pc.is_in(t["code"], ancestors)
        ),
    )
    rewrite("rural_population", lambda t: pc.is_in(county_of(t["code"]), value_set=keep))
    rewrite("labour_flows", lambda t: pc.is_in(county_of(t["origin_county_code"]), value_set=keep))
    if (src / OPTIONAL_TABLE_FILES["county_assessments"]).is_file():
        rewrite("county_assessments", lambda t: pc.is_in(county_of(t["code"]), value_set=keep))
    ids = rewrite("households", lambda t: pc.is_in(county_of(t["village_code"]), value_set=keep))[
        "hh_id"
    ]
    for table in ("household_years", "relocations"):
        rewrite(table, lambda t: pc.is_in(t["hh_id"], value_set=ids))
    record_files(dst)  # the cut-down tables are this data dir's own
    return dst


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def snapshot(dsn: str) -> dict:
    """What a reader sees: row counts, the province's counts every year, the load time."""
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            out = {}
            for name in (*TABLES, AGGREGATE_TABLE):
                cur.execute(f"SELECT count(*) FROM {name}")
                out[name] = cur.fetchone()[0]
            cur.execute("SELECT loaded_at FROM battlemap_meta")
            out["loaded_at"] = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", (STAGING_SCHEMA,))
            out["staging_schemas"] = cur.fetchone()[0]
    finally:
        conn.close()
    store = PostgisStore(dsn)
    try:
        root = store.regions.roots()[0].code
        out["series"] = store.series(root)
    finally:
        store.close()
    return out


@pytest.fixture(scope="module")
def tiny_dir(small_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small data set with one county's households: loads in a second or two."""
    return subset_data_dir(small_data_dir, tmp_path_factory.mktemp("tiny"), counties=1)


@pytest.fixture
def fresh_dsn(postgis_cluster) -> str:
    """A new empty PostGIS database for one test."""
    return postgis_cluster.create_database(f"t_{uuid.uuid4().hex[:12]}")


# -- loading ------------------------------------------------------------------------------
def test_load_copies_every_row(postgis_loaded_dsn: str, small_data_dir: Path) -> None:
    conn = psycopg2.connect(postgis_loaded_dsn)
    try:
        with conn.cursor() as cur:
            for name in TABLES:
                path = small_data_dir / (TABLE_FILES.get(name) or OPTIONAL_TABLE_FILES[name])
                expected = pq.read_table(path, columns=[]).num_rows if path.exists() else 0
                cur.execute(f"SELECT count(*) FROM {name}")
                assert cur.fetchone()[0] == expected, name
            cur.execute("SELECT count(*) FROM households WHERE NOT ST_IsValid(geom)")
            assert cur.fetchone()[0] == 0
            cur.execute(
                "SELECT count(*) FROM households h JOIN regions r ON r.code = h.village_code "
                "WHERE NOT ST_Intersects(r.geom, h.geom)"
            )
            assert cur.fetchone()[0] == 0  # every point lies in its village
    finally:
        conn.close()


def test_every_region_has_a_row_every_year(postgis_store: PostgisStore) -> None:
    conn = psycopg2.connect(postgis_store._dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(f"SELECT count(*), count(DISTINCT code) FROM {AGGREGATE_TABLE}")
            rows, codes = cur.fetchone()
            # every village has households, but some only from a later registration year
            cur.execute(
                f"SELECT s.code, s.year FROM {AGGREGATE_TABLE} s JOIN regions r USING (code) "
                "WHERE r.level = 5 AND s.registered_households = 0 ORDER BY 1, 2 LIMIT 1"
            )
            empty = cur.fetchone()
    finally:
        conn.close()
    assert codes == len(postgis_store.regions)
    assert rows == len(postgis_store.regions) * len(postgis_store.years)
    assert empty is not None, "the small data set should have a village-year without households"
    counts = postgis_store.counts(empty[0], empty[1])
    assert set(counts) == set(METRIC_NAMES)
    assert all(v == 0 for k, v in counts.items() if k != "rural_population")
    assert counts["rural_population"] > 0


def test_province_counts_match_parquet(postgis_store: PostgisStore, small_data_dir: Path) -> None:
    households = pd.read_parquet(small_data_dir / "households.parquet", columns=["hh_id", "size"])
    years = pd.read_parquet(small_data_dir / "household_years.parquet", columns=["hh_id", "year"])
    rows = years.merge(households, on="hh_id")
    population = pd.read_parquet(small_data_dir / "rural_population.parquet")
    root = postgis_store.regions.roots()[0].code
    for year in postgis_store.years:
        counts = postgis_store.counts(root, year)
        in_year = rows[rows["year"] == year]
        assert counts["registered_households"] == len(in_year)
        assert counts["registered_persons"] == int(in_year["size"].sum())
        assert counts["rural_population"] == int(
            population.loc[population["year"] == year, "persons"].sum()
        )


def test_load_is_all_or_nothing(fresh_dsn: str, tiny_dir: Path, tmp_path: Path) -> None:
    load_data_dir(fresh_dsn, tiny_dir)
    before = snapshot(fresh_dsn)
    assert before["households"] > 0 and before["staging_schemas"] == 0

    def corrupt(name: str, change) -> Path:
        bad = tmp_path / name
        shutil.copytree(tiny_dir, bad)
        change(bad)
        record_files(bad)  # past the manifest check: the load's own checks must catch it
        return bad

    def truncate(d: Path) -> None:  # a parquet file cut in half: unreadable mid-load
        path = d / "household_years.parquet"
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])

    def rewrite(table: str, column: str, value):
        def change(d: Path) -> None:
            rows = pq.read_table(d / TABLE_FILES[table])
            values = rows[column].to_pylist()
            values[len(values) // 2] = value
            index = rows.schema.get_field_index(column)
            array = pa.array(values, rows.schema.field(index).type)
            pq.write_table(rows.set_column(index, rows.schema.field(index), array),
                           d / TABLE_FILES[table])  # fmt: skip

        return change

    first_hh = pq.read_table(tiny_dir / "households.parquet")["hh_id"][0].as_py()
    cases = {
        "truncated": truncate,
        "unknown-status": rewrite("household_years", "status", "unknown"),
        "unknown-village": rewrite("households", "village_code", "529999999999"),
        "duplicate-hh": rewrite("households", "hh_id", first_hh),
        "orphan-year": rewrite("household_years", "hh_id", "no-such-household"),
    }
    for name, change in cases.items():
        with pytest.raises(DataDirError) as info:
            load_data_dir(fresh_dsn, corrupt(name, change))
        assert "\n" not in str(info.value), name
        assert snapshot(fresh_dsn) == before, name

    load_data_dir(fresh_dsn, tiny_dir)  # a good reload replaces the tables in place
    after = snapshot(fresh_dsn)
    assert after["loaded_at"] > before["loaded_at"]
    assert {k: v for k, v in after.items() if k != "loaded_at"} == {
        k: v for k, v in before.items() if k != "loaded_at"
    }


def test_reload_replaces_content_and_stale_rule_aggregates(
    fresh_dsn: str, tiny_dir: Path, small_data_dir: Path, tmp_path: Path
) -> None:
    load_data_dir(fresh_dsn, tiny_dir)
    rules = dataclasses.replace(
        default_rules(), household=dataclasses.replace(default_rules().household, threshold=60)
    )
    rules_store = PostgisStore(fresh_dsn, rules=rules)  # builds region_year_stats_<digest>

    def rule_tables() -> int:
        conn = psycopg2.connect(fresh_dsn)
        try:
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT count(*) FROM pg_tables "
                    "WHERE starts_with(tablename, 'region_year_stats_') "
                    "AND NOT starts_with(tablename, 'region_year_stats_cadres_')"
                )  # the cadre counts, built at load time, are not an exit-rules aggregate
                return cur.fetchone()[0]
        finally:
            conn.close()

    assert rule_tables() == 1
    bigger = subset_data_dir(small_data_dir, tmp_path / "two", counties=2)
    report = load_data_dir(fresh_dsn, bigger)
    after = snapshot(fresh_dsn)
    assert after["households"] == report.rows["households"]
    assert after["households"] > pq.ParquetFile(tiny_dir / "households.parquet").metadata.num_rows
    assert rule_tables() == 0  # stale after the reload
    try:  # a store left open rebuilds its aggregates on next use
        county = rules_store.regions.level_codes(3)[0]
        year = rules_store.years[0]
        assert rules_store.counts(county, year) == PostgisStore(fresh_dsn, rules=rules).counts(
            county, year
        )
        assert rule_tables() == 1
    finally:
        rules_store.close()


def test_other_exit_rules_get_their_own_aggregates(
    fresh_dsn: str, tiny_dir: Path, tmp_path: Path
) -> None:
    load_data_dir(fresh_dsn, tiny_dir)
    lenient_rules = dataclasses.replace(default_rules().household, vetoes=(), threshold=0)
    rules = dataclasses.replace(default_rules(), household=lenient_rules)
    embedded_dir = shutil.copytree(tiny_dir, tmp_path / "embedded")
    default_store = PostgisStore(fresh_dsn)
    store = PostgisStore(fresh_dsn, rules=rules)
    embedded = EmbeddedStore(embedded_dir, rules=rules)
    try:
        assert store._table != default_store._table
        county = next(
            c for c in store.regions.level_codes(3)
            if embedded.counts(c, store.years[0])["registered_households"]
        )  # fmt: skip
        codes = [county, *(c.code for c in store.regions.children(county))]
        for year in store.years:
            assert store.counts_many(codes, year) == embedded.counts_many(codes, year)
        lenient = sum(store.counts(county, y)["exit_pass_households"] for y in store.years)
        strict = sum(default_store.counts(county, y)["exit_pass_households"] for y in store.years)
        assert lenient > strict
    finally:
        store.close()
        default_store.close()


# -- errors -------------------------------------------------------------------------------
def test_unknown_region_and_year(postgis_store: PostgisStore) -> None:
    year = postgis_store.years[0]
    with pytest.raises(UnknownRegionError):
        postgis_store.counts("529999000000", year)
    with pytest.raises(UnknownRegionError):
        postgis_store.counts("52x", year)
    with pytest.raises(UnknownRegionError):
        postgis_store.children_counts("529999", year)
    root = postgis_store.regions.roots()[0].code
    with pytest.raises(YearOutOfRangeError):
        postgis_store.counts(root, postgis_store.years[-1] + 10)
    with pytest.raises(YearOutOfRangeError):
        postgis_store.households(root, 1999)


def test_unreachable_database_is_one_clear_line(tiny_dir: Path) -> None:
    dsn = f"postgresql://someone:s3cret@127.0.0.1:{unused_port()}/nowhere"
    for attempt in (lambda: PostgisStore(dsn), lambda: load_data_dir(dsn, tiny_dir)):
        with pytest.raises(StoreUnavailableError) as info:
            attempt()
        message = str(info.value)
        assert "\n" not in message and "s3cret" not in message
        assert "cannot connect to PostgreSQL at someone@127.0.0.1" in message
    with pytest.raises(StoreUnavailableError, match="DSN"):
        PostgisStore(None)
    with pytest.raises(StoreUnavailableError, match="DSN"):
        PostgisStore("host=127.0.0.1 port=notaport =")


def test_database_not_loaded(fresh_dsn: str) -> None:
    with pytest.raises(StoreUnavailableError, match=r"not loaded.*battlemap db load"):
        PostgisStore(fresh_dsn)


def test_missing_data_dir(fresh_dsn: str, tmp_path: Path) -> None:
    with pytest.raises(DataDirError):
        load_data_dir(fresh_dsn, tmp_path / "absent")
    incomplete = tmp_path / "incomplete"
    incomplete.mkdir()
    (incomplete / "manifest.json").write_text("{}")
    with pytest.raises(DataDirError, match="missing"):
        load_data_dir(fresh_dsn, incomplete)


# -- features -----------------------------------------------------------------------------
def test_features_match_embedded(postgis_store: PostgisStore, embedded_store) -> None:
    county = postgis_store.regions.level_codes(3)[3]
    township = postgis_store.regions.children(county)[0].code
    village = postgis_store.regions.children(township)[0].code
    root = postgis_store.regions.roots()[0].code
    for code in (root, county, township, village):
        for year in (postgis_store.years[0], postgis_store.years[-2]):
            for name in ("households", "hexbins", "relocation_flows", "labour_flows"):
                pd.testing.assert_frame_equal(
                    getattr(postgis_store, name)(code, year),
                    getattr(embedded_store, name)(code, year),
                    obj=f"{name}({code}, {year})",
                )
        assert postgis_store.unit_shapes(code) == embedded_store.unit_shapes(code)
    counties = postgis_store.regions.level_codes(3)
    for year in postgis_store.years:
        assert postgis_store.assessments(counties, year) == embedded_store.assessments(
            counties, year
        )


# -- COPY ---------------------------------------------------------------------------------
def test_copy_round_trips_awkward_values(fresh_dsn: str, tmp_path: Path) -> None:
    texts = ['a "quoted", value', "back\\slash", "", None, "new\nline", "{braces}", "NULL", "中文"]
    lists = [['x"y', "z\\w"], [], None, ["a,b", "{c}"], ["NULL"], [""], ["中"], ["p q"]]
    table = pa.table({
        "id": pa.array(range(len(texts)), pa.int64()),
        "text": pa.array(texts, pa.large_string()),
        "tags": pa.array(lists, pa.list_(pa.string())),
        "cat": pa.array(texts, pa.string()).dictionary_encode(),
        "flag": pa.array([True, False, None, True, False, None, True, False]),
        "x": pa.array([0.1, -1e-300, 1e300, float("nan"), None, 2.5, 1 / 3, -0.0]),
    })  # fmt: skip
    path = tmp_path / "awkward.parquet"
    pq.write_table(table, path)
    spec = Table(
        "awkward",
        (
            Column("id", "bigint"),
            Column("text", "text"),
            Column("tags", "text[]", "text_array"),
            Column("cat", "text"),
            Column("flag", "boolean"),
            Column("x", "double precision"),
            Column("missing", "text", optional=True),
        ),
    )
    conn = psycopg2.connect(fresh_dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(spec.create_sql())
            assert copy_parquet(cur, spec, path) == len(texts)
            cur.execute("SELECT text, tags, cat, flag, x, missing FROM awkward ORDER BY id")
            rows = cur.fetchall()
    finally:
        conn.close()
    assert [r[0] for r in rows] == texts
    assert [r[1] for r in rows] == lists
    assert [r[2] for r in rows] == texts
    assert [r[3] for r in rows] == table["flag"].to_pylist()
    expected = table["x"].to_pylist()
    for got, want in zip((r[4] for r in rows), expected, strict=True):
        assert got == want or (got != got and want != want)  # NaN
    assert all(r[5] is None for r in rows)


# -- CLI ----------------------------------------------------------------------------------
def test_cli_db_load(fresh_dsn: str, tiny_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["db", "load", "--dsn", fresh_dsn, "--data-dir", str(tiny_dir)]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("loaded regions") and "region_year_stats" in out
    assert "copy households:" in err and "aggregate:" in err
    store = PostgisStore(fresh_dsn)
    store.close()

    dsn = f"postgresql://127.0.0.1:{unused_port()}/x"
    assert main(["db", "load", "--dsn", dsn, "--data-dir", str(tiny_dir), "--quiet"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("battlemap: error: cannot connect to PostgreSQL")
