"""One headless Chromium for every picture, kept for the process (a new Chromium per picture
costs 5–8 s). It runs kaleido with ``TABS`` tabs on an event loop of its own thread, so
``to_image`` may be called from several threads at once and two pictures draw side by side
(a map is CPU-bound in software WebGL: two tabs use both cores of a 2-core machine). A tab
is not reloaded after every picture, as kaleido does by default (reparsing plotly.js costs
~0.3 CPU-s a picture), only every ``RELOAD_EVERY`` pictures. plotly.js comes from the
installed plotly package (no CDN), MathJax is off, and the page's static_maps.js has
MapLibre paint a map once it has loaded, with no fade-in: ~0.5 instead of ~2 Chromium
CPU-s a county map. The brief prints its PDF from one more tab of the same browser."""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import plotly

from battlemap.geodata.errors import BattlemapError

__all__ = [
    "BUNDLE",
    "BUNDLE_TRACES",
    "PLOTLY_JS",
    "TABS",
    "BrowserMissingError",
    "browser_running",
    "evaluate_in_tabs",
    "kaleido_page",
    "kaleido_session",
    "plotly_js",
    "start_browser",
    "stop_browser",
    "to_image",
    "with_browser",
]

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# The page's own trimmed plotly.js (the traces the page draws: scattermap, choroplethmap,
# densitymap, bar, scatterpolar, and scatter from the core). Not enough for the exports: a
# table panel's picture is a plotly ``table`` (the page shows a DataTable), so the export
# Chromium loads the full bundle (tests/exports/test_pictures.py checks the panels).
BUNDLE = Path(__file__).resolve().parents[1] / "assets" / "plotly-battlemap.min.js"
BUNDLE_TRACES = frozenset({"scatter", "scattermap", "choroplethmap", "densitymap", "bar",
                           "scatterpolar"})  # fmt: skip
TABS = max(1, int(os.environ.get("BATTLEMAP_EXPORT_TABS", "2")))
# loaded after plotly.js: maps drawn once, when loaded (4× less Chromium CPU a map)
STATIC_MAPS_JS = Path(__file__).parent / "templates" / "static_maps.js"
RELOAD_EVERY = 25  # a fresh page now and then: no state piles up in a long batch
RENDER_TIMEOUT_S = 120
_lock = threading.Lock()
T = TypeVar("T")


def plotly_js() -> Path:
    """The plotly.js the export Chromium loads: the full bundle of the plotly package."""
    return PLOTLY_JS


def kaleido_page(plotly_js: Path) -> Any:
    """kaleido's page with ``plotly_js`` (no CDN, no MathJax) and :data:`STATIC_MAPS_JS`,
    which has MapLibre paint a picture's map once instead of every loading and fade frame."""
    import kaleido

    return kaleido.PageGenerator(plotly=str(plotly_js), mathjax=False, others=[str(STATIC_MAPS_JS)])


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

        k = kaleido.Kaleido(n=TABS, page_generator=kaleido_page(plotly_js()), path=path)
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

    async def _each_tab(self, expression: str) -> list[Any]:
        k = self.kaleido
        taken = [await k.tabs_ready.get() for _ in range(TABS)]  # waits for drawings to end
        try:
            answers = [
                await tab.tab.send_command(
                    "Runtime.evaluate",
                    params={"expression": expression, "returnByValue": True, "awaitPromise": True},
                )
                for tab in taken
            ]
        finally:
            for tab in taken:
                k.tabs_ready.put_nowait(tab)
        return [a.get("result", {}).get("result", {}).get("value") for a in answers]

    def each_tab(self, expression: str) -> list[Any]:
        return self._call(self._each_tab(expression), timeout=RENDER_TIMEOUT_S)

    def run(self, work: Callable[[Any], Awaitable[T]], timeout: float) -> T:
        return self._call(work(self.kaleido), timeout=timeout)

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


def start_browser() -> None:
    """Start the shared Chromium now (it starts on the first picture otherwise)."""
    _start()


def with_browser(work: Callable[[Any], Awaitable[T]], timeout: float = RENDER_TIMEOUT_S) -> T:
    """``await work(k)`` on the shared Chromium's event loop, ``k`` its ``kaleido.Kaleido``
    (a choreographer browser: ``create_tab`` for a page to print, e.g. the brief)."""
    return _start().run(work, timeout)


def evaluate_in_tabs(expression: str) -> list[Any]:
    """``expression`` (JavaScript) evaluated in every kaleido tab of the shared Chromium, once
    no picture is drawing; its JSON value per tab. For tests and diagnostics, e.g.
    ``evaluate_in_tabs("window.battlemapStaticMaps")``."""
    return _start().each_tab(expression)


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
