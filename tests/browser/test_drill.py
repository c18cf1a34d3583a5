"""Drill province → village by clicking the map, back up by breadcrumb; values = stats."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from battlemap.views.summary import region_summary
from tests.browser.helpers import (
    cjk_font_ok,
    click_map,
    overflowing,
    project,
    screenshot,
    visible,
    wait_for_map,
    wait_for_url,
)

pytestmark = pytest.mark.browser

LEVELS = ("province", "city", "county", "township", "village")


def _map_values(state: dict) -> dict[str, float]:
    return dict(zip(state["locations"], state["z"], strict=True))


def _stats_values(store, code: str, year: int) -> dict[str, float]:
    """What `battlemap stats` reports for the children's incidence (None = not drawn)."""
    children = region_summary(store, code, year)["children"]
    return {c: v for c, v in children.items() if v is not None}


def _pick_child(driver, store, code: str, year: int) -> str:
    """A child whose label point is clearly visible; at township level the village with
    the most households (so the household layer and table have rows)."""
    shapes = store.unit_shapes(code)
    candidates = []
    for child, lon, lat in zip(shapes.codes, shapes.label_lon, shapes.label_lat, strict=True):
        x, y, width, height = project(driver, lon, lat)
        if visible(x, y, width, height):
            households = store.counts(child, year)["registered_households"]
            centre = abs(x - width / 2) + abs(y - height / 2)
            candidates.append((-households if len(code.rstrip("0")) >= 7 else 0, centre, child))
    assert candidates, f"no child of {code} is visible on the map"
    return min(candidates)[2]


def test_drill_to_village_and_back(dash_duo, battlemap_app, embedded_store):
    store = embedded_store
    year = 2016
    root = store.regions.roots()[0].code
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    driver.set_window_size(1400, 1000)
    driver.get(dash_duo.server_url + f"/?region={root}&year={year}")
    code = root
    for depth, level in enumerate(LEVELS):
        state = wait_for_map(driver, code)
        assert state["canvas"]
        if level != "village":
            assert _map_values(state) == _stats_values(store, code, year), level
        dash_duo.wait_for_contains_text(
            "#kpi-kpi_poor .bm-tile-value", f"{store.counts(code, year)['poor_persons']:,}"
        )
        screenshot(driver, f"drill-{depth + 1}-{level}")
        if level == "village":
            break
        child = _pick_child(driver, store, code, year)
        lon, lat = store.unit_shapes(code).labels[child]
        click_map(driver, lon, lat)
        wait_for_url(driver, f"region={child}")
        code = child

    # village: households on the map, names masked in the table
    assert any(t.startswith("scattermap:") and "(" in t for t in state["traces"])
    rows = dash_duo.find_elements("#household-table td[data-dash-column='head_name']")
    assert rows, "village household table is empty"
    assert all(r.text.endswith("*") for r in rows)
    assert cjk_font_ok(driver)
    assert not overflowing(driver, ".bm-tile-label, .bm-tile-value, .bm-breadcrumb li, h1, h2")

    # back to the province by the breadcrumb
    crumbs = driver.find_elements(By.CSS_SELECTOR, "#breadcrumb a")
    assert len(crumbs) == 4
    crumbs[0].click()
    wait_for_url(driver, f"region={root}")
    state = wait_for_map(driver, root)
    assert _map_values(state) == _stats_values(store, root, year)
    assert dash_duo.get_logs() == []
