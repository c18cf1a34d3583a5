"""Cadre indicators' speed (issue 15): stats with the cadres object, the province visit checks.

Usage: python -m benchmarks.cadres [--data-dir DIR] [--queries N] [--year Y]
Prints JSON: the first cadre query after opening (the per-village counts are built then),
p50/p95 of ``battlemap stats`` (region summary + cadres object) per region level on the
embedded store, and the province visit checks (all of a year's visits: far check-ins,
impossible travel, coverage, not visited, scores; ``cadres-report --region 52``).
Goals: stats p95 ≤ 2 ms embedded beyond today's; province visit checks ≤ 10 s.
The data dir must hold the cadre tables (a dir generated since issue 15).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from battlemap.geodata.cadres_store import cadre_counts, cadre_source
from battlemap.geodata.codes import LEVEL_NAMES
from battlemap.geodata.embedded import EmbeddedStore
from battlemap.indicators.cadre_report import region_detail

try:  # the stats summary is moving to views/; older trees have it in indicators/
    from battlemap.views.summary import region_summary
except ImportError:  # pragma: no cover
    from battlemap.indicators.summary import region_summary
from benchmarks.common import DEFAULT_DATA_DIR, ensure_data_dir, percentiles, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--year", type=int, default=2018)
    args = parser.parse_args()
    path = ensure_data_dir(args.data_dir)
    start = time.perf_counter()
    store = EmbeddedStore(path)
    opened = time.perf_counter() - start
    source = cadre_source(store)
    if not source.has_data:
        raise SystemExit(f"{path} has no cadre tables: generate it again")
    province = store.regions.roots()[0].code
    first = timed(lambda: cadre_counts(store, province, args.year))
    rng = random.Random(15)
    stats, cadres_only = {}, {}
    for level in range(1, 6):
        codes = store.regions.level_codes(level)
        picks = [(rng.choice(codes), rng.choice(store.years)) for _ in range(args.queries)]

        def both(c: str, y: int) -> None:
            region_summary(store, c, y)
            cadre_counts(store, c, y)

        stats[LEVEL_NAMES[level]] = percentiles(
            [timed(lambda c=c, y=y: both(c, y)) for c, y in picks]
        )
        cadres_only[LEVEL_NAMES[level]] = percentiles(
            [timed(lambda c=c, y=y: cadre_counts(store, c, y)) for c, y in picks]
        )
    arrays = timed(source._load) if hasattr(source, "_load") else None  # rows in memory
    runs = []
    for _ in range(2):
        t = time.perf_counter()
        frames = source.frames(province, args.year)
        detail = region_detail(frames, args.year, source.rules)
        runs.append(time.perf_counter() - t)
    print(
        json.dumps(
            {
                "data_dir": str(path),
                "households": store.manifest.get("counts", {}).get("households"),
                "visits": store.manifest.get("counts", {}).get("visits"),
                "open_s": round(opened, 3),
                "first_cadre_query_s": round(first, 3),
                "stats_with_cadres_ms": stats,
                "cadres_object_only_ms": cadres_only,
                "cadre_arrays_load_s": None if arrays is None else round(arrays, 2),
                "province_visit_checks_s": [round(r, 2) for r in runs],
                "province_visits_checked": len(frames.visits),
                "province_problems": len(detail.problems),
                "goal": {"stats_p95_ms": 2, "province_visit_checks_s": 10},
                "machine": "2 cores shared with other jobs (results vary up to 2x with load)",
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
