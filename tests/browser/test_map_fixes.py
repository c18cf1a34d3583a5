"""Issue 17's map fixes, checked on what Chromium draws and what a click does."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.drawn import drawn_labels
from tests.browser.helpers import screenshot, wait_for_map, wait_for_url

pytestmark = pytest.mark.browser

BIJIE = "520500000000"  # 毕节市: 8 counties


def _wait_js(driver, script: str, *, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"never true: {script}")


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
    _wait_js(driver, _SOME_LIGHT)
    labels = drawn_labels(driver)
    screenshot(driver, "labels-province-2014-after-patch")
    assert labels["missing"] == [] and labels["outside"] == []
    assert len(labels["drawn"]) == 9

    driver.get(dash_duo.server_url + f"/?region={BIJIE}&year=2019&indicator=incidence")
    wait_for_map(driver, BIJIE)
    assert len(drawn_labels(driver)["drawn"]) == 8
    _pick_indicator(dash_duo, "脱贫进度")
    wait_for_url(driver, "indicator=exit_progress")
    _wait_js(driver, _SOME_LIGHT)
    labels = drawn_labels(driver)
    screenshot(driver, "labels-bijie-exit-progress-after-patch")
    assert labels["missing"] == [] and labels["outside"] == []
    assert len(labels["drawn"]) == 8
