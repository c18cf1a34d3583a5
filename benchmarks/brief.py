"""The region brief and the offline folium map on a full-size province.

Usage: python -m benchmarks.brief [--data-dir DIR] [--runs N] [--warm N] [--county CODE]
[--no-html]

``brief_pdf``: a county's brief as PDF (views read, figures drawn, page printed), end to end
as ``battlemap brief`` does it after opening the store: ``--runs`` times starting the export
Chromium (stopped after each, as a ``battlemap brief`` process does), then ``--warm`` times
with it kept up (a server or a batch of briefs); goal ≤ 10 s. The county is the median
one by registered households unless ``--county`` names one. ``cli_wall_s``: the same as
``battlemap brief`` once, Python start, imports and store open included.
``folium_html``: the ``html-folium`` file of every county (household points included where
the county has at most ``HOUSEHOLD_CAP`` registered households), its size in bytes; goal
≤ 2 MB. Prints JSON, with the machine's load (the benchmark machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import DEFAULT_DATA_DIR, ensure_data_dir

YEAR = 2018
PDF_GOAL_S = 10.0
HTML_GOAL_BYTES = 2_000_000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warm", type=int, default=3)
    parser.add_argument("--county", default=None)
    parser.add_argument("--no-html", action="store_true", help="skip the 88 folium files")
    args = parser.parse_args(argv)
    data_dir = ensure_data_dir(args.data_dir)

    from battlemap.exports import ExportRequest, render
    from battlemap.exports.brief import render_brief
    from battlemap.exports.browser import start_browser, stop_browser
    from battlemap.exports.html_folium import HOUSEHOLD_CAP
    from battlemap.geodata.access import Scope, ScopedStore
    from battlemap.geodata.store import open_store
    from battlemap.viewstate import ViewState

    load_before = os.getloadavg()
    started = time.perf_counter()
    store = open_store("embedded", data_dir=data_dir)
    open_s = time.perf_counter() - started
    access = ScopedStore(store, Scope())
    counties = [c.code for p in store.regions.roots() for q in store.regions.children(p.code)
                for c in store.regions.children(q.code)]  # fmt: skip
    registered = {c: int(store.counts(c, YEAR)["registered_households"]) for c in counties}
    by_size = sorted(counties, key=lambda c: (registered[c], c))
    county = args.county or by_size[len(by_size) // 2]

    def brief() -> tuple[float, bytes]:
        t0 = time.perf_counter()
        result = render_brief(access, ViewState(region=county, year=YEAR), "pdf",
                              datetime.now(UTC))  # fmt: skip
        return round(time.perf_counter() - t0, 2), result.data

    runs, warm = [], []
    pdf = b""
    for _ in range(args.runs):  # each starts the export Chromium, as `battlemap brief` does
        seconds, pdf = brief()
        runs.append(seconds)
        stop_browser()
    if args.warm:
        start_browser()
    for _ in range(args.warm):  # the Chromium kept up (a server, a batch of briefs)
        seconds, pdf = brief()
        warm.append(seconds)
    stop_browser()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    # the command as a user runs it: Python start and imports, store open, the brief
    with tempfile.TemporaryDirectory() as folder:
        t0 = time.perf_counter()
        subprocess.run(
            ["battlemap", "brief", "--region", county, "--year", str(YEAR), "--data-dir",
             str(data_dir), "--out", str(Path(folder) / "brief.pdf")],
            check=True, capture_output=True,
        )  # fmt: skip
        cli_s = round(time.perf_counter() - t0, 2)

    sizes: dict[str, int] = {}
    html_s: list[float] = []
    for code in [] if args.no_html else counties:
        t0 = time.perf_counter()
        result = render("html-folium", ExportRequest(access, ViewState(region=code, year=YEAR)))
        html_s.append(time.perf_counter() - t0)
        sizes[code] = len(result.data)
    with_points = [c for c in counties if registered[c] <= HOUSEHOLD_CAP]
    folium: dict = {"skipped": "--no-html"}
    if sizes:
        largest = max(sizes, key=sizes.__getitem__)
        folium = {
            "counties": len(sizes),
            "with_household_points": len(with_points),
            "household_cap": HOUSEHOLD_CAP,
            "max_bytes": sizes[largest],
            "max_county": largest,
            "max_county_registered_households": registered[largest],
            "median_bytes": int(statistics.median(sizes.values())),
            "over_goal": sorted(c for c, n in sizes.items() if n > HTML_GOAL_BYTES),
            "median_render_s": round(statistics.median(html_s), 2),
            "goal_bytes": HTML_GOAL_BYTES,
        }
    print(
        json.dumps(
            {
                "benchmark": "brief",
                "data_dir": str(data_dir),
                "households": store.manifest.get("counts", {}).get("households"),
                "year": YEAR,
                "machine": {
                    "cores": os.cpu_count(),
                    "loadavg_before": [round(v, 2) for v in load_before],
                    "loadavg_after": [round(v, 2) for v in os.getloadavg()],
                    "note": "2-core machine; other work on it shows in the load averages",
                },
                "store_open_s": round(open_s, 2),
                "brief_pdf": {
                    "county": county,
                    "name": store.region(county).name,
                    "registered_households": registered[county],
                    "runs_s": runs,
                    "median_s": statistics.median(runs),
                    "warm_runs_s": warm,
                    "warm_median_s": statistics.median(warm) if warm else None,
                    "pages": pages,
                    "bytes": len(pdf),
                    "goal_s": PDF_GOAL_S,
                    "cli_wall_s": cli_s,
                    "what": "render_brief(pdf) after the store is open: views read while "
                    "the export Chromium starts (runs_s) or with it already up (warm_runs_s), "
                    "the figures drawn two at a time, print to PDF from one more tab",
                },
                "folium_html": folium,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    store.close()


if __name__ == "__main__":
    main()
