"""Search: type part of a village's name or code, pick it, and the map is there."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.helpers import screenshot, wait_for_map, wait_for_url

pytestmark = pytest.mark.browser


def _village(store) -> str:
    """A village whose name is shared with no other region (one clear pick)."""
    names: dict[str, int] = {}
    for info in store.regions._info.values():
        names[info.name] = names.get(info.name, 0) + 1
    return next(c for c in store.regions.level_codes(5) if names[store.region(c).name] == 1)


def test_type_pick_and_the_map_is_there(dash_duo, battlemap_app, embedded_store):
    store = embedded_store
    root = store.regions.roots()[0].code
    village = _village(store)
    info = store.region(village)
    path = " › ".join(i.name for i in store.regions.ancestors(village))
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(1440, 900)
    driver.get(dash_duo.server_url + f"/?region={root}&year=2016&indicator=poor_persons")
    wait_for_map(driver, root)

    box = dash_duo.wait_for_element("#region-search")
    box.send_keys(info.name[:2])  # two Chinese characters start a search
    dash_duo.wait_for_element(".bm-search-results a")
    box.send_keys(info.name[2:])
    dash_duo.wait_for_contains_text(".bm-search-results", path)
    first = driver.find_elements(By.CSS_SELECTOR, ".bm-search-results a")[0]
    assert info.name in first.text and path in first.text
    screenshot(driver, "search-results", park=False)
    first.click()

    wait_for_url(driver, f"region={village}")
    assert "indicator=poor_persons" in driver.current_url  # the rest of the view is kept
    wait_for_map(driver, village)
    dash_duo.wait_for_contains_text("#breadcrumb", info.name)
    dash_duo.wait_for_text_to_equal("#region-search", "")  # the box empties after a pick
    assert driver.find_elements(By.CSS_SELECTOR, ".bm-search-results li") == []

    # by code: the county's six digits list the county first; a year change leaves the
    # half-done search alone; Enter goes to the first match; back returns to the village
    county = village[:6]
    box.send_keys(county)
    dash_duo.wait_for_element(".bm-search-results a")
    first = driver.find_elements(By.CSS_SELECTOR, ".bm-search-results a")[0]
    assert store.region(county).name in first.text
    driver.find_element(By.CSS_SELECTOR, "#year-slider [role=slider]").send_keys(Keys.ARROW_RIGHT)
    wait_for_url(driver, "year=2017")
    assert box.get_attribute("value") == county
    box.send_keys(Keys.ENTER)
    wait_for_map(driver, store.region(county).code)
    dash_duo.wait_for_text_to_equal("#region-search", "")
    driver.back()
    wait_for_map(driver, village)

    # nothing found is said in words
    box.send_keys("zzzz")
    dash_duo.wait_for_text_to_equal(".bm-search-results li", "没有匹配的地区")
    assert dash_duo.get_logs() == []
