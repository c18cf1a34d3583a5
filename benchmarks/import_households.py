"""``battlemap import households`` speed: a 1 M-row CSV into the embedded store and PostGIS.

Usage: python -m benchmarks.import_households [--households 150000] [--work DIR] [--no-postgis]
       [--runs 3]

The file is what provinces send: household-year rows in GBK with Chinese headers and GCJ-02
points, generated once from a synthetic province (150,000 households ≈ 1.03 M rows) and
cached under benchmarks/.data/. Each import runs in a fresh ``battlemap`` process into an
empty store (regions + rural population, no households); PostGIS uses a throwaway cluster
(tests/pg.py) loaded with that empty store first. Measured end to end (parse + validate +
load + aggregates + commit): wall seconds, rows/s, the peak RSS of the import process (its
VmHWM, printed with each step) and the time of each step, of the median of ``--runs``
imports (each into a fresh empty store); then a second, no-op import of the same file.
Memory: the peak RSS of embedded imports of the first quarter, half and all of the file
(bounded: the peak should hardly grow with the rows). Goal: ≥ 100,000 rows/s into each
store. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "benchmarks" / ".data"
TARGET_ROWS_PER_S = 100_000
_STEP = re.compile(r"^\[\s*([\d.]+)s\s+(\d+) MB\] (.*)$")
_CLI = "import sys; from battlemap.cli import main; sys.exit(main(sys.argv[1:]))"


def ensure_source(households: int, seed: int = 11) -> Path:
    """A synthetic province with ``households`` households, generated once."""
    path = CACHE / f"import-{households}"
    if not (path / "manifest.json").exists():
        from battlemap.geodata.synthetic.generate import generate

        generate(path, households=households, seed=seed, quiet=True)
    return path


def ensure_csv(source: Path) -> tuple[Path, int]:
    """The province's household-years as one GBK CSV (Chinese headers, GCJ-02); row count."""
    path = source.with_name(source.name + "-gbk-gcj02.csv")
    count_file = path.with_suffix(".rows")
    if not path.exists() or not count_file.exists():
        from battlemap.geodata.importer.extract import import_rows

        rows = import_rows(source, chinese=True, crs="gcj02")
        tmp = path.with_suffix(".tmp")
        rows.to_csv(tmp, index=False, encoding="gbk")
        os.replace(tmp, path)
        count_file.write_text(str(len(rows)))
    return path, int(count_file.read_text())


def empty_store_from(source: Path, target: Path) -> Path:
    """A data dir with the source's regions and rural population and no households."""
    import geopandas as gpd
    import pandas as pd

    from battlemap.geodata.importer.store_init import empty_store

    return empty_store(
        target,
        gpd.read_parquet(source / "regions.parquet"),
        rural_population=pd.read_parquet(source / "rural_population.parquet"),
    )


def run_import(csv: Path, data_dir: Path, dsn: str | None) -> dict[str, Any]:
    """One import in a fresh process: wall time, peak RSS, report, step times."""
    args = [
        sys.executable,
        "-c",
        _CLI,
        "import",
        "households",
        str(csv),
        "--data-dir",
        str(data_dir),
        "--crs",
        "gcj02",
    ] + (["--dsn", dsn] if dsn else [])
    with tempfile.TemporaryFile("w+") as out_f, tempfile.TemporaryFile("w+") as err_f:
        start = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out_f, stderr=err_f, text=True)
        proc.wait()
        seconds = time.perf_counter() - start
        out_f.seek(0)
        err_f.seek(0)
        out, err = out_f.read(), err_f.read()
    if proc.returncode != 0:
        raise RuntimeError(f"import failed ({proc.returncode}): {err[-2000:]}")
    report = json.loads(out)
    steps = {}
    for line in err.splitlines():
        match = _STEP.match(line)
        if match:
            steps[match.group(3)] = {
                "at_s": float(match.group(1)),
                "peak_rss_mb_so_far": int(match.group(2)),
            }
    return {
        "seconds": round(seconds, 2),
        "rows_per_s": round(report["rows"] / seconds),
        # the child's own VmHWM at its last step (its rusage would include this process)
        "peak_rss_mb": max((s["peak_rss_mb_so_far"] for s in steps.values()), default=0),
        "steps": steps,
        "households": report["households"],
        "household_years": report["household_years"],
        "rejected": report["rejected"],
    }


def _store_runs(
    csv: Path,
    template: Path,
    data_dir: Path,
    database: Callable[[Path, int], str] | None,
    runs: int,
) -> dict[str, Any]:
    """``runs`` imports into a fresh empty store each (median reported), then a re-import."""
    measured = []
    for run in range(runs):
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.copytree(template, data_dir)
        dsn = database(data_dir, run) if database else None
        measured.append(run_import(csv, data_dir, dsn))
    median = sorted(measured, key=lambda m: m["seconds"])[len(measured) // 2]
    again = run_import(csv, data_dir, dsn)
    return {
        **median,
        "runs_seconds": [m["seconds"] for m in measured],
        "runs_rows_per_s": [m["rows_per_s"] for m in measured],
        "reimport_no_change": {
            k: again[k] for k in ("seconds", "rows_per_s", "households", "household_years")
        },
    }


def head_csv(csv: Path, rows: int) -> Path:
    """The header and first ``rows`` rows of ``csv`` (GBK lines end in a plain newline)."""
    path = csv.with_name(f"{csv.stem}-head{rows}.csv")
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        with csv.open("rb") as source, tmp.open("wb") as out:
            for _ in range(rows + 1):
                out.write(source.readline())
        os.replace(tmp, path)
    return path


def memory_scaling(csv: Path, rows: int, template: Path, data_dir: Path) -> dict[str, Any]:
    """Peak RSS of embedded imports of a quarter, a half and all of the file, each into an
    empty store: bounded memory means the peak hardly grows with the file."""
    peaks = {}
    for share in (4, 2, 1):
        part = csv if share == 1 else head_csv(csv, rows // share)
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.copytree(template, data_dir)
        peaks[rows // share] = run_import(part, data_dir, None)["peak_rss_mb"]
    smallest, largest = peaks[rows // 4], peaks[rows]
    return {
        "peak_rss_mb_by_rows": peaks,
        "rows_ratio": round(rows / (rows // 4), 2),
        "peak_ratio": round(largest / smallest, 2),
        "mb_per_100k_more_rows": round((largest - smallest) / ((rows - rows // 4) / 1e5), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=150_000)
    parser.add_argument("--work", type=Path, default=None, help="scratch dir (default: temp)")
    parser.add_argument("--no-postgis", action="store_true")
    parser.add_argument("--runs", type=int, default=3, help="imports per store (median shown)")
    args = parser.parse_args(argv)

    source = ensure_source(args.households)
    csv, rows = ensure_csv(source)
    work = Path(args.work or tempfile.mkdtemp(prefix="bm-import-"))
    work.mkdir(parents=True, exist_ok=True)
    template = (
        empty_store_from(source, work / "empty")
        if not (work / "empty" / "manifest.json").exists()
        else work / "empty"
    )
    result: dict[str, Any] = {
        "file": {
            "rows": rows,
            "megabytes": round(csv.stat().st_size / 1e6, 1),
            "format": "CSV, GBK, Chinese headers, GCJ-02 points, one row per household-year",
        },
        "machine": {
            "cpus": os.cpu_count(),
            "loadavg_before": [round(x, 2) for x in os.getloadavg()],
        },
        "target_rows_per_s": TARGET_ROWS_PER_S,
    }

    result["embedded"] = _store_runs(csv, template, work / "embedded", None, args.runs)
    result["memory"] = memory_scaling(csv, rows, template, work / "memory")
    if not args.no_postgis:
        sys.path.insert(0, str(REPO))
        from battlemap.geodata.postgis.load import load_data_dir
        from tests.pg import PgCluster

        with PgCluster() as cluster:

            def fresh_database(data_dir: Path, run: int) -> str:
                dsn = cluster.create_database(f"import_bench_{run}")
                load_data_dir(dsn, data_dir)  # the empty store, loaded
                return dsn

            result["postgis"] = {
                **_store_runs(csv, template, work / "postgis", fresh_database, args.runs),
                "note": "data dir and PostGIS written in the same run",
            }
    result["machine"]["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    result["meets_target"] = {
        store: result[store]["rows_per_s"] >= TARGET_ROWS_PER_S
        for store in ("embedded", "postgis")
        if store in result
    }
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
