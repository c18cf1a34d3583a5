"""Driving the battle map in Chromium: wait for a drawn map, click a region, read values."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# The plotly graph div of the map and its MapLibre map (plotly.js 4 keeps it on the subplot).
_GD = "const gd = document.querySelector('#map .js-plotly-plot');"
MAP_STATE_JS = (
    _GD
    + """
if (!gd || !gd._fullLayout || !gd._fullLayout.map || !gd._fullLayout.map._subplot) return null;
const m = gd._fullLayout.map._subplot.map;
if (!m) return null;
if (!gd.__bmHooked) {  // remember which region plotly last finished drawing
  gd.__bmHooked = true;
  gd.__bmPlotted = gd.layout.uirevision || null;
  gd.on('plotly_afterplot', () => { gd.__bmPlotted = gd.layout.uirevision || null; });
}
const values = gd.data.length > 1 ? gd.data[1] : {locations: [], z: []};
return {
  region: gd.layout.uirevision || null,
  plotted: gd.__bmPlotted,
  ready: m.loaded() && !m.isMoving() && m.getStyle().layers.length > 1,
  locations: values.locations || [], z: values.z || [],
  traces: gd.data.map(t => t.type + ':' + (t.name || '')),
  canvas: !!document.querySelector('#map canvas.maplibregl-canvas'),
};
"""
)


def map_state(driver) -> dict[str, Any] | None:
    """Region, readiness and value-trace contents of the map (None before the first draw)."""
    return driver.execute_script(MAP_STATE_JS)


def wait_for_map(driver, region: str, *, timeout: float = 15.0) -> dict[str, Any]:
    """Block until the map shows ``region`` and MapLibre has finished drawing it."""
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        state = map_state(driver)
        if state and state["region"] == region == state["plotted"] and state["ready"]:
            time.sleep(0.15)  # one more frame so screenshots show the finished paint
            return state
        time.sleep(0.05)
    raise AssertionError(f"map never showed {region} drawn; last state: {state}")


def wait_for_url(driver, fragment: str, *, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if fragment in driver.current_url:
            return driver.current_url
        time.sleep(0.05)
    raise AssertionError(f"URL never contained {fragment!r}: {driver.current_url}")


def project(driver, lon: float, lat: float) -> tuple[float, float, float, float]:
    """Pixel (x, y) of a lon/lat on the map canvas, plus the canvas width and height."""
    return tuple(
        driver.execute_script(
            _GD
            + """
        const m = gd._fullLayout.map._subplot.map;
        const p = m.project([arguments[0], arguments[1]]);
        const c = m.getCanvas().getBoundingClientRect();
        return [p.x, p.y, c.width, c.height];
    """,
            lon,
            lat,
        )
    )


def visible(x: float, y: float, width: float, height: float) -> bool:
    """Inside the canvas and clear of the legend (top left), mode bar and colour bars."""
    return 60 < x < width - 60 and 60 < y < height - 110 and not (x < 200 and y < 120)


def click_map(driver, lon: float, lat: float) -> None:
    """A real mouse click on the map canvas at a lon/lat."""
    x, y, width, height = project(driver, lon, lat)
    canvas = driver.find_element(By.CSS_SELECTOR, "#map canvas.maplibregl-canvas")
    ActionChains(driver).move_to_element(canvas).move_by_offset(
        round(x - width / 2), round(y - height / 2)
    ).click().perform()


def screenshot(driver, name: str, *, park: bool = True) -> Path:
    """Save ``test-artifacts/<name>.png`` with the mouse parked off the map (no hover box);
    ``park=False`` keeps the scroll position (parking scrolls the title into view)."""
    ARTIFACTS.mkdir(exist_ok=True)
    if park:
        ActionChains(driver).move_to_element(driver.find_element(By.TAG_NAME, "h1")).perform()
    driver.execute_script(_GD + "if (gd && window.Plotly) { Plotly.Fx.unhover(gd); }")
    time.sleep(0.15)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def overflowing(driver, selector: str) -> list[str]:
    """Texts of elements matching ``selector`` whose content is wider than their box."""
    return driver.execute_script(
        """
        return Array.from(document.querySelectorAll(arguments[0]))
          .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
          .map(e => e.textContent.slice(0, 40));
    """,
        selector,
    )


def cjk_font_ok(driver) -> bool:
    """True when the page's CJK font is installed (no tofu boxes for Chinese text)."""
    return driver.execute_script(
        "return document.fonts.check('16px \"Noto Sans CJK SC\"', '贵州省脱贫攻坚');"
    )


def wait_js(driver, script: str, *, timeout: float = 10.0) -> Any:
    """The first truthy value ``script`` returns, polled every 50 ms up to ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = driver.execute_script(script)
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"never true: {script}")
