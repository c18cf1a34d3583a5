"""Load test of a running ``battlemap run`` with locust: realistic sessions, JSON out.

Usage: python -m benchmarks.load [--data-dir DIR] [--stores embedded postgis]
           [--workers 1 2] [--users 1 8 32 64] [--duration S] [--think S S]
           [--soak MINUTES] [--output FILE]

Each simulated user plays what a cadre does in the page, with the real requests the page
sends: open it (``/``, ``/_dash-layout``, ``/_dash-dependencies``, the callbacks that fire on
load), drill province → city → county → township → village by map clicks (each click: the
state callback, which answers with the map, then the panels' callbacks for the new view
and the region's boundaries ``/geo/CODE.json``), change the year, switch the indicator and
go back up to the county; then again with another village. Between steps the user waits
``--think`` seconds (default 1–3 s, as a person reads the panels). Callback bodies are built
from ``/_dash-dependencies`` as Dash's renderer builds them; an answer with the page's
error banner counts as an error.

For every store, worker count and user count it starts ``battlemap run --workers N``,
loads it for ``--duration`` seconds after all users are up, and prints requests/s, p50/p95/
p99, errors and the workers' memory (RSS and PSS from /proc/PID/smaps_rollup). The load
generator runs on the same machine as the server, so the figures are lower bounds.
``--soak MINUTES`` runs one configuration (the first of each list, the last user count)
that long. Its baseline is the steady state, reached honestly: after the workers' own
warm-up, the same session mix (same users, same think time) runs in one-minute windows
until the workers' PSS and anonymous memory each changed by less than ``--settle-pct`` over
the last two minutes (the bounded caches are full; at most ``--settle-max`` minutes,
recorded either way), and only then does the soak window start. Every worker's RSS, PSS,
anonymous and private-dirty memory is sampled every minute; the JSON gives them at minutes
1, 5, 10, …, and the change against the soak's start (and, for comparison, against right
after the workers' start-up warm-up). PostGIS: a throwaway cluster
(benchmarks.common.pg_cluster) loaded with ``battlemap db load`` from the data dir.
"""

from __future__ import annotations

# locust first: it monkey-patches the standard library for gevent
from locust import FastHttpUser, between, task  # isort: skip
import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import gevent
from locust.env import Environment

from benchmarks.common import REPO, emit_json

sys.path.insert(0, str(REPO))

from benchmarks.sessions import Page, SessionSteps, chains
from tests.web.served import Served, start

BENCH_FULL = Path("/work/bench/full")
SHARED_NOTE = (
    "2-core machine; the load generator runs on it too, so the figures are lower bounds; "
    "other work on the machine shows in the load averages recorded with each run"
)


class Session(FastHttpUser, SessionSteps):
    """One cadre's visit (benchmarks.sessions) through locust's client."""

    wait_time = between(1, 3)
    connection_timeout = 60.0
    network_timeout = 60.0

    @task
    def visit(self) -> None:
        self.visit_once()


def wait_warm(served: Served, workers: int, timeout_s: float = 900.0) -> float:
    """Seconds until every worker logged its warm-up done (``AppContext.warm``), as a
    deployment's readiness check waits before sending users."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if served.log.read_text(errors="replace").count("warm-up done") >= workers:
            return round(time.monotonic() - started, 1)
        time.sleep(1.0)
    raise RuntimeError(f"workers not warm after {timeout_s:.0f} s: {served.log.read_text()}")


MEMORY_FIELDS = ("rss", "pss", "anonymous", "private_dirty")


def worker_memory(pid: int) -> dict[str, float]:
    """One worker's RSS, PSS, anonymous and private-dirty memory (MB, smaps_rollup).
    RSS and PSS also count the touched pages of the memory-mapped arrays (file-backed,
    shared page cache); anonymous memory is the worker's own heap (Python objects, caches)."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        key = name.strip().lower()
        if key in MEMORY_FIELDS:
            values[f"{key}_mb"] = round(int(rest.split()[0]) / 1024, 1)
    return values


def _memory(served: Served) -> dict[str, Any]:
    """The workers' memory: the sums (``workers_*_mb``) and each worker's figures."""
    workers = [worker_memory(pid) for pid in served.workers()]
    sums = {
        f"workers_{f}_mb": round(sum(w.get(f"{f}_mb", 0.0) for w in workers), 1)
        for f in MEMORY_FIELDS
    }
    return {**sums, "per_worker": workers}


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _stats(env: Environment, seconds: float) -> dict[str, Any]:
    total = env.stats.total
    by_name = {}
    for (name, _method), entry in sorted(env.stats.entries.items()):
        by_name[name] = {
            "n": entry.num_requests,
            "p50_ms": entry.get_response_time_percentile(0.5),
            "p95_ms": entry.get_response_time_percentile(0.95),
        }
    return {
        "requests": total.num_requests,
        "errors": total.num_failures,
        "error_kinds": {
            f"{e.name}: {e.error}"[:200]: e.occurrences for e in env.stats.errors.values()
        },
        "requests_per_s": round(total.num_requests / seconds, 1),
        "p50_ms": total.get_response_time_percentile(0.5),
        "p95_ms": total.get_response_time_percentile(0.95),
        "p99_ms": total.get_response_time_percentile(0.99),
        "max_ms": round(total.max_response_time or 0, 1),
        "by_step": by_name,
    }


def _fetch_page(port: int) -> Page:
    from urllib.request import Request, urlopen

    request = Request(f"http://127.0.0.1:{port}/_dash-dependencies")
    with urlopen(request, timeout=60) as response:
        return Page(json.loads(response.read()))


def _runner(served: Served, users: int, paths, think) -> tuple[Environment, Any]:
    """A locust runner with ``users`` sessions started (ramped up over ~5 s)."""
    Session.page = _fetch_page(served.port)
    Session.chains = paths
    Session.wait_time = between(*think)
    Session.host = f"http://127.0.0.1:{served.port}"
    env = Environment(user_classes=[Session], host=Session.host)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=max(users / 5, 1))
    gevent.sleep(min(5.0, users / max(users / 5, 1)) + 1)
    return env, runner


def _grew_pct(now: dict, before: dict, field: str) -> float:
    start = before[f"workers_{field}_mb"]
    return round((now[f"workers_{field}_mb"] - start) / start * 100, 2) if start else 0.0


def settle(
    served: Served, users: int, paths, think, *, pct: float, max_minutes: float
) -> dict[str, Any]:
    """The warm-up of a soak: the session mix runs in one-minute windows until the workers'
    PSS and anonymous memory each changed by less than ``pct`` % over the last two minutes
    (the caches reached their bounds), at most ``max_minutes``; returns each minute's
    memory and whether it settled."""
    env, runner = _runner(served, users, paths, think)
    samples = [{"minute": 0, **_memory(served), "load_average_1_5_15": _loadavg()}]
    settled = False
    try:
        while len(samples) - 1 < max_minutes:
            gevent.sleep(60.0)
            now = _memory(served)
            samples.append({"minute": len(samples), **now, "load_average_1_5_15": _loadavg()})
            if len(samples) >= 3:
                growth = {f: _grew_pct(now, samples[-3], f) for f in ("pss", "anonymous")}
                print(json.dumps({"settling": samples[-1]["minute"], "grew_pct_2_min": growth}),
                      file=sys.stderr)  # fmt: skip
                if all(abs(g) < pct for g in growth.values()):  # neither growing nor falling
                    settled = True
                    break
        stats = _stats(env, max(len(samples) - 1, 1) * 60.0)
    finally:
        runner.quit()
    return {
        "settled": settled,
        "minutes": len(samples) - 1,
        "rule": f"PSS and anonymous memory each changed < {pct:g} % over the last 2 minutes",
        "requests": stats["requests"],
        "errors": stats["errors"],
        "memory_every_minute": samples,
    }


def load(served: Served, users: int, seconds: float, paths, think, sample=None) -> dict:
    """``users`` sessions against ``served`` for ``seconds`` after ramp-up."""
    env, runner = _runner(served, users, paths, think)
    env.stats.reset_all()  # measure the steady state, not the ramp-up
    before = _memory(served)
    started = time.perf_counter()
    samples = []
    while (elapsed := time.perf_counter() - started) < seconds:
        gevent.sleep(min(60.0, seconds - elapsed) if sample else seconds - elapsed)
        if sample:
            samples.append({"minute": round((time.perf_counter() - started) / 60),
                            **_memory(served), "load_average_1_5_15": _loadavg()})  # fmt: skip
    result = _stats(env, time.perf_counter() - started)
    load_end = _loadavg()
    runner.quit()
    return {"users": users, **result, "load_average_1_5_15": load_end,
            "memory_start": before, "memory_end": _memory(served),
            **({"memory_every_minute": samples} if sample else {})}  # fmt: skip


def soak_summary(run: dict[str, Any], minutes: float) -> dict[str, Any]:
    """Memory at minutes 1, 5, 10, … of the soak (each worker and the sums) and its change
    in % against the soak's start (the steady state after the settling warm-up) and against
    right after the workers' own start-up warm-up (before any cache filled)."""
    start, warm = run["memory_start"], run["after_warm_up"]
    wanted = {1, *range(5, int(minutes) + 1, 5), round(minutes)}
    at = {}
    for sample in run.get("memory_every_minute", []):
        if sample["minute"] not in wanted:
            continue
        at[sample["minute"]] = {
            "per_worker": sample["per_worker"],
            **{f"workers_{f}_mb": sample[f"workers_{f}_mb"] for f in MEMORY_FIELDS},
            "pct_vs_soak_start": {f: _grew_pct(sample, start, f) for f in MEMORY_FIELDS},
            "pct_vs_after_start_up": {f: _grew_pct(sample, warm, f) for f in MEMORY_FIELDS},
            "load_average_1_5_15": sample["load_average_1_5_15"],
        }
    worst = max((abs(v["pct_vs_soak_start"]["pss"]) for v in at.values()), default=None)
    return {
        "baseline": "the soak's start: after the workers' warm-up and the settling warm-up "
        "(the same session mix until memory stopped growing)",
        "soak_start": {k: v for k, v in start.items()},
        "at_minute": at,
        "max_abs_pss_change_pct": worst,
        "flat_within_5_pct": worst is not None and worst <= 5.0,
    }


def _postgis(data_dir: Path):
    """A throwaway cluster with the data dir loaded (``battlemap db load``)."""
    from benchmarks.common import pg_cluster

    cluster = pg_cluster().start()
    started = time.perf_counter()
    dsn = cluster.load_database("battlemap_load", data_dir)
    print(f"db load: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return cluster, dsn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = BENCH_FULL if (BENCH_FULL / "manifest.json").exists() else None
    parser.add_argument("--data-dir", type=Path, default=default, required=default is None)
    parser.add_argument("--pg-data-dir", type=Path, help="data dir loaded into PostGIS")
    parser.add_argument("--cache-dir", type=Path, default=REPO / "benchmarks/.data/array-cache")
    parser.add_argument("--stores", nargs="+", default=["embedded", "postgis"])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--users", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per run")
    parser.add_argument("--think", type=float, nargs=2, default=[1.0, 3.0])
    parser.add_argument("--soak", type=float, metavar="MINUTES")
    parser.add_argument(
        "--settle-pct", type=float, default=1.0,
        help="soak warm-up: until PSS and anonymous memory changed less than this %% in 2 min",
    )  # fmt: skip
    parser.add_argument(
        "--settle-max", type=float, default=10.0, help="soak warm-up: at most these minutes"
    )
    parser.add_argument("--villages", type=int, default=2000, help="villages sessions visit")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    if args.soak:
        args.stores, args.workers, args.users = args.stores[:1], args.workers[:1], args.users[-1:]
    runs = []
    with tempfile.TemporaryDirectory(prefix="bm-load-") as tmp:
        for store in args.stores:
            cluster = None
            extra = []
            data_dir = args.data_dir
            if store == "postgis":
                data_dir = args.pg_data_dir or args.data_dir
                cluster, dsn = _postgis(data_dir)
                extra = ["--store", "postgis", "--dsn", dsn]
            paths = chains(data_dir, args.villages)
            try:
                for workers in args.workers:
                    log = Path(tmp) / f"{store}-{workers}.log"
                    env = {"BATTLEMAP_CACHE_DIR": str(args.cache_dir)}
                    served = start(data_dir, log, "--workers", str(workers), *extra, env=env)
                    try:
                        warm_s = wait_warm(served, workers)
                        load(served, 1, 10.0, paths, (0.0, 0.0))  # code paths, connections
                        warmed = {**_memory(served), "warm_up_s": warm_s,
                                  "load_average_1_5_15": _loadavg()}  # fmt: skip
                        print(json.dumps({"after_warm_up": warmed}), file=sys.stderr)
                        for users in args.users:
                            settling = None
                            if args.soak:
                                settling = settle(
                                    served, users, paths, args.think,
                                    pct=args.settle_pct, max_minutes=args.settle_max,
                                )  # fmt: skip
                            minutes = args.soak
                            seconds = minutes * 60 if minutes else args.duration
                            result = load(
                                served, users, seconds, paths, args.think, sample=bool(minutes)
                            )
                            result = {"store": store, "workers": workers,
                                      "after_warm_up": warmed,
                                      **({"settling": settling} if settling else {}),
                                      **result}  # fmt: skip
                            runs.append(result)
                            brief = {k: v for k, v in result.items() if k != "by_step"}
                            print(json.dumps(brief), file=sys.stderr)
                    finally:
                        served.stop()
            finally:
                if cluster is not None:
                    cluster.stop()
    result = {
        "benchmark": "load" if not args.soak else f"soak {args.soak:g} min",
        "data_dir": str(args.data_dir),
        "households": json.loads((args.data_dir / "manifest.json").read_text())
        .get("counts", {})
        .get("households"),
        "session": "open, drill to a village (4 clicks), change year, switch indicator, "
        f"back up to the county; think time {args.think[0]:g}-{args.think[1]:g} s; "
        f"{args.villages} random villages",
        "measured after": "every worker logged its warm-up done, then 10 s of one user"
        + ("; a soak also after its settling warm-up (see settling)" if args.soak else ""),
        "duration_s": args.soak * 60 if args.soak else args.duration,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores; {SHARED_NOTE}",
        "runs": runs,
    }
    if args.soak and runs:
        result["soak_memory"] = soak_summary(runs[0], args.soak)
    return emit_json(result, args.output)


if __name__ == "__main__":
    raise SystemExit(main())
