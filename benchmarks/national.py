"""National scale: one province vs three under the root 000000000000 (全国), same households
per province.

Usage: python -m benchmarks.national [--part generate|load|serve|all]
                                     [--households-per-province N] [--provinces 52,45,53]
                                     [--out-dir DIR] [--skip-memory]

Each part fits in one benchmark-lock slot (< 10 min at the default 150 k households per
province) and adds its section to ``DIR/national.json``; every run prints the whole file:

* ``generate``: times ``battlemap generate`` of the first province alone (N households) and
  of the national set of all of them (N each, ``generate_national``: each province generated
  alone, then merged); the ratio national / one (≈ 3 = linear in the provinces);
* ``load``: times ``load_data_dir`` (what ``battlemap db load`` runs) of both into a
  throwaway PostGIS (the best of ``--load-runs``). A national set holds only the DESIGN
  tables and the assessments (the cadres' and funds' tables are per province and left out),
  so the one-province set is also loaded as a copy with only those tables: that pair's
  ratio is the like-for-like one;
* ``serve``: on both sets, :func:`region_summary` (what ``battlemap stats`` prints) for 40
  random regions of every level, p50/p95, embedded and PostGIS; the state callback of a map
  click root → village (30 random villages) p50/p95; memory per worker (PSS and RSS of
  ``battlemap run`` with the memory-mapped array cache after it has read every household:
  :func:`benchmarks.workers.measure`).

The machine is shared (2 cores, several sessions): run each part under the benchmark lock
(``flock /work/notes/bench.lock python3 -m benchmarks.national --part generate``); the load
average is recorded per part.
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
SETS = ("one province", "national")


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


def _design_only(source: Path, target: Path) -> Path:
    """A copy of a one-province set with the tables a national set holds (no cadres' or
    funds' tables), its manifest sealed over them: the like-for-like load."""
    from battlemap.geodata.cadre_tables import CADRE_FILES
    from battlemap.geodata.datadir import list_files, read_manifest, seal_manifest, write_manifest
    from battlemap.geodata.funds_schema import FUNDS_TABLE_FILES

    dropped = {*CADRE_FILES.values(), *FUNDS_TABLE_FILES.values()}
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, ignore=lambda _d, names: [n for n in names if n in dropped])
    manifest = {k: v for k, v in read_manifest(source).items() if k not in ("funds", "files")}
    write_manifest(target, seal_manifest(manifest, list_files(target)))
    return target


def _households(path: Path) -> int:
    return json.loads((path / "manifest.json").read_text())["counts"]["households"]


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def part_generate(args, dirs: dict[str, Path], provinces: list[str]) -> dict:
    n = args.households_per_province
    out: dict = {"loadavg_before": _loadavg()}
    for name, chosen in zip(SETS, (provinces[:1], provinces), strict=True):
        seconds = _generate(dirs[name], chosen, n, args.seed)
        out[name] = {
            "provinces": chosen,
            "households": _households(dirs[name]),
            "seconds": round(seconds, 1),
            "seconds_per_100k_households": round(seconds / (n * len(chosen)) * 1e5, 2),
        }
    out["ratio_national_to_one"] = round(out["national"]["seconds"] / out[SETS[0]]["seconds"], 2)
    out["provinces_ratio"] = len(provinces)
    out["loadavg_after"] = _loadavg()
    return out


def _load(cluster, path: Path, name: str) -> dict:
    from battlemap.geodata.postgis.load import load_data_dir

    dsn = cluster.create_database(name)
    started = time.perf_counter()
    report = load_data_dir(dsn, path)
    return {
        "households": _households(path),
        "seconds": round(time.perf_counter() - started, 1),
        "rows": sum(v for k, v in report.rows.items() if not k.startswith("region_year")),
    }


def part_load(args, dirs: dict[str, Path], cluster) -> dict:
    out: dict = {"loadavg_before": _loadavg()}
    design = _design_only(dirs[SETS[0]], args.out_dir / "1-province-design-tables")
    for i, (key, path) in enumerate(
        (
            ("one province, design tables", design),
            ("national", dirs["national"]),
            ("one province, with cadres and funds", dirs[SETS[0]]),
        )
    ):
        runs = [_load(cluster, path, f"load_{i}_{k}") for k in range(args.load_runs)]
        best = min(runs, key=lambda r: r["seconds"])
        out[key] = {**best, "all_seconds": [r["seconds"] for r in runs]}
    out["ratio_national_to_one"] = round(
        out["national"]["seconds"] / out["one province, design tables"]["seconds"], 2
    )
    out["loadavg_after"] = _loadavg()
    return out


def _stats(store, rng: random.Random) -> dict:
    from battlemap.views.summary import region_summary

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


def part_serve(args, dirs: dict[str, Path], cluster) -> dict:
    from battlemap.geodata.embedded import EmbeddedStore
    from battlemap.geodata.postgis.store import PostgisStore

    out: dict = {"loadavg_before": _loadavg(), "stats_embedded": {}, "drill_click": {}}
    for name in SETS:
        out["stats_embedded"][name] = _stats(EmbeddedStore(dirs[name]), random.Random(5))
        out["drill_click"][name] = _drill(dirs[name], random.Random(6))
    if cluster is not None:
        out["stats_postgis"] = {}
        # both loaded first, then settled (VACUUM ANALYZE: no autovacuum of a fresh load
        # running under the second set's calls), then measured
        dsns = [cluster.load_database(f"serve_{i}", dirs[name]) for i, name in enumerate(SETS)]
        for i in range(len(SETS)):
            conn = cluster.connect(f"serve_{i}")
            try:
                conn.cursor().execute("VACUUM ANALYZE")
            finally:
                conn.close()
        for dsn, name in zip(dsns, SETS, strict=True):
            store = PostgisStore(dsn)
            try:
                out["stats_postgis"][name] = _stats(store, random.Random(5))
            finally:
                store.close()
    if not args.skip_memory:
        memory = {}
        with tempfile.TemporaryDirectory(prefix="bm-national-") as tmp:
            for name in SETS:
                run = measure(dirs[name], 1, "mmap", args.out_dir / "array-cache", Path(tmp))
                memory[name] = {"worker_pss_mb": run["workers_pss_mb"], **run["per_worker"][0]}
        out["memory_per_worker"] = memory
    out["loadavg_after"] = _loadavg()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("generate", "load", "serve", "all"), default="all")
    parser.add_argument("--households-per-province", type=int, default=150_000)
    parser.add_argument("--provinces", default="52,45,53")
    parser.add_argument("--out-dir", type=Path, default=REPO / "benchmarks/.data/national")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--load-runs", type=int, default=2, help="load: runs per set (best)")
    parser.add_argument("--no-postgis", action="store_true", help="serve: embedded only")
    args = parser.parse_args(argv)
    provinces = args.provinces.split(",")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("BATTLEMAP_CACHE_DIR", str(args.out_dir / "array-cache"))
    dirs = {SETS[0]: args.out_dir / "1-province", "national": args.out_dir / "national"}
    state_file = args.out_dir / "national.json"
    result = json.loads(state_file.read_text()) if state_file.is_file() else {}
    if result.get("households_per_province") not in (None, args.households_per_province):
        result = {}  # another size: start over
    result.update(
        benchmark="national",
        households_per_province=args.households_per_province,
        provinces=provinces,
        machine=f"{platform.machine()}, {os.cpu_count()} cores; {SHARED_NOTE}",
    )
    parts = ("generate", "load", "serve") if args.part == "all" else (args.part,)
    for part in parts:
        if part == "generate":
            result["generation"] = part_generate(args, dirs, provinces)
        elif part == "load":
            from benchmarks.common import pg_cluster

            with pg_cluster() as cluster:
                result["db_load"] = part_load(args, dirs, cluster)
        else:
            if args.no_postgis:
                result["serve"] = part_serve(args, dirs, None)
            else:
                from benchmarks.common import pg_cluster

                with pg_cluster() as cluster:
                    result["serve"] = part_serve(args, dirs, cluster)
        state_file.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
