"""Projects and funds speed (issue 14): the province anomaly scan and stats with funds.

Usage: python -m benchmarks.funds [--data-dir DIR] [--queries N]
Prints JSON: reading the four tables and the linked households, the province anomaly scan
(every rule over every project, allocation and payment), the per-region values build, and
p50/p95 of the ``funds`` object of ``battlemap stats`` per region level on the embedded store
(an array lookup once the funds cache exists), p50/p95 of a region's projects and payments
per level, and the process's memory at the end. Goals: province scan ≤ 10 s; stats with
funds p95 ≤ 2 ms. The data dir must hold the funds tables (generated since issue 14). The
machine these runs were made on is shared (2 cores, several jobs): expect up to 2–4× noise.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import time
from pathlib import Path

import pandas as pd

from battlemap.geodata.access import ScopedStore
from battlemap.geodata.codes import LEVEL_NAMES
from battlemap.geodata.datadir import read_table
from battlemap.geodata.embedded import EmbeddedStore
from battlemap.geodata.funds import EmbeddedFunds, funds_source, plain_text, scan_inputs
from battlemap.geodata.funds_aggregate import funds_values
from battlemap.indicators.funds_anomalies import scan
from battlemap.indicators.funds_rules import funds_rules_of
from battlemap.views.funds import funds_stats
from benchmarks.common import DEFAULT_DATA_DIR, ensure_data_dir, percentiles, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    path = ensure_data_dir(args.data_dir)
    store = EmbeddedStore(path)
    source = funds_source(store)
    if not source.available:
        raise SystemExit(f"{path} has no funds tables: generate it again")
    assert isinstance(source, EmbeddedFunds)
    out: dict = {"data_dir": str(path), "cpus": os.cpu_count(), "machine": "shared"}

    start = time.perf_counter()
    tables = source.tables()
    households = plain_text(
        read_table(path, "households", ["hh_id", "village_code", "size"]), ["hh_id"]
    )
    linked = pd.Index(
        pd.concat([tables["project_beneficiaries"].hh_id, tables["fund_payments"].payee_hh_id])
        .dropna()
        .unique(),
        dtype=object,
    )
    years = source._linked_years(linked)
    shapes = source._shapes(tables)
    out["read_s"] = round(time.perf_counter() - start, 2)
    out["rows"] = {name: len(frame) for name, frame in tables.items()}

    rules = funds_rules_of(store.rules)
    start = time.perf_counter()
    registry, known = scan_inputs(tables, households.hh_id, years)
    hits = scan(
        tables["projects"], tables["project_beneficiaries"], tables["fund_allocations"],
        tables["fund_payments"], registry, known, shapes, rules,
        pd.Timestamp(f"{store.years[-1]}-12-31"),
    )  # fmt: skip
    out["province_scan_s"] = round(time.perf_counter() - start, 2)
    out["hits"] = len(hits)
    start = time.perf_counter()
    funds_values(store.regions.codes, store.years, tables, households, years, hits)
    out["values_build_s"] = round(time.perf_counter() - start, 2)
    del tables, households, years, shapes, registry, known, hits  # the engine's own only
    gc.collect()

    access = ScopedStore(store)
    funds_stats(access, store.regions.roots()[0].code, store.years[-1])  # cache ready
    rng = random.Random(14)
    per_level = {}
    for level in range(1, 6):
        codes = store.regions.level_codes(level)
        picks = [(rng.choice(codes), rng.choice(store.years)) for _ in range(args.queries)]
        samples = [timed(lambda c=c, y=y: funds_stats(access, c, y)) for c, y in picks]
        per_level[LEVEL_NAMES[level]] = percentiles(samples)
    out["funds_stats"] = per_level
    out["region_queries"] = region_queries(store, source, rng, args.queries // 10)
    out["process_memory_mb"] = process_memory()
    out["load_average_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, indent=2))


def region_queries(store, source, rng: random.Random, count: int) -> dict:
    """p50/p95 ms of a region's projects with their totals and their payments (the funds
    panel, the projects layer, a village's payments), per level: the rows a request reads
    from the (memory-mapped, issue 19) tables."""
    village = store.regions.level_codes(5)[0]
    source.payments(source.projects(village).project_id.tolist())  # indexes/bundle ready
    try:  # the mapped pages faulted in, as the server's warm-up does (issue 19)
        from battlemap.geodata.embedded_cache import cache_root
        from battlemap.geodata.mapped_pages import populate_mapped

        populate_mapped(cache_root())
    except ImportError:  # the code before the bundles (a before/after comparison)
        pass
    out = {}
    for level in range(1, 6):
        codes = store.regions.level_codes(level)
        picks = [rng.choice(codes) for _ in range(count if level > 2 else 3)]

        def query(code: str) -> None:
            source.payments(source.projects(code).project_id.tolist())

        out[LEVEL_NAMES[level]] = percentiles([timed(lambda c=c: query(c)) for c in picks])
    return out


def process_memory() -> dict[str, float]:
    """This process's RSS, PSS and anonymous memory (smaps_rollup)."""
    values = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        if name in ("Rss", "Pss", "Anonymous"):
            values[name.lower()] = round(int(rest.split()[0]) / 1024, 1)
    return values


if __name__ == "__main__":
    main()
