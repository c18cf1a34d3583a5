"""Memory per worker of ``battlemap run --workers N`` on the embedded store: RSS and PSS.

Usage: python -m benchmarks.workers [--data-dir DIR] [--cache-dir DIR] [--workers 1 2]
                                    [--modes mmap memory] [--output FILE]

For each mode and worker count, starts ``battlemap run`` on the data dir, makes every worker
load everything (its warm-up, then a village page with household points and the root's
heat map and hexbins, which read every household, through a connection that worker
holds), and reads ``/proc/PID/smaps_rollup`` of each worker: RSS
(pages it maps, shared ones counted in full) and PSS (shared pages divided among the
processes mapping them: what a worker really costs). ``mmap``: the store's arrays come from
the memory-mapped array cache (``--cache-dir``, built on the first run; the data dir is only
read, so the read-only 2.3 M set works); ``memory``: the cache is off, each worker builds
its own arrays (the behaviour before issue 19). Prints JSON.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import DEFAULT_DATA_DIR, REPO, emit_json

sys.path.insert(0, str(REPO))

from tests.web.served import Served, connection_per_worker, start

BENCH_FULL = Path("/work/bench/full")
SMAPS_FIELDS = ("Rss", "Pss", "Pss_Anon", "Pss_File", "Shared_Clean", "Private_Dirty")
SHARED_NOTE = (
    "2-core machine; other work on it shows in the load averages, and loosens timings; "
    "memory figures are per process and not affected"
)


def smaps(pid: int) -> dict[str, float]:
    """Memory of one process from /proc/PID/smaps_rollup, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        if name in SMAPS_FIELDS:
            values[name.lower() + "_mb"] = round(int(rest.split()[0]) / 1024, 1)
    return values


def _village(data_dir: Path) -> str:
    from battlemap.geodata.datadir import read_table
    from battlemap.geodata.regions import REGION_COLUMNS, RegionTree

    tree = RegionTree(read_table(data_dir, "regions", list(REGION_COLUMNS)))
    return tree.level_codes(5)[len(tree.level_codes(5)) // 2]


def _settle(served: Served, seconds: float = 3.0, timeout: float = 600.0) -> None:
    """Wait until no worker's RSS grew by more than 1 MB over ``seconds`` (warm-up done)."""
    deadline = time.monotonic() + timeout
    last = {pid: smaps(pid)["rss_mb"] for pid in served.workers()}
    while time.monotonic() < deadline:
        time.sleep(seconds)
        now = {pid: smaps(pid)["rss_mb"] for pid in served.workers()}
        if all(now[p] - last.get(p, 0) < 1.0 for p in now):
            return
        last = now


def measure(data_dir: Path, workers: int, mode: str, cache_dir: Path, log_dir: Path) -> dict:
    env = {"BATTLEMAP_CACHE_DIR": str(cache_dir)}
    if mode == "memory":  # a path under a file: the cache cannot be made, arrays in memory
        blocker = log_dir / "no-cache"
        blocker.write_text("")
        env["BATTLEMAP_CACHE_DIR"] = str(blocker / "cache")
    started = time.perf_counter()
    log = log_dir / f"{mode}-{workers}.log"
    served = start(data_dir, log, "--workers", str(workers), env=env)
    try:
        listening = time.perf_counter() - started
        village = _village(data_dir)
        pages = [  # a village with its household points; the root's heat map and hexbins
            f"http://localhost/?region={village}&year=2016",  # (these read every household)
            "http://localhost/?year=2016&layers=choropleth,heat,hexbins",
        ]
        _settle(served)  # warm-up first: a held connection idles out after 5 s
        todo = {(pid, page) for pid in served.workers() for page in pages}
        for _ in range(20):  # a loading worker may keep one waiting past its keep-alive
            if not todo:
                break
            for pid, conn in connection_per_worker(served).items():
                for page in sorted(p for w, p in todo if w == pid):
                    try:
                        conn.request("GET", "/_dash-layout", headers={"Referer": page})
                        response = conn.getresponse()
                        response.read()
                    except (http.client.HTTPException, ConnectionError):
                        break
                    assert response.status == 200, response.status
                    todo.discard((pid, page))
                conn.close()
        assert not todo, f"pages not served: {sorted(todo)}"
        _settle(served)
        loaded = time.perf_counter() - started
        per_worker = [{"pid": pid, **smaps(pid)} for pid in served.workers()]
        master = smaps(served.master)
    finally:
        served.stop()
    return {
        "mode": mode,
        "workers": workers,
        "listening_s": round(listening, 1),
        "all_loaded_s": round(loaded, 1),
        "per_worker": per_worker,
        "workers_rss_mb": round(sum(w["rss_mb"] for w in per_worker), 1),
        "workers_pss_mb": round(sum(w["pss_mb"] for w in per_worker), 1),
        "master": master,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = BENCH_FULL if (BENCH_FULL / "manifest.json").exists() else DEFAULT_DATA_DIR
    parser.add_argument("--data-dir", type=Path, default=default)
    parser.add_argument(
        "--cache-dir", type=Path, default=REPO / "benchmarks" / ".data" / "array-cache"
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--modes", nargs="+", default=["mmap", "memory"])
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    manifest = json.loads((args.data_dir / "manifest.json").read_text())
    runs = []
    with tempfile.TemporaryDirectory(prefix="bm-workers-") as tmp:
        for mode in args.modes:
            for workers in args.workers:
                runs.append(measure(args.data_dir, workers, mode, args.cache_dir, Path(tmp)))
                print(json.dumps(runs[-1]), file=sys.stderr)
    result = {
        "benchmark": "workers",
        "data_dir": str(args.data_dir),
        "households": manifest.get("counts", {}).get("households"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores; {SHARED_NOTE}",
        "runs": runs,
    }
    return emit_json(result, args.output)


if __name__ == "__main__":
    raise SystemExit(main())
