"""The brief's figures and its PDF from the shared export Chromium
(:mod:`battlemap.exports.browser`): the figures drawn by its kaleido tabs, two at a time,
then the brief's HTML printed to PDF (DevTools ``Page.printToPDF``) from one more tab of the
same browser, closed when printed.

No Chromium of its own: the browser starts (2–5 s, when it is not up yet: ``battlemap
brief``) while the brief's numbers are read, and stays up for the next picture or brief of
the process (a server, a batch); maps are painted once (static_maps.js).
"""

from __future__ import annotations

import asyncio
import base64
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from battlemap.exports.browser import (
    BUNDLE,
    BUNDLE_TRACES,
    TABS,
    _find_browser,
    plotly_js,
    start_browser,
    to_image,
    with_browser,
)
from battlemap.geodata.errors import BattlemapError

__all__ = ["BUNDLE_TRACES", "FigureJob", "PrintOptions", "plotly_js", "render_with_browser"]

PRINT_TIMEOUT_S = 60


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


def _check_bundle(jobs: Sequence[FigureJob]) -> None:
    if plotly_js() != BUNDLE:
        return
    for job in jobs:
        extra = {t.get("type", "scatter") for t in job.figure.get("data", [])}
        if extra - BUNDLE_TRACES:
            raise BattlemapError(
                f"brief: figure {job.key} draws {sorted(extra - BUNDLE_TRACES)}, "
                "not in the app's plotly.js bundle"
            )


def _draw(jobs: Sequence[FigureJob], pool: ThreadPoolExecutor) -> dict[str, bytes]:
    """Every job drawn, ``TABS`` at a time (the map, the slowest, first)."""
    ordered = sorted(jobs, key=lambda j: j.key != "png:map")
    futures = {
        job.key: pool.submit(
            to_image, job.figure, job.fmt, width=job.width, height=job.height, scale=job.scale
        )
        for job in ordered
    }
    return {job.key: futures[job.key].result() for job in jobs}


def _run(prepare: Callable[[], Prepared], options: PrintOptions) -> tuple[dict, bytes | None]:
    _find_browser()  # no Chromium: say so before any work (even if one is up already)
    with ThreadPoolExecutor(max_workers=TABS) as pool:
        started = pool.submit(start_browser)  # Chromium starts while the numbers are read
        try:
            jobs, make_page = prepare()
        except BaseException:
            started.exception()  # wait for the start; prepare's error is the one to tell
            raise
        started.result()  # no Chromium: one line
        _check_bundle(jobs)
        images = _draw(jobs, pool)
    if make_page is None:
        return images, None
    page = make_page(images)
    return images, with_browser(lambda k: _print(k, page, options), PRINT_TIMEOUT_S + 30)


def render_with_browser(
    prepare: Callable[[], Prepared], options: PrintOptions | None = None
) -> tuple[dict[str, bytes], bytes | None]:
    """Start the shared Chromium (if not up), meanwhile ``prepare()`` the figure jobs and the
    page maker (images by key → HTML, or None for pictures only); draw the jobs, print the
    page to PDF. Errors of ``prepare`` come back as they are; the browser's as one line."""
    try:
        return _run(prepare, options or PrintOptions())
    except BattlemapError:
        raise
    except Exception as exc:  # kaleido / choreographer / Chromium: one line, no traceback
        raise BattlemapError(f"brief: rendering in Chromium failed: {_one_line(exc)}") from exc
