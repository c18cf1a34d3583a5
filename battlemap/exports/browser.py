"""One headless Chromium for every picture, kept for the process (a new Chromium per picture
costs 5–8 s). It runs kaleido with ``TABS`` tabs on an event loop of its own thread, so
``to_image`` may be called from several threads at once and two pictures draw side by side
(a map is CPU-bound in software WebGL: two tabs use both cores of a 2-core machine). A tab
is not reloaded after every picture, as kaleido does by default (reparsing plotly.js costs
~0.3 CPU-s a picture), only every ``RELOAD_EVERY`` pictures. plotly.js comes from the
installed plotly package (no CDN), MathJax is off."""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import plotly

from battlemap.geodata.errors import BattlemapError

__all__ = [
    "TABS",
    "BrowserMissingError",
    "browser_running",
    "kaleido_session",
    "stop_browser",
    "to_image",
]

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
TABS = max(1, int(os.environ.get("BATTLEMAP_EXPORT_TABS", "2")))
RELOAD_EVERY = 25  # a fresh page now and then: no state piles up in a long batch
RENDER_TIMEOUT_S = 120
_lock = threading.Lock()


class BrowserMissingError(BattlemapError):
    """No Chromium for kaleido (install chromium or set BROWSER_PATH)."""


def _find_browser() -> str:
    """The Chromium kaleido will use (BROWSER_PATH, else chromium/chrome on PATH)."""
    configured = os.environ.get("BROWSER_PATH")
    if configured:
        if Path(configured).is_file() and os.access(configured, os.X_OK):
            return configured
        raise BrowserMissingError(f"BROWSER_PATH={configured} is not an executable Chromium")
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise BrowserMissingError(
        "no Chromium found for picture exports (install chromium or set BROWSER_PATH)"
    )


class _Browser:
    """kaleido.Kaleido(n=TABS) living on an event loop in a daemon thread."""

    def __init__(self, path: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.kaleido: Any = None
        self.used: dict[int, int] = {}  # tab id → pictures since its last reload
        self._call(self._open(path), timeout=RENDER_TIMEOUT_S)

    def _call(self, coroutine: Any, timeout: float) -> Any:
        future: Future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout)

    async def _open(self, path: str) -> None:
        import kaleido

        k = kaleido.Kaleido(n=TABS, plotlyjs=str(PLOTLY_JS), mathjax=False, path=path)
        await k.open()

        async def give_back(tab: Any) -> None:  # kaleido reloads after every picture
            count = self.used.get(id(tab), 0) + 1
            if count >= RELOAD_EVERY:
                await tab.reload()
                count = 0
            self.used[id(tab)] = count
            await k.tabs_ready.put(tab)

        k._return_kaleido_tab = give_back  # kaleido 1.x's tab pool hook
        self.kaleido = k

    def render(self, figure: dict[str, Any], opts: dict[str, Any]) -> bytes:
        return self._call(self.kaleido.calc_fig(figure, opts=opts), timeout=RENDER_TIMEOUT_S)

    def close(self) -> None:
        try:
            if self.kaleido is not None:
                self._call(self.kaleido.close(), timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)


_browser: _Browser | None = None


def _start() -> _Browser:
    global _browser
    with _lock:
        if _browser is None:
            _browser = _Browser(_find_browser())
            atexit.register(stop_browser)
        return _browser


def stop_browser() -> None:
    """Close the shared Chromium (at exit, or at the end of a test session)."""
    global _browser
    with _lock:
        browser, _browser = _browser, None
    if browser is not None:
        browser.close()


def browser_running() -> bool:
    """True while the shared Chromium is up."""
    return _browser is not None


@contextmanager
def kaleido_session() -> Iterator[None]:
    """Keep one Chromium for the block (stopped at the end unless it was already up)."""
    was_running = browser_running()
    _start()
    try:
        yield
    finally:
        if not was_running:
            stop_browser()


def to_image(
    figure: dict[str, Any], fmt: str, *, width: float, height: float, scale: float = 1.0
) -> bytes:
    """``figure`` drawn by the shared Chromium as png, svg or pdf bytes (thread-safe: up to
    ``TABS`` calls draw at the same time)."""
    opts = {"format": fmt, "width": width, "height": height, "scale": scale}
    try:
        return _start().render(figure, opts)
    except BattlemapError:
        raise
    except Exception as exc:  # kaleido's own errors: one line, no traceback
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise BattlemapError(f"picture export failed: {first}") from exc
