"""Driving the wall in Chromium: a served app (``battlemap run``), a browser with an exact
viewport, and what is on screen (heartbeat, map, badge, text boxes)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from selenium import webdriver

REPO = Path(__file__).resolve().parents[2]
START_S = 90.0

# the wall's map: region shown, region plotly last finished, MapLibre idle, label sizes
MAP_JS = """
const gd = document.querySelector('#wall-map .js-plotly-plot');
if (!gd || !gd._fullLayout || !gd._fullLayout.map || !gd._fullLayout.map._subplot) return null;
const m = gd._fullLayout.map._subplot.map;
if (!m) return null;
if (!gd.__bmHooked) {
  gd.__bmHooked = true;
  gd.__bmPlotted = gd.layout.uirevision || null;
  gd.on('plotly_afterplot', () => { gd.__bmPlotted = gd.layout.uirevision || null; });
}
const box = gd.getBoundingClientRect();
return {
  region: gd.layout.uirevision || null, plotted: gd.__bmPlotted,
  ready: m.loaded() && !m.isMoving() && m.getStyle().layers.length > 1,
  labels: gd.data.filter(t => t.meta === 'labels').map(t => t.textfont.size),
  box: [box.left, box.top, box.width, box.height],
};
"""

# leaf elements with text, and the wall's boxes, whose content is wider or taller than them
OVERFLOW_JS = """
const boxes = '.bm-wall-header, .bm-wall-header > *, .bm-wall-footer, .bm-wall-panel, ' +
  '.bm-wall-tile, .bm-wall-kpis, .bm-wall-side, .bm-wall-main';
return Array.from(document.querySelectorAll('#wall-root *'))
  .filter(e => !(e instanceof SVGElement) && (e.matches(boxes) ||
               (e.children.length === 0 && e.textContent.trim())))
  .filter(e => e.checkVisibility({visibilityProperty: true, opacityProperty: true}))
  .filter(e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)
  .map(e => e.textContent.slice(0, 30) + ` ${e.scrollWidth}/${e.clientWidth}` +
       ` ${e.scrollHeight}/${e.clientHeight}`);
"""

# any visible text (HTML and the charts' SVG) smaller than 1/60 of the screen height
SMALL_TEXT_JS = """
const floor = window.innerHeight / 60 - 0.5;
return Array.from(document.querySelectorAll('#wall-root *'))
  .filter(e => e.textContent.trim() && Array.from(e.childNodes).some(
      n => n.nodeType === 3 && n.textContent.trim()))
  .filter(e => e.checkVisibility({visibilityProperty: true, opacityProperty: true}))
  .map(e => [parseFloat(getComputedStyle(e).fontSize), e.textContent.slice(0, 20)])
  .filter(x => x[0] < floor);
"""

# every visible element inside the wall's viewport (nothing is pushed off screen)
OUTSIDE_JS = """
const W = window.innerWidth, H = window.innerHeight;
return Array.from(document.querySelectorAll('#wall-root *'))
  .filter(e => !(e instanceof SVGElement) && e.checkVisibility({visibilityProperty: true}))
  .map(e => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.width > 0 && (r.right > W + 1 || r.bottom > H + 1 || r.left < -1))
  .map(([e, r]) => (e.id || e.className || e.tagName) + ' ' + JSON.stringify(r));
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``battlemap run`` in a subprocess on a fixed port, stoppable and restartable."""

    def __init__(self, args: list[str], log: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.args = args
        self.log = log
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BATTLEMAP_")}
        env["PYTHONPATH"] = str(REPO)
        code = "import sys; from battlemap.cli import main; sys.exit(main())"
        argv = ["run", "--port", str(self.port), *self.args]
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, *argv], cwd=REPO, env=env,
            stdout=subprocess.DEVNULL, stderr=self.log.open("a"), start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError(f"battlemap run did not listen in {START_S} s: {self.log.read_text()}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def chromium(width: int = 1920, height: int = 1080) -> webdriver.Chrome:
    """Headless Chromium whose page viewport is exactly ``width`` × ``height`` CSS px."""
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--force-device-scale-factor=1"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options)
    set_viewport(driver, width, height)
    return driver


def set_viewport(driver: webdriver.Chrome, width: int, height: int) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def until(check: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    """The first truthy ``check()`` within ``timeout`` s, else AssertionError naming ``what``."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"{what} not within {timeout} s (last: {last!r})")


def heartbeat(driver) -> list[str]:
    """``[ok|fail, ms, region, i/n]`` of the last frame answer."""
    text = driver.execute_script(
        "const e = document.getElementById('wall-heartbeat'); return e ? e.textContent : '';"
    )
    return (text or "").split("|")


def map_state(driver) -> dict[str, Any] | None:
    return driver.execute_script(MAP_JS)


def drawn(driver, region: str, timeout: float = 15.0) -> dict[str, Any]:
    """Until the wall's map shows ``region``, drawn by plotly and idle in MapLibre."""

    def check():
        state = map_state(driver)
        ok = state and state["region"] == region == state["plotted"] and state["ready"]
        return state if ok else None

    return until(check, timeout, f"map of {region} drawn")


def badge(driver) -> str | None:
    """The stale badge's text when shown, else None."""
    return driver.execute_script(
        "const b = document.getElementById('wall-stale'); return b && !b.hidden ? b.textContent"
        " : null;"
    )


def paused_mark(driver) -> bool:
    return driver.execute_script("return !document.getElementById('wall-paused').hidden;")


def map_coverage(png: Path, box: list[float], background: tuple[int, int, int]) -> float:
    """Share of the map box's pixels (in a screenshot) that are not its background: the
    choropleth and names drawn, not an empty canvas."""
    import numpy as np
    from PIL import Image

    left, top, width, height = (round(v) for v in box)
    with Image.open(png) as image:
        area = image.convert("RGB").crop((left + 4, top + 4, left + width - 4, top + height - 4))
        pixels = np.asarray(area, dtype=np.int16)
    distance = np.abs(pixels - np.array(background, dtype=np.int16)).sum(axis=2)
    return float((distance > 60).mean())


def severe_logs(driver) -> list[dict]:
    """Browser console errors (warnings such as the software-WebGL notice are left out)."""
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
