"""``battlemap db load`` of a data dir into a throwaway PostGIS: seconds per step, as JSON.

Usage: nice -n 10 python -m benchmarks.db_load [--data-dir DIR] [--runs N]

Each run loads the data dir into a fresh database of one throwaway cluster (tests/pg.py:
fsync off, ``wal_level=minimal``) with ``load_data_dir`` (what `battlemap db load` runs) and
reports the wall time, the loader's own seconds per step, the rows per table, the CPU
seconds of the client and of the server, and the load average before and after (the
machine is shared: other jobs slow a run down). The data dir is only read (array caches
go to a temp ``$BATTLEMAP_CACHE_DIR`` unless set). ``cache`` says whether the embedded
funds and cadre caches were there before the run ("warm": the load COPYs them) or not
("cold": the load computes them from the tables while the tables COPY); with a temp cache
dir the first run is cold and the next ones warm.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

from battlemap.geodata.embedded_cache import cache_root
from benchmarks.common import DEFAULT_DATA_DIR, ensure_data_dir, pg_cluster

GOAL_S = 60.0


def server_cpu_seconds(cluster) -> float:
    """CPU seconds of the cluster so far: the postmaster's own and its ended backends'."""
    pid = int((cluster.root / "data" / "postmaster.pid").read_text().split()[0])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def client_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_once(cluster, data_dir: Path, name: str) -> dict:
    """One load into a new database: wall seconds, seconds per step, rows per table, and
    the CPU seconds it took (this process and the server's backends): the wall time on a
    busy machine depends on the other jobs, the CPU time much less."""
    from battlemap.geodata.postgis.load import load_data_dir

    dsn = cluster.create_database(name)
    root = cache_root()
    warm = root.is_dir() and any(p.name.startswith(("funds-", "cadres-")) for p in root.iterdir())
    load_before = os.getloadavg()
    server, client = server_cpu_seconds(cluster), client_cpu_seconds()
    start = time.perf_counter()
    report = load_data_dir(dsn, data_dir)
    wall = time.perf_counter() - start
    time.sleep(0.5)  # the load's backends have ended and been counted
    steps = report.seconds
    derived = any(k.startswith(("funds_", "region_year_stats_cadres")) for k in report.rows)
    return {
        "wall_seconds": round(wall, 2),
        "cache": ("warm" if warm else "cold") if derived else "none (no funds or cadre tables)",
        # the load's transaction (tables, aggregates, derived tables) up to its commit
        "committed_after_seconds": round(wall - steps.get("derived tables", 0.0), 2),
        "cpu_seconds_client": round(client_cpu_seconds() - client, 1),
        "cpu_seconds_server": round(server_cpu_seconds(cluster) - server, 1),
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
    os.environ.setdefault("BATTLEMAP_CACHE_DIR", tempfile.mkdtemp(prefix="bm-bench-cache-"))
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
