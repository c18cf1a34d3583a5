"""What users see at the sizes they have: a 390 px phone (touch), 1024-1920 px desktops.

Checked on what Chromium draws: boxes on screen, texts inside their charts, a tap on the
phone's map. One app and one Chromium for the module; each test sets the viewport.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from selenium import webdriver

from battlemap.geodata.access import ScopedStore
from battlemap.settings import Settings
from battlemap.views.cadres import cadres_panel
from battlemap.viewstate import ViewState
from tests.browser.helpers import (
    project,
    screenshot,
    visible,
    wait_for_map,
    wait_for_url,
    wait_js,
)

pytestmark = pytest.mark.browser

PHONE = (390, 844)
SI_SUFFIX = re.compile(r"\d[kMGT]$")


@pytest.fixture(scope="module")
def served(embedded_store, small_data_dir) -> Iterator[str]:
    """The app on the session's store, served once for the module."""
    from dash.testing.application_runners import ThreadedRunner

    from battlemap.app import create_app

    app = create_app(Settings(data_dir=small_data_dir), store=embedded_store, warm=False)
    runner = ThreadedRunner()
    runner.start(app)
    try:
        yield runner.url.rstrip("/")
    finally:
        runner.stop()


@pytest.fixture(scope="module")
def chrome() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                "--window-size=1920,1080", "--force-device-scale-factor=1"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options)
    try:
        yield driver
    finally:
        driver.quit()


def viewport(driver, width: int, height: int, *, phone: bool = False) -> None:
    """Exact CSS viewport; ``phone``: a mobile touch screen (pointer: coarse, taps)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": phone},
    )
    driver.execute_cdp_cmd(
        "Emulation.setTouchEmulationEnabled", {"enabled": phone, "maxTouchPoints": 5}
    )


def open_view(
    driver, base: str, region: str, query: str = "", *, panels: bool = True, year: int = 2020
) -> None:
    """Load a view and wait for its map (and, with ``panels``, the side charts)."""
    driver.get(f"{base}/?region={region}&year={year}{query}")
    wait_for_map(driver, region)
    if panels:
        wait_js(driver, "return !!document.querySelector('#radar-chart .main-svg')", timeout=15.0)
        time.sleep(0.3)


def _village(store) -> str:
    return max(
        store.regions.level_codes(5), key=lambda c: store.counts(c, 2016)["registered_households"]
    )


_EXPORT_JS = """
const panel = document.querySelector('.bm-map-panel').getBoundingClientRect();
const parts = Array.from(document.querySelectorAll('.bm-export > label, .bm-export-choice, ' +
  '.bm-export-button')).map(e => e.getBoundingClientRect());
const button = getComputedStyle(document.querySelector('.bm-export-button')).fontFamily;
return {inset: Math.min(...parts.map(r => r.left - panel.left)),
        right: Math.max(...parts.map(r => panel.right - r.right)),
        same_font: button === getComputedStyle(document.body).fontFamily};
"""

_FIRST_SCREEN_JS = """
const box = s => { const e = document.querySelector(s); return e && e.getBoundingClientRect(); };
const map = box('#map'), bar = box('#map .colorbar'), chip = box('.bm-chip');
return {vh: innerHeight, map: [map.top, map.bottom], bar: bar && [bar.top, bar.bottom],
        chip: chip && chip.height ? [chip.top, chip.bottom] : null};
"""


@pytest.mark.parametrize(
    "size, query",
    [
        ((1440, 900), "&lang=zh"),
        ((1440, 900), "&lang=en&filter=cause:01"),
        ((1920, 1080), "&lang=en&filter=cause:01"),
        ((1024, 768), "&lang=en"),
    ],
)
def test_whole_map_on_the_first_screen(chrome, served, embedded_store, size, query):
    """On a desktop the map with its colour bar ends above the bottom of the first screen
    (was cut by 34-88 px: a region's south and the legend's numbers below the fold), also
    with a cross-filter set (its chip sits beside the map's title); the export row under
    the map is inset from the panel's edge (it touched the border) in the page's font."""
    root = embedded_store.regions.roots()[0].code
    viewport(chrome, *size)
    open_view(chrome, served, root, query, panels=False)
    seen = chrome.execute_script(_FIRST_SCREEN_JS)
    assert seen["map"][1] <= seen["vh"] and seen["bar"][1] <= seen["vh"], seen
    if "filter" in query:
        assert seen["chip"] and seen["chip"][1] <= seen["map"][0] + 1, seen
    export = chrome.execute_script(_EXPORT_JS)
    assert export["inset"] >= 8 and export["right"] >= 8 and export["same_font"], export
    screenshot(chrome, f"sizes-first-screen-{size[0]}{query.replace('&', '-')}", park=False)


# Each breadcrumb item: the gap between its level (<small>) and its name, and the
# vertical centre of the name's text.
_CRUMBS_JS = """
return Array.from(document.querySelectorAll('#breadcrumb li')).map(li => {
  const small = li.querySelector('small');
  const text = Array.from(small.parentNode.childNodes).filter(
    n => n.nodeType === 3 && n.textContent.trim()).pop();
  const range = document.createRange();
  range.selectNodeContents(text);
  const name = range.getBoundingClientRect(), level = small.getBoundingClientRect();
  return {name: text.textContent, gap: name.left - level.right,
          middle: (name.top + name.bottom) / 2, top: li.getBoundingClientRect().top};
});
"""


# The search box's placeholder width (in its own font) and the room inside the box.
_PLACEHOLDER_JS = """
const i = document.getElementById('region-search'), s = getComputedStyle(i);
const c = document.createElement('canvas').getContext('2d');
c.font = getComputedStyle(i, '::placeholder').fontSize + ' ' + s.fontFamily;
return [c.measureText(i.placeholder).width,
        i.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight)];
"""


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_phone_breadcrumb_spaced_and_aligned(chrome, served, embedded_store, lang):
    """390 px touch: every crumb shows its level and name apart (was "Province贵州省": the
    40 px touch links are flex boxes, which drop the space) and the crumbs of one line
    share one text line (the current one sat ~10 px higher); the export row is inset; the
    search box's hint fits in it (its end was cut in both languages)."""
    village = _village(embedded_store)
    viewport(chrome, *PHONE, phone=True)
    open_view(chrome, served, village, f"&lang={lang}", panels=False)
    wait_js(chrome, "return document.querySelectorAll('#breadcrumb li').length === 5", timeout=15.0)
    crumbs = chrome.execute_script(_CRUMBS_JS)
    screenshot(chrome, f"sizes-phone-crumbs-{lang}", park=False)
    assert all(c["gap"] >= 2 for c in crumbs), crumbs
    export = chrome.execute_script(_EXPORT_JS)  # the export row inset on the phone too
    assert export["inset"] >= 8 and export["right"] >= 8 and export["same_font"], export
    hint, room = chrome.execute_script(_PLACEHOLDER_JS)
    assert hint <= room, (hint, room)  # the search box's hint is not cut
    rows: dict[int, list[float]] = {}
    for c in crumbs:
        row = next((r for r in rows if abs(r - c["top"]) < 20), round(c["top"]))
        rows.setdefault(row, []).append(c["middle"])
    assert all(max(m) - min(m) <= 2 for m in rows.values()), crumbs


# Texts of the side charts (axis names, ticks, legends) outside their chart's box, and
# the tick texts of each chart.
_CHART_TEXT_JS = """
const out = {outside: [], ticks: {}};
document.querySelectorAll('.bm-side .js-plotly-plot').forEach(gd => {
  const box = gd.getBoundingClientRect();
  const id = gd.closest('[id]').id;
  gd.querySelectorAll('text').forEach(t => {
    const r = t.getBoundingClientRect();
    if (!t.textContent.trim() || r.width === 0) return;
    if (r.left < box.left - 1 || r.right > box.right + 1)
      out.outside.push(id + ': ' + t.textContent + ' ' + Math.round(r.left) + '-' +
                       Math.round(r.right) + ' of ' + Math.round(box.left) + '-' +
                       Math.round(box.right));
  });
  out.ticks[id] = Array.from(gd.querySelectorAll('.xtick text, .ytick text'))
    .map(t => t.textContent);
});
return out;
"""


# How many text lines each cadre's (masked) name takes in the cadres table.
_NAME_LINES_JS = """
const out = {};
document.querySelectorAll('#cadre-table td[data-dash-column=name]').forEach(td => {
  const range = document.createRange();
  range.selectNodeContents(td);
  out[td.textContent] = new Set(Array.from(range.getClientRects())
    .filter(r => r.width > 0).map(r => Math.round(r.top))).size;
});
return out;
"""


def _zero_score_county(store) -> str:
    """A county whose cadres in post all score 0 in 2020 (its score chart has no bar)."""
    access = ScopedStore(store)
    for code in store.regions.level_codes(3):
        figure = cadres_panel(access, ViewState(region=code, year=2020)).figure
        if figure and figure["data"] and not any(figure["data"][0]["x"]):
            return code
    raise AssertionError("no county with all-zero scores in 2020")


def test_phone_chart_texts_inside_charts(chrome, served, embedded_store):
    """390 px: no chart text runs out of its chart (the radar's "Medical insurance" was
    cut at the left edge), the funds chart's 万元 ticks carry no SI "k", and a score chart
    whose scores are all 0 shows no negative scores (was −1 … 1); a cadre's masked name
    stays on one line (was "杨" over "**")."""
    root = embedded_store.regions.roots()[0].code
    county = _zero_score_county(embedded_store)
    viewport(chrome, *PHONE, phone=True)
    for region, lang in ((_village(embedded_store), "en"), (root, "zh"), (county, "zh")):
        open_view(chrome, served, region, f"&lang={lang}")
        if region == county:
            wait_js(chrome, "return !!document.querySelector('#cadre-chart .xtick')", timeout=15.0)
        if region == root:
            wait_js(chrome, "return !!document.querySelector('#funds-chart .ytick')", timeout=15.0)
        seen = chrome.execute_script(_CHART_TEXT_JS)
        assert seen["outside"] == [], seen["outside"]
        if region == root:
            funds = seen["ticks"]["funds-chart"]
            assert funds and not any(SI_SUFFIX.search(t) for t in funds), funds
        elif region == county:
            scores = seen["ticks"]["cadre-chart"]
            assert scores and not any(t.startswith(("−", "-")) for t in scores), scores
            wait_js(chrome, "return !!document.querySelector('#cadre-table td')", timeout=15.0)
            lines = chrome.execute_script(_NAME_LINES_JS)
            assert lines and all(n == 1 for n in lines.values()), lines
        else:
            chrome.execute_script("document.getElementById('radar-chart').scrollIntoView()")
            screenshot(chrome, "sizes-phone-radar-en", park=False)


_OVERLAP_JS = """
const box = s => document.querySelector(s).getBoundingClientRect();
const legend = box('#map .legend');
const buttons = Array.from(document.querySelectorAll('#map .modebar-btn'))
  .map(b => b.getBoundingClientRect()).filter(r => r.width > 0);
const hit = buttons.filter(r => r.left < legend.right && r.right > legend.left &&
                               r.top < legend.bottom && r.bottom > legend.top);
return {buttons: buttons.length, overlaps: hit.length};
"""


# What plotly reported as hit by the first tap (the page is not reloaded by a drill).
_RECORD_TAPS_JS = """
window.__bmTaps = [];
document.querySelector('#map .js-plotly-plot')._ev.prependListener('plotly_click',
  e => window.__bmTaps.push((e.points[0] && e.points[0].data && e.points[0].data.meta) || ''));
"""


# Whether an H3 hexbin is painted at a canvas pixel.
_HEXBIN_AT_JS = """
const gd = document.querySelector('#map .js-plotly-plot');
const m = gd._fullLayout.map._subplot.map;
const layers = gd._fullData.filter(t => t.meta === 'hexbins')
  .map(t => 'plotly-trace-layer-' + t.uid + '-fill').filter(id => m.getLayer(id));
return layers.length > 0 &&
  m.queryRenderedFeatures([arguments[0], arguments[1] + 2], {layers: layers}).length > 0;
"""


def test_phone_legend_clear_of_mode_bar_and_tap_drills(chrome, served, embedded_store):
    """390 px touch, English: the map's mode bar no longer covers the legend
    ("Households remaining" ran under its camera), zoom and reset stay; finger taps on a
    child region drill province → city → county → township → village, through the
    H3 hexbins drawn on top."""
    store = embedded_store
    region = store.regions.roots()[0].code
    viewport(chrome, *PHONE, phone=True)
    open_view(chrome, served, region, "&lang=en", panels=False)
    seen = chrome.execute_script(_OVERLAP_JS)
    assert seen["buttons"] >= 3 and seen["overlaps"] == 0, seen
    screenshot(chrome, "sizes-phone-legend-en", park=False)
    # the walk with H3 hexbins on top (drawn above township level): a tap hits them first
    layers = "&lang=en&layers=choropleth,labels,hexbins"
    open_view(chrome, served, region, layers, panels=False, year=2016)
    chrome.execute_script(_RECORD_TAPS_JS)
    for _ in range(4):
        chrome.execute_script("document.getElementById('map').scrollIntoView({block: 'center'})")
        time.sleep(0.3)
        shapes = store.unit_shapes(region)
        left, top = chrome.execute_script(
            "const r = document.querySelector('#map canvas.maplibregl-canvas')"
            ".getBoundingClientRect(); return [r.left, r.top];"
        )
        spots = []
        for child, lon, lat in zip(shapes.codes, shapes.label_lon, shapes.label_lat, strict=True):
            x, y, width, height = project(chrome, lon, lat)
            if visible(x, y, width, height) and child != region:
                # a child under a hexbin first, then the one nearest the middle
                under = not chrome.execute_script(_HEXBIN_AT_JS, x, y)
                spots.append((under, abs(x - width / 2) + abs(y - height / 2), child, x, y))
        assert spots, f"no child of {region} to tap"
        *_, child, x, y = min(spots)
        point = [{"x": left + x, "y": top + y + 2, "id": 0}]
        chrome.execute_cdp_cmd(
            "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": point}
        )
        chrome.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        wait_for_url(chrome, f"region={child}")
        wait_for_map(chrome, child)
        region = child
    assert store.regions.get(region).level == 5
    assert chrome.execute_script("return window.__bmTaps")[0] == "hexbins"
    screenshot(chrome, "sizes-phone-tapped-to-village", park=False)


# The header's rows (its visible parts grouped by vertical overlap), its texts cut, and the
# boxes of the map's legend and its credit line (the annotation).
_HEADER_CREDIT_JS = """
const parts = Array.from(document.querySelector('.bm-header').children)
  .map(e => [e, e.getBoundingClientRect()]).filter(([e, r]) => r.width > 0 && r.height > 0)
  .sort((a, b) => a[1].top - b[1].top);
let rows = 0, bottom = -1;
parts.forEach(([e, r]) => {
  if (r.top >= bottom - 1) { rows += 1; }
  bottom = Math.max(bottom, r.bottom);
});
const cut = Array.from(document.querySelectorAll('.bm-header h1, .bm-badge, .bm-lang a'))
  .filter(e => e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > innerWidth)
  .map(e => e.textContent);
const box = s => { const e = document.querySelector(s); const r = e && e.getBoundingClientRect();
                   return r && [r.left, r.top, r.right, r.bottom]; };
return {rows: rows, cut: cut, legend: box('#map .legend'), credit: box('#map .annotation')};
"""


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_phone_header_rows_and_credit_clear_of_legend(chrome, served, embedded_store, lang):
    """390 px touch, a village with its household points: the header takes two rows at
    most with no text cut (English took three: the badge wrapped alone onto a row), and
    the map's credit line breaks into lines clear of the legend (in English it ran over
    the second legend entry)."""
    viewport(chrome, *PHONE, phone=True)
    query = f"&lang={lang}&layers=choropleth,labels,households"
    open_view(chrome, served, _village(embedded_store), query, panels=False, year=2016)
    # the figure for the phone's map width follows the first paint's (a 640 px map)
    deadline = time.monotonic() + 10
    while True:
        seen = chrome.execute_script(_HEADER_CREDIT_JS)
        clear = seen["legend"] and seen["credit"] and not _overlap(seen["legend"], seen["credit"])
        if clear or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    screenshot(chrome, f"sizes-phone-header-credit-{lang}", park=False)
    assert seen["rows"] <= 2 and seen["cut"] == [], seen
    assert seen["legend"] and seen["credit"] and not _overlap(seen["legend"], seen["credit"]), seen


def test_wall_has_no_scrollbar_track(chrome, served):
    """The wall fills the whole screen: no empty scrollbar track down its right edge (the
    page's ``html { overflow-y: scroll }`` reserved 15 px of white, at 4K too)."""
    viewport(chrome, 1920, 1080)
    chrome.get(f"{served}/wall?interval=600")
    wait_js(chrome, "return !!document.querySelector('.bm-wall .bm-wall-tile')", timeout=15.0)
    widths = chrome.execute_script(
        "return [innerWidth, document.documentElement.clientWidth,"
        " document.querySelector('.bm-wall').getBoundingClientRect().width];"
    )
    assert widths[0] == widths[1] == widths[2], widths
