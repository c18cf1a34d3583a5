"""National scale: one province vs several under the root 000000000000 (全国).

Usage: python -m benchmarks.national [--households-per-province N] [--provinces 52,45,53]
                                     [--out-dir DIR] [--skip-memory] [--output FILE]

Generates the first province alone with N households, then national sets of 2, 3, …
provinces with N households each (``generate_national``), and reports:

* generation time per set (linear growth: seconds per 100 k households stays flat);
* stats: :func:`region_summary` (what ``battlemap stats`` prints) for 40 random regions of
  every level, p50/p95, on the one-province set and the largest national set (the root too);
* drill: the state callback of a map click (the page's one request per drill), root →
  village for 30 random villages, p50/p95 per click, both sets;
* memory per worker (PSS, ``battlemap run`` with the memory-mapped array cache, after it
  has read every household: :func:`benchmarks.workers.measure`), both sets.

The machine is shared (2 cores, 7 helpers): timings are loose. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.common import REPO, percentiles
from benchmarks.workers import SHARED_NOTE, measure

YEAR = 2016


def _generate(path: Path, provinces: list[str], per_province: int, seed: int) -> float:
    from battlemap.geodata.synthetic.config import GeneratorConfig
    from battlemap.geodata.synthetic.generate import generate
    from battlemap.geodata.synthetic.national import generate_national

    shutil.rmtree(path, ignore_errors=True)
    started = time.perf_counter()
    if len(provinces) == 1:
        config = GeneratorConfig(households=per_province, seed=seed, province=provinces[0])
        generate(path, config, quiet=True)
    else:
        total = per_province * len(provinces)
        generate_national(path, provinces, households=total, seed=seed, quiet=True)
    return time.perf_counter() - started


def _stats(data_dir: Path, rng: random.Random) -> dict:
    from battlemap.geodata.embedded import EmbeddedStore
    from battlemap.views.summary import region_summary

    store = EmbeddedStore(data_dir)
    out = {}
    for level in range(0, 6):
        codes = store.regions.level_codes(level)
        if not codes:
            continue
        picked = rng.sample(codes, min(40, len(codes)))
        region_summary(store, picked[0], YEAR)  # first call loads what it needs
        times = []
        for code in picked:
            started = time.perf_counter()
            region_summary(store, code, YEAR)
            times.append(time.perf_counter() - started)
        out[f"level {level}"] = percentiles(times)
    return out


def _drill(data_dir: Path, rng: random.Random) -> dict:
    from battlemap.app import create_app
    from battlemap.settings import Settings
    from tests.auth.dash_calls import call, server_callbacks, view_state

    app = create_app(Settings(data_dir=data_dir), warm=False)
    client = app.server.test_client()
    deps = server_callbacks(client)
    state = next(d for d in deps if "view-state.data" in d["output"] and "map" in str(d["inputs"]))
    app_store = app.server.config["BATTLEMAP_CONTEXT"].store
    app_store.warm()
    tree = app_store.regions
    times = []
    for village in rng.sample(tree.level_codes(5), 30):
        chain = tree.ancestors(village)
        current = view_state(chain[0].code)
        for region in chain[1:]:
            click = {"points": [{"location": region.code}]}
            values = {"view-state.data": current, "map.clickData": click}
            started = time.perf_counter()
            response = call(client, state, values, ["map.clickData"])
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
            current = response.get_json()["response"]["view-state"]["data"]
            assert current["region"] == region.code
    return percentiles(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households-per-province", type=int, default=100_000)
    parser.add_argument("--provinces", default="52,45,53")
    parser.add_argument("--out-dir", type=Path, default=REPO / "benchmarks/.data/national")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    provinces = args.provinces.split(",")
    n = args.households_per_province
    generation = []
    dirs = {}
    for k in range(1, len(provinces) + 1):
        path = args.out_dir / f"{k}-provinces"
        seconds = _generate(path, provinces[:k], n, args.seed)
        dirs[k] = path
        generation.append(
            {
                "provinces": provinces[:k],
                "households": n * k,
                "seconds": round(seconds, 1),
                "seconds_per_100k": round(seconds / (n * k) * 100_000, 2),
            }
        )
    one, many = dirs[1], dirs[len(provinces)]
    result: dict = {
        "benchmark": "national",
        "households_per_province": n,
        "generation": generation,
        "stats": {"one province": _stats(one, random.Random(5)), "national": {}},
        "drill_click": {"one province": _drill(one, random.Random(6))},
    }
    result["stats"]["national"] = _stats(many, random.Random(5))
    result["drill_click"]["national"] = _drill(many, random.Random(6))
    if not args.skip_memory:
        memory = {}
        with tempfile.TemporaryDirectory(prefix="bm-national-") as tmp:
            for name, path in (("one province", one), ("national", many)):
                run = measure(path, 1, "mmap", args.out_dir / "array-cache", Path(tmp))
                memory[name] = {"worker_pss_mb": run["workers_pss_mb"], **run["per_worker"][0]}
        result["memory_per_worker"] = memory
    result["machine"] = f"{platform.machine()}, {os.cpu_count()} cores; {SHARED_NOTE}"
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if args.output:
        args.output.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
