"""Headless Chromium with the network switched off, and a look at what a page drew.

Offline twice over: a dead proxy for every host (``--proxy-server=127.0.0.1:9``) and the
DevTools network emulation set to offline, so a page that needs a CDN draws nothing.
Pixels are read back inside the browser (the screenshot decoded by an ``<img>`` onto a 2D
canvas): no image library needed.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from selenium import webdriver

__all__ = ["console_errors", "offline_chrome", "open_offline", "screen_stats"]


def offline_chrome(width: int = 1200, height: int = 900) -> webdriver.Chrome:
    """A new headless Chromium (software WebGL) that cannot reach any network."""
    options = webdriver.ChromeOptions()
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--enable-unsafe-swiftshader",
        f"--window-size={width},{height}",
        "--proxy-server=127.0.0.1:9",
        "--proxy-bypass-list=<-loopback>",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    return driver


def open_offline(driver: webdriver.Chrome, path: Path) -> None:
    """Load a local file, dropping the log of the page before."""
    driver.get_log("browser")
    driver.get(path.resolve().as_uri())


def console_errors(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    """SEVERE console entries since the last call (uncaught errors, failed loads)."""
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


_STATS_JS = """
const [png, x0, y0, w, h, done] = arguments;
const img = new Image();
img.onload = () => {
  const c = document.createElement('canvas');
  c.width = img.width; c.height = img.height;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const d = g.getImageData(x0, y0, w, h).data;
  const colours = new Set();
  let sum = 0, sq = 0, n = 0;
  for (let i = 0; i < d.length; i += 4) {
    const v = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
    sum += v; sq += v * v; n += 1;
    if (colours.size < 5000) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  }
  const mean = sum / n;
  done({variance: sq / n - mean * mean, colours: colours.size});
};
img.onerror = () => done({variance: -1, colours: 0});
img.src = 'data:image/png;base64,' + png;
"""


def screen_stats(
    driver: webdriver.Chrome, box: tuple[int, int, int, int] | None = None
) -> dict[str, float]:
    """Luminance variance and distinct colours of the screenshot (or of ``box`` = x, y,
    width, height in screenshot pixels): a blank page has variance ~0 and 1–2 colours."""
    png = driver.get_screenshot_as_base64()
    size = driver.get_window_size()
    x, y, w, h = box or (0, 0, size["width"], size["height"])
    driver.set_script_timeout(20)
    return driver.execute_async_script(_STATS_JS, png, x, y, w, h)


def wait_for(driver: webdriver.Chrome, script: str, timeout: float = 20.0) -> Any:
    """Poll ``script`` (a JS expression) until it is truthy; its value, or AssertionError."""
    end = time.monotonic() + timeout
    while True:
        value = driver.execute_script(f"return ({script});")
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {script}")
        time.sleep(0.2)
