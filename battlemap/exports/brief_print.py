"""One headless Chromium per brief: kaleido draws the brief's figures in it, then the same
browser prints the brief's HTML to PDF (DevTools ``Page.printToPDF``).

The shared picture browser (:mod:`battlemap.exports.browser`, kaleido's sync server) draws
figures but cannot print a page; a second Chromium only to print would cost another start
on every brief. Here one ``kaleido.Kaleido`` (a choreographer browser) does both: figures in
kaleido's own tab, the brief printed from one more tab of the same browser, closed when the
brief is done. The browser starts while the brief's numbers are read.
"""

from __future__ import annotations

import asyncio
import base64
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from battlemap.exports.browser import PLOTLY_JS, _find_browser
from battlemap.geodata.errors import BattlemapError

__all__ = ["BUNDLE_TRACES", "FigureJob", "PrintOptions", "plotly_js", "render_with_browser"]

PRINT_TIMEOUT_S = 60
# The page's own trimmed plotly.js (the traces the app draws: scattermap, choroplethmap,
# densitymap, bar, scatterpolar, and scatter from the core): Chromium parses it in half the
# time of the full bundle, which kaleido loads at start and again after every figure. The
# brief draws only the page's panels; tests check their trace types are in it.
BUNDLE = Path(__file__).resolve().parents[1] / "assets" / "plotly-battlemap.min.js"
BUNDLE_TRACES = frozenset({"scatter", "scattermap", "choroplethmap", "densitymap", "bar",
                           "scatterpolar"})  # fmt: skip


def plotly_js() -> Path:
    """The plotly.js kaleido loads for a brief: the app's bundle, else the full one."""
    return BUNDLE if BUNDLE.is_file() else PLOTLY_JS


@dataclass(frozen=True)
class FigureJob:
    """One figure to draw: key, plotly figure dict, format (svg/png), CSS size, scale."""

    key: str
    figure: dict[str, Any]
    fmt: str
    width: int
    height: int
    scale: float = 1.0


@dataclass(frozen=True)
class PrintOptions:
    """Chromium print settings: the footer template (page numbers) and the margins."""

    footer: str = ""
    margin_cm: float = 1.4


def _one_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


async def _print(browser: Any, page: str, options: PrintOptions) -> bytes:
    """``page`` (HTML) printed by a new tab of ``browser``; the file is private and removed."""
    with tempfile.TemporaryDirectory(prefix="battlemap-brief-") as folder:
        path = Path(folder) / "brief.html"
        path.write_text(page, encoding="utf-8")
        tab = await browser.create_tab("")
        try:
            await tab.send_command("Page.enable")
            loaded = tab.subscribe_once("Page.loadEventFired")
            await tab.send_command("Page.navigate", params={"url": path.as_uri()})
            await asyncio.wait_for(loaded, PRINT_TIMEOUT_S)
            # images are decoded by the load event; fonts may still be loading
            await tab.send_command(
                "Runtime.evaluate",
                params={
                    "expression": "document.fonts.ready.then(() => true)",
                    "awaitPromise": True,
                },
            )
            inch = options.margin_cm / 2.54
            params: dict[str, Any] = {
                "printBackground": True,
                "preferCSSPageSize": True,
                "marginTop": inch,
                "marginBottom": inch,
                "marginLeft": inch,
                "marginRight": inch,
            }
            if options.footer:
                params.update(
                    displayHeaderFooter=True,
                    headerTemplate="<span></span>",
                    footerTemplate=options.footer,
                )
            answer = await asyncio.wait_for(
                tab.send_command("Page.printToPDF", params=params), PRINT_TIMEOUT_S
            )
        finally:
            await browser.close_tab(tab.target_id)
    if "error" in answer:
        raise BattlemapError(f"brief: Chromium could not print it: {answer['error']}")
    return base64.b64decode(answer["result"]["data"])


Prepared = tuple[Sequence[FigureJob], Callable[[dict[str, bytes]], str] | None]


async def _run(prepare: Callable[[], Prepared], options: PrintOptions) -> tuple[dict, bytes | None]:
    import kaleido

    path = _find_browser()
    browser = kaleido.Kaleido(n=1, plotlyjs=str(plotly_js()), mathjax=False, path=path)
    # Chromium starts (2–5 s) while the brief's numbers are read in a worker thread
    opened, prepared = await asyncio.gather(
        browser.open(), asyncio.to_thread(prepare), return_exceptions=True
    )
    try:
        for outcome in (prepared, opened):
            if isinstance(outcome, BaseException):
                raise outcome
        jobs, make_page = prepared  # type: ignore[misc]
        if plotly_js() == BUNDLE:
            for job in jobs:
                extra = {t.get("type", "scatter") for t in job.figure.get("data", [])}
                if extra - BUNDLE_TRACES:
                    raise BattlemapError(
                        f"brief: figure {job.key} draws {sorted(extra - BUNDLE_TRACES)}, "
                        "not in the app's plotly.js bundle"
                    )
        images: dict[str, bytes] = {}
        for job in jobs:
            opts = {"format": job.fmt, "width": job.width, "height": job.height}
            opts["scale"] = job.scale
            images[job.key] = await browser.calc_fig(job.figure, opts=opts)
        if make_page is None:
            return images, None
        return images, await _print(browser, make_page(images), options)
    finally:
        await browser.close()


def render_with_browser(
    prepare: Callable[[], Prepared], options: PrintOptions | None = None
) -> tuple[dict[str, bytes], bytes | None]:
    """Start one Chromium, meanwhile ``prepare()`` the figure jobs and the page maker (images
    by key → HTML, or None for pictures only); draw the jobs, print the page to PDF, close
    the browser. Errors of ``prepare`` come back as they are; the browser's as one line."""
    try:
        return asyncio.run(_run(prepare, options or PrintOptions()))
    except BattlemapError:
        raise
    except Exception as exc:  # kaleido / choreographer / Chromium: one line, no traceback
        raise BattlemapError(f"brief: rendering in Chromium failed: {_one_line(exc)}") from exc
