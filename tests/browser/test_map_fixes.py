"""Issue 17's map fixes, checked on what Chromium draws and what a click does."""

from __future__ import annotations

import re
import time

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from battlemap.geodata.access import ScopedStore
from battlemap.views import kpi_panel
from battlemap.viewstate import ViewState
from tests.browser.drawn import drawn_labels
from tests.browser.helpers import (
    click_map,
    project,
    screenshot,
    visible,
    wait_for_map,
    wait_for_url,
    wait_js,
)

pytestmark = pytest.mark.browser

BIJIE = "520500000000"  # 毕节市: 8 counties
SI_OR_MINUS = re.compile(r"\d[munpfkMGT]$|[−-]")  # 500m, 18.9f, 20k, -1


_SOME_LIGHT = """
const gd = document.querySelector('#map .js-plotly-plot');
const light = gd.data.find(t => t.meta === 'labels-light');
return light && (light.text || []).some(x => x);
"""


def _pick_indicator(dash_duo, label: str) -> None:
    dash_duo.driver.find_element(By.ID, "indicator").click()
    for option in dash_duo.find_elements("[role=option]"):
        if label in option.text:
            option.click()
            return
    raise AssertionError(f"no indicator option {label}")


def test_names_stay_drawn_after_value_updates(dash_duo, battlemap_app, embedded_store):
    """2019→2014 at the province and 贫困发生率→脱贫进度 at 毕节市 turn names white (a value
    Patch); every name must still be painted (was: 1 of 9 and 0 of 8)."""
    store = embedded_store
    root = store.regions.roots()[0].code
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(1440, 900)

    driver.get(dash_duo.server_url + f"/?region={root}&year=2019")
    wait_for_map(driver, root)
    assert len(drawn_labels(driver)["drawn"]) == 9
    driver.find_element(By.CSS_SELECTOR, "#year-slider [role=slider]").send_keys(Keys.HOME)
    wait_for_url(driver, "year=2014")
    wait_js(driver, _SOME_LIGHT)
    labels = drawn_labels(driver)
    screenshot(driver, "labels-province-2014-after-patch")
    assert labels["missing"] == [] and labels["outside"] == []
    assert len(labels["drawn"]) == 9

    driver.get(dash_duo.server_url + f"/?region={BIJIE}&year=2019&indicator=incidence")
    wait_for_map(driver, BIJIE)
    assert len(drawn_labels(driver)["drawn"]) == 8
    _pick_indicator(dash_duo, "脱贫进度")
    wait_for_url(driver, "indicator=exit_progress")
    wait_js(driver, _SOME_LIGHT)
    labels = drawn_labels(driver)
    screenshot(driver, "labels-bijie-exit-progress-after-patch")
    assert labels["missing"] == [] and labels["outside"] == []
    assert len(labels["drawn"]) == 8


# Every link, source, form target and mode bar button of the page: only this origin.
_OUTSIDE_JS = """
const here = location.origin, bad = [];
document.querySelectorAll('[href], [src], [action], [formaction]').forEach(e => {
  for (const attr of ['href', 'src', 'action', 'formaction']) {
    const v = e.getAttribute(attr);
    if (v === null || v === '') continue;
    let u;
    try { u = new URL(v, location.href); } catch (err) { bad.push(e.tagName + ' ' + v); continue; }
    if (['data:', 'blob:', 'javascript:'].includes(u.protocol)) continue;
    if (u.origin !== here) bad.push(e.tagName + ' ' + attr + '=' + v);
  }
});
document.querySelectorAll('.modebar-btn, button, [role=button]').forEach(b => {
  const t = ((b.getAttribute('data-title') || '') + ' ' + b.textContent).toLowerCase();
  if (/share|cloud|studio|plotly|upload/.test(t)) bad.push('button: ' + t.trim());
});
return {bad: bad, buttons: document.querySelectorAll('#map .modebar-btn').length};
"""


def test_nothing_offers_to_send_data_off_the_machine(dash_duo, battlemap_app, embedded_store):
    """No "Share chart…" (Plotly Cloud upload), no plotly logo link, no outside link: the
    province with every overlay, then the largest village with its households (one browser)."""
    store = embedded_store
    root = store.regions.roots()[0].code
    village = max(
        store.regions.level_codes(5),
        key=lambda c: store.counts(c, 2016)["registered_households"],
    )
    dash_duo.start_server(battlemap_app)
    for region, query in (
        (root, "layers=choropleth,labels,households,heat,hexbins,flows"),
        (village, "layers=choropleth,labels,households"),
    ):
        _nothing_offered(dash_duo, region, query)


def _nothing_offered(dash_duo, region: str, query: str) -> None:
    driver = dash_duo.driver
    driver.set_window_size(1440, 900)
    driver.get(dash_duo.server_url + f"/?region={region}&year=2016&{query}")
    wait_for_map(driver, region)
    dash_duo.wait_for_element("#trend-chart .main-svg")  # side charts drawn too
    canvas = driver.find_element(By.CSS_SELECTOR, "#map canvas.maplibregl-canvas")
    ActionChains(driver).move_to_element(canvas).perform()  # show the mode bar
    found = driver.execute_script(_OUTSIDE_JS)
    assert found["buttons"] >= 3  # the mode bar is there (zoom, pan, reset, image)
    assert found["bad"] == []


# Remember what plotly itself reported for each map click (which trace was hit).
_RECORD_CLICKS_JS = """
const gd = document.querySelector('#map .js-plotly-plot');
window.__bmClicks = [];
gd._ev.prependListener('plotly_click', e => {
  window.__bmClicks.push(e.points.map(p => (p.data && p.data.meta) || ''));
});
"""

# Label points of children that start a flow arc (flows begin at the origin's label point).
_FLOW_STARTS_JS = """
const gd = document.querySelector('#map .js-plotly-plot');
const starts = new Set();
gd.data.filter(t => t.meta === 'flows' && t.mode === 'lines').forEach(t => {
  t.lon.forEach((x, i) => {
    if (x !== null && (i === 0 || t.lon[i - 1] === null)) starts.add(x + ',' + t.lat[i]);
  });
});
return Array.from(starts);
"""


def test_clicks_drill_through_layers(dash_duo, battlemap_app, embedded_store):
    """With H3 hexbins or flows on, a click on a region (its label point, where a flow
    starts) hits the overlay first, and still drills into that region (each overlay in
    turn, in one browser)."""
    dash_duo.start_server(battlemap_app)
    for overlay in ("hexbins", "flows"):
        _click_drills_through(dash_duo, embedded_store, overlay)


def _click_drills_through(dash_duo, store, overlay: str) -> None:
    root = store.regions.roots()[0].code
    driver = dash_duo.driver
    driver.set_window_size(1440, 900)
    driver.get(
        dash_duo.server_url + f"/?region={root}&year=2016&layers=choropleth,labels,{overlay}"
    )
    wait_for_map(driver, root)
    shapes = store.unit_shapes(root)
    starts = set(driver.execute_script(_FLOW_STARTS_JS)) if overlay == "flows" else None
    candidates = []
    for child, lon, lat in zip(shapes.codes, shapes.label_lon, shapes.label_lat, strict=True):
        x, y, width, height = project(driver, lon, lat)
        if visible(x, y, width, height) and (starts is None or f"{lon},{lat}" in starts):
            candidates.append((abs(x - width / 2) + abs(y - height / 2), child))
    assert candidates, "no child label to click"
    child = min(candidates)[1]
    driver.execute_script(_RECORD_CLICKS_JS)
    click_map(driver, *shapes.labels[child])
    wait_for_url(driver, f"region={child}")
    wait_for_map(driver, child)
    hit = driver.execute_script("return window.__bmClicks")
    assert hit and hit[0][0] == overlay  # plotly hit the overlay, and the drill happened


# Every 100 ms: the year the slider, the title, the map figure and the trend marker show,
# and the poor-persons KPI text (mapped to its year in Python).
_SAMPLE_JS = """
window.__bmSamples = [];
window.__bmSampler = setInterval(() => {
  const thumb = document.querySelector('#year-slider [role=slider]');
  const title = (document.getElementById('region-title') || {}).textContent || '';
  const gd = document.querySelector('#map .js-plotly-plot');
  const trend = document.querySelector('#trend-chart .js-plotly-plot');
  const shapes = trend && trend.layout && trend.layout.shapes;
  const kpi = document.querySelector('#kpi-kpi_poor .bm-tile-value');
  window.__bmSamples.push({
    slider: thumb ? Number(thumb.getAttribute('aria-valuenow')) : null,
    title: Number((title.match(/20\\d\\d/) || [null])[0]),
    map: gd && gd.layout.meta ? gd.layout.meta.year : null,
    trend: shapes && shapes.length ? shapes[0].x0 : null,
    kpi: kpi ? kpi.textContent : null,
  });
}, 100);
"""


def test_play_shows_one_year_at_a_time(dash_duo, battlemap_app, embedded_store):
    """On a slow client (CPU throttled 6×, redraws longer than a tick) the slider, title,
    KPIs, map and trend marker never drift apart: the next year waits for the last to be
    drawn, every year is shown whole, and play stops at 2020."""
    store = embedded_store
    root = store.regions.roots()[0].code
    kpi_year = {f"{store.counts(root, y)['poor_persons']:,}": y for y in store.years}
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(1440, 900)
    driver.get(dash_duo.server_url + f"/?region={root}&year=2014")
    wait_for_map(driver, root)
    dash_duo.wait_for_element("#trend-chart .main-svg")
    driver.execute_cdp_cmd("Emulation.setCPUThrottlingRate", {"rate": 6})
    try:
        driver.execute_script(_SAMPLE_JS)
        driver.find_element(By.ID, "play-button").click()
        dash_duo.wait_for_text_to_equal("#play-button", "暂停")
        dash_duo.wait_for_text_to_equal("#play-button", "播放", timeout=90)
        samples = driver.execute_script(
            "clearInterval(window.__bmSampler); return window.__bmSamples"
        )
    finally:
        driver.execute_cdp_cmd("Emulation.setCPUThrottlingRate", {"rate": 1})
    whole = set()
    for s in samples:
        years = [s["slider"], s["title"], s["map"], s["trend"], kpi_year.get(s["kpi"])]
        assert None not in years, s
        assert max(years) - min(years) <= 1, s  # at most the year being drawn and the last
        assert s["slider"] == max(years), s  # nothing runs ahead of the slider
        if len(set(years)) == 1:
            whole.add(years[0])
    assert whole == set(store.years)  # every year shown whole, 2014 … 2020
    assert samples[-1]["slider"] == 2020 and wait_for_url(driver, "year=2020")


# Per KPI value: how many line boxes its text takes and whether it overflows its tile.
_KPI_LINES_JS = """
return Array.from(document.querySelectorAll('.bm-tile-value')).map(e => {
  const r = document.createRange();
  r.selectNodeContents(e);
  const tops = new Set(Array.from(r.getClientRects()).map(b => Math.round(b.top)));
  const tile = e.closest('.bm-tile').getBoundingClientRect(), box = r.getBoundingClientRect();
  return {text: e.textContent, lines: tops.size,
          inside: box.left >= tile.left - 0.5 && box.right <= tile.right + 0.5};
});
"""

_TICKS_JS = """
return Array.from(document.querySelectorAll(
  '#trend-chart .ytick text, #trend-chart .y2tick text, #trend-chart .y3tick text, ' +
  '#cause-chart .xtick text'
)).map(e => e.textContent);
"""


KPI_SIZES = [(1440, 900), (1920, 1080), (390, 844)]


def test_kpis_one_line_and_count_ticks(dash_duo, battlemap_app, embedded_store):
    """KPI values never break inside a number (also a 9-character one); the trend and cause
    charts' count ticks are whole numbers, 万 where large, no SI suffix, never negative.
    Each screen size in turn, in one browser (the page is loaded again at each size)."""
    store = embedded_store
    root = store.regions.roots()[0].code
    village = max(
        store.regions.level_codes(5), key=lambda c: store.counts(c, 2016)["registered_households"]
    )
    dash_duo.start_server(battlemap_app)
    for size in KPI_SIZES:
        _kpis_at_size(dash_duo, store, root, village, size)


def _kpis_at_size(dash_duo, store, root: str, village: str, size: tuple[int, int]) -> None:
    driver = dash_duo.driver
    driver.set_window_size(*size)
    for region, year in ((root, 2016), (village, 2020)):
        driver.get(dash_duo.server_url + f"/?region={region}&year={year}")
        wait_for_map(driver, region)
        dash_duo.wait_for_element("#trend-chart .y2tick")
        values = driver.execute_script(_KPI_LINES_JS)
        tiles = kpi_panel(ScopedStore(store), ViewState(region=region, year=year)).data["tiles"]
        assert len(values) == len(tiles) >= 5, values  # five, and 资金异常 with funds data
        assert all(v["lines"] == 1 and v["inside"] for v in values), values
        ticks = driver.execute_script(_TICKS_JS)
        assert ticks and not any(SI_OR_MINUS.search(t) for t in ticks), ticks
        if region == root:
            assert any(t.endswith("万") for t in ticks), ticks
    driver.execute_script(
        "document.querySelectorAll('.bm-tile-value').forEach(e => e.textContent = '1,517,985')"
    )
    values = driver.execute_script(_KPI_LINES_JS)
    assert all(v["lines"] == 1 and v["inside"] for v in values), values
    screenshot(driver, f"kpis-{size[0]}x{size[1]}", park=False)


# Everything a finger hits, visible, smaller than 40 × 40 px (the search box: 40 px high).
_SMALL_TARGETS_JS = """
const sel = 'a[href], button, [role=slider], .bm-layers label, .dash-dropdown, ' +
  '#ranking-table td, .modebar-btn, .bm-search input';
return Array.from(document.querySelectorAll(sel)).filter(e => {
  const r = e.getBoundingClientRect();
  const shown = r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden';
  return shown && (r.width < 39.5 || r.height < 39.5);
}).map(e => e.tagName + '.' + e.className + ' ' + e.textContent.slice(0, 10) + ' ' +
  Math.round(e.getBoundingClientRect().width) + 'x' + Math.round(e.getBoundingClientRect().height));
"""

_MAP_CENTRE_JS = """
const gd = document.querySelector('#map .js-plotly-plot');
const c = gd._fullLayout.map._subplot.map.getCenter();
return [c.lng, c.lat, window.scrollY];
"""


def _touch_drag(driver, fingers: list[tuple[float, float]], dy: float) -> None:
    """A real touch drag (CDP touch events) of 1 or 2 fingers by ``dy`` CSS px."""

    def points(step: float) -> list[dict]:
        return [{"x": x, "y": y + step, "id": i} for i, (x, y) in enumerate(fingers)]

    driver.execute_cdp_cmd(
        "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": points(0)}
    )
    for k in range(1, 11):
        driver.execute_cdp_cmd(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": points(dy * k / 10)}
        )
        time.sleep(0.03)
    driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    time.sleep(0.8)


def test_phone_swipe_scrolls_page_two_fingers_move_map(dash_duo, battlemap_app, embedded_store):
    """A phone (390×844, touch): the map is at most half the screen, one finger scrolls the
    page (the map stays), two fingers move the map, and every control is ≥ 40 px."""
    store = embedded_store
    root = store.regions.roots()[0].code
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True},
    )
    driver.execute_cdp_cmd(
        "Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5}
    )
    driver.get(dash_duo.server_url + f"/?region={root}&year=2019")
    wait_for_map(driver, root)
    dash_duo.wait_for_element("#ranking-table td")
    assert driver.execute_script("return window.innerWidth") == 390
    box = driver.find_element(By.ID, "map").rect
    assert box["height"] <= 0.5 * 844, box
    assert driver.execute_script(_SMALL_TARGETS_JS) == []

    # bring the map's middle into view, then swipe up over it with one finger
    driver.execute_script(
        "const r = document.getElementById('map').getBoundingClientRect();"
        "window.scrollBy(0, r.top + r.height / 2 - window.innerHeight / 2);"
    )
    time.sleep(0.3)
    lon, lat, scroll = driver.execute_script(_MAP_CENTRE_JS)
    middle = (195.0, 844 / 2)
    _touch_drag(driver, [middle], -200)
    lon1, lat1, scroll1 = driver.execute_script(_MAP_CENTRE_JS)
    assert scroll1 - scroll >= 100, (scroll, scroll1)  # the page scrolled
    assert (lon1, lat1) == pytest.approx((lon, lat), abs=1e-6)  # the map did not move
    screenshot(driver, "phone-after-one-finger-swipe", park=False)

    # two fingers on the map move the map, not the page
    top = driver.find_element(By.ID, "map").rect["y"] - scroll1
    fingers = [(150.0, top + 150), (240.0, top + 150)]
    _touch_drag(driver, fingers, 120)
    _, lat2, scroll2 = driver.execute_script(_MAP_CENTRE_JS)
    assert abs(lat2 - lat1) > 0.05, (lat1, lat2)
    assert abs(scroll2 - scroll1) < 5


def test_names_above_household_points(dash_duo, battlemap_app, embedded_store):
    """At a village and at its township with points coloured by cause, the names are
    painted over the household points (hiding the names changes the pixels at each)."""
    store = embedded_store
    village = max(
        store.regions.level_codes(5), key=lambda c: store.counts(c, 2016)["registered_households"]
    )
    township = store.regions.get(village).parent_code
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(1440, 900)
    for region, layers in (
        (village, "choropleth,labels,households"),
        (township, "choropleth,labels,households,by_cause"),
    ):
        driver.get(dash_duo.server_url + f"/?region={region}&year=2016&layers={layers}")
        wait_for_map(driver, region)
        labels = drawn_labels(driver)
        screenshot(driver, f"points-{len(region.rstrip('0'))}-{layers.count(',')}")
        assert labels["drawn"] and not labels["missing"], labels


_COLOURBARS_JS = """
return Array.from(document.querySelectorAll('#map .colorbar')).map(
  e => (e.querySelector('.cbtitle') || e).textContent);
"""
_LEGEND_JS = (
    "return Array.from(document.querySelectorAll('#map .legendtext')).map(e => e.textContent);"
)
# Elements (other than the page) with a scrollbar of their own.
_SCROLLERS_JS = """
return Array.from(document.querySelectorAll('body *')).filter(e => {
  const s = getComputedStyle(e);
  return ['auto', 'scroll'].includes(s.overflowY) && e.scrollHeight > e.clientHeight + 1 &&
    e.clientHeight > 0;
}).map(e => e.tagName + '.' + e.className);
"""
_RECORD_RESPONSES_JS = """
window.__bmResponses = [];
const original = window.fetch;
window.fetch = function (url) {
  return original.apply(this, arguments).then(r => {
    if (String(url).includes('_dash-update-component')) {
      r.clone().text().then(t => window.__bmResponses.push(t));
    }
    return r;
  });
};
"""


def test_small_map_fixes(dash_duo, battlemap_app, embedded_store):
    """Hexbins: one colour bar; heat: a legend; flows: a legend per kind; cause colouring
    above township says why not; the ranking's change is a rank change; a village has a
    ranking; one scrollbar; an indicator change at a township sends no points again; a
    slow answer shows a spinner over the map."""
    store = embedded_store
    root = store.regions.roots()[0].code
    village = max(
        store.regions.level_codes(5), key=lambda c: store.counts(c, 2016)["registered_households"]
    )
    township = store.regions.get(village).parent_code
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(1440, 900)

    def show(region: str, layers: str) -> None:
        driver.get(dash_duo.server_url + f"/?region={region}&year=2016&layers={layers}")
        wait_for_map(driver, region)

    show(root, "choropleth,labels,hexbins")
    assert len(driver.execute_script(_COLOURBARS_JS)) == 1  # was two, one over the other
    show(root, "choropleth,labels,heat")
    assert any("贫困人口热力" in t for t in driver.execute_script(_COLOURBARS_JS))
    show(root, "choropleth,labels,flows")
    assert {"易地扶贫搬迁", "务工转移"} <= set(driver.execute_script(_LEGEND_JS))
    screenshot(driver, "flows-province")
    show(root, "choropleth,labels,households,by_cause")
    dash_duo.wait_for_contains_text("#map-notice", "点位按致贫原因着色只在乡镇、村级显示")
    dash_duo.wait_for_element("#ranking-table td")
    header = driver.find_element(By.CSS_SELECTOR, "#ranking-table th[data-dash-column=change]")
    assert "名次较上年" in header.text
    changes = [e.text for e in dash_duo.find_elements("#ranking-table td[data-dash-column=change]")]
    assert changes and all(re.fullmatch(r"[↑↓]\d+|–|", c) for c in changes), changes
    assert driver.execute_script(_SCROLLERS_JS) == []  # the page's scrollbar only

    show(village, "choropleth,labels,households")
    dash_duo.wait_for_contains_text("#ranking-table", store.regions.get(village).name)

    show(township, "choropleth,labels,households")
    driver.execute_script(_RECORD_RESPONSES_JS)
    _pick_indicator(dash_duo, "贫困人口")
    wait_for_url(driver, "indicator=poor_persons")
    deadline = time.monotonic() + 10
    maps: list[str] = []
    while not maps and time.monotonic() < deadline:
        maps = [r for r in driver.execute_script("return window.__bmResponses") if '"map"' in r]
        time.sleep(0.1)
    assert maps and "__dash_patch_update" in maps[0] and len(maps[0]) < 20_000, len(maps[0])

    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 2000, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    try:
        driver.find_element(By.CSS_SELECTOR, "#year-slider [role=slider]").send_keys(Keys.END)
        time.sleep(0.9)
        spinner = driver.execute_script(
            "const s = getComputedStyle(document.querySelector('.bm-map-box'), '::after');"
            "return [s.content, s.opacity];"
        )
        screenshot(driver, "busy-spinner")
    finally:
        driver.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )
    assert spinner[0] not in ("none", "normal") and float(spinner[1]) > 0.9, spinner


_SCALE_JS = """
const gd = document.querySelector('#map .js-plotly-plot');
const z = gd.data.find(t => t.meta === 'values').z;
return [gd.layout.coloraxis.cmax, Math.max(...z)];
"""


def test_colour_scale_of_the_year_option(dash_duo, battlemap_app, embedded_store):
    """2019 at the province is pale on the 2014–2020 scale; ticking 按当年色阶 spreads the
    colours over 2019's own range (and the link keeps it)."""
    store = embedded_store
    root = store.regions.roots()[0].code
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(1440, 900)
    driver.get(dash_duo.server_url + f"/?region={root}&year=2019")
    wait_for_map(driver, root)
    cmax, top = driver.execute_script(_SCALE_JS)
    assert cmax > 1.5 * top
    option = next(e for e in dash_duo.find_elements(".bm-layers label") if "按当年色阶" in e.text)
    option.click()
    wait_for_url(driver, "year_scale")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        cmax, top = driver.execute_script(_SCALE_JS)
        if cmax == pytest.approx(top):
            break
        time.sleep(0.1)
    assert cmax == pytest.approx(top)
    screenshot(driver, "province-2019-year-scale")


# The flagged units' border as MapLibre drew it: its line layer and the unit ids painted.
_FLAG_DRAWN_JS = """
const gd = document.querySelector('#map .js-plotly-plot');
const m = gd._fullLayout.map._subplot.map;
const t = gd._fullData.find(t => t.meta === 'poverty_flag');
if (!t) return null;
const layer = 'plotly-trace-layer-' + t.uid + '-line';
if (!m.getLayer(layer)) return {layer: false, ids: []};
const ids = new Set(m.queryRenderedFeatures({layers: [layer]}).map(f => String(f.id)));
return {layer: true, ids: Array.from(ids), width: m.getPaintProperty(layer, 'line-width')};
"""

# Colour and width of the line drawn in the legend beside 贫困县（深蓝边框）.
_FLAG_SWATCH_JS = """
const item = Array.from(document.querySelectorAll('#map .legend .traces'))
  .find(e => e.textContent.includes('深蓝边框'));
const line = item && item.querySelector('.legendlines path, .legendpoints path');
if (!line) return null;
const s = getComputedStyle(line);
return [s.stroke, parseFloat(s.strokeWidth)];
"""


def test_flagged_border_drawn_and_clicked_through(dash_duo, battlemap_app, embedded_store):
    """At a city the 贫困县 among its counties have an indigo border (legend entry 贫困县), a
    year change patches the values only and keeps the border, and a click on a flagged
    county still drills into it (the border takes no click)."""
    regions = embedded_store.regions
    city = next(
        c for c in regions.level_codes(2) if any(k.poverty_flag for k in regions.children(c))
    )
    flagged = {k.code for k in regions.children(city) if k.poverty_flag}
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(1440, 900)
    driver.get(dash_duo.server_url + f"/?region={city}&year=2016&layers=choropleth,labels")
    wait_for_map(driver, city)
    drawn = driver.execute_script(_FLAG_DRAWN_JS)
    assert drawn and drawn["layer"] and set(drawn["ids"]) == flagged, drawn
    assert "贫困县（深蓝边框）" in driver.execute_script(_LEGEND_JS)
    swatch = driver.execute_script(_FLAG_SWATCH_JS)
    assert swatch and swatch[0] in ("rgb(26, 35, 126)", "#1a237e") and swatch[1] >= 2, swatch
    screenshot(driver, "flagged-border-city")

    driver.execute_script(_RECORD_RESPONSES_JS)
    driver.find_element(By.CSS_SELECTOR, "#year-slider [role=slider]").send_keys(Keys.END)
    wait_for_url(driver, "year=2020")
    wait_js(driver, "return window.__bmResponses.some(r => r.includes('\"map\"'))")
    maps = [r for r in driver.execute_script("return window.__bmResponses") if '"map"' in r]
    assert "__dash_patch_update" in maps[0]  # values only, the border stays
    wait_for_map(driver, city)
    assert set(driver.execute_script(_FLAG_DRAWN_JS)["ids"]) == flagged

    shapes = embedded_store.unit_shapes(city)
    candidates = []
    for child, lon, lat in zip(shapes.codes, shapes.label_lon, shapes.label_lat, strict=True):
        x, y, width, height = project(driver, lon, lat)
        if child in flagged and visible(x, y, width, height):
            candidates.append((abs(x - width / 2) + abs(y - height / 2), child))
    child = min(candidates)[1]
    driver.execute_script(_RECORD_CLICKS_JS)
    click_map(driver, *shapes.labels[child])
    wait_for_url(driver, f"region={child}")
    wait_for_map(driver, child)
    assert driver.execute_script("return window.__bmClicks")[0][0] == "values"


_CHIP_JS = """
return Array.from(document.querySelectorAll('.bm-chips, .bm-chip, .bm-chip button'))
  .filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; })
  .map(e => e.className || e.tagName);
"""


def test_filter_chip_only_with_a_filter(dash_duo, battlemap_app, embedded_store):
    """No chip and no × above the map without a filter; with filter=cause:01 the chip says
    which, and its × removes it: on a desktop and on a phone, in one browser."""
    root = embedded_store.regions.roots()[0].code
    dash_duo.start_server(battlemap_app)
    for size in [(1440, 900), (390, 844)]:
        _filter_chip_at_size(dash_duo, root, size)


def _filter_chip_at_size(dash_duo, root: str, size: tuple[int, int]) -> None:
    driver = dash_duo.driver
    driver.set_window_size(*size)
    driver.get(dash_duo.server_url + f"/?region={root}&year=2016")
    wait_for_map(driver, root)
    dash_duo.wait_for_element("#ranking-table td")
    assert driver.execute_script(_CHIP_JS) == []
    screenshot(driver, f"no-filter-chip-{size[0]}")
    driver.get(dash_duo.server_url + f"/?region={root}&year=2016&filter=cause:01")
    wait_for_map(driver, root)
    dash_duo.wait_for_contains_text("#filter-label", "因病")
    assert len(driver.execute_script(_CHIP_JS)) == 3  # the row, the chip and its ×
    screenshot(driver, f"filter-chip-{size[0]}")
    driver.find_element(By.CSS_SELECTOR, ".bm-chip button").click()
    wait_js(driver, "return !location.search.includes('filter=')")
    wait_js(driver, "return document.querySelector('#filter-chip').hidden")
    assert driver.execute_script(_CHIP_JS) == []


def _touch_screen_with_a_filter(dash_duo, app, store, width: int, height: int, scale: int):
    """The province with a cause filter on an emulated touch screen, map and ranking drawn."""
    root = store.regions.roots()[0].code
    dash_duo.start_server(app)
    driver = dash_duo.driver
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": True},
    )
    driver.execute_cdp_cmd(
        "Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5}
    )
    driver.get(dash_duo.server_url + f"/?region={root}&year=2016&filter=cause:01")
    wait_for_map(driver, root)
    dash_duo.wait_for_contains_text("#filter-label", "因病")
    dash_duo.wait_for_element("#ranking-table td")
    return driver


def test_phone_map_on_the_first_screen(dash_duo, battlemap_app, embedded_store):
    """390×844 with a filter set: the map's top is on the first screen (with room to see
    the map) and every touch target, the search box and the chip's × too, is ≥ 40 px."""
    driver = _touch_screen_with_a_filter(dash_duo, battlemap_app, embedded_store, 390, 844, 2)
    top = driver.execute_script("return document.getElementById('map').getBoundingClientRect().top")
    screenshot(driver, "phone-first-screen", park=False)
    assert top <= 844 - 250, top  # at least 250 px of the map show before any scroll
    assert driver.execute_script(_SMALL_TARGETS_JS) == []
    chip_button, search = driver.execute_script(
        "return ['.bm-chip button', '#region-search'].map(s => {"
        "const r = document.querySelector(s).getBoundingClientRect();"
        "return [r.width, r.height]; });"
    )
    assert min(chip_button) >= 39.5 and search[1] >= 39.5, (chip_button, search)


def test_touch_tablet_targets(dash_duo, battlemap_app, embedded_store):
    """A touch screen wider than a phone (1024×768, pointer: coarse) with a filter set:
    the search box and the chip's × are ≥ 40 px like every other target."""
    driver = _touch_screen_with_a_filter(dash_duo, battlemap_app, embedded_store, 1024, 768, 1)
    assert driver.execute_script("return matchMedia('(pointer: coarse)').matches")
    assert driver.execute_script(_SMALL_TARGETS_JS) == []
