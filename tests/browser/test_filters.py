"""Cross-filtering by a click (cause bar, radar point, household type) and the change since a
year, in Chromium: the URL, the chip, the map's values and the ranking follow."""

from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from battlemap.geodata.schema import CAUSES, HH_TYPES
from battlemap.indicators.incidence import incidence_pct, percent
from battlemap.indicators.radar import radar_shares
from battlemap.layers.causes import cause_label
from tests.browser.helpers import map_state, screenshot, wait_for_map, wait_for_url

pytestmark = pytest.mark.browser
YEAR = 2016


def _county(store) -> str:
    return max(
        store.regions.level_codes(3), key=lambda c: store.counts(c, YEAR)["registered_households"]
    )


def _wait_values(driver, expected: dict, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    got = None
    while time.monotonic() < deadline:
        state = map_state(driver)
        got = dict(zip(state["locations"], state["z"], strict=True)) if state else None
        if (
            got is not None
            and got.keys() == expected.keys()
            and all(abs(got[k] - expected[k]) < 1e-6 for k in got)
        ):
            return
        time.sleep(0.05)
    raise AssertionError(f"map values never matched: {got} vs {expected}")


def _chart_ready(dash_duo, box: str):
    return dash_duo.wait_for_element(f"#{box} .main-svg", timeout=15)


def _ranking_header(driver) -> str:
    return driver.find_element(By.CSS_SELECTOR, "#ranking-table th[data-dash-column=value]").text


def test_cause_bar_and_radar_filter_the_map_and_ranking(dash_duo, battlemap_app, embedded_store):
    store = embedded_store
    county = _county(store)
    children = store.children_counts(county, YEAR)
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(1440, 900)
    driver.get(dash_duo.server_url + f"/?region={county}&year={YEAR}&indicator=incidence")
    wait_for_map(driver, county)
    unfiltered = {c: incidence_pct(v) for c, v in children.items() if incidence_pct(v) is not None}
    _wait_values(driver, unfiltered)
    assert not driver.find_element(By.ID, "filter-chip").is_displayed()

    # the top bar is the largest cause
    _chart_ready(dash_duo, "cause-chart-box")
    bars = driver.find_elements(By.CSS_SELECTOR, "#cause-chart-box .bars .point path")
    top = min(bars, key=lambda b: b.location["y"])
    ActionChains(driver).move_to_element(top).click().perform()
    url = wait_for_url(driver, "filter=cause:")
    number = int(url.split("filter=cause:")[1][:2])
    cause = CAUSES[number - 1]
    name = f"cause_persons_{number:02d}"
    expected = {
        c: percent(v[name], v["rural_population"])
        for c, v in children.items()
        if v["rural_population"]
    }
    _wait_values(driver, expected)
    chip = driver.find_element(By.ID, "filter-chip")
    assert chip.is_displayed() and cause in chip.text
    dash_duo.wait_for_contains_text("#ranking-table", cause)  # the value column's title
    assert cause in _ranking_header(driver)
    screenshot(driver, "filter-cause-county")

    # the chip's × removes it
    driver.find_element(By.ID, "filter-remove").click()
    wait_for_url(driver, "indicator=incidence")
    deadline = time.monotonic() + 10
    while "filter=" in driver.current_url and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "filter=" not in driver.current_url
    _wait_values(driver, unfiltered)
    dash_duo.wait_for_element_by_id("filter-chip")
    assert not driver.find_element(By.ID, "filter-chip").is_displayed()

    # a radar point: the share of households meeting that guarantee
    _chart_ready(dash_duo, "radar-chart-box")
    time.sleep(0.5)
    point = driver.find_elements(By.CSS_SELECTOR, "#radar-chart-box .scatterlayer .trace .point")[1]
    ActionChains(driver).move_to_element(point).click().perform()
    url = wait_for_url(driver, "filter=guarantee:")
    key = url.split("filter=guarantee:")[1].split("&")[0]
    _wait_values(
        driver,
        {c: radar_shares(v)[key] for c, v in children.items() if v["registered_households"]},
    )
    driver.back()  # back undoes the filter
    _wait_values(driver, unfiltered)
    assert dash_duo.get_logs() == []


def test_household_type_click_filters_the_table(dash_duo, battlemap_app, embedded_store):
    store = embedded_store
    county = _county(store)
    township = store.regions.children(county)[0].code
    village = max(
        store.regions.children(township),
        key=lambda i: store.counts(i.code, YEAR)["registered_households"],
    ).code
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(1440, 900)
    driver.get(dash_duo.server_url + f"/?region={village}&year={YEAR}&lang=en")
    wait_for_map(driver, village)
    cell = dash_duo.wait_for_element("#household-table td[data-dash-column=hh_type]", timeout=15)
    kind = cell.text
    total = len(store.households(village, YEAR))
    cell.click()
    url = wait_for_url(driver, "filter=hh_type:")
    hh_type = HH_TYPES[int(url.split("filter=hh_type:")[1][:1]) - 1]
    frame = store.households(village, YEAR)
    want = int((frame["hh_type"] == hh_type).sum())
    assert 0 < want <= total
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        cells = driver.find_elements(
            By.CSS_SELECTOR, "#household-table td[data-dash-column=hh_type]"
        )
        if cells and all(c.text == kind for c in cells):
            break
        time.sleep(0.1)
    assert cells and all(c.text == kind for c in cells)
    assert kind in driver.find_element(By.ID, "filter-chip").text
    # household points follow the filter too: the legend counts add up to that type's rows
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        names = [t for t in map_state(driver)["traces"] if t.startswith("scattermap:")]
        shown = sum(int(n.rsplit("(", 1)[1][:-1]) for n in names if n.endswith(")"))
        if shown == want:
            break
        time.sleep(0.1)
    assert shown == want
    assert dash_duo.get_logs() == []


def test_household_type_link_recolours_the_province(dash_duo, battlemap_app, embedded_store):
    """A household-type filter in a link colours the province's prefectures by that type's
    poor persons (per-type counts, no notice), in Chinese."""
    store = embedded_store
    province = store.regions.roots()[0].code
    children = store.children_counts(province, YEAR)
    expected = {c: v["hh_type_poor_persons_2"] for c, v in children.items()}
    assert all(expected.values()) and expected != {
        c: v["poor_persons"] for c, v in children.items()
    }
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(1440, 900)
    query = f"/?region={province}&year={YEAR}&indicator=poor_persons&filter=hh_type:2"
    driver.get(dash_duo.server_url + query)
    wait_for_map(driver, province)
    _wait_values(driver, expected)
    assert HH_TYPES[1] in driver.find_element(By.ID, "filter-chip").text
    assert "筛选" not in driver.find_element(By.ID, "map-notice").text  # no filter notice
    dash_duo.wait_for_contains_text("#ranking-table", HH_TYPES[1])  # the value column's title
    screenshot(driver, "filter-hh-type-province")
    assert dash_duo.get_logs() == []


def _shown_points(driver) -> int:
    """Households the map's point traces draw (their legend names end in a count)."""
    names = [t for t in map_state(driver)["traces"] if t.startswith("scattermap:")]
    return sum(int(n.rsplit("(", 1)[1][:-1]) for n in names if n.endswith(")"))


def test_radar_click_narrows_the_household_table(dash_duo, battlemap_app, embedded_store):
    """A radar axis at a village lists the households not meeting that guarantee: the note
    counts them, the table's pages and the points hold exactly those."""
    store = embedded_store

    def gaps(code: str) -> int:
        frame = store.households(code, YEAR)
        return min(int((~frame[c]).sum()) for c in frame.columns if c.startswith("met_"))

    village = max(store.regions.level_codes(5), key=gaps)  # every axis has some gaps
    everyone = store.households(village, YEAR)
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(1440, 900)
    driver.get(dash_duo.server_url + f"/?region={village}&year={YEAR}&lang=en")
    wait_for_map(driver, village)
    dash_duo.wait_for_element("#household-table td[data-dash-column=hh_type]", timeout=15)
    assert _shown_points(driver) == len(everyone)
    _chart_ready(dash_duo, "radar-chart-box")
    time.sleep(0.5)
    point = driver.find_elements(By.CSS_SELECTOR, "#radar-chart-box .scatterlayer .trace .point")[1]
    ActionChains(driver).move_to_element(point).click().perform()
    url = wait_for_url(driver, "filter=guarantee:")
    key = url.split("filter=guarantee:")[1].split("&")[0]
    want = int((~everyone[f"met_{key}"]).sum())
    assert 0 < want < len(everyone)
    dash_duo.wait_for_contains_text("#household-note", "not meeting", timeout=10)
    note = driver.find_element(By.ID, "household-note").text
    assert note.endswith(f": {want}"), note
    assert "not meeting" in driver.find_element(By.ID, "filter-chip").text
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _shown_points(driver) != want:
        time.sleep(0.1)
    assert _shown_points(driver) == want
    rows = driver.find_elements(By.CSS_SELECTOR, "#household-table td[data-dash-column=size]")
    assert len(rows) == min(want, 10)  # a page of ten
    pages = driver.find_elements(By.CSS_SELECTOR, "#household-table .last-page")
    assert (pages[0].text if pages else "1") == str(-(-want // 10))
    screenshot(driver, "filter-guarantee-village")
    driver.find_element(By.ID, "filter-remove").click()  # the chip's × brings them all back
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _shown_points(driver) != len(everyone):
        time.sleep(0.1)
    assert _shown_points(driver) == len(everyone)
    assert driver.find_element(By.ID, "household-note").text == ""
    assert dash_duo.get_logs() == []


def test_change_since_a_year(dash_duo, battlemap_app, embedded_store):
    store = embedded_store
    county = _county(store)
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(1440, 900)
    driver.get(dash_duo.server_url + f"/?region={county}&year=2018&indicator=incidence&lang=en")
    wait_for_map(driver, county)
    driver.find_element(By.ID, "compare-year").click()
    option = next(
        o for o in driver.find_elements(By.CSS_SELECTOR, "[role=option]") if o.text == "2014"
    )
    option.click()
    wait_for_url(driver, "compare=2014")
    now = store.children_counts(county, 2018)
    then = store.children_counts(county, 2014)
    expected = {
        c: round(incidence_pct(now[c]) - incidence_pct(then[c]), 6)
        for c in now
        if incidence_pct(now[c]) is not None and incidence_pct(then[c]) is not None
    }
    _wait_values(driver, expected)
    assert "since 2014" in _ranking_header(driver)
    legend = driver.execute_script(
        "const gd = document.querySelector('#map .js-plotly-plot');"
        "return [gd.layout.coloraxis.cmin, gd.layout.coloraxis.cmax,"
        " gd.layout.coloraxis.colorbar.title.text];"
    )
    assert legend[0] == -legend[1] and "Change in" in legend[2] and "pp" in legend[2]
    screenshot(driver, "compare-county-2018-vs-2014")
    # reloading the link keeps the comparison
    driver.refresh()
    wait_for_map(driver, county)
    _wait_values(driver, expected)
    assert cause_label(CAUSES[0], "en") == "Illness"
    assert dash_duo.get_logs() == []
