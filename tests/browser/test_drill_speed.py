"""What a drill click waits for in Chromium: one callback round trip, no boundary fetch (the
children's GeoJSON is fetched while the region is shown), no fade or transition frames."""

from __future__ import annotations

import time

import pytest

from tests.browser.helpers import click_map, wait_for_map

pytestmark = pytest.mark.browser

_URLS_JS = """
const gd = document.querySelector('#map .js-plotly-plot');
const url = gd.data[0].geojson;
return arguments[0].map(c => url.replace('/geo/' + arguments[1] + '.json', '/geo/' + c + '.json'));
"""

# every callback request from now on: the outputs it asks for, and when
_WATCH_JS = """
window.__testCalls = [];
if (!window.__testFetch) {
  window.__testFetch = window.fetch;
  window.fetch = function (url, opts) {
    if (String(url).indexOf('_dash-update-component') >= 0) {
      var output = '';
      try { output = JSON.parse(opts.body).output; } catch (e) {}
      window.__testCalls.push({output: output, at: performance.now()});
    }
    return window.__testFetch.apply(this, arguments);
  };
}
const gd = document.querySelector('#map .js-plotly-plot');
window.__testPlotted = null;
gd.on('plotly_afterplot', () => {
  if (!window.__testPlotted) { window.__testPlotted = performance.now(); }
});
window.__testStart = performance.now();
"""


def _wait_prefetched(driver, urls: list[str], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    missing = urls
    while time.monotonic() < deadline:
        missing = driver.execute_script(
            "const a = window.PlotlyGeoAssets || {};"
            "return arguments[0].filter(u => !a[u] || !a[u].features);",
            urls,
        )
        if not missing:
            return
        time.sleep(0.1)
    raise AssertionError(f"children's boundaries never prefetched: {missing}")


def test_drill_click_waits_for_one_request(dash_duo, battlemap_app, embedded_store):
    store = embedded_store
    root = store.regions.roots()[0].code
    city = max(
        store.regions.children(root), key=lambda c: store.counts(c.code, 2016)["poor_persons"]
    )
    region = city.code
    children = [c.code for c in store.regions.children(region)]
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(1400, 1000)
    driver.get(dash_duo.server_url + f"/?region={region}&year=2016")
    wait_for_map(driver, region)
    urls = driver.execute_script(_URLS_JS, children, region)
    _wait_prefetched(driver, urls)
    # labels appear at once and paint changes apply at once: no 300 ms of redraws
    fade, transition = driver.execute_script(
        "const m = document.querySelector('#map .js-plotly-plot')._fullLayout.map._subplot.map;"
        "return [m._fadeDuration, m.getStyle().transition];"
    )
    assert fade == 0 and transition == {"duration": 0, "delay": 0}

    child = max(children, key=lambda c: store.counts(c, 2016)["poor_persons"])
    geo_before = driver.execute_script(
        "return performance.getEntriesByType('resource').filter("
        "e => e.name.indexOf('/geo/' + arguments[0]) >= 0).length",
        child,
    )
    driver.execute_script(_WATCH_JS)
    lon, lat = store.unit_shapes(region).labels[child]
    click_map(driver, lon, lat)
    wait_for_map(driver, child)
    calls, plotted = driver.execute_script("return [window.__testCalls, window.__testPlotted]")
    # the map came in the click's own answer: the only request before the map was drawn
    # that asks for the map is the state callback's, and nothing else asked for it after
    before = [c["output"] for c in calls if c["at"] < plotted]
    assert before and before[0].startswith("..view-state.data...")
    assert "map.figure" in before[0]
    assert [c for c in calls if "map.figure" in c["output"]] == calls[:1]
    # no boundary request for the child after the click (it was in the page already)
    geo_after = driver.execute_script(
        "return performance.getEntriesByType('resource').filter("
        "e => e.name.indexOf('/geo/' + arguments[0]) >= 0).length",
        child,
    )
    assert geo_after == geo_before
    assert dash_duo.get_logs() == []
