"""The export menu's open list must not blank part of the map (a white block appeared over
the map's top while the list was open: Chromium left a stale patch on the map's WebGL layer
in the sticky map panel)."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image, ImageChops, ImageDraw
from selenium.webdriver.common.by import By

from tests.browser.helpers import ARTIFACTS, wait_for_map

pytestmark = pytest.mark.browser

_RECTS = """
const box = r => [r.left, r.top, r.right, r.bottom].map(v => Math.round(v * devicePixelRatio));
const list = document.querySelector('.dash-dropdown-content');
return {map: box(document.querySelector('#map').getBoundingClientRect()),
        list: list ? box(list.getBoundingClientRect()) : null};
"""


def _shot(driver) -> Image.Image:
    return Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")


def _changed(before: Image.Image, after: Image.Image, area, keep_out) -> int:
    """Pixels of ``area`` (outside ``keep_out`` and its shadow) that changed visibly."""
    r, g, b = ImageChops.difference(before, after).split()
    diff = ImageChops.lighter(ImageChops.lighter(r, g), b).point(lambda v: 255 if v > 8 else 0)
    left, top, right, bottom = keep_out
    ImageDraw.Draw(diff).rectangle([left - 40, top - 40, right + 40, bottom + 40], fill=0)
    return diff.crop(tuple(area)).histogram()[255]


def test_open_export_list_leaves_the_map_drawn(dash_duo, battlemap_app, embedded_store):
    """At 1440 px the list opens upwards over the map: every map pixel outside the list
    stays as it was with the list closed, and the map's top area is still the map."""
    root = embedded_store.regions.roots()[0].code
    dash_duo.driver.set_window_size(1440, 900)
    dash_duo.start_server(battlemap_app)
    driver = dash_duo.driver
    wait_for_map(driver, root)
    choice = driver.find_element(By.ID, "export-choice")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", choice)
    time.sleep(1.0)  # the sticky panel settles, MapLibre redraws
    closed = _shot(driver)
    choice.click()
    dash_duo.wait_for_element(".dash-dropdown-content [role=option]")
    time.sleep(1.0)
    opened = _shot(driver)
    ARTIFACTS.mkdir(exist_ok=True)
    opened.save(ARTIFACTS / "export-menu-open-1440.png")
    rects = driver.execute_script(_RECTS)
    assert rects["list"] and rects["list"][1] < rects["map"][3], "the list should overlap the map"
    left, top, right, _ = rects["map"]
    on_top = driver.execute_script(
        "const e = document.elementFromPoint(arguments[0], arguments[1]);"
        "return !!e.closest('#map') && !e.closest('.dash-dropdown-content');",
        (rects["list"][0] + rects["list"][2]) / 2,
        top + 80,
    )
    assert on_top, "the map's top area is covered by the menu"
    changed = _changed(closed, opened, rects["map"], rects["list"])
    area = (right - left) * (rects["map"][3] - top)
    assert changed < 0.01 * area, f"{changed} map pixels changed outside the open list"
