"""Year and indicator changes, a reloaded deep link, back/forward, language, phone layout."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from battlemap.indicators.incidence import incidence_pct
from tests.browser.helpers import (
    cjk_font_ok,
    map_state,
    overflowing,
    screenshot,
    wait_for_map,
    wait_for_url,
)

pytestmark = pytest.mark.browser


def _county(store) -> str:
    return max(
        store.regions.level_codes(3), key=lambda c: store.counts(c, 2016)["registered_households"]
    )


def _expected(store, code: str, year: int, indicator: str) -> dict:
    values = {}
    for child, counts in store.children_counts(code, year).items():
        value = incidence_pct(counts) if indicator == "incidence" else counts[indicator]
        if value is not None:
            values[child] = value
    return values


def _wait_values(driver, expected: dict, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = map_state(driver)
        if state and dict(zip(state["locations"], state["z"], strict=True)) == expected:
            return
        time.sleep(0.05)
    raise AssertionError(f"map values never matched; last {state}")


def test_year_indicator_reload_and_back(dash_duo, battlemap_app, embedded_store):
    store = embedded_store
    county = _county(store)
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(1400, 1000)
    driver.get(dash_duo.server_url + f"/?region={county}&year=2016&indicator=incidence")
    wait_for_map(driver, county)
    _wait_values(driver, _expected(store, county, 2016, "incidence"))

    # year: keyboard on the slider thumb (a Patch: same region, values only)
    thumb = driver.find_element(By.CSS_SELECTOR, "#year-slider [role=slider]")
    thumb.send_keys(Keys.ARROW_RIGHT)
    wait_for_url(driver, "year=2017")
    _wait_values(driver, _expected(store, county, 2017, "incidence"))

    # indicator: pick 贫困人口 from the dropdown
    driver.find_element(By.ID, "indicator").click()
    option = dash_duo.wait_for_element("[role=option]:nth-child(2)")
    assert "贫困人口" in option.text
    option.click()
    wait_for_url(driver, "indicator=poor_persons")
    expected = _expected(store, county, 2017, "poor_persons")
    _wait_values(driver, expected)
    screenshot(driver, "controls-county-2017-poor-persons")

    # reload the deep link: the same view comes back
    url = driver.current_url
    driver.refresh()
    wait_for_map(driver, county)
    _wait_values(driver, expected)
    assert driver.current_url == url
    assert (
        driver.find_element(By.CSS_SELECTOR, "#year-slider [role=slider]").get_attribute(
            "aria-valuenow"
        )
        == "2017"
    )
    assert "贫困人口" in driver.find_element(By.ID, "indicator").text

    # back: the incidence view of 2017, then 2016
    driver.back()
    wait_for_url(driver, "indicator=incidence")
    _wait_values(driver, _expected(store, county, 2017, "incidence"))
    driver.back()
    wait_for_url(driver, "year=2016")
    _wait_values(driver, _expected(store, county, 2016, "incidence"))

    # play: the year advances by itself; pause stops it
    play = driver.find_element(By.ID, "play-button")
    play.click()
    dash_duo.wait_for_text_to_equal("#play-button", "暂停")
    wait_for_url(driver, "year=2017", timeout=6)
    play.click()
    dash_duo.wait_for_text_to_equal("#play-button", "播放")
    stopped = driver.current_url
    time.sleep(1.6)
    assert driver.current_url == stopped
    assert dash_duo.get_logs() == []


def test_phone_layout_and_language_switch(dash_duo, battlemap_app, embedded_store):
    store = embedded_store
    root = store.regions.roots()[0].code
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(390, 844)
    driver.get(dash_duo.server_url + f"/?region={root}&year=2016")
    wait_for_map(driver, root)
    width = driver.execute_script("return window.innerWidth")
    assert width <= 400
    assert driver.execute_script("return document.documentElement.scrollWidth") <= width
    map_box = driver.find_element(By.ID, "map").rect
    assert map_box["width"] <= width and map_box["height"] >= 300
    assert cjk_font_ok(driver)
    assert not overflowing(driver, ".bm-tile-label, .bm-tile-value, .bm-breadcrumb li, h1")
    screenshot(driver, "phone-province-zh")

    driver.find_element(By.ID, "lang-en").click()
    wait_for_url(driver, "lang=en")
    wait_for_map(driver, root)
    dash_duo.wait_for_text_to_equal("h1", "Poverty Alleviation Battle Map")
    assert driver.execute_script("return document.documentElement.lang") == "en"
    assert "Poverty incidence" in driver.find_element(By.ID, "indicator").text
    assert driver.execute_script("return document.documentElement.scrollWidth") <= width
    assert not overflowing(driver, ".bm-tile-label, .bm-tile-value, .bm-breadcrumb li, h1")
    driver.execute_script("document.getElementById('kpis').scrollIntoView()")
    screenshot(driver, "phone-province-en-panels", park=False)
    assert dash_duo.get_logs() == []
