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
``--soak MINUTES`` runs one configuration (the first of each list) that long and prints
memory at start and end (and every minute). PostGIS: a throwaway cluster
(benchmarks.common.pg_cluster) loaded with ``battlemap db load`` from the data dir.
"""

from __future__ import annotations

# locust first: it monkey-patches the standard library for gevent
from locust import FastHttpUser, between, task  # isort: skip
import argparse
import json
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
from locust.env import Environment

from benchmarks.common import REPO

sys.path.insert(0, str(REPO))

from tests.web.served import Served, start

BENCH_FULL = Path("/work/bench/full")
SHARED_NOTE = (
    "2-core machine; the load generator runs on it too, so the figures are lower bounds; "
    "other work on the machine shows in the load averages recorded with each run"
)
STATE_INPUTS = ("view-state.data", "viewport.data", "map-drawn.data")
INDICATORS = ("poor_persons", "exit_progress", "incidence")


def _outputs(spec: str) -> list[dict[str, str]]:
    parts = spec[2:-2].split("...") if spec.startswith("..") else [spec]
    return [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]


def _key(item: dict) -> str:
    return f"{item['id']}.{item['property']}"


def callback_body(dep: dict, values: dict[str, Any], changed: list[str]) -> dict:
    """The JSON Dash's renderer posts to ``/_dash-update-component`` for ``dep``."""

    def items(specs: list[dict]) -> list[dict]:
        return [{**s, "value": values.get(_key(s))} for s in specs]

    outputs = _outputs(dep["output"])
    return {
        "output": dep["output"],
        "outputs": outputs if dep["output"].startswith("..") else outputs[0],
        "inputs": items(dep["inputs"]),
        "state": items(dep["state"]),
        "changedPropIds": changed,
    }


def _find(node: Any, wanted: set[str], found: dict[str, Any]) -> None:
    """Component ``data`` props by id in a Dash layout JSON."""
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and props.get("id") in wanted and "data" in props:
            found[f"{props['id']}.data"] = props["data"]
        for value in node.values():
            _find(value, wanted, found)
    elif isinstance(node, list):
        for value in node:
            _find(value, wanted, found)


class Page:
    """The app's callbacks, sorted by what triggers them (read once per run)."""

    def __init__(self, deps: list[dict]) -> None:
        server = [d for d in deps if not d.get("clientside_function")]
        self.state = next(
            d
            for d in server
            if "view-state.data" in d["output"]
            and "map.clickData" in {_key(i) for i in d["inputs"]}
        )
        # on load: what listens to the view, the viewport (the map) or the drawn map
        listening = [
            d for d in server if {_key(i) for i in d["inputs"]} <= set(STATE_INPUTS)
            and d is not self.state
        ]  # fmt: skip
        self.on_load = [d for d in listening if not d.get("prevent_initial_call")]
        # after a state change (its answer carries the map): the panels and the charts
        self.followers = [
            d for d in listening if "viewport.data" not in {_key(i) for i in d["inputs"]}
        ]


class Session(FastHttpUser):
    """One cadre's visit (see the module docstring)."""

    wait_time = between(1, 3)
    page: Page
    chains: list[list[str]]  # root → village codes
    connection_timeout = 60.0
    network_timeout = 60.0

    def _callback(self, dep: dict, values: dict, changed: list[str], name: str) -> dict:
        body = callback_body(dep, values, changed)
        with self.client.post(
            "/_dash-update-component",
            json=body,
            headers={"Referer": f"{self.host}/?{values.get('url.search', '')[1:]}"},
            name=name,
            catch_response=True,
        ) as response:
            if response.status_code == 204:  # PreventUpdate: nothing to do
                response.success()
                return {}
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return {}
            try:
                answer = response.json()
            except ValueError:
                response.failure("not JSON")
                return {}
            banner = (answer.get("sideUpdate") or {}).get("error-banner") or {}
            if banner.get("hidden") is False:  # the page would show an error
                response.failure(f"error banner: {banner.get('children')}")
                return {}
            response.success()
            return answer.get("response") or {}

    def _view(self, values: dict, name: str) -> None:
        """The panels for the view in ``values`` (as after a state change)."""
        for dep in self.page.followers:
            inputs = {_key(i) for i in dep["inputs"]}
            self._callback(dep, values, sorted(inputs), name=f"{name}: panels")

    def _change(self, values: dict, prop: str, value: Any, name: str) -> None:
        """One interaction through the state callback, then the panels of the new view."""
        values[prop] = value
        answer = self._callback(self.page.state, values, [prop], name=name)
        state = answer.get("view-state", {}).get("data")
        if state:
            values["view-state.data"] = state
            values["url.search"] = answer.get("url", {}).get("search", values["url.search"])
            if "map-key" in answer:
                values["map-key.data"] = answer["map-key"].get("data")
        values["map-drawn.data"] = (values.get("map-drawn.data") or 0) + 1
        self._view(values, name)
        values["map.clickData"] = None

    @task
    def visit(self) -> None:
        chain = random.choice(self.chains)
        self.client.get("/", name="page /")
        layout = self.client.get("/_dash-layout", name="page layout").json()
        self.client.get("/_dash-dependencies", name="page dependencies")
        values: dict[str, Any] = {}
        _find(layout, {"view-state", "map-key", "chart-key", "map-view"}, values)
        state = values.get("view-state.data") or {}
        query = {"region": state.get("region", chain[0]), "year": state.get("year", 2016)}
        values.update(
            {
                "url.search": "?" + urlencode(query),
                "year-slider.value": state.get("year", 2016),
                "indicator.value": state.get("indicator", "incidence"),
                "layers.value": state.get("layers", ["choropleth", "labels", "households"]),
                "viewport.data": {"w": 1000, "h": 700},
                "map-drawn.data": 1,
                "compare-year.value": "",
            }
        )
        for dep in self.page.on_load:
            self._callback(dep, values, [_key(i) for i in dep["inputs"]], name="open: panels")
        for depth, code in enumerate(chain[1:], start=2):
            self.wait()
            self.client.get(f"/geo/{code}.json", name=f"drill {depth}: geo")
            click = {"points": [{"location": code}]}
            self._change(values, "map.clickData", click, name=f"drill {depth}: click")
        self.wait()
        self._change(values, "year-slider.value", random.choice([2015, 2017, 2018]), "year")
        self.wait()
        indicator = random.choice(INDICATORS)
        self._change(values, "indicator.value", indicator, name="indicator")
        self.wait()  # back up to the county (the breadcrumb: a new URL)
        state = values.get("view-state.data") or {}
        back = {"region": chain[3], "year": state.get("year", 2016), "indicator": indicator}
        self._change(values, "url.search", "?" + urlencode(back), name="back up")


def _chains(data_dir: Path, count: int = 2000, seed: int = 19) -> list[list[str]]:
    """Root → village paths to ``count`` random villages (each session picks one: with
    many, a village's panels are rarely in the server's view cache, as with real users)."""
    from battlemap.geodata.datadir import read_table
    from battlemap.geodata.regions import REGION_COLUMNS, RegionTree

    tree = RegionTree(read_table(data_dir, "regions", list(REGION_COLUMNS)))
    villages = tree.level_codes(5)
    rng = random.Random(seed)
    picked = rng.sample(villages, min(count, len(villages)))
    return [[r.code for r in tree.ancestors(v)] for v in picked]


def wait_warm(served: Served, workers: int, timeout_s: float = 900.0) -> float:
    """Seconds until every worker logged its warm-up done (``AppContext.warm``), as a
    deployment's readiness check waits before sending users."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if served.log.read_text(errors="replace").count("warm-up done") >= workers:
            return round(time.monotonic() - started, 1)
        time.sleep(1.0)
    raise RuntimeError(f"workers not warm after {timeout_s:.0f} s: {served.log.read_text()}")


def _memory(served: Served) -> dict[str, float]:
    from benchmarks.workers import smaps

    workers = [smaps(pid) for pid in served.workers()]
    return {
        "workers_rss_mb": round(sum(w["rss_mb"] for w in workers), 1),
        "workers_pss_mb": round(sum(w["pss_mb"] for w in workers), 1),
    }


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


def load(served: Served, users: int, seconds: float, chains, think, sample=None) -> dict:
    """``users`` sessions against ``served`` for ``seconds`` after ramp-up."""
    Session.page = _fetch_page(served.port)
    Session.chains = chains
    Session.wait_time = between(*think)
    Session.host = f"http://127.0.0.1:{served.port}"
    env = Environment(user_classes=[Session], host=Session.host)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=max(users / 5, 1))
    gevent.sleep(min(5.0, users / max(users / 5, 1)) + 1)
    env.stats.reset_all()  # measure the steady state, not the ramp-up
    before = _memory(served)
    started = time.perf_counter()
    samples = []
    while (elapsed := time.perf_counter() - started) < seconds:
        gevent.sleep(min(60.0, seconds - elapsed) if sample else seconds - elapsed)
        if sample:
            samples.append({"minute": round(elapsed / 60 + 1), **_memory(served),
                            "load_average_1_5_15": _loadavg()})  # fmt: skip
    result = _stats(env, time.perf_counter() - started)
    load_end = _loadavg()
    runner.quit()
    return {"users": users, **result, "load_average_1_5_15": load_end,
            "memory_start": before, "memory_end": _memory(served),
            **({"memory_every_minute": samples} if sample else {})}  # fmt: skip


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
            chains = _chains(data_dir, args.villages)
            try:
                for workers in args.workers:
                    log = Path(tmp) / f"{store}-{workers}.log"
                    env = {"BATTLEMAP_CACHE_DIR": str(args.cache_dir)}
                    served = start(data_dir, log, "--workers", str(workers), *extra, env=env)
                    try:
                        warm_s = wait_warm(served, workers)
                        load(served, 1, 10.0, chains, (0.0, 0.0))  # code paths, connections
                        warmed = {**_memory(served), "warm_up_s": warm_s,
                                  "load_average_1_5_15": _loadavg()}  # fmt: skip
                        print(json.dumps({"after_warm_up": warmed}), file=sys.stderr)
                        for users in args.users:
                            minutes = args.soak
                            seconds = minutes * 60 if minutes else args.duration
                            result = load(
                                served, users, seconds, chains, args.think, sample=bool(minutes)
                            )
                            result = {"store": store, "workers": workers,
                                      "after_warm_up": warmed, **result}  # fmt: skip
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
        "measured after": "every worker logged its warm-up done, then 10 s of one user",
        "duration_s": args.soak * 60 if args.soak else args.duration,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores; {SHARED_NOTE}",
        "runs": runs,
    }
    if args.soak and runs:
        run = runs[0]
        start_mb = run["memory_start"]["workers_pss_mb"]
        end_mb = run["memory_end"]["workers_pss_mb"]
        result["soak_memory_change_pct"] = round((end_mb - start_mb) / start_mb * 100, 1)
        # PSS at minutes 1, 5 and the end against right after the warm-up
        warm_mb = run["after_warm_up"]["workers_pss_mb"]
        result["soak_pss_pct_vs_warm_up"] = {
            s["minute"]: round((s["workers_pss_mb"] - warm_mb) / warm_mb * 100, 1)
            for s in run.get("memory_every_minute", [])
            if s["minute"] in (1, 5, round(args.soak))
        }
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if args.output:
        args.output.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
