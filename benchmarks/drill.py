"""What one drill click costs: server time of its callbacks, bytes sent, and page load.

Usage: python -m benchmarks.drill [--data-dir DIR] [--dsn DSN] [--clicks N] [--no-browser]

* Server time: a drill click is replayed over HTTP (Flask test client, gzip accepted) exactly
  as the browser sends it — the state callback on ``map.clickData``, every callback that
  follows from it, and the chart callback the browser fires once the map has drawn — plus
  the boundary GeoJSON the browser fetches for a region it has not seen. The per-click time
  is the sum of those requests (as if run one after another).
  Reported per engine (embedded; PostGIS with ``--dsn``) as p50/p95/max over random clicks
  at every level (province → city → county → township → village).
* Bytes per click: gzip-compressed response bodies of the same requests.
* Chromium: first page load (cold browser cache) to a drawn map — ``first_draw`` is the
  MapLibre frame that drew the region's figure with all its sources loaded (the frame plotly
  waits for before it reports the figure done), ``idle`` when MapLibre has nothing left to
  draw — and one real drill click in the browser with its transferred bytes.
* Click → drawn (``drill_path_click_to_drawn``): the drill path province → village, each
  click 5 times on a freshly loaded page, median time from the mouse click to the first
  callback request, to the child's map drawn and to MapLibre idle, beside the server time
  of the same click (its requests replayed 5 times, median).

Goals (issue 5): p95 ≤ 100 ms embedded, ≤ 300 ms PostGIS; ≤ 1.5 MB per click; load ≤ 3 s.
Prints JSON.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.common import DEFAULT_DATA_DIR as COMMON_DATA_DIR
from benchmarks.common import ensure_data_dir, percentiles

DEFAULT_DATA_DIR = COMMON_DATA_DIR
VIEWPORT = {"w": 803, "h": 647}

# -- replaying callbacks over HTTP -------------------------------------------------------------


def _outputs(spec: str) -> list[dict[str, str]] | dict[str, str]:
    """The ``outputs`` field the renderer sends: a list for multi-output callbacks."""
    parts = spec[2:-2].split("...") if spec.startswith("..") else [spec]
    out = []
    for part in parts:
        component, prop = part.rsplit(".", 1)
        out.append({"id": component, "property": prop.split("@")[0]})
    return out if spec.startswith("..") else out[0]


def _keys(outs: list[dict[str, str]] | dict[str, str]) -> set[tuple[str, str]]:
    return {(o["id"], o["property"]) for o in (outs if isinstance(outs, list) else [outs])}


class Replay:
    """Runs a Dash app's server callbacks the way the renderer does, timing each request."""

    def __init__(self, app) -> None:
        self.client = app.server.test_client()
        deps = json.loads(self.client.get("/_dash-dependencies").data)
        self.callbacks = [d for d in deps if not d.get("clientside_function")]
        for cb in self.callbacks:
            cb["outs"] = _outputs(cb["output"])
        self.props: dict[tuple[str, str], Any] = {}

    def _waits_for(self, cb: dict, pending: list[dict]) -> bool:
        inputs = {(i["id"], i["property"]) for i in cb["inputs"]}
        return any(cb is not other and inputs & _keys(other["outs"]) for other in pending)

    def fire(self, changed: set[tuple[str, str]]) -> list[dict[str, Any]]:
        """Run every callback triggered by ``changed`` (and what their outputs trigger)."""
        log = []
        pending = [
            cb
            for cb in self.callbacks
            if changed & {(i["id"], i["property"]) for i in cb["inputs"]}
        ]
        trigger = {id(cb): changed for cb in pending}
        while pending:
            ready = [cb for cb in pending if not self._waits_for(cb, pending)] or pending[:1]
            for cb in ready:
                pending.remove(cb)
                fired = trigger.pop(id(cb))
                new = self._call(cb, fired, log)
                for other in self.callbacks:
                    keys = {(i["id"], i["property"]) for i in other["inputs"]}
                    if keys & new and other is not cb:  # Dash never re-fires on own outputs
                        if other not in pending:
                            pending.append(other)
                            trigger[id(other)] = set()
                        trigger[id(other)] = trigger[id(other)] | (keys & new)
        return log

    def _call(self, cb: dict, fired: set, log: list) -> set[tuple[str, str]]:
        def value(item: dict) -> dict:
            return {**item, "value": self.props.get((item["id"], item["property"]))}

        body = {
            "output": cb["output"],
            "outputs": cb["outs"],
            "inputs": [value(i) for i in cb["inputs"]],
            "state": [value(s) for s in cb.get("state", [])],
            "changedPropIds": [f"{c}.{p}" for c, p in fired],
        }
        start = time.perf_counter()
        response = self.client.post(
            "/_dash-update-component", json=body, headers={"Accept-Encoding": "gzip"}
        )
        seconds = time.perf_counter() - start
        raw = response.data
        text = gzip.decompress(raw) if response.headers.get("Content-Encoding") == "gzip" else raw
        log.append(
            {
                "callback": cb["output"][:60],
                "seconds": seconds,
                "bytes": len(raw),
                "raw_bytes": len(text),
                "status": response.status_code,
            }
        )
        changed: set[tuple[str, str]] = set()
        if response.status_code != 200:
            return changed
        for component, props in json.loads(text).get("response", {}).items():
            for prop, new in props.items():
                if (component, prop) == ("map", "figure"):
                    # the browser draws it, then sets map-drawn (clientside) → the charts
                    drawn = (self.props.get(("map-drawn", "data")) or 0) + 1
                    self.props[("map-drawn", "data")] = drawn
                    changed.add(("map-drawn", "data"))
                if isinstance(new, dict) and "__dash_patch_update" in new:
                    continue  # a Patch: the browser merges it; other callbacks don't read it
                self.props[(component, prop)] = new
                changed.add((component, prop))
        return changed

    def geo(self, url: str) -> dict[str, Any]:
        start = time.perf_counter()
        response = self.client.get(url, headers={"Accept-Encoding": "gzip"})
        seconds = time.perf_counter() - start
        raw = (
            len(gzip.decompress(response.data))
            if response.headers.get("Content-Encoding") == "gzip"
            else len(response.data)
        )
        return {
            "callback": "GET " + url.split("?")[0],
            "seconds": seconds,
            "bytes": len(response.data),
            "raw_bytes": raw,
            "status": response.status_code,
        }


def _start_state(replay: Replay, region: str, year: int) -> None:
    """Props as the page has them while ``region`` is in view (before the click)."""
    from battlemap.viewstate import DEFAULT_LAYERS, ViewState

    state = ViewState(region=region, year=year)
    replay.props.update(
        {
            ("url", "search"): state.query(),
            ("view-state", "data"): state.to_dict(),
            ("year-slider", "value"): year,
            ("indicator", "value"): state.indicator,
            ("layers", "value"): list(DEFAULT_LAYERS),
            ("map", "clickData"): None,
            ("ranking-table", "active_cell"): None,
            ("viewport", "data"): VIEWPORT,
            ("map-key", "data"): {
                "region": region,
                "layers": list(DEFAULT_LAYERS),
                "lang": "zh",
                "viewport": VIEWPORT,
            },
        }
    )


def _clicks(store, count: int, seed: int) -> list[tuple[str, str]]:
    """(region in view, child clicked) pairs: ``count`` per level, province → township."""
    rng = random.Random(seed)
    root = store.regions.roots()[0].code
    pairs = []
    for level in range(1, 5):
        regions = [root] if level == 1 else store.regions.level_codes(level)
        for _ in range(count):
            region = rng.choice(regions)
            children = store.regions.children(region)
            if children:
                pairs.append((region, rng.choice(children).code))
    return pairs


def server_benchmark(store, settings, *, clicks: int, seed: int, year: int) -> dict[str, Any]:
    """Replay random drill clicks on one engine; time and size every request."""
    from battlemap.app import create_app

    app = create_app(settings, store=store, warm=False)
    context = app.server.config["BATTLEMAP_CONTEXT"]
    start = time.perf_counter()
    context.warm()
    warm_seconds = time.perf_counter() - start
    replay = Replay(app)
    seen: set[str] = set()
    per_click, per_level, sizes, slowest = [], {}, [], []
    for region, child in _clicks(store, clicks, seed):
        _start_state(replay, region, year)
        replay.props[("map", "clickData")] = {"points": [{"location": child}]}
        log = replay.fire({("map", "clickData")})
        if child not in seen:  # the browser fetches a region's boundaries once
            seen.add(child)
            log.append(replay.geo(f"/geo/{child}.json?v={context.version}"))
        bad = [e for e in log if e["status"] not in (200, 204)]
        if bad:
            raise RuntimeError(f"click {region} → {child} failed: {bad}")
        seconds = sum(e["seconds"] for e in log)
        per_click.append(seconds)
        per_level.setdefault(store.region(child).level, []).append(seconds)
        sizes.append(sum(e["bytes"] for e in log))
        slowest.append((seconds, child, sorted(log, key=lambda e: -e["seconds"])[:3]))
    slowest.sort(key=lambda item: -item[0])
    worst = slowest[0]
    return {
        "warm_up_s": round(warm_seconds, 2),
        "clicks": len(per_click),
        "requests_per_click": len(log),
        "server_time": percentiles(per_click),
        "server_time_by_level_clicked": {
            {2: "city", 3: "county", 4: "township", 5: "village"}[level]: percentiles(values)
            for level, values in sorted(per_level.items())
        },
        "bytes_per_click": {"p50": int(statistics.median(sizes)), "max": max(sizes)},
        "slowest_click": {
            "ms": round(worst[0] * 1000, 1),
            "region": worst[1],
            "top_requests": [
                {
                    "callback": e["callback"],
                    "ms": round(e["seconds"] * 1000, 1),
                    "bytes": e["bytes"],
                }
                for e in worst[2]
            ],
        },
        "year_change": _year_change(replay, store, year),
    }


def _year_change(replay: Replay, store, year: int) -> dict[str, Any]:
    """A year step with the default layers on a county: the map answers with a Patch."""
    county = store.regions.level_codes(3)[0]
    _start_state(replay, county, year)
    replay.props[("year-slider", "value")] = year + 1 if year + 1 in store.years else year - 1
    log = replay.fire({("year-slider", "value")})
    map_entry = next(e for e in log if e["callback"].startswith("..map.figure"))
    return {
        "ms": round(sum(e["seconds"] for e in log) * 1000, 1),
        "bytes": sum(e["bytes"] for e in log),
        "map_response_bytes": map_entry["bytes"],
        "map_raw_bytes": map_entry["raw_bytes"],
    }


# -- Chromium ----------------------------------------------------------------------------------

_PROBE = """
window.__bm = {};
window.__bmFetch = [];
document.addEventListener('mousedown', function () {
  window.__bmDown = performance.now();
}, true);
(function () {
  var original = window.fetch;
  window.fetch = function (url) {
    if (String(url).indexOf('_dash-update-component') >= 0) {
      window.__bmFetch.push(performance.now());
    }
    return original.apply(this, arguments);
  };
})();
new MutationObserver(function () {
  var gd = document.querySelector('#map .js-plotly-plot');
  if (!gd || !gd.on || gd.__bmProbe) return;
  gd.__bmProbe = true;
  var frames = [], idles = [], hooked = null;
  gd.on('plotly_afterplot', function () {
    var m = gd._fullLayout.map._subplot.map;
    if (m !== hooked) {  // every MapLibre frame that shows all sources loaded, every idle
      hooked = m;
      m.on('render', function () { if (m.loaded()) frames.push(performance.now()); });
      m.on('idle', function () { idles.push(performance.now()); });
    }
    var region = gd.layout && gd.layout.uirevision;
    if (!region || window.__bm[region]) return;
    var now = performance.now();
    var rec = window.__bm[region] = {afterplot: now};
    // plotly finishes a figure on the first MapLibre frame with its sources loaded: the
    // last such frame before now is when the map was drawn (or the next one, if none)
    var drawn = frames.filter(function (t) { return t <= now; }).pop();
    var done = function () { if (!rec.idle) rec.idle = performance.now(); };
    if (drawn === undefined) {
      m.once('render', function () { rec.first_draw = performance.now(); });
      m.once('idle', done);
      return;
    }
    rec.first_draw = drawn;
    var idle = idles.filter(function (t) { return t >= drawn; })[0];
    if (idle !== undefined) { rec.idle = idle; } else { m.once('idle', done); }
  });
}).observe(document, {childList: true, subtree: true});
"""


def _serve(app) -> tuple[str, Any]:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def _wait(driver, region: str, key: str, timeout: float = 60.0) -> dict[str, float]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rec = driver.execute_script("return (window.__bm || {})[arguments[0]] || null", region)
        if rec and rec.get(key):
            return rec
        time.sleep(0.02)
    raise RuntimeError(f"map of {region} never reached {key}")


def _drill_path(store, year: int) -> list[tuple[str, str]]:
    """(region, child) clicks province → city → county → township → village: at each level
    the child with the most poor persons (the same clicks for the server and the browser)."""
    code = store.regions.roots()[0].code
    path = []
    while store.regions.children(code):
        child = max(
            store.regions.children(code),
            key=lambda c: (store.counts(c.code, year)["poor_persons"], c.code),
        ).code
        path.append((code, child))
        code = child
    return path


def _server_click_ms(replay: Replay, region: str, child: str, year: int, geo: str) -> float:
    """Server time of one drill click (its callbacks, the charts, the child's boundaries)."""
    _start_state(replay, region, year)
    replay.props[("map", "clickData")] = {"points": [{"location": child}]}
    log = replay.fire({("map", "clickData")})
    log.append(replay.geo(geo))
    return sum(e["seconds"] for e in log) * 1000


def _browser_click(driver, base: str, store, region: str, child: str, year: int) -> dict:
    """One drill click on a freshly loaded page: click → first request, → drawn, → idle."""
    from tests.browser.helpers import click_map, wait_for_map

    driver.get(f"{base}/?region={region}&year={year}")
    _wait(driver, region, "idle")
    wait_for_map(driver, region)
    deadline = time.monotonic() + 30  # the page settled: side charts drawn, then a pause
    while time.monotonic() < deadline and not driver.execute_script(
        "return !!document.querySelector('#trend-chart .main-svg')"
    ):
        time.sleep(0.05)
    time.sleep(0.5)
    lon, lat = store.unit_shapes(region).labels[child]
    driver.execute_script("window.__bmFetch = []; window.__bmDown = null;")
    click_map(driver, lon, lat)
    rec = _wait(driver, child, "idle")
    # from the mouse press as the page saw it (the WebDriver pointer moves before it)
    start, fetches = driver.execute_script("return [window.__bmDown, window.__bmFetch]")
    return {
        "first_request": fetches[0] - start if fetches else None,
        "plotted": rec["afterplot"] - start,
        "drawn": rec["first_draw"] - start,
        "idle": rec["idle"] - start,
    }


def drill_path_benchmark(
    store, settings, driver, base: str, *, runs: int, year: int
) -> list[dict[str, Any]]:
    """Click → drawn in Chromium beside the server time of the same clicks (median of runs).

    ``drawn`` is the MapLibre frame that drew the child's figure with its sources loaded; the
    gap between it and the server time is the browser's (renderer, plotly, MapLibre).
    """
    from battlemap.app import create_app

    app = create_app(settings, store=store, warm=False)
    context = app.server.config["BATTLEMAP_CONTEXT"]
    context.warm()
    replay = Replay(app)
    rows = []
    for region, child in _drill_path(store, year):
        geo = f"/geo/{child}.json?v={context.version}"
        server = [_server_click_ms(replay, region, child, year, geo) for _ in range(runs)]
        clicks = [_browser_click(driver, base, store, region, child, year) for _ in range(runs)]
        first = [c["first_request"] for c in clicks if c["first_request"] is not None]
        rows.append(
            {
                "level_clicked": store.region(child).level,
                "region": region,
                "child": child,
                "server_ms": round(statistics.median(server), 1),
                "click_to_first_request_ms": round(statistics.median(first)) if first else None,
                "click_to_drawn_ms": round(statistics.median(c["drawn"] for c in clicks)),
                "click_to_plotted_ms": round(statistics.median(c["plotted"] for c in clicks)),
                "click_to_idle_ms": round(statistics.median(c["idle"] for c in clicks)),
                "click_to_drawn_all_ms": [round(c["drawn"]) for c in clicks],
            }
        )
    return rows


def browser_benchmark(
    store, settings, *, runs: int, year: int, path_runs: int = 5, path_only: bool = False
) -> dict[str, Any]:
    """Cold-cache page loads to a drawn map, then one drill click, in headless Chromium;
    ``path_only`` measures only the drill path's click → drawn."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from battlemap.app import create_app
    from tests.browser.helpers import click_map, wait_for_map

    app = create_app(settings, store=store, warm=False)
    app.server.config["BATTLEMAP_CONTEXT"].warm()
    base, server = _serve(app)
    options = Options()
    for arg in ("--headless=new", "--no-sandbox", "--window-size=1400,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _PROBE})
        driver.execute_cdp_cmd("Network.enable", {})
        if path_only:
            path = drill_path_benchmark(store, settings, driver, base, runs=path_runs, year=year)
            return {"drill_path_click_to_drawn": path}
        root = store.regions.roots()[0].code
        url = f"{base}/?region={root}&year={year}"
        loads = []
        for _ in range(runs):
            driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
            driver.get("about:blank")
            driver.get(url)
            rec = _wait(driver, root, "idle")
            loads.append(rec)
        driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})
        driver.get(url)  # warm cache: what a returning user sees
        warm = _wait(driver, root, "idle")
        wait_for_map(driver, root)
        child = max(
            store.regions.children(root), key=lambda c: store.counts(c.code, year)["poor_persons"]
        ).code
        lon, lat = store.unit_shapes(root).labels[child]
        driver.execute_script("performance.clearResourceTimings()")
        start = driver.execute_script("return performance.now()")
        click_map(driver, lon, lat)
        rec = _wait(driver, child, "idle")
        transferred = driver.execute_script(
            "return performance.getEntriesByType('resource')"
            ".reduce(function (s, e) { return s + e.transferSize; }, 0)"
        )
        path = drill_path_benchmark(store, settings, driver, base, runs=path_runs, year=year)
        return {
            "drill_path_click_to_drawn": path,
            "first_load_cold_cache_ms": {
                "first_draw": [round(r["first_draw"]) for r in loads],
                "idle": [round(r["idle"]) for r in loads],
                "median_first_draw": round(statistics.median(r["first_draw"] for r in loads)),
                "median_idle": round(statistics.median(r["idle"] for r in loads)),
            },
            "load_warm_cache_ms": {
                "first_draw": round(warm["first_draw"]),
                "idle": round(warm["idle"]),
            },
            "drill_click_in_browser": {
                "region": child,
                "to_first_draw_ms": round(rec["first_draw"] - start),
                "to_idle_ms": round(rec["idle"] - start),
                "bytes_transferred": transferred,
            },
        }
    finally:
        driver.quit()
        server.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--dsn", help="also measure the PostGIS store (loaded with db load)")
    parser.add_argument("--clicks", type=int, default=25, help="random clicks per level")
    parser.add_argument("--year", type=int, default=2016)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3, help="Chromium page loads")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--path-runs", type=int, default=5, help="clicks per drill-path step")
    parser.add_argument(
        "--path-only", action="store_true", help="only the drill path's click → drawn"
    )
    args = parser.parse_args(argv)

    from battlemap.geodata.embedded import EmbeddedStore
    from battlemap.settings import Settings

    data_dir = ensure_data_dir(args.data_dir)
    settings = Settings(data_dir=data_dir)
    start = time.perf_counter()
    store = EmbeddedStore(data_dir)
    result: dict[str, Any] = {
        "data_dir": str(data_dir),
        "households": store.manifest.get("counts", {}).get("households"),
        "embedded_open_s": round(time.perf_counter() - start, 2),
    }
    if not args.path_only:
        result["embedded"] = server_benchmark(
            store, settings, clicks=args.clicks, seed=args.seed, year=args.year
        )
    if args.dsn and not args.path_only:
        from battlemap.geodata.postgis import PostgisStore

        pg = PostgisStore(args.dsn)
        try:
            pg_settings = Settings(store="postgis", dsn=args.dsn, data_dir=data_dir)
            result["postgis"] = server_benchmark(
                pg, pg_settings, clicks=args.clicks, seed=args.seed, year=args.year
            )
        finally:
            pg.close()
    if not args.no_browser:
        result["chromium"] = browser_benchmark(
            store,
            settings,
            runs=args.runs,
            year=args.year,
            path_runs=args.path_runs,
            path_only=args.path_only,
        )
    result["goals"] = {
        "embedded_p95_ms": 100,
        "postgis_p95_ms": 300,
        "bytes_per_click": 1_500_000,
        "first_load_ms": 3000,
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
