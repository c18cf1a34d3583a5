"""One headless Chromium for every picture: kaleido's sync server, started on first use and
kept for the process (a new Chromium per picture costs 5–8 s; a warm one draws a chart in
well under a second). plotly.js comes from the installed plotly package (no CDN), MathJax
is off."""

from __future__ import annotations

import atexit
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import plotly

from battlemap.geodata.errors import BattlemapError

__all__ = ["BrowserMissingError", "browser_running", "kaleido_session", "stop_browser", "to_image"]

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
_lock = threading.Lock()
_running = False
_renders = threading.Lock()  # kaleido's sync server takes one call at a time


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


def _start() -> None:
    global _running
    with _lock:
        if _running:
            return
        import kaleido

        _find_browser()
        kaleido.start_sync_server(plotlyjs=str(PLOTLY_JS), mathjax=False, silence_warnings=True)
        _running = True
        atexit.register(stop_browser)


def stop_browser() -> None:
    """Close the shared Chromium (at exit, or at the end of a test session)."""
    global _running
    with _lock:
        if not _running:
            return
        import kaleido

        kaleido.stop_sync_server(silence_warnings=True)
        _running = False


def browser_running() -> bool:
    """True while the shared Chromium is up."""
    return _running


@contextmanager
def kaleido_session() -> Iterator[None]:
    """Keep one Chromium for the block (stopped at the end unless it was already up)."""
    was_running = _running
    _start()
    try:
        yield
    finally:
        if not was_running:
            stop_browser()


def to_image(
    figure: dict[str, Any], fmt: str, *, width: float, height: float, scale: float = 1.0
) -> bytes:
    """``figure`` drawn by the shared Chromium as png, svg or pdf bytes."""
    _start()
    import kaleido

    opts = {"format": fmt, "width": width, "height": height, "scale": scale}
    try:
        with _renders:
            return kaleido.calc_fig_sync(figure, opts=opts)
    except BattlemapError:
        raise
    except Exception as exc:  # kaleido's own errors: one line, no traceback
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise BattlemapError(f"picture export failed: {first}") from exc
