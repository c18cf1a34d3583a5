"""What a worker's memory holds as the load mix runs: the caches' bytes over time (issue 19).

Usage: python -m benchmarks.replay --data-dir DIR [--sessions N] [--every K] [--villages V]
           [--tracemalloc] [--output FILE]

Runs the load benchmark's sessions (:mod:`benchmarks.sessions`: open, drill to a village,
year, indicator, back up) in this process through the app's Flask test client, one after
another without think time, and every ``--every`` sessions prints JSON: this process's
memory from ``/proc/self/smaps_rollup`` (RSS, PSS, anonymous = the heap; RSS - anonymous
= touched pages of the memory-mapped arrays, shared page cache) and, for each bounded cache
of the app, its entries, its own weight (what it is bounded by) and the bytes its values
really hold in Python objects (a deep walk of the values: dicts, lists, strings, frames,
arrays that own their data). With ``--tracemalloc``, also the top allocation sites grown
since the first sample (slow: 2-3x).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import emit_json
from benchmarks.sessions import Page, SessionSteps, chains


class _Response:
    def __init__(self, response: Any) -> None:
        self.status_code = response.status_code
        self._response = response
        self.failed: str | None = None

    def json(self) -> Any:
        return json.loads(self._response.get_data())

    def success(self) -> None:
        pass

    def failure(self, why: str) -> None:
        self.failed = why

    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class _Client:
    """The few calls :class:`~benchmarks.sessions.SessionSteps` makes, on a Flask client."""

    def __init__(self, flask_client: Any) -> None:
        self.flask = flask_client
        self.requests = 0
        self.errors: list[str] = []

    def get(self, path: str, name: str = "") -> _Response:
        self.requests += 1
        out = _Response(self.flask.get(path))
        if out.status_code >= 400:
            self.errors.append(f"{name}: HTTP {out.status_code}")
        return out

    def post(self, path: str, *, json: Any, headers: dict, name: str = "", **_: Any) -> Any:
        self.requests += 1
        client = self

        class _Checked(_Response):
            def __exit__(self, *exc: object) -> None:
                if self.failed:
                    client.errors.append(f"{name}: {self.failed}")

        return _Checked(self.flask.post(path, json=json, headers=headers))


class Replay(SessionSteps):
    """Sessions without think time against the in-process app."""

    def __init__(self, client: _Client, page: Page, paths: list[list[str]]) -> None:
        self.client, self.page, self.chains, self.host = client, page, paths, "http://localhost"

    def wait(self) -> None:
        pass


def deep_bytes(value: Any, seen: set[int] | None = None) -> int:
    """Bytes held by ``value`` and what it references (each object counted once)."""
    seen = set() if seen is None else seen
    stack = [value]
    total = 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or obj is None or isinstance(obj, bool | type):
            continue
        seen.add(id(obj))
        if isinstance(obj, pd.DataFrame | pd.Series | pd.Index):
            total += int(obj.memory_usage(deep=True).sum()) if not isinstance(obj, pd.Index) \
                else int(obj.memory_usage(deep=True))  # fmt: skip
            continue
        if isinstance(obj, np.ndarray):
            total += obj.nbytes if obj.flags.owndata and not isinstance(obj, np.memmap) else 96
            continue
        total += sys.getsizeof(obj)
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        elif hasattr(obj, "__dict__") and not callable(obj):
            stack.append(vars(obj))
        elif hasattr(obj, "__slots__"):
            stack.extend(getattr(obj, s, None) for s in obj.__slots__)
    return total


def _lru(cache: Any) -> dict[str, Any]:
    """entries, the cache's own weight, and the deep bytes of its values."""
    items = list(cache._items.values())
    return {
        "entries": len(items),
        "weight": cache.weight,
        "max_weight": cache.max_weight,
        "deep_bytes": sum(deep_bytes(v) for v, _w in items),
    }


def cache_report(app: Any) -> dict[str, Any]:
    """Every bounded cache a request can fill in this process."""
    from battlemap.geodata import features
    from battlemap.views import cadres as cadre_views

    context = app.server.config["BATTLEMAP_CONTEXT"]
    store = context._store
    panels: dict[str, dict[str, int]] = {}
    for key, (_value, weight) in list(context.views._cache._items.items()):
        panel = panels.setdefault(str(key[0]), {"entries": 0, "weight": 0})
        panel["entries"] += 1
        panel["weight"] += weight
    out = {
        "views": {
            **_lru(context.views._cache),
            "hits": context.views.hits,
            "misses": context.views.misses,
            "by_panel": panels,
        },
        "summaries": _lru(context._summaries),
        "households": _lru(context._households),
        "gzip": _lru(app.server.extensions["battlemap_gzip_cache"]),
        "h3_parents": {"entries": features._parent.cache_info().currsize},
    }
    if store is not None and "_shapes_cache" in store.__dict__:
        out["shapes"] = _lru(store.__dict__["_shapes_cache"])
    details = [_lru(c._cache) for c in getattr(cadre_views, "_DETAILS", {}).values()]
    if details:
        out["cadre_details"] = details[0]
    for source in (store.__dict__.get("_cadre_source"),) if store is not None else ():
        scores = getattr(source, "__dict__", {}).get("_unit_scores")
        if scores is not None:
            out["cadre_unit_scores"] = {"entries": len(scores), "deep_bytes": deep_bytes(scores)}
    return out


def process_memory() -> dict[str, float]:
    values = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        if name in ("Rss", "Pss", "Anonymous", "Private_Dirty"):
            values[f"{name.lower()}_mb"] = round(int(rest.split()[0]) / 1024, 1)
    values["file_backed_mb"] = round(values["rss_mb"] - values["anonymous_mb"], 1)
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--every", type=int, default=20)
    parser.add_argument("--villages", type=int, default=2000)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)

    from battlemap.app import create_app
    from battlemap.settings import Settings

    app = create_app(Settings(data_dir=args.data_dir), warm=False)
    context = app.server.config["BATTLEMAP_CONTEXT"]
    started = time.perf_counter()
    context.warm()
    warm_s = round(time.perf_counter() - started, 1)
    client = _Client(app.server.test_client())
    page = Page(client.get("/_dash-dependencies").json())
    user = Replay(client, page, chains(args.data_dir, args.villages))
    samples = [{"sessions": 0, **process_memory(), "caches": cache_report(app)}]
    print(json.dumps({"warm_up_s": warm_s, **samples[0]}), file=sys.stderr)
    if args.tracemalloc:
        tracemalloc.start(8)
        first = tracemalloc.take_snapshot()
    started = time.perf_counter()
    for n in range(1, args.sessions + 1):
        user.visit_once()
        if n % args.every == 0 or n == args.sessions:
            sample = {
                "sessions": n,
                "s_per_session": round((time.perf_counter() - started) / n, 2),
                "requests": client.requests,
                "errors": len(client.errors),
                **process_memory(),
                "caches": cache_report(app),
            }
            if args.tracemalloc:
                grown = tracemalloc.take_snapshot().compare_to(first, "traceback")[:8]
                sample["tracemalloc_top"] = [
                    {"kib": round(s.size_diff / 1024), "at": str(s.traceback).splitlines()[-4:]}
                    for s in grown
                ]
            samples.append(sample)
            print(json.dumps(sample), file=sys.stderr)
    out = {"data_dir": str(args.data_dir), "warm_up_s": warm_s, "samples": samples,
           "error_kinds": sorted(set(client.errors))[:20]}  # fmt: skip
    return emit_json(out, args.output)


if __name__ == "__main__":
    raise SystemExit(main())
