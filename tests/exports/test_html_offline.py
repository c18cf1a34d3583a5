"""The interactive HTML exports open with no network and draw their map, stamped, with the
numbers `battlemap stats` gives; they follow the caller's scope and rights."""

from __future__ import annotations

import dataclasses
import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from battlemap.exports import ExportRequest, render
from battlemap.exports.html_folium import HOUSEHOLD_CAP, folium_map
from battlemap.exports.offline import external_references
from battlemap.exports.stamp import SYNTHETIC_MARK
from battlemap.geodata.access import MissingRightError, OutOfScopeError, Scope, ScopedStore
from battlemap.views.summary import region_summary
from battlemap.viewstate import ViewState
from tests.exports.offline_browser import (
    console_errors,
    offline_chrome,
    open_offline,
    screen_stats,
    wait_for,
)

CITY = "520100000000"  # 贵阳市: ten counties, one of them a flagged 贫困县 (息烽县)
YEAR = 2018
WHEN = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def browser():
    driver = offline_chrome()
    yield driver
    driver.quit()


def _request(store, *, scope: Scope | None = None, lang: str = "zh", **options) -> ExportRequest:
    return ExportRequest(
        ScopedStore(store, scope or Scope()),
        ViewState(region=CITY, year=YEAR, lang=lang),
        options=options,
        generated_at=WHEN,
    )


@pytest.fixture(scope="module")
def pages(embedded_store, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("html-exports")
    out = {}
    for fmt in ("html-folium", "html-deck"):
        result = render(fmt, _request(embedded_store))
        out[fmt] = folder / result.filename
        out[fmt].write_bytes(result.data)
    return out


@pytest.mark.parametrize("fmt", ["html-folium", "html-deck"])
def test_page_is_one_offline_file_with_the_stamp(pages, embedded_store, fmt: str) -> None:
    text = pages[fmt].read_text(encoding="utf-8")
    assert external_references(text) == []
    suffix = "folium" if fmt == "html-folium" else "deck"
    assert pages[fmt].name == f"{CITY}_{YEAR}_incidence_{suffix}.html"
    rules = embedded_store.rules.digest()
    for piece in ("贵阳市", CITY, str(YEAR), "贫困发生率", rules, SYNTHETIC_MARK, "2026-12-01"):
        assert piece in text


@pytest.mark.browser
def test_folium_map_draws_offline_with_stats_numbers(
    browser, pages, embedded_store, artifacts
) -> None:
    open_offline(browser, pages["html-folium"])
    wait_for(browser, "document.querySelector('.leaflet-overlay-pane canvas')")
    wait_for(browser, "document.querySelectorAll('.marker-cluster').length > 0")
    assert console_errors(browser) == []
    loads = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert [u for u in loads if not u.startswith(("file:", "data:", "blob:"))] == []
    stamp = browser.find_element("id", "bm-stamp").text
    assert "贵阳市" in stamp and SYNTHETIC_MARK in stamp and str(YEAR) in stamp
    # the map area (below the stamp, left of the layer control) is drawn, not blank
    browser.save_screenshot(str(artifacts / "html-folium.png"))  # kept for a look
    stats = screen_stats(browser, (60, 120, 900, 600))
    assert stats["variance"] > 50 and stats["colours"] > 20, stats
    # a child's tooltip carries the incidence `battlemap stats` gives for it
    summary = region_summary(embedded_store, CITY, YEAR)
    child, incidence = next((c, v) for c, v in summary["children"].items() if v)
    lon, lat = embedded_store.unit_shapes(CITY).labels[child]  # a point inside the child
    # a real hover: the mouse moved over the child's polygon on the canvas (the cluster
    # icons, HTML above the canvas, are hidden so none of them catches the mouse)
    browser.execute_script("document.querySelector('.leaflet-marker-pane').hidden = true")
    x, y, under = _settled_point(browser, lon, lat)
    assert under == "overlay canvas", under  # no control, stamp or legend over the point
    _hover(browser, browser.find_element("id", "bm-stamp"), x, y)
    text = wait_for(
        browser,
        "document.querySelector('.leaflet-tooltip') && "
        "document.querySelector('.leaflet-tooltip').innerText",
    )
    assert text is not None
    assert child in text  # the hovered child's tooltip, not a neighbour's
    assert f"{incidence:,.2f}%" in text
    assert "贫困人口" in text and "脱贫进度" in text  # every indicator, not only the shown one


_SETTLED_POINT_JS = """
const [lon, lat, done] = arguments;
const key = Object.keys(window).find(k => k.startsWith('map_') && window[k] && window[k].getZoom);
const map = window[key];
const frame = () => new Promise(resolve => requestAnimationFrame(resolve));
const busy = () => map._animatingZoom || map.dragging.moving()
  || (map._panAnim && map._panAnim._inProgress)
  || map.getPane('mapPane').classList.contains('leaflet-zoom-anim');
(async () => {
  const end = performance.now() + 20000;
  let last = null;
  while (performance.now() < end) {
    // two frames: a zoom animation that fitBounds queued for the next frame has started
    await frame(); await frame();
    const view = busy() ? null : JSON.stringify([map.getZoom(), map.getCenter()]);
    if (view !== null && view === last) break;
    last = view;
  }
  const p = map.latLngToContainerPoint([lat, lon]);
  const box = map.getContainer().getBoundingClientRect();
  const x = Math.round(box.left + p.x), y = Math.round(box.top + p.y);
  const canvas = document.querySelector('.leaflet-overlay-pane canvas');
  const under = document.elementFromPoint(x, y);
  done([x, y, busy() ? 'map still moving' : under === canvas ? 'overlay canvas'
        : under.tagName + '.' + under.className]);
})();
"""


def _settled_point(driver, lon: float, lat: float) -> tuple[int, int, str]:
    """The page point of (lon, lat) once the Leaflet map has stopped moving, and what is
    there. The page's fitBounds zooms with an animation, and Leaflet's canvas renderer
    ignores every mouse move while one runs (``_animatingZoom``): a hover that lands in it
    opens no tooltip, and with no further move none ever opens."""
    driver.set_script_timeout(30)
    return tuple(driver.execute_async_script(_SETTLED_POINT_JS, lon, lat))


def _hover(driver, away, x: int, y: int) -> None:
    """Move the mouse off the map (onto ``away``, an element outside the map container)
    and then onto (x, y), as a user would: the map sees the mouse leave and arrive, so the
    canvas fires mouseover even if the mouse rested on (x, y) before. The pause lets
    Leaflet's 32 ms hover throttle pass between the moves."""
    box = away.rect
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for point in (centre, (x, y)):
        driver.execute_cdp_cmd(
            "Input.dispatchMouseEvent", {"type": "mouseMoved", "x": point[0], "y": point[1]}
        )
        time.sleep(0.1)


@pytest.mark.browser
def test_deck_map_draws_offline(browser, pages, artifacts) -> None:
    open_offline(browser, pages["html-deck"])
    wait_for(browser, "document.querySelector('#deck-container canvas')")
    wait_for(browser, "typeof deckInstance !== 'undefined' && deckInstance.isInitialized")
    end = time.monotonic() + 20  # software WebGL: the first frame takes a moment
    while True:
        stats = screen_stats(browser, (0, 120, 1200, 600))
        if (stats["variance"] > 50 and stats["colours"] > 20) or time.monotonic() > end:
            break
        time.sleep(0.3)
    assert stats["variance"] > 50 and stats["colours"] > 20, stats
    assert console_errors(browser) == []
    browser.save_screenshot(str(artifacts / "html-deck.png"))  # kept for a look
    assert "贵阳市" in browser.find_element("id", "bm-stamp").text


def test_household_points_are_masked_and_clustered(embedded_store) -> None:
    result = render("html-folium", _request(embedded_store))
    text = result.data.decode()
    data = json.loads(re.search(r"var data = (\[\[.*?\]\]);", text).group(1))
    registered = embedded_store.counts(CITY, YEAR)["registered_households"]
    assert len(data) == registered <= HOUSEHOLD_CAP
    names = {row[6] for row in data}
    assert names and all(re.fullmatch(r".\*+", n) for n in names)


def test_households_only_with_the_household_layer(embedded_store) -> None:
    request = _request(embedded_store)
    request = ExportRequest(request.access, ViewState(CITY, YEAR, layers=("choropleth",)))
    built = folium_map(request)
    assert built.households == 0 and built.note == ""


def test_households_left_out_without_the_right(embedded_store) -> None:
    built = folium_map(_request(embedded_store, scope=Scope(households=False)))
    assert built.households == 0 and "仅可导出汇总数据" in built.note
    text = render("html-folium", _request(embedded_store, scope=Scope(households=False))).data
    assert b"markerClusterGroup" not in text


@pytest.mark.parametrize("fmt", ["html-folium", "html-deck"])
@pytest.mark.parametrize(
    ("scope", "error"),
    [
        (Scope(roots=("520200000000",)), OutOfScopeError),  # another city
        (Scope(exports=False), MissingRightError),
    ],
)
def test_scope_and_export_right_are_checked(embedded_store, fmt, scope, error) -> None:
    with pytest.raises(error):
        render(fmt, _request(embedded_store, scope=scope))


def test_deck_h3_columns_and_english(embedded_store) -> None:
    text = render("html-deck", _request(embedded_store, lang="en", cells=True)).data.decode()
    assert '"@@type": "H3HexagonLayer"' in text and "Poverty incidence" in text
    assert external_references(text) == []
    # the view's hexbin layer asks for the same
    state = ViewState(CITY, YEAR, layers=("choropleth", "hexbins"))
    hexbins = render("html-deck", ExportRequest(ScopedStore(embedded_store), state)).data
    assert b'"@@type": "H3HexagonLayer"' in hexbins


def test_deck_columns_are_the_poor_persons_of_stats(pages, embedded_store) -> None:
    text = pages["html-deck"].read_text(encoding="utf-8")
    deck = json.loads(re.search(r"const jsonInput = (\{.*?\});\n", text, re.S).group(1))
    columns = next(layer for layer in deck["layers"] if layer["id"] == "columns")
    assert columns["@@type"] == "ColumnLayer"
    shapes = embedded_store.unit_shapes(CITY)
    heights = {tuple(row["pos"]): row["v"] for row in columns["data"]}
    assert len(heights) == len(shapes.codes)
    for code, point in shapes.labels.items():
        assert heights[point] == region_summary(embedded_store, code, YEAR)["poor_persons"]
    flows = next(layer for layer in deck["layers"] if layer["id"] == "flows")
    assert flows["@@type"] == "ArcLayer" and len(flows["data"]) > 0


def _features(page: bytes) -> list[dict]:
    """The choropleth's GeoJSON features as folium wrote them into the page."""
    text = page.decode()
    for match in re.finditer(r"_add\((\{\"features\".*?\})\);", text):
        collection = json.loads(match.group(1))
        if "fill" in collection["features"][0]["properties"]:
            return collection["features"]
    raise AssertionError("no choropleth layer in the page")


@pytest.mark.postgis
def test_folium_numbers_agree_on_postgis(embedded_store, postgis_store) -> None:
    embedded = _features(render("html-folium", _request(embedded_store)).data)
    postgis = _features(render("html-folium", _request(postgis_store)).data)
    assert [f["properties"] for f in embedded] == [f["properties"] for f in postgis]
    assert [f["geometry"] for f in embedded] == [f["geometry"] for f in postgis]


class _MarkupNames:
    """The small store, but every unit and household named with markup (as a hostile
    boundary or household file could): exports must show it as text."""

    NAME = '<img src=x onerror="alert(1)">'

    def __init__(self, store) -> None:
        self._store = store

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    def unit_shapes(self, code):
        shapes = self._store.unit_shapes(code)
        collection = json.loads(shapes.geojson)
        for feature in collection["features"]:
            feature["properties"]["name"] = self.NAME
        return dataclasses.replace(
            shapes,
            names=tuple(self.NAME for _ in shapes.names),
            geojson=json.dumps(collection).encode(),
        )

    def households(self, code, year):
        return self._store.households(code, year).assign(head_name=self.NAME)


def test_deck_names_are_text_not_markup(embedded_store) -> None:
    page = render("html-deck", _request(_MarkupNames(embedded_store))).data.decode()
    assert "<img src=x" not in page and "&lt;img src=x" in page


@pytest.mark.browser
def test_folium_names_are_text_not_markup(browser, embedded_store, tmp_path) -> None:
    """Tooltips are HTML: a region's or a household's name shows as text, runs nothing."""
    result = render("html-folium", _request(_MarkupNames(embedded_store), scope=Scope(pii=True)))
    path = tmp_path / result.filename
    path.write_bytes(result.data)
    open_offline(browser, path)
    wait_for(browser, "document.querySelector('.leaflet-overlay-pane canvas')")
    texts = browser.execute_script(
        """
        const out = [];
        for (const key of Object.keys(window)) {
          const layer = window[key];
          if (!layer || !layer.eachLayer) continue;
          if (key.startsWith('geo_json_') && layer.getTooltip && layer.getTooltip()) {
            layer.eachLayer(l => { if (!out.length) {
              layer.getTooltip()._source = l; layer.openTooltip(l.getBounds().getCenter()); }});
            out.push(document.querySelector('.leaflet-tooltip').innerHTML);
          }
          if (key.startsWith('fast_marker_cluster_')) {
            // a clustered marker is off the map: its tooltip's HTML, parsed inertly
            const marker = layer.getLayers()[0];
            const content = marker.getTooltip()._content;
            const html = typeof content === 'function' ? content(marker) : content;
            const inert = document.createElement('template');
            inert.innerHTML = html;
            out.push(inert.content.querySelector('img') ? '<img>' : inert.innerHTML);
          }
        }
        return out;
        """
    )
    assert len(texts) == 2, texts
    for text in texts:
        assert "&lt;img src=x" in text and "<img" not in text
    assert browser.execute_script("return document.querySelectorAll('img[src=x]').length") == 0
