"""``battlemap stats`` speed on both stores vs the naive per-request spatial join.

Usage: python -m benchmarks.stats [--data-dir DIR] [--queries N] [--no-postgis]
       [--no-cold-start] [--no-geopandas]
Prints JSON: cold start (seconds, peak RSS), p50/p95 per region level per engine, and the
naive way (points joined to the region polygon on every request) measured in the same run.
On PostGIS also the statements one stats call sends (one: the region's years, its parent
and children and its assessment from ``region_year_stats``) and, per level, whether the
p95 beats the naive ``ST_Contains`` count's fastest call.
Goals: p95 ≤ 10 ms embedded, ≤ 2 ms PostGIS, faster than naive at every level.
The cold start opens the store in two fresh processes, without the aggregates cache and then
with it, on a stand-in for the data dir in the cache dir (links to its tables, a copy of its
manifest; ``--no-cold-start`` skips it): the data dir itself is never written. Array caches and
the stand-in go to ``$BATTLEMAP_CACHE_DIR`` (a temp dir unless set), so a read-only data dir
(the bench sets) can be measured.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

from battlemap.geodata.codes import LEVEL_NAMES
from battlemap.geodata.datadir import AGGREGATES_FILE, MANIFEST_FILE
from battlemap.geodata.embedded_cache import CACHE_ENV, cache_root
from battlemap.geodata.store import Store
from battlemap.views.summary import region_summary
from benchmarks.common import DEFAULT_DATA_DIR, ensure_data_dir, percentiles, pg_cluster, timed

_COLD_START = """
import json, os, time
cached = os.path.exists(os.path.join({path!r}, {cache!r}))
t = time.perf_counter()
from battlemap.geodata.embedded import EmbeddedStore
s = EmbeddedStore({path!r})
s.counts(s.regions.roots()[0].code, s.years[0])
seconds = time.perf_counter() - t
from battlemap.geodata.importer.progress import peak_memory_mb  # VmHWM: this program only
print(json.dumps({{"seconds": seconds, "peak_rss_mb": peak_memory_mb(), "cache_present": cached}}))
"""


def sample_regions(store: Store, per_level: int, rng: random.Random) -> dict[int, list[str]]:
    return {
        level: rng.sample(codes, min(per_level, len(codes)))
        for level in range(1, 6)
        if (codes := store.regions.level_codes(level))
    }


def time_engine(
    store: Store, regions: dict[int, list[str]], queries: int, rng: random.Random
) -> dict[str, dict]:
    out = {}
    for level, codes in regions.items():
        for code in codes[:3]:  # warm-up: connections, caches
            region_summary(store, code, store.years[0])
        picks = [(rng.choice(codes), rng.choice(store.years)) for _ in range(queries)]
        samples = [timed(lambda c=c, y=y: region_summary(store, c, y)) for c, y in picks]
        out[LEVEL_NAMES[level]] = percentiles(samples)
    return out


def _proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def cpu_per_call(
    dsn: str, regions: dict[int, list[str]], years, queries: int, rng: random.Random
) -> dict[str, dict[str, float]]:
    """CPU milliseconds one stats call costs, client (this process) and server (its one
    backend), per level: what the latency would be on an idle machine, less the wake-ups.
    On a busy shared machine the p95 of the wall time measures the other jobs."""
    from battlemap.geodata.postgis.store import PostgisStore

    store = PostgisStore(dsn, pool_size=1)
    try:
        backend = store._fetch("SELECT pg_backend_pid()")[0][0]
        out = {}
        for level, codes in regions.items():
            picks = [(rng.choice(codes), rng.choice(years)) for _ in range(queries)]
            server, client = _proc_cpu_seconds(backend), time.process_time()
            for code, year in picks:
                region_summary(store, code, year)
            out[LEVEL_NAMES[level]] = {
                "client_ms": round((time.process_time() - client) * 1000 / queries, 3),
                "server_ms": round((_proc_cpu_seconds(backend) - server) * 1000 / queries, 3),
            }
        return out
    finally:
        store.close()


def statements_per_call(dsn: str, regions: dict[int, list[str]], years) -> dict[str, int]:
    """Statements one ``region_summary`` sends to PostGIS, per level (the most seen)."""
    from battlemap.geodata.postgis.store import PostgisStore

    sent: list[str] = []
    store = PostgisStore(dsn, on_statement=sent.append)
    try:
        out = {}
        for level, codes in regions.items():
            most = 0
            for code in codes[:10]:
                sent.clear()
                region_summary(store, code, years[-1])
                most = max(most, len(sent))
            out[LEVEL_NAMES[level]] = most
        return out
    finally:
        store.close()


class NaiveGeopandas:
    """The naive way: join every household point to the region polygon per request."""

    def __init__(self, data_dir: Path) -> None:
        self.points = gpd.read_parquet(
            data_dir / "households.parquet", columns=["hh_id", "size", "geometry"]
        )
        self.years = pd.read_parquet(
            data_dir / "household_years.parquet", columns=["hh_id", "year", "status"]
        )
        self.regions = gpd.read_parquet(
            data_dir / "regions.parquet", columns=["code", "geometry"]
        ).set_index("code")

    def poor_persons(self, code: str, year: int) -> int:
        region = self.regions.loc[[code]].reset_index()
        inside = gpd.sjoin(self.points, region, predicate="within")
        rows = self.years[(self.years.year == year) & self.years.hh_id.isin(inside.hh_id)]
        poor = rows[rows.status.astype(str).isin(["未脱贫", "返贫"])]
        return int(inside.set_index("hh_id").loc[poor.hh_id, "size"].sum())


NAIVE_SQL = """
SELECT coalesce(sum(h.size) FILTER (WHERE y.status IN ('未脱贫', '返贫')), 0)
FROM regions r JOIN households h ON ST_Contains(r.geom, h.geom)
JOIN household_years y ON y.hh_id = h.hh_id AND y.year = %s
WHERE r.code = %s
"""


def time_naive(
    func, regions: dict[int, list[str]], years: tuple[int, ...], per_level: int, rng: random.Random
) -> dict[str, dict]:
    return {
        LEVEL_NAMES[level]: percentiles(
            [timed(lambda c=c: func(c, rng.choice(years))) for c in codes[:per_level]]
        )
        for level, codes in regions.items()
    }


def speedup(naive: dict, fast: dict) -> dict[str, float]:
    """Naive p50 / fast p95 per level: a conservative ratio."""
    return {lv: round(naive[lv]["p50_ms"] / max(fast[lv]["p95_ms"], 1e-6), 1) for lv in naive}


def _cold_start(data_dir: Path) -> dict:
    script = _COLD_START.format(path=str(data_dir), cache=AGGREGATES_FILE)
    return json.loads(
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout
    )


def stand_in(data_dir: Path, parent: Path) -> Path:
    """A stand-in for ``data_dir`` in a new folder under ``parent``, without its aggregates
    cache: each table file or part folder a symbolic link, the manifest a copy. A store
    opened on it writes the rebuilt cache and the manifest there (both replaced through a
    temp file and a rename, so no link is written through); ``data_dir`` is never written."""
    parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="stats-cold-start-", dir=parent))
    for entry in data_dir.iterdir():
        if entry.name == AGGREGATES_FILE or entry.name.startswith("."):  # cache, lock, journal
            continue
        if entry.name == MANIFEST_FILE:
            shutil.copyfile(entry, folder / entry.name)
        else:
            (folder / entry.name).symlink_to(entry.resolve())
    return folder


def cold_starts(data_dir: Path) -> dict[str, dict]:
    """Seconds and peak RSS of opening the store in a fresh process, first rebuilding the
    aggregates cache, then reading it; on a stand-in in the cache dir, removed after."""
    folder = stand_in(data_dir, cache_root())
    try:
        return {
            "cold_start_rebuilding_aggregates": _cold_start(folder),
            "cold_start_cached": _cold_start(folder),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--queries", type=int, default=200, help="stats calls per level")
    parser.add_argument("--naive", type=int, default=3, help="naive calls per level")
    parser.add_argument("--no-postgis", action="store_true")
    parser.add_argument("--no-cold-start", action="store_true", help="skip the cold start")
    parser.add_argument("--no-geopandas", action="store_true", help="skip the geopandas join")
    args = parser.parse_args()
    os.environ.setdefault(CACHE_ENV, tempfile.mkdtemp(prefix="bm-bench-cache-"))
    data_dir = ensure_data_dir(args.data_dir)
    rng = random.Random(42)
    from battlemap.geodata.embedded import EmbeddedStore

    result: dict = {
        "data_dir": str(data_dir),
        "note": "2-core machine shared with other jobs: load average before/after below",
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
    }
    embedded_result: dict = {}
    if not args.no_cold_start:
        embedded_result.update(cold_starts(data_dir))
    embedded = EmbeddedStore(data_dir)
    regions = sample_regions(embedded, 50, rng)
    result["households"] = embedded.manifest["counts"]["households"]
    result["household_years"] = embedded.manifest["counts"]["household_years"]
    embedded_result["stats"] = time_engine(embedded, regions, args.queries, rng)
    result["embedded"] = embedded_result
    if not args.no_geopandas:
        naive = NaiveGeopandas(data_dir)
        result["naive_geopandas_sjoin"] = time_naive(
            naive.poor_persons, regions, embedded.years, args.naive, rng
        )
        del naive
        embedded_result["speedup_vs_naive"] = speedup(
            result["naive_geopandas_sjoin"], embedded_result["stats"]
        )
    if not args.no_postgis:
        from battlemap.geodata.postgis.connection import connect
        from battlemap.geodata.postgis.load import load_data_dir
        from battlemap.geodata.postgis.store import PostgisStore

        with pg_cluster() as cluster:
            dsn = cluster.create_database("bench")
            start = time.perf_counter()
            load_data_dir(dsn, data_dir)
            load_seconds = time.perf_counter() - start
            store = PostgisStore(dsn)
            stats = time_engine(store, regions, args.queries, rng)
            conn = connect(dsn)
            with conn.cursor() as cur:

                def naive_sql(code: str, year: int) -> int:
                    cur.execute(NAIVE_SQL, (year, code))
                    return cur.fetchone()[0]

                for codes in regions.values():  # warm the cache like the store's calls
                    naive_sql(codes[0], embedded.years[0])
                pg_naive = time_naive(naive_sql, regions, embedded.years, args.naive, rng)
            conn.close()
            store.close()
            result["postgis"] = {
                "load_seconds": round(load_seconds, 1),
                "statements_per_stats_call": statements_per_call(dsn, regions, embedded.years),
                "cpu_per_stats_call": cpu_per_call(
                    dsn, regions, embedded.years, max(args.queries, 500), rng
                ),
                "stats": stats,
                "naive_st_contains": pg_naive,
                "speedup_vs_naive": speedup(pg_naive, stats),
                "p95_below_naive_fastest": {
                    lv: stats[lv]["p95_ms"] < pg_naive[lv]["min_ms"] for lv in stats
                },
                "p95_within_2_ms": {lv: stats[lv]["p95_ms"] <= 2.0 for lv in stats},
            }
    result["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
