"""``battlemap db load`` of a data dir into a throwaway PostGIS: seconds per step, as JSON.

Usage: nice -n 10 python -m benchmarks.db_load [--data-dir DIR] [--runs N]

Each run loads the data dir into a fresh database of one throwaway cluster (tests/pg.py:
fsync off, ``wal_level=minimal``) with ``load_data_dir`` (what `battlemap db load` runs) and
reports the wall time, the loader's own seconds per step, the rows per table and the load
average before and after (the machine is shared: other jobs slow a run down). The data dir
is only read.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from benchmarks.common import DEFAULT_DATA_DIR, ensure_data_dir, pg_cluster

GOAL_S = 60.0


def load_once(cluster, data_dir: Path, name: str) -> dict:
    """One load into a new database: wall seconds, seconds per step, rows per table."""
    from battlemap.geodata.postgis.load import load_data_dir

    dsn = cluster.create_database(name)
    load_before = os.getloadavg()
    start = time.perf_counter()
    report = load_data_dir(dsn, data_dir)
    wall = time.perf_counter() - start
    return {
        "wall_seconds": round(wall, 2),
        "steps": {k: round(v, 2) for k, v in report.seconds.items()},
        "rows": report.rows,
        "loadavg_before": [round(x, 2) for x in load_before],
        "loadavg_after": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    data_dir = ensure_data_dir(args.data_dir)
    manifest = json.loads((data_dir / "manifest.json").read_text())
    runs = []
    with pg_cluster() as cluster:
        for i in range(args.runs):
            runs.append(load_once(cluster, data_dir, f"bench_load_{i}"))
    walls = sorted(r["wall_seconds"] for r in runs)
    print(
        json.dumps(
            {
                "data_dir": str(data_dir),
                "households": manifest["counts"]["households"],
                "household_years": manifest["counts"]["household_years"],
                "cpus": os.cpu_count(),
                "nice": os.nice(0),
                "note": "2-core machine shared with other jobs (see loadavg); lower is better",
                "goal_seconds": GOAL_S,
                "best_wall_seconds": walls[0],
                "worst_wall_seconds": walls[-1],
                "runs": runs,
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
