"""Region search per keystroke: the index alone and the whole Dash callback over HTTP.

Usage: python -m benchmarks.search [--data-dir DIR] [--names N]

Types N random region names (and as many 12-digit codes) one character at a time, from the
first keystroke that searches (2 Chinese characters, 3 digits) to the whole text, and times
each keystroke: ``index`` is :meth:`RegionIndex.search` alone, ``callback`` the search
callback as the browser calls it (Flask test client, JSON in and out). The region tree is
the full one (17,000 villages) from 136,000 households up (the generator draws at least 8
households per village), so the default data set is a 140,000-household one generated into
``benchmarks/.data/search-140k`` (seconds); pass the 2.3 M set's dir to run on it.
Goal (issue 17): ≤ 50 ms per keystroke server-side. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from benchmarks.common import REPO, ensure_data_dir, percentiles

DEFAULT_DATA_DIR = REPO / "benchmarks" / ".data" / "search-140k"
HOUSEHOLDS = 140_000  # the smallest set with the full region tree (17,000 villages)


def _queries(store, count: int, seed: int = 17) -> list[list[str]]:
    """Keystroke sequences: prefixes of region names and of village codes."""
    rng = random.Random(seed)
    infos = list(store.regions._info.values())
    villages = store.regions.level_codes(5)
    typed = []
    for info in rng.sample(infos, count):
        typed.append([info.name[:n] for n in range(2, len(info.name) + 1)])
    for code in rng.sample(villages, count):
        typed.append([code[:n] for n in range(3, 13)])
    return typed


def _callback_body(query: str, state: dict) -> dict:
    """The request the renderer sends for one keystroke (search box value → results)."""
    return {
        "output": "search-results.children",
        "outputs": {"id": "search-results", "property": "children"},
        "inputs": [{"id": "region-search", "property": "value", "value": query}],
        "changedPropIds": ["region-search.value"],
        "state": [{"id": "view-state", "property": "data", "value": state}],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--names", type=int, default=200)
    args = parser.parse_args(argv)
    data_dir = ensure_data_dir(args.data_dir, households=HOUSEHOLDS, seed=7)

    from battlemap.app import create_app
    from battlemap.callbacks.search import region_index
    from battlemap.geodata.embedded import EmbeddedStore
    from battlemap.settings import Settings
    from battlemap.viewstate import default_state

    store = EmbeddedStore(data_dir)
    started = time.perf_counter()
    index = region_index(store)
    build_s = time.perf_counter() - started
    typed = _queries(store, args.names)

    index_s = []
    for keys in typed:
        for query in keys:
            started = time.perf_counter()
            index.search(query, limit=12)
            index_s.append(time.perf_counter() - started)

    app = create_app(Settings(data_dir=data_dir), store=store, warm=False)
    client = app.server.test_client()
    from battlemap.geodata.access import ScopedStore

    state = default_state(ScopedStore(store)).to_dict()
    client.post("/_dash-update-component", json=_callback_body("贵州", state))  # warm-up
    callback_s = []
    for keys in typed[:: max(1, len(typed) // 100)]:
        for query in keys:
            body = _callback_body(query, state)
            started = time.perf_counter()
            response = client.post("/_dash-update-component", json=body)
            callback_s.append(time.perf_counter() - started)
            if response.status_code != 200 or b"search-results" not in response.data:
                raise SystemExit(f"search callback answered {response.status_code}")
    print(
        json.dumps(
            {
                "benchmark": "search",
                "data_dir": str(data_dir),
                "regions": len(index),
                "villages": len(store.regions.level_codes(5)),
                "index_build_ms": round(build_s * 1000, 1),
                "keystroke_index": percentiles(index_s),
                "keystroke_callback": percentiles(callback_s),
                "goal_ms": 50,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
