"""The wall screen in the app: its layout for ``/wall`` and its callbacks.

One server callback draws a frame (the stop at the page's step, or the same stop again on
the data refresh timer); a clientside callback advances the step every N seconds unless
the screen is paused (``assets/wall.js``: input pauses, the clock, the stale badge).
When the store does not answer, the callback changes nothing on screen and reports
``fail`` in the heartbeat: the last good frame stays, with the stale badge.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from dash import Dash, Input, Output, State, no_update

from battlemap.callbacks.context import AppContext
from battlemap.geodata.access import ScopedStore
from battlemap.geodata.errors import BattlemapError, one_line
from battlemap.lru import BoundedCache
from battlemap.views.mapview import MapUrls
from battlemap.viewstate import ViewState
from battlemap.wall.config import WallConfig, load_wall_config, wall_config_from_query
from battlemap.wall.deck import DeckPanel, deck_idle, deck_src, deck_width, register_deck_route
from battlemap.wall.frame import CHARTS, DECK, TABLES, Frame, build_frame
from battlemap.wall.health import probe
from battlemap.wall.layout import ID, wall_page
from battlemap.wall.plan import TourPlanner
from battlemap.wall.render import OUTPUT_IDS, as_of_text, frame_outputs, heartbeat
from battlemap.wall.text import wt
from battlemap.wall.tour import Stop, stop_at

__all__ = ["CONFIG_ENV", "WallScreen"]

log = logging.getLogger(__name__)
CONFIG_ENV = "BATTLEMAP_WALL_CONFIG"  # set by `battlemap run --wall-config FILE`
FRAME_CACHE = 48  # frames kept (a tour of ~15 stops × screen sizes, scopes, data versions)
PANEL_CYCLE = math.lcm(len(CHARTS), len(TABLES))  # steps until the panels repeat
# the next step's frame is built this long after a step is answered (at most this share of
# the interval): on a machine shared with the browser it would slow the map's drawing
PREFETCH_DELAY = 1.0
PREFETCH_SHARE = 0.3

_STEP = """
function(ticks, step) {
    var wall = window.bmWall;
    if (wall && wall.paused()) { return window.dash_clientside.no_update; }
    return (step || 0) + 1;
}
"""

_VIEWPORT = """
function(config) {
    var map = document.querySelector('.bm-wall-mapbox');
    var box = map ? map.getBoundingClientRect() : null;
    return {w: window.innerWidth, h: window.innerHeight,
            mw: box ? Math.round(box.width) : null, mh: box ? Math.round(box.height) : null};
}
"""


class WallScreen:
    """The ``/wall`` page of one app: config from the TOML file (``BATTLEMAP_WALL_CONFIG``)
    and the page's URL, tours cached per data version."""

    def __init__(
        self, context: AppContext, urls: Callable[[], MapUrls], base: WallConfig | None = None
    ) -> None:
        self.context = context
        self.urls = urls
        if base is None:
            path = os.environ.get(CONFIG_ENV)
            base = load_wall_config(path) if path else WallConfig()
        self.base = base
        self.planner = TourPlanner()
        self._seen: dict[str, datetime] = {}  # data version -> when this app first saw it
        self._lock = threading.Lock()
        self._frames: BoundedCache[tuple[Frame, dict[str, str]]] = BoundedCache(FRAME_CACHE)
        self._pending: tuple | None = None
        self._worker: threading.Thread | None = None
        self.prefix = "/"  # the app's URL prefix (set by register): the 3D panel's frame
        self.deck = DeckPanel()  # the 3D panel's decks (its data route and the prefetch)

    # -- data -----------------------------------------------------------------------------
    def _as_of(self, version: str) -> datetime | None:
        """When the data was written (the embedded manifest's time), else when this app first
        served this data version (PostGIS)."""
        data_dir = getattr(self.context.store, "data_dir", None)
        if data_dir is not None:
            try:
                return datetime.fromtimestamp((Path(data_dir) / "manifest.json").stat().st_mtime)
            except OSError:
                return None
        with self._lock:
            if len(self._seen) > 16:
                self._seen.clear()
            return self._seen.setdefault(version, datetime.now())

    def frame(
        self,
        access: ScopedStore,
        config: WallConfig,
        step: int,
        viewport: Any,
        *,
        prefetch: bool = True,
    ) -> dict:
        """The outputs of the frame at ``step`` (BattlemapError when the store fails); the
        next step's frame is then built in the background, so a tour step is a cache hit."""
        problem = probe(self.context.store)
        if problem is not None:
            raise BattlemapError(problem)
        version = self.context.version
        stops, _problems = self.planner.stops(access, config, version)
        urls = self.urls()  # per request (the glyph URL names the host the browser used)
        index, _stop = stop_at(stops, step)
        frame, names = self._frame_at(access, config, stops, step, viewport, urls, version)
        if prefetch:
            self._prefetch((access, config, stops, step + 1, viewport, urls, version))
        as_of = as_of_text(self._as_of(version), config.lang)
        deck = deck_idle(self.prefix)  # the 3D panel's page stays loaded, without a view
        if frame.chart_key == DECK:
            state = ViewState(
                frame.region, frame.year, indicator=config.indicator, lang=config.lang
            )
            deck = deck_src(self.prefix, state, viewport, version)
        return frame_outputs(
            frame, stops, index, names, as_of=as_of, lang=config.lang, deck=deck, step=step
        )

    def _frame_at(
        self,
        access: ScopedStore,
        config: WallConfig,
        stops: list[Stop],
        step: int,
        viewport: Any,
        urls: MapUrls,
        version: str,
    ) -> tuple[Frame, dict[str, str]]:
        """The frame of ``step`` (cached by scope, config, stop, panel rotation, screen size
        and data version: a new data version is a new frame) and the stops' names."""
        _index, stop = stop_at(stops, step)
        port = viewport or {}
        key = (
            repr(access.scope),
            repr(config),
            stop,
            step % PANEL_CYCLE,
            (port.get("h"), port.get("mw"), port.get("mh")),
            urls.glyphs,
            version,
        )
        hit = self._frames.get(key)
        if hit is None:
            frame = build_frame(access, stop, config, step=step, urls=urls, viewport=viewport)
            names = {s.region: access.store.region(s.region).name for s in stops}
            hit = (frame, names)
            self._frames.put(key, hit)
        return hit

    def _prefetch(self, job: tuple) -> None:
        """Build a frame in the one background thread (the latest request wins)."""
        with self._lock:
            self._pending = job
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._work, name="wall-prefetch", daemon=True
                )
                self._worker.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                job = self._pending
            if job is not None:  # the browser draws the step just answered first
                time.sleep(min(PREFETCH_DELAY, job[1].interval * PREFETCH_SHARE))
            with self._lock:
                job, self._pending = self._pending, None
                if job is None:
                    self._worker = None
                    return
            try:
                frame, _names = self._frame_at(*job)
                if frame.chart_key == DECK:  # the 3D panel's deck, ready for its request
                    access, config, _stops, _step, viewport, _urls, version = job
                    state = ViewState(
                        frame.region, frame.year, indicator=config.indicator, lang=config.lang
                    )
                    self.deck.body(access, state, deck_width(viewport), version)
            except Exception as exc:  # the request itself will build it and report
                log.debug("wall: prefetch failed: %s", one_line(exc))

    # -- page -----------------------------------------------------------------------------
    def layout(self, query: str) -> Any:
        """The wall for a page URL's query (never raises: a store failure shows the empty
        wall with the stale badge, filled at the next refresh that succeeds)."""
        config, problems = wall_config_from_query(self.base, parse_qs(query))
        synthetic, initial = False, None
        try:
            access = self.context.access()
            synthetic = bool(access.manifest.get("synthetic"))
            _stops, plan_problems = self.planner.stops(access, config, self.context.version)
            problems += plan_problems
            initial = self.frame(access, config, 0, None)
        except BattlemapError as exc:  # the store is down or the scope refused: say so
            log.warning("wall: first frame not drawn: %s", one_line(exc))
            initial = {ID.HEARTBEAT: heartbeat(False)}
        notice = (wt("config_problem", config.lang) + "; ".join(problems)) if problems else ""
        return wall_page(config, synthetic=synthetic, notice=notice, initial=initial)

    def register(self, app: Dash) -> None:
        """The step timer (browser), the viewport probe (browser), the frame callback and
        the 3D panel's route."""
        self.prefix = app.config.requests_pathname_prefix or "/"
        register_deck_route(
            app.server, self.context, self.deck, app.config.routes_pathname_prefix or "/"
        )
        app.clientside_callback(
            _STEP,
            Output(ID.STEP, "data"),
            Input(ID.TICK, "n_intervals"),
            State(ID.STEP, "data"),
            prevent_initial_call=True,
        )
        app.clientside_callback(_VIEWPORT, Output(ID.VIEWPORT, "data"), Input(ID.CONFIG, "data"))

        @app.callback(
            [Output(i, p) for i, p in OUTPUT_IDS],
            Input(ID.STEP, "data"),
            Input(ID.REFRESH, "n_intervals"),
            Input(ID.VIEWPORT, "data"),
            State(ID.CONFIG, "data"),
            prevent_initial_call=True,
        )
        def draw_frame(step, _refresh, viewport, config_data):
            return self.draw(step, viewport, config_data)

    def draw(self, step: Any, viewport: Any, config_data: Any) -> list[Any]:
        """The frame callback's outputs; on any failure the last frame stays (no_update)
        and the heartbeat says ``fail`` (never a traceback on the wall)."""
        try:
            config = WallConfig.from_dict(config_data or {})
            outputs = self.frame(self.context.access(), config, int(step or 0), viewport)
        except BattlemapError as exc:
            log.warning("wall: frame not drawn (last frame kept): %s", one_line(exc))
            return _failed()
        except Exception:  # a bug: logged, and the wall keeps its last frame
            log.exception("wall: frame failed")
            return _failed()
        return [outputs[(i, p)] if (i, p) in outputs else outputs[i] for i, p in OUTPUT_IDS]


def _failed() -> list[Any]:
    """Nothing changes on screen but the heartbeat, which tells wall.js the data is stale."""
    return [no_update] * (len(OUTPUT_IDS) - 1) + [heartbeat(False)]
