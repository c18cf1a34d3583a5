"""Projects and funds speed (issue 14): the province anomaly scan and stats with funds.

Usage: python -m benchmarks.funds [--data-dir DIR] [--queries N]
Prints JSON: reading the four tables and the linked households, the province anomaly scan
(every rule over every project, allocation and payment), the per-region values build, and
p50/p95 of the ``funds`` object of ``battlemap stats`` per region level on the embedded store
(an array lookup once the funds cache exists). Goals: province scan ≤ 10 s; stats with
funds p95 ≤ 2 ms. The data dir must hold the funds tables (generated since issue 14). The
machine these runs were made on is shared (2 cores, several jobs): expect up to 2–4× noise.
"""

from __future__ import annotations

import argparse
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
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
