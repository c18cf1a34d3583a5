"""The wall screen: tour step time on the 2.3 M set and the page's memory over a long tour.

Usage: python -m benchmarks.wall [--data-dir DIR] [--minutes 10] [--interval 3]

* Server (in-process, no browser): the frame callback for every stop of one attention tour
  (``WallScreen.draw``: the views of the stop, its map figure, the tour), p50/p95/max.
* Chromium (``battlemap run`` over HTTP, 1920×1080, software WebGL): the tour runs at
  ``--interval`` s. A step's time is from the frame request leaving the browser (the step
  timer fired) to the new region's map drawn (plotly finished the figure, MapLibre idle).
  Target: ≤ 1 s. Steps are also split by the 3D panel (``to_deck``: the step that shows
  it, ``from_deck``: the step after, ``other``) and by level (digits of the region code).
  ``--query '&flows=0'`` adds URL parameters (comparisons).
* Memory: JS heap used and DOM node count (CDP ``Performance`` metrics; ``Nodes`` counts
  every node the page still holds, attached or not), each reading taken right after a
  forced garbage collection (``HeapProfiler.collectGarbage`` twice: a reading without one
  is noise). The two compared readings show the same frame: the first tour step after the
  first minute (and after ``--minutes``) at which the tour is back at its first stop with
  the same rotating panels (step a multiple of lcm(stops, panel cycle)), never the 3D
  panel (its deck.gl page lives in the wall's page, and its layers while shown). Target: the end
  within 10 % of the first minute. With ``--snapshots`` (default on) a heap snapshot
  after each of the two readings splits the heap into V8's compiled code (bytecode,
  machine code, deopt data: it grows while the JIT warms up) and everything else (the
  page's own objects, arrays, strings, closures).

The data dir is only read. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, percentiles

sys.path.insert(0, str(REPO))

FULL = Path("/work/bench/full")

# Injected before the page's scripts: when the frame request leaves and when its region is
# drawn. Keeps counters and the last 1,000 step times only (bounded like the page).
_PROBE = """
(function () {
  const st = window.__wallBench = {sent: null, region: null, steps: [], requests: 0};
  const send = XMLHttpRequest.prototype.send;
  const open = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (m, url) {
    this.__bmUrl = url;
    return open.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function (body) {
    if (String(this.__bmUrl).indexOf('_dash-update-component') >= 0 && body &&
        String(body).indexOf('wall-map.figure') >= 0 && String(body).indexOf('"wall-step"') >= 0) {
      st.requests += 1;
    }
    return send.apply(this, arguments);
  };
  const origFetch = window.fetch;
  window.fetch = function (url, init) {
    const body = init && init.body ? String(init.body) : '';
    const frame = String(url).indexOf('_dash-update-component') >= 0 &&
      body.indexOf('wall-map.figure') >= 0;
    if (frame && body.indexOf('wall-step.data') >= 0) {
      st.sent = performance.now();
      const deck = document.getElementById('wall-deck');
      st.fromDeck = !!(deck && !deck.hidden);
      st.requests += 1;
    }
    return origFetch.apply(this, arguments);
  };
  setInterval(function () {
    const gd = document.querySelector('#wall-map .js-plotly-plot');
    if (!gd || !gd._fullLayout || !gd._fullLayout.map || !gd._fullLayout.map._subplot) return;
    const m = gd._fullLayout.map._subplot.map;
    const region = gd.layout.uirevision;
    if (!m || region === st.region) return;
    if (m.loaded() && !m.isMoving() && gd._fullData && gd._fullData.length) {
      if (st.sent !== null) {
        st.steps.push(performance.now() - st.sent);
        st.levels = st.levels || {};
        const level = region.replace(/0+$/, '').length;
        (st.levels[level] = st.levels[level] || []).push(performance.now() - st.sent);
        if (st.levels[level].length > 200) st.levels[level].shift();
        // by the 3D panel: the step that shows it, the step that leaves it, the others
        const deck = document.getElementById('wall-deck');
        const panel = deck && !deck.hidden ? 'to_deck' : (st.fromDeck ? 'from_deck' : 'other');
        st.panels = st.panels || {};
        (st.panels[panel] = st.panels[panel] || []).push(performance.now() - st.sent);
        if (st.panels[panel].length > 400) st.panels[panel].shift();
        if (st.steps.length > 1000) st.steps.shift();
        st.sent = null;
      }
      st.region = region;
    }
  }, 20);
})();
"""


def server_benchmark(data_dir: Path, interval: float) -> dict[str, Any]:
    """The frame callback for each stop of one tour cycle: built from scratch (no frame
    cache, no prefetch), then answered while touring at ``interval`` s (the next stop's
    frame is built in the background while the current one shows)."""
    from battlemap.callbacks.context import AppContext
    from battlemap.geodata.embedded import EmbeddedStore
    from battlemap.settings import Settings
    from battlemap.views.mapview import MapUrls
    from battlemap.wall.config import WallConfig
    from battlemap.wall.screen import WallScreen

    store = EmbeddedStore(data_dir)
    context = AppContext(Settings(data_dir=data_dir), store=store)
    config = WallConfig(interval=interval)
    urls = MapUrls(geo=lambda c: f"/geo/{c}.json")
    viewport = {"w": 1920, "h": 1080, "mw": 1000, "mh": 860}
    access = context.access()
    wall = WallScreen(context, lambda: urls, config)
    start = time.perf_counter()
    outputs = wall.frame(access, config, 0, viewport, prefetch=False)
    first_s = time.perf_counter() - start
    count = int(outputs["wall-heartbeat"].split("|")[3].split("/")[1])
    built, sizes = [], []
    for step in range(1, count + 1):
        wall = WallScreen(context, lambda: urls, config)  # nothing cached
        start = time.perf_counter()
        out = wall.frame(access, config, step, viewport, prefetch=False)
        built.append(time.perf_counter() - start)
        sizes.append(len(json.dumps(out["wall-map"], default=str)))
    wall = WallScreen(context, lambda: urls, config)
    answered = []
    for step in range(count + 1):
        start = time.perf_counter()
        wall.draw(step, viewport, config.to_dict())
        answered.append(time.perf_counter() - start)
        time.sleep(max(0.0, interval - (time.perf_counter() - start)))
    store.close()
    return {
        "stops": count,
        "first_frame_ms": round(first_s * 1000, 1),
        "frame_built_from_scratch": percentiles(built),
        "step_answered_while_touring": percentiles(answered[1:]),
        "map_figure_kb_max": round(max(sizes) / 1024, 1),
    }


def _metrics(driver) -> dict[str, Any]:
    """Heap and DOM after a forced GC (twice, half a second apart)."""
    driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    time.sleep(0.5)
    driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    values = {
        m["name"]: m["value"]
        for m in driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]
    }
    attached = driver.execute_script("return document.getElementsByTagName('*').length;")
    return {
        "forced_gc": True,
        "js_heap_used_mb": round(values["JSHeapUsedSize"] / 2**20, 2),
        "dom_nodes": int(values["Nodes"]),
        "elements_attached": int(attached),
        "event_listeners": int(values.get("JSEventListeners", 0)),
        "dash_history": driver.execute_script(
            "return window.store ? window.store.getState().history.past.length : null;"
        ),
    }


def _beat(driver) -> list[str]:
    from tests.wall.browser import heartbeat

    return heartbeat(driver)


def _aligned(driver, after_s: float, loaded: float, cycle_of) -> tuple[int, float]:
    """Wait for the first tour step after ``after_s`` s whose frame is the tour's first
    (step a multiple of the whole cycle), its map drawn; (step, seconds since loading)."""
    from tests.wall.browser import drawn, until

    time.sleep(max(0.0, after_s - (time.monotonic() - loaded)))

    def at_cycle_start():
        beat = _beat(driver)
        if beat[0] != "ok" or len(beat) < 5:
            return None
        step = int(beat[4])
        return beat if step > 0 and step % cycle_of(beat) == 0 else None

    beat = until(at_cycle_start, 600, "the tour back at its first frame", every=0.05)
    driver.execute_script("window.bmWall.state.pausedUntil = Date.now() + 600000;")  # hold it
    drawn(driver, beat[2], timeout=60)
    time.sleep(1.0)  # the charts' and tables' paint after the map
    return int(beat[4]), round(time.monotonic() - loaded, 1)


def _resume(driver) -> None:
    driver.execute_script("window.bmWall.state.pausedUntil = 0;")


def _snapshot_split(driver) -> dict[str, float]:
    """MB of the heap by V8 node type (a snapshot after a forced GC): ``code`` is compiled
    code and its metadata; the rest is the page's own data."""
    from benchmarks.heapsnap import summarise, take_snapshot

    by_type: dict[str, float] = {}
    for (kind, _name), (_count, size) in summarise(take_snapshot(driver)).items():
        if kind in ("native", "synthetic", "hidden"):
            continue  # Blink's C++ objects and roots: not the JS heap
        by_type[kind] = by_type.get(kind, 0.0) + size / 2**20
    split = {k: round(v, 2) for k, v in sorted(by_type.items(), key=lambda kv: -kv[1])}
    split["js_total"] = round(sum(by_type.values()), 2)
    split["js_without_code"] = round(split["js_total"] - by_type.get("code", 0.0), 2)
    return split


def browser_benchmark(
    data_dir: Path, minutes: float, interval: float, snapshots: bool = True, query: str = ""
) -> dict[str, Any]:
    import math

    from battlemap.wall.screen import PANEL_CYCLE
    from tests.wall.browser import Server, chromium, until

    def cycle_of(beat: list[str]) -> int:
        return math.lcm(int(beat[3].split("/")[1]), PANEL_CYCLE)

    log = Path(os.environ.get("TMPDIR", "/tmp")) / "bench-wall-server.log"
    server = Server(["--data-dir", str(data_dir)], log).start()
    driver = chromium(1920, 1080)
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _PROBE})
        driver.execute_cdp_cmd("Performance.enable", {})
        loaded = time.monotonic()
        driver.get(f"{server.url}/wall?interval={interval:g}&refresh=30{query}")
        until(lambda: _beat(driver)[0] == "ok", 120, "first frame")
        first_frame_s = time.monotonic() - loaded
        step_1, at_1 = _aligned(driver, 60, loaded, cycle_of)
        first = _metrics(driver)
        split_1 = _snapshot_split(driver) if snapshots else None
        _resume(driver)
        steps_at_minute = len(driver.execute_script("return window.__wallBench.steps;"))
        samples = []  # heap after a forced GC each further minute (whatever is on screen)
        for minute in range(2, int(minutes) + 1):
            time.sleep(max(0.0, minute * 60 - (time.monotonic() - loaded)))
            samples.append(_metrics(driver)["js_heap_used_mb"])
        step_n, at_n = _aligned(driver, minutes * 60, loaded, cycle_of)
        end = _metrics(driver)
        split_n = _snapshot_split(driver) if snapshots else None
        _resume(driver)
        bench = driver.execute_script("return window.__wallBench;")
        stale = driver.execute_script("return !document.getElementById('wall-stale').hidden;")
    finally:
        driver.quit()
        server.stop()
    steps = [s / 1000 for s in bench["steps"]]
    result = {
        "first_frame_s": round(first_frame_s, 2),
        "step_to_drawn": percentiles(steps) if steps else None,
        "steps_within_1s_pct": round(100 * sum(s <= 1.0 for s in steps) / len(steps), 1)
        if steps
        else None,
        "step_to_drawn_by_code_digits": {
            k: percentiles([x / 1000 for x in v]) for k, v in (bench.get("levels") or {}).items()
        },
        "step_to_drawn_by_3d_panel": {
            k: percentiles([x / 1000 for x in v]) for k, v in (bench.get("panels") or {}).items()
        },
        "frame_requests": bench["requests"],
        "steps_after_first_minute": steps_at_minute,
        "readings": "after a forced GC; the same frame (tour step a multiple of its cycle)",
        "after_first_minute": {"step": step_1, "at_s": at_1, **first},
        "at_end": {"step": step_n, "at_s": at_n, **end},
        "js_heap_used_mb_each_minute_2_to_end": samples,
        "heap_change_pct": round(100 * (end["js_heap_used_mb"] / first["js_heap_used_mb"] - 1), 1),
        "nodes_change_pct": round(100 * (end["dom_nodes"] / first["dom_nodes"] - 1), 1),
        "stale_badge_at_end": stale,
    }
    if split_1 and split_n:
        result["heap_snapshot_mb"] = {"after_first_minute": split_1, "at_end": split_n}
        result["heap_without_code_change_pct"] = round(
            100 * (split_n["js_without_code"] / split_1["js_without_code"] - 1), 1
        )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=FULL)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the tour")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds per tour stop")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--no-server", action="store_true", help="only the browser part")
    parser.add_argument(
        "--no-snapshots", action="store_true", help="no heap snapshot after the two readings"
    )
    parser.add_argument(
        "--query", default="", help="more /wall URL parameters, e.g. '&flows=0' (comparisons)"
    )
    args = parser.parse_args(argv)
    result: dict[str, Any] = {
        "data_dir": str(args.data_dir),
        "interval_s": args.interval,
        "minutes": args.minutes,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores shared with other jobs "
        "(numbers vary with the load); Chromium headless, software WebGL, 1920×1080",
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    if not args.no_server:
        result["server"] = server_benchmark(args.data_dir, args.interval)
    if not args.no_browser:
        result["browser"] = browser_benchmark(
            args.data_dir,
            args.minutes,
            args.interval,
            snapshots=not args.no_snapshots,
            query=args.query,
        )
        result["browser"]["query"] = args.query
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
