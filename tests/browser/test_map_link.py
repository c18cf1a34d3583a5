"""The map view in the link: pan and zoom by hand, share the URL, the same map comes back."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.helpers import wait_for_map, wait_for_url

pytestmark = pytest.mark.browser

_VIEW_JS = """
const gd = document.querySelector('#map .js-plotly-plot');
const m = gd._fullLayout.map._subplot.map;
const c = m.getCenter();
return [m.getZoom(), c.lat, c.lng];
"""


def _view(driver) -> tuple[float, float, float]:
    return tuple(driver.execute_script(_VIEW_JS))


def _wait_view(driver, want: tuple[float, float, float], timeout: float = 10.0) -> tuple:
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        got = _view(driver)
        if abs(got[0] - want[0]) < 0.02 and all(
            abs(a - b) < 1e-3 for a, b in zip(got[1:], want[1:], strict=True)
        ):
            return got
        time.sleep(0.1)
    raise AssertionError(f"map view {got} never became {want}")


def test_moved_map_is_in_the_link(dash_duo, battlemap_app, embedded_store):
    root = embedded_store.regions.roots()[0].code
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(1440, 900)
    driver.get(dash_duo.server_url + f"/?region={root}&year=2016")
    wait_for_map(driver, root)
    fitted = _view(driver)
    assert "map=" not in driver.current_url

    # zoom in with the mode bar's + and drag the map: the URL follows
    driver.find_element(
        By.CSS_SELECTOR, "#map [data-title='Zoom in'], #map [data-val='in']"
    ).click()
    canvas = driver.find_element(By.CSS_SELECTOR, "#map canvas.maplibregl-canvas")
    ActionChains(driver).move_to_element(canvas).click_and_hold().move_by_offset(
        120, 60
    ).move_by_offset(40, 20).release().perform()
    url = wait_for_url(driver, "map=")
    time.sleep(0.5)
    url = driver.current_url
    moved = _view(driver)
    assert moved[0] > fitted[0] + 0.2  # zoomed in
    assert abs(moved[2] - fitted[2]) > 0.05  # and panned
    zoom, lat, lon = (float(x) for x in url.split("map=")[1].split("&")[0].split("/"))
    assert abs(zoom - moved[0]) < 0.01 and abs(lat - moved[1]) < 1e-4 and abs(lon - moved[2]) < 1e-4

    # a year change keeps the view (and the link keeps it too)
    thumb = driver.find_element(By.CSS_SELECTOR, "#year-slider [role=slider]")
    thumb.send_keys(Keys.ARROW_RIGHT)
    wait_for_url(driver, "year=2017")
    assert "map=" in driver.current_url
    _wait_view(driver, moved)

    # the shared link, opened fresh, shows the same map
    shared = driver.current_url
    driver.get("about:blank")
    driver.get(shared)
    wait_for_map(driver, root)
    _wait_view(driver, moved)

    # drilling fits the new region and drops the view from the link
    child = embedded_store.regions.children(root)[0].code
    driver.get(dash_duo.server_url + f"/?region={root}&year=2016&map=9/26.5/106.7")
    wait_for_map(driver, root)
    _wait_view(driver, (9.0, 26.5, 106.7))
    driver.execute_script(
        "window.dash_clientside.set_props('map',"
        " {clickData: {points: [{location: arguments[0]}]}})",
        child,
    )
    wait_for_url(driver, f"region={child}")
    assert "map=" not in driver.current_url
    wait_for_map(driver, child)
    # back: the province with the linked view again
    driver.back()
    wait_for_map(driver, root)
    _wait_view(driver, (9.0, 26.5, 106.7))
    assert dash_duo.get_logs() == []
