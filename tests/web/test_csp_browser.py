"""The real page under the Content-Security-Policy (issue 18.10): headless Chromium loads
it, drills, switches on every layer and plays the years with no CSP violation."""

from __future__ import annotations

import time
import urllib.request

import pytest
from selenium.webdriver.common.by import By

from battlemap.app import create_app
from battlemap.settings import Settings
from battlemap.web.security import CONTENT_SECURITY_POLICY
from tests.browser.helpers import click_map, project, screenshot, visible, wait_for_map

pytestmark = pytest.mark.browser


@pytest.fixture
def battlemap_app(embedded_store, small_data_dir):
    return create_app(Settings(data_dir=small_data_dir), store=embedded_store, warm=False)


def _violations(driver) -> list[str]:
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]
    ]


def test_page_works_under_the_csp(dash_duo, battlemap_app, embedded_store) -> None:
    store = embedded_store
    root = store.regions.roots()[0].code
    dash_duo.start_server(battlemap_app)
    with urllib.request.urlopen(dash_duo.server_url + "/") as response:
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY
    driver = dash_duo.driver
    driver.set_window_size(1400, 1000)
    driver.get(dash_duo.server_url + f"/?region={root}&year=2016")
    wait_for_map(driver, root)
    shapes = store.unit_shapes(root)
    child = next(
        code
        for code, lon, lat in zip(shapes.codes, shapes.label_lon, shapes.label_lat, strict=True)
        if visible(*project(driver, lon, lat))
    )
    index = shapes.codes.index(child)
    click_map(driver, shapes.label_lon[index], shapes.label_lat[index])
    wait_for_map(driver, child)  # the map worker, callbacks and the drill all ran
    for box in driver.find_elements(By.CSS_SELECTOR, "#layers input[type=checkbox]"):
        if not box.is_selected():
            box.click()
            time.sleep(0.5)
    time.sleep(3)
    screenshot(driver, "csp-all-layers")
    assert _violations(driver) == []
