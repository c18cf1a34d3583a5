"""Imports update both stores' aggregates by a delta: it must equal a full rebuild, exactly.

A sequence of imports into one store (first rows, new years, households moved to another
village, sizes, incomes and guarantees changed, a re-import) is checked after every step:
``aggregates.parquet`` against the embedded store's own full rebuild, and PostGIS's
``region_year_stats`` against a fresh SQL build of the same tables.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from battlemap.geodata import aggregate
from battlemap.geodata.datadir import AGGREGATES_FILE, read_manifest, read_table, write_table
from battlemap.geodata.embedded import build_aggregates
from battlemap.geodata.importer.households import import_households
from battlemap.geodata.metrics import METRIC_NAMES, metric_set
from battlemap.geodata.regions import REGION_COLUMNS, RegionTree
from battlemap.geodata.schema import HH_TYPES


def _cached(data_dir: Path) -> np.ndarray:
    tree = RegionTree(read_table(data_dir, "regions", list(REGION_COLUMNS)))
    years = tuple(read_manifest(data_dir)["years"])
    values = aggregate.from_frame(read_table(data_dir, AGGREGATES_FILE), tree.codes, years)
    assert values is not None, "the cache no longer fits the store"
    return values


def _rebuilt(data_dir: Path, scratch: Path) -> np.ndarray:
    """The embedded store's full rebuild, on a copy (the cache itself stays as imported)."""
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.copytree(data_dir, scratch, ignore=shutil.ignore_patterns(".*"))
    tree = RegionTree(read_table(scratch, "regions", list(REGION_COLUMNS)))
    return build_aggregates(scratch, tree, tuple(read_manifest(scratch)["years"]))


def _postgis_differences(dsn: str) -> int:
    """Rows where region_year_stats differs from a fresh SQL build (0 = identical)."""
    import psycopg2

    from battlemap.geodata.postgis.aggregate import build_aggregate

    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT years FROM battlemap_meta")
            years = list(cur.fetchone()[0])
            build_aggregate(cur, metric_set(), years, "fresh_stats")
            columns = ", ".join(["code", "year", *METRIC_NAMES])
            cur.execute(
                f"SELECT count(*) FROM ((SELECT {columns} FROM region_year_stats EXCEPT "
                f"SELECT {columns} FROM fresh_stats) UNION ALL (SELECT {columns} FROM "
                f"fresh_stats EXCEPT SELECT {columns} FROM region_year_stats)) d"
            )
            return int(cur.fetchone()[0])
    finally:
        conn.rollback()
        conn.close()


def _moved_and_changed(rows: pd.DataFrame) -> pd.DataFrame:
    """Three households moved into another household's village (and point), larger, of
    another household type, with lower incomes and a guarantee lost, so every kind of
    count moves (per-type counts too)."""
    out = rows.copy()
    households = out.drop_duplicates("hh_id")
    movers = households.iloc[:3]
    for _, mover in movers.iterrows():
        target = households[households["village_code"] != mover["village_code"]].iloc[0]
        mask = out["hh_id"] == mover["hh_id"]
        out.loc[mask, ["village_code", "lon", "lat"]] = [
            target["village_code"],
            target["lon"],
            target["lat"],
        ]
        out.loc[mask, "size"] = out.loc[mask, "size"] + 2
        other = [t for t in HH_TYPES if t != mover["hh_type"]]
        out.loc[mask, "hh_type"] = other[len(other) - 1]
        out.loc[mask, "income_per_capita"] = out.loc[mask, "income_per_capita"] * 0.5
        out.loc[mask & (out["year"] >= 2018), "housing_safe"] = "否"
    return out


STEPS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "early years": lambda rows: rows[rows["year"] <= 2017],
    "later years": lambda rows: rows[rows["year"] > 2017],
    "moved and changed": _moved_and_changed,
    "same again": _moved_and_changed,
}


@pytest.mark.parametrize(
    "postgis_way", ["update", "rewrite"], ids=["postgis-update-rows", "postgis-rewrite-table"]
)
def test_every_import_leaves_the_aggregates_a_full_rebuild_would_give(
    postgis_way: str,
    county_rows: pd.DataFrame,
    empty_dir: Path,
    tmp_path: Path,
    postgis_cluster,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from battlemap.geodata.importer import aggregate_delta, postgis_write

    monkeypatch.setattr(aggregate_delta, "BATCH_HOUSEHOLDS", 700)  # the county in 3 batches
    # PostGIS adds a delta by UPDATE, or rewrites the table when it changes most rows
    monkeypatch.setattr(postgis_write, "REWRITE_SHARE", 1.0 if postgis_way == "update" else 0.0)
    dsn = postgis_cluster.load_database(f"import_delta_{postgis_way}", empty_dir)
    for step, make in STEPS.items():
        path = tmp_path / f"{step}.csv"
        make(county_rows).to_csv(path, index=False)
        report = import_households(path, empty_dir, dsn=dsn)
        assert report.rejected == 0, (step, report.reasons)
        if step == "same again":
            assert not report.changed and report.aggregates == {}
            continue
        assert report.aggregates == {"embedded": "delta", "postgis": "delta"}, step
        cached = _cached(empty_dir)
        assert cached.any()
        np.testing.assert_array_equal(cached, _rebuilt(empty_dir, tmp_path / "rebuilt"), step)
        assert _postgis_differences(dsn) == 0, step


def _zeroed(data_dir: Path) -> None:
    """A cache that fits (rules, regions, years, newer than the tables) but holds nothing."""
    frame = read_table(data_dir, AGGREGATES_FILE)
    frame[list(METRIC_NAMES)] = 0
    write_table(data_dir, AGGREGATES_FILE, frame)


@pytest.mark.parametrize("damage", ["missing", "zeroed"])
def test_a_cache_that_cannot_take_the_delta_is_rebuilt(
    damage: str, county_rows: pd.DataFrame, empty_dir: Path, tmp_path: Path
) -> None:
    first = tmp_path / "first.csv"
    county_rows.to_csv(first, index=False)
    import_households(first, empty_dir)
    if damage == "missing":  # e.g. removed by hand
        (empty_dir / AGGREGATES_FILE).unlink()
    else:  # taking the delta would leave negative counts
        _zeroed(empty_dir)
    second = tmp_path / "second.csv"
    _moved_and_changed(county_rows).to_csv(second, index=False)
    assert import_households(second, empty_dir).aggregates == {"embedded": "rebuilt"}
    np.testing.assert_array_equal(_cached(empty_dir), _rebuilt(empty_dir, tmp_path / "rebuilt"))
