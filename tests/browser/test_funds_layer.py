"""The projects layer, a funds choropleth and the funds panel draw in Chromium (issue 14)."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By

from battlemap.geodata.datadir import read_manifest
from tests.browser.helpers import ARTIFACTS, map_state, wait_for_map

pytestmark = pytest.mark.browser


def test_projects_layer_and_funds_panel_draw(dash_duo, battlemap_app, small_data_dir):
    planted = read_manifest(small_data_dir)["funds"]["planted"]
    county = planted[0]["project_id"][2:8] + "000000"
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(1440, 1000)
    driver.get(
        dash_duo.server_url
        + f"/?region={county}&year=2020&indicator=payment_rate&layers=choropleth,projects"
    )
    state = wait_for_map(driver, county)
    traces = map_state(driver)["traces"]
    assert any(t.startswith("scattermap:扶贫项目") for t in traces), traces
    assert state["z"] and any(z is not None for z in state["z"]), state["z"]
    deadline = time.monotonic() + 10
    rows = []
    while time.monotonic() < deadline and not rows:
        rows = driver.find_elements(By.CSS_SELECTOR, "#funds-table tbody tr td")
        time.sleep(0.1)
    assert rows, "the funds panel lists no anomaly"
    assert "支出进度" in driver.find_element(By.ID, "funds-note").text
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "funds-projects-map.png"))
    panel = driver.find_element(By.ID, "funds-panel")
    driver.execute_script("arguments[0].scrollIntoView()", panel)
    time.sleep(0.3)
    driver.save_screenshot(str(ARTIFACTS / "funds-panel.png"))
