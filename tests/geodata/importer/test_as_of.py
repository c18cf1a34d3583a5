"""Every import that changes data moves the data's as-of time in both stores: PostGIS's
``battlemap_meta.loaded_at`` (and its data stamp, so a running app takes the import up) in
the import's own transaction, the data dir's manifest (the embedded store's as-of time)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import psycopg2
import pytest

from battlemap.geodata.importer.boundaries import import_boundaries
from battlemap.geodata.importer.cadres import import_cadre_table
from battlemap.geodata.importer.extract import import_rows
from battlemap.geodata.importer.funds import import_funds_table
from battlemap.geodata.importer.households import import_households
from battlemap.geodata.importer.population import import_population
from battlemap.geodata.synthetic.generate import generate


@pytest.fixture(scope="module")
def stores(tmp_path_factory, postgis_cluster) -> tuple[Path, str]:
    """A 2,000-household data dir with funds and cadre tables, loaded into PostGIS."""
    path = tmp_path_factory.mktemp("as-of") / "data"
    generate(path, households=2000, seed=11, quiet=True)
    return path, postgis_cluster.load_database("import_as_of", path)


def _csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False)  # English headers; dates as YYYY-MM-DD, nulls empty
    return path


def _first(data_dir: Path, table: str, **changes) -> pd.DataFrame:
    """The table's first row with ``changes`` applied (a value function of the old one)."""
    row = pd.read_parquet(data_dir / f"{table}.parquet").iloc[[0]].copy()
    for name, change in changes.items():
        row[name] = [change(v) for v in row[name]]
    return row


def _households(data_dir: Path, dsn: str, tmp: Path):
    rows = import_rows(data_dir)
    rows = rows[rows["hh_id"] == rows["hh_id"].iloc[0]].copy()
    rows["income_per_capita"] += 1
    return import_households(_csv(rows, tmp / "hh.csv"), data_dir, dsn=dsn)


def _population(data_dir: Path, dsn: str, tmp: Path):
    row = _first(data_dir, "rural_population", persons=lambda v: v + 1)
    return import_population(_csv(row, tmp / "pop.csv"), data_dir, dsn=dsn)


def _boundaries(data_dir: Path, dsn: str, tmp: Path):
    regions = gpd.read_parquet(data_dir / "regions.parquet")
    village = regions[regions["level"] == 5].iloc[[0]]
    path = tmp / "village.geojson"
    gpd.GeoDataFrame(
        {"code": village["code"], "name": village["name"] + "（新）"},
        geometry=village.geometry,
        crs=4326,
    ).to_file(path)
    return import_boundaries(path, data_dir, level="village", dsn=dsn)


def _beneficiaries(data_dir: Path, dsn: str, tmp: Path):
    links = pd.read_parquet(data_dir / "project_beneficiaries.parquet")
    households = pd.read_parquet(data_dir / "households.parquet", columns=["hh_id"])
    project = links["project_id"].iloc[0]
    linked = set(links.loc[links["project_id"] == project, "hh_id"])
    new = households.loc[~households["hh_id"].isin(linked), "hh_id"].iloc[0]
    row = pd.DataFrame({"project_id": [project], "hh_id": [new]})
    return import_funds_table("beneficiaries", _csv(row, tmp / "b.csv"), data_dir, dsn=dsn)


def _funds(command: str, table: str, **changes) -> Callable:
    def run(data_dir: Path, dsn: str, tmp: Path):
        path = _csv(_first(data_dir, table, **changes), tmp / f"{table}.csv")
        return import_funds_table(command, path, data_dir, dsn=dsn)

    return run


def _cadres(table: str, **changes) -> Callable:
    def run(data_dir: Path, dsn: str, tmp: Path):
        path = _csv(_first(data_dir, table, **changes), tmp / f"{table}.csv")
        return import_cadre_table(table, path, data_dir, dsn=dsn)

    return run


def _assignments(data_dir: Path, dsn: str, tmp: Path):
    """The first assignment handed to another cadre (same key: an update)."""
    cadres = pd.read_parquet(data_dir / "cadres.parquet", columns=["cadre_id"])["cadre_id"]
    other = _cadres("assignments", cadre_id=lambda v: cadres[cadres != v].iloc[0])
    return other(data_dir, dsn, tmp)


IMPORTS: dict[str, Callable] = {
    "households": _households,
    "population": _population,
    "boundaries": _boundaries,
    "projects": _funds("projects", "projects", name=lambda v: v + "（改）"),
    "beneficiaries": _beneficiaries,
    "allocations": _funds("allocations", "fund_allocations", amount=lambda v: v + 1),
    "payments": _funds("payments", "fund_payments", amount=lambda v: v + 1),
    "cadres": _cadres("cadres", name=lambda v: v + "甲"),
    "assignments": _assignments,
    "visits": _cadres("visits", note=lambda v: "复查"),
}


def _meta(dsn: str) -> tuple[dt.datetime, str]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT loaded_at, md5(manifest::text) FROM battlemap_meta")
            return cur.fetchone()
    finally:
        conn.close()


@pytest.mark.parametrize("kind", sorted(IMPORTS))
def test_every_import_moves_the_as_of_time(kind: str, stores, tmp_path: Path) -> None:
    data_dir, dsn = stores
    loaded_at, stamp = _meta(dsn)
    manifest_time = (data_dir / "manifest.json").stat().st_mtime_ns
    started = dt.datetime.now(dt.UTC)
    report = IMPORTS[kind](data_dir, dsn, tmp_path)
    assert report.rejected == 0 and report.loaded >= 1, report.as_dict()
    assert report.stores == ["embedded", "postgis"]
    new_loaded_at, new_stamp = _meta(dsn)
    assert new_loaded_at > loaded_at and new_loaded_at >= started
    assert new_stamp != stamp  # readers see a new data version
    assert (data_dir / "manifest.json").stat().st_mtime_ns > manifest_time
