"""An annual update into the full province: how long a small import takes in a large store.

Usage: python -m benchmarks.import_update [--county 522631] [--work DIR] [--no-postgis]

The store is the default 2.3 M-household data set (benchmarks/.data/default-2.3M); the file
is one county's 2020 rows with incomes raised by 10 % (GBK, Chinese headers), the kind of
correction a county sends mid-year. Each import runs in a fresh ``battlemap`` process
(:func:`benchmarks.import_households.run_import`). Measured beside it, in the same run: what
the import's aggregate step replaced, a full rebuild of the embedded cache
(``build_aggregates``) and of PostGIS's ``region_year_stats`` (``build_aggregate``), so the
printed ratios say what the incremental delta saves. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import DEFAULT_DATA_DIR, REPO, ensure_data_dir, pg_cluster
from benchmarks.import_households import run_import


def update_csv(source: Path, county: str, target: Path) -> int:
    """The county's 2020 rows, incomes +10 %, as GBK CSV (Chinese headers, GCJ-02); rows."""
    from battlemap.geodata.importer.extract import import_rows
    from battlemap.geodata.importer.headers import FIELD_BY_NAME

    rows = import_rows(source, prefix=county, chinese=True, crs="gcj02")  # as run_import says
    year, income = FIELD_BY_NAME["year"].label, FIELD_BY_NAME["income_per_capita"].label
    rows = rows[rows[year] == 2020].copy()
    rows[income] = (rows[income] * 1.1).round(2)
    rows.to_csv(target, index=False, encoding="gbk")
    return len(rows)


def _rebuild_embedded(data_dir: Path) -> float:
    from battlemap.geodata.datadir import read_manifest, read_table
    from battlemap.geodata.embedded import build_aggregates
    from battlemap.geodata.regions import REGION_COLUMNS, RegionTree

    tree = RegionTree(read_table(data_dir, "regions", list(REGION_COLUMNS)))
    years = tuple(read_manifest(data_dir)["years"])
    start = time.perf_counter()
    build_aggregates(data_dir, tree, years)
    return time.perf_counter() - start


def _rebuild_postgis(dsn: str) -> float:
    import psycopg2

    from battlemap.geodata.metrics import metric_set
    from battlemap.geodata.postgis.aggregate import build_aggregate

    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT years FROM battlemap_meta")
            years = list(cur.fetchone()[0])
            start = time.perf_counter()
            build_aggregate(cur, metric_set(), years, "rebuild_timing")
            return time.perf_counter() - start
    finally:
        conn.rollback()
        conn.close()


def _summary(run: dict[str, Any], rebuild_s: float) -> dict[str, Any]:
    return {
        **run,
        "full_aggregate_rebuild_s": round(rebuild_s, 2),
        "import_vs_rebuild_alone": round(rebuild_s / run["seconds"], 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--county", default="522631")
    parser.add_argument("--work", type=Path, default=None, help="scratch dir (default: temp)")
    parser.add_argument("--no-postgis", action="store_true")
    args = parser.parse_args(argv)

    source = ensure_data_dir(DEFAULT_DATA_DIR)
    work = Path(args.work or tempfile.mkdtemp(prefix="bm-update-"))
    work.mkdir(parents=True, exist_ok=True)
    csv = work / f"update-{args.county}-2020.csv"
    rows = update_csv(source, args.county, csv)
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    result: dict[str, Any] = {
        "store": {k: manifest["counts"][k] for k in ("households", "household_years")},
        "file": {"rows": rows, "what": f"county {args.county}, 2020 rows, incomes +10 %"},
        "machine": {"cpus": os.cpu_count(), "loadavg_before": os.getloadavg()},
    }
    store = work / "store"
    shutil.rmtree(store, ignore_errors=True)
    shutil.copytree(source, store)
    result["embedded"] = _summary(run_import(csv, store, None), _rebuild_embedded(store))
    if not args.no_postgis:
        sys.path.insert(0, str(REPO))
        from battlemap.geodata.postgis.load import load_data_dir

        shutil.rmtree(store)
        shutil.copytree(source, store)
        with pg_cluster() as cluster:
            dsn = cluster.create_database("import_update")
            load_data_dir(dsn, store)
            run = run_import(csv, store, dsn)
            result["postgis"] = _summary(run, _rebuild_postgis(dsn))
    result["machine"]["loadavg_after"] = os.getloadavg()
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
