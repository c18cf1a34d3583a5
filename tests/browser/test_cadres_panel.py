"""The cadre check-in layer and the cadres panel draw in Chromium (issue 15)."""

from __future__ import annotations

import time

import pandas as pd
import pytest
from selenium.webdriver.common.by import By

from battlemap.geodata.datadir import read_manifest
from tests.browser.helpers import ARTIFACTS, map_state, wait_for_map

pytestmark = pytest.mark.browser


def _far_village(data_dir) -> str:
    planted = read_manifest(data_dir)["cadre_problems"]["problems"]
    visit = next(p["visit_id"] for p in planted if p["kind"] == "far_checkin")
    visits = pd.read_parquet(data_dir / "visits.parquet", columns=["visit_id", "hh_id"])
    hh_id = visits.loc[visits.visit_id == visit, "hh_id"].iloc[0]
    return hh_id[:12]


def test_checkin_layer_and_cadres_panel_draw(dash_duo, battlemap_app, small_data_dir):
    village = _far_village(small_data_dir)
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(1440, 1000)
    driver.get(
        dash_duo.server_url + f"/?region={village}&year=2018&layers=choropleth,checkins,households"
    )
    wait_for_map(driver, village, timeout=40)
    traces = map_state(driver)["traces"]
    assert any(t.startswith("scattermap:未真正入户") for t in traces), traces
    assert any(t.startswith("scattermap:走访") for t in traces), traces
    deadline = time.monotonic() + 30
    rows = []
    while time.monotonic() < deadline and not rows:
        rows = driver.find_elements(By.CSS_SELECTOR, "#cadre-table tbody tr td")
        time.sleep(0.1)
    assert rows, "the cadres panel has no rows"
    note = driver.find_element(By.ID, "cadre-note").text
    assert "未真正入户 1 次" in note, note
    names = [
        c.text
        for c in driver.find_elements(By.CSS_SELECTOR, "#cadre-table td[data-dash-column=name]")
    ]
    assert names and all(n[1:] and set(n[1:]) == {"*"} for n in names), names  # open demo: masked
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "cadres-village.png"))
    panel = driver.find_element(By.ID, "cadres-panel")
    driver.execute_script("arguments[0].scrollIntoView()", panel)
    time.sleep(0.3)
    driver.save_screenshot(str(ARTIFACTS / "cadres-panel.png"))

    county = village[:6] + "000000"
    driver.get(dash_duo.server_url + f"/?region={county}&year=2018&indicator=cadre_score")
    state = wait_for_map(driver, county, timeout=40)
    assert state["z"] and any(z is not None for z in state["z"]), state["z"]
    driver.save_screenshot(str(ARTIFACTS / "cadres-score-map.png"))

    # the English county view at 1440 px: English headers, the tables fit their panels
    driver.get(dash_duo.server_url + f"/?region={county}&year=2018&lang=en")
    wait_for_map(driver, county, timeout=40)
    headers: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and "Warnings" not in headers:
        headers = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "#cadre-table th")]
        time.sleep(0.2)
    assert headers[-3:] == ["Warnings", "Score", "Problems"], headers
    roles = driver.find_elements(By.CSS_SELECTOR, "#cadre-table td[data-dash-column=role]")
    assert roles and all(r.text in ("First secretary", "Work team member", "Helper")
                         for r in roles)  # fmt: skip
    for panel in ("cadres-panel", "funds-panel"):
        element = driver.find_element(By.ID, panel)
        driver.execute_script("arguments[0].scrollIntoView()", element)
        wide = driver.execute_script(_OVERFLOW_JS, element)
        assert wide == [], (panel, wide)
        element.screenshot(str(ARTIFACTS / f"{panel}-en-county.png"))


# elements of a panel wider than their box (a table scrolling sideways) or sticking out of it
_OVERFLOW_JS = """
const panel = arguments[0], right = panel.getBoundingClientRect().right;
const out = [];
panel.querySelectorAll('*').forEach(n => {
  const box = n.getBoundingClientRect();
  if (n.scrollWidth > n.clientWidth + 1 && getComputedStyle(n).overflowX !== 'visible')
    out.push(['scrolls', n.className.toString().slice(0, 40), n.scrollWidth, n.clientWidth]);
  else if (box.width > 0 && box.right > right + 1)
    out.push(['sticks out', n.tagName, Math.round(box.right), Math.round(right)]);
});
return out.slice(0, 5);
"""
