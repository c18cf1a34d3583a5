"""What the map actually drew: pixels of real screenshots, not the figure's data.

MapLibre can hold a layer's features (``queryRenderedFeatures`` lists them) and still not
paint them, so these helpers compare two screenshots: the page as it is and the page with
some map layers hidden. A name counts as drawn when pixels around its label point change.
"""

from __future__ import annotations

import time
from typing import Any

_GD = "const gd = document.querySelector('#map .js-plotly-plot');"

# Label points (viewport CSS px) of the label traces' non-empty names, and their layer ids.
_LABELS_JS = (
    _GD
    + """
const m = gd._fullLayout.map._subplot.map;
const box = m.getCanvas().getBoundingClientRect();
const out = {points: [], layers: []};
gd._fullData.forEach((t, i) => {
  if (t.meta !== 'labels' && t.meta !== 'labels-light') return;
  out.layers.push('plotly-trace-layer-' + t.uid + '-symbol');
  const d = gd.data[i];
  (d.text || []).forEach((name, k) => {
    if (!name) return;
    const p = m.project([d.lon[k], d.lat[k]]);
    const x = box.left + p.x, y = box.top + p.y;
    const inside = x > box.left + 20 && x < box.right - 20 && y > box.top + 10 &&
      y < Math.min(box.bottom, window.innerHeight) - 10;
    out.points.push({name: name, x: x, y: y, inside: inside, size: t.textfont.size});
  });
});
return out;
"""
)

_SET_VISIBILITY_JS = (
    _GD
    + """
const m = gd._fullLayout.map._subplot.map;
arguments[0].forEach(id => {
  if (m.getLayer(id)) m.setPaintProperty(id, 'text-opacity', arguments[1]);
});
m.triggerRepaint();
"""
)

_IDLE_JS = (
    _GD
    + """
const m = gd._fullLayout.map._subplot.map;
return m.loaded() && !m.isMoving() && m.areTilesLoaded();
"""
)

# Count differing pixels around each point between two base64 PNG screenshots.
_DIFF_JS = """
const [a64, b64, points] = arguments;
const done = arguments[arguments.length - 1];
function load(b) {
  return new Promise(r => {
    const i = new Image();
    i.onload = () => r(i);
    i.src = 'data:image/png;base64,' + b;
  });
}
Promise.all([load(a64), load(b64)]).then(([a, b]) => {
  const s = a.width / window.innerWidth;
  const c = document.createElement('canvas');
  c.width = a.width; c.height = a.height;
  const x = c.getContext('2d', {willReadFrequently: true});
  x.drawImage(a, 0, 0);
  const da = x.getImageData(0, 0, a.width, a.height).data;
  x.clearRect(0, 0, a.width, a.height);
  x.drawImage(b, 0, 0);
  const db = x.getImageData(0, 0, a.width, a.height).data;
  done(points.map(p => {
    const hw = Math.min(p.name.length * p.size * 0.5 + 4, 48), hh = p.size;
    let n = 0;
    for (let y = Math.round((p.y - hh) * s); y <= Math.round((p.y + hh) * s); y++) {
      for (let xx = Math.round((p.x - hw) * s); xx <= Math.round((p.x + hw) * s); xx++) {
        if (y < 0 || xx < 0 || y >= a.height || xx >= a.width) continue;
        const k = 4 * (y * a.width + xx);
        const d = Math.abs(da[k] - db[k]) + Math.abs(da[k + 1] - db[k + 1]) +
          Math.abs(da[k + 2] - db[k + 2]);
        if (d > 90) n++;
      }
    }
    return n / (s * s);
  }));
});
"""


def wait_idle(driver, timeout: float = 10.0) -> None:
    """Until MapLibre has loaded and drawn everything (plus a few frames of symbol fade)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if driver.execute_script(_IDLE_JS):
            time.sleep(0.6)  # symbol fade-in is 300 ms
            return
        time.sleep(0.05)
    raise AssertionError("the map never became idle")


def drawn_labels(driver, *, min_pixels: int = 12) -> dict[str, Any]:
    """Names of the label traces that are really painted on the map (inside the viewport).

    Returns ``{"drawn": [...], "missing": [...], "outside": [...]}``.
    """
    wait_idle(driver)
    info = driver.execute_script(_LABELS_JS)
    shown = driver.get_screenshot_as_base64()
    driver.execute_script(_SET_VISIBILITY_JS, info["layers"], 0)
    wait_idle(driver)
    hidden = driver.get_screenshot_as_base64()
    driver.execute_script(_SET_VISIBILITY_JS, info["layers"], 1)
    wait_idle(driver)
    inside = [p for p in info["points"] if p["inside"]]
    counts = driver.execute_async_script(_DIFF_JS, shown, hidden, inside)
    return {
        "drawn": [p["name"] for p, n in zip(inside, counts, strict=True) if n >= min_pixels],
        "missing": [p["name"] for p, n in zip(inside, counts, strict=True) if n < min_pixels],
        "outside": [p["name"] for p in info["points"] if not p["inside"]],
    }
