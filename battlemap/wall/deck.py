"""The wall's 3D panel: one deck.gl page kept alive in a frame, fed the region in view.

Three routes, all of this app (nothing from outside; the frame may sit only in its pages):

* ``/wall/deck`` -- the panel's page, a small shell loaded once per wall page (it loads
  deck.gl when the wall's map is not drawing). The frame's
  URL fragment names the view (``#region=…&year=…&lang=…&indicator=…&w=…&v=…``); the
  wall changes only the fragment at each turn, so the page (and deck.gl) is never
  reloaded: the page fetches the view's deck as JSON and hands it to its one deck.gl
  instance. An empty fragment (another chart shows) hides the canvas and stops deck.gl's
  animation loop (the next view replaces the layers). A new view is fetched and drawn only once the
  wall's map has finished drawing the step (``bmWall.mapBusy`` in ``assets/wall.js``), so
  the 3D work never competes with the map on the page's one thread.
* ``/wall/deck/deckgl.js?h=…`` -- the deck.gl bundle vendored in the pydeck wheel (the same
  one the ``html-deck`` export inlines), served as a file the browser caches for a year
  (the URL names its digest; ETag, 304 on revalidation).
* ``/wall/deck/data?region=…`` -- the view's deck (:func:`deck_spec`): the ``html-deck``
  export's deck (:func:`battlemap.exports.html_deck.deck_of`: poor persons as columns per
  child region, relocation and labour flows as arcs) dressed for the dark wall, fitted to
  the panel, without tooltips. It reads through the screen's own scoped store (a display
  token sees its scope only); the panel stays on the screen, so the export right is not
  asked for. Answers are cached per scope, view and data version (:class:`DeckPanel`),
  and built ahead by the wall's prefetch the step before the panel's turn.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from functools import cache
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, request

from battlemap.callbacks.context import AppContext
from battlemap.exports.html_deck import deck_of
from battlemap.exports.offline import assert_offline, deck_bundle
from battlemap.exports.request import ExportRequest
from battlemap.geodata.access import AccessRefusedError, ScopedStore
from battlemap.geodata.errors import BattlemapError, UnknownRegionError, one_line
from battlemap.geodata.regions import RegionInfo
from battlemap.lru import BoundedCache
from battlemap.viewstate import ViewState
from battlemap.web.errors import public_message

__all__ = [
    "DATA_PATH",
    "DECK_PATH",
    "LIB_PATH",
    "DeckPanel",
    "deck_idle",
    "deck_spec",
    "deck_src",
    "deck_width",
    "register_deck_route",
    "shell_page",
]

log = logging.getLogger(__name__)
DECK_PATH = "wall/deck"  # the panel's page (the shell)
DATA_PATH = "wall/deck/data"  # a view's deck as JSON
LIB_PATH = "wall/deck/deckgl.js"  # the vendored deck.gl bundle
PANEL_SHARE = 0.29  # the panel's width as a share of the window's (wall.css: 30vw column)
DECK_WIDTH = 1000  # the width html_deck fits the region into
GROUND = [14, 38, 66, 255]  # the regions' fill on the dark wall
EDGE = [79, 135, 186, 255]
BACKGROUND = "#0b1a2b"  # theme.MAP_BACKGROUND: the 3D panel and the map share the ground
YEAR_SECONDS = 365 * 24 * 3600
# a panel's frame may only sit inside this app's pages; scripts only from this app (the
# shell's own small script is inline)
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "connect-src 'self' data: blob:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self'",
    )
)
_WALL_CSS = (
    f"<style>html, body {{ background: {BACKGROUND}; margin: 0; padding: 0; overflow: hidden; }}"
    " #deck-container { width: 100vw; height: 100vh; }"
    " #deck-container.idle { visibility: hidden; }"
    " .deck-tooltip { display: none !important; }</style>"
)
# The shell's script: the fragment names the view; one deck.gl instance for the page's life.
_SHELL_JS = """
(function () {
  'use strict';
  var box = document.getElementById('deck-container');
  var deck = null, token = 0;
  function mapBusy() {
    try {
      var wall = window.parent.bmWall;
      return !!(wall && wall.mapBusy && wall.mapBusy());
    } catch (e) { return false; }
  }
  var idle = window.requestIdleCallback || function (f) { return setTimeout(f, 0); };
  function afterMap(my, fn) {
    var since = Date.now();
    (function wait() {
      if (my !== token) { return; }
      if (mapBusy() && Date.now() - since < 4000) { setTimeout(wait, 50); return; }
      idle(function () { if (my === token) { fn(); } }, {timeout: 500});
    })();
  }
  function loop(run) {
    var animation = deck && deck.animationLoop;
    if (!animation) { return; }
    try { if (run) { animation.start(); } else { animation.stop(); } } catch (e) { return; }
    document.body.setAttribute('data-loop', run ? 'running' : 'stopped');
  }
  function draw(spec, view) {
    if (deck === null) {
      deck = createDeck({container: box, jsonInput: spec, tooltip: false});
      document.body.setAttribute('data-loop', 'running');
    } else {
      loop(true);
      updateDeck(spec, deck);
    }
    box.classList.remove('idle');
    document.body.setAttribute('data-drawn', view);
  }
  function hide() {  // nothing redrawn while hidden; the next view replaces the layers
    box.classList.add('idle');
    document.body.removeAttribute('data-drawn');
    loop(false);
  }
  var lib = null;  // deck.gl, loaded once when the map is not drawing
  function library() {
    if (lib === null) {
      lib = new Promise(function (done, failed) {
        var script = document.createElement('script');
        script.src = document.body.getAttribute('data-lib');
        script.onload = done;
        script.onerror = function () { lib = null; failed(); };
        document.head.appendChild(script);
      });
    }
    return lib;
  }
  function onHash() {
    var view = location.hash.replace(/^#/, '');
    var my = ++token;
    if (!view) { hide(); return; }
    afterMap(my, function () {
      var data = fetch('deck/data?' + view, {credentials: 'same-origin'})
        .then(function (r) { return r.ok ? r.json() : null; });
      Promise.all([data, library()])
        .then(function (got) { if (got[0] && my === token) { draw(got[0], view); } })
        .catch(function () { /* the next turn tries again */ });
    });
  }
  window.addEventListener('hashchange', onHash);
  onHash();
  afterMap(token, function () { library().catch(function () {}); });
})();
"""


class _PanelAccess:
    """A screen's scoped store as the deck builder sees it: every read is the scope's; the
    export check is the scope check only (the panel stays on the screen)."""

    def __init__(self, access: ScopedStore) -> None:
        self._access = access

    def __getattr__(self, name: str) -> Any:
        return getattr(self._access, name)

    def check_export(self, code: str, *, households: bool = False) -> RegionInfo:
        if households:  # the wall's panel never asks for household rows
            raise AccessRefusedError("the wall's 3D panel shows aggregates only")
        return self._access.region(code)


def deck_spec(access: ScopedStore, state: ViewState, width: int) -> dict[str, Any]:
    """The deck.gl JSON of ``state`` for a panel ``width`` px wide (what ``createDeck`` /
    ``updateDeck`` take): dark, fitted, nothing pickable."""
    deck = deck_of(ExportRequest(access=_PanelAccess(access), state=state))  # type: ignore[arg-type]
    for layer in deck.layers:
        if layer.id == "boundaries":
            layer.get_fill_color = GROUND
            layer.get_line_color = EDGE
        layer.pickable = False  # nobody hovers a wall
    view = deck.initial_view_state
    view.zoom = round(view.zoom - math.log2(DECK_WIDTH / max(width, 200)), 3)
    return json.loads(deck.to_json())


@cache
def _bundle() -> tuple[bytes, str]:
    """The deck.gl bundle's bytes and their digest (the URL and the ETag)."""
    data = deck_bundle().encode("utf-8")
    return data, hashlib.sha256(data).hexdigest()[:16]


def shell_page() -> str:
    """The panel's page: the shell's script, which loads deck.gl by URL from this app
    (relative to ``…/wall/deck``) once the wall's map is not drawing; no view until the
    fragment names one."""
    digest = _bundle()[1]
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>3D</title>'
        f'{_WALL_CSS}</head><body data-lib="deck/deckgl.js?h={digest}">'
        '<div id="deck-container" class="idle"></div>'
        f"<script>{_SHELL_JS}</script></body></html>"
    )
    return assert_offline(page, "wall 3D panel")


def deck_src(prefix: str, state: ViewState, viewport: dict[str, Any] | None, version: str) -> str:
    """The panel frame's URL showing ``state`` on a screen of ``viewport``: the shell with
    the view in its fragment (a new view is not a new page)."""
    width = deck_width(viewport)
    query = {"region": state.region, "year": state.year, "lang": state.lang,
             "indicator": state.indicator, "w": width, "v": version}  # fmt: skip
    return f"{prefix}{DECK_PATH}#{urlencode(query)}"


def deck_idle(prefix: str) -> str:
    """The panel frame's URL while another chart shows: the same page, no view."""
    return f"{prefix}{DECK_PATH}#"


def _error(text: str, status: int) -> Response:
    log.info("wall 3D panel: %s", text)
    body = json.dumps({"error": text})
    return Response(body, status=status, mimetype="application/json", headers=_headers("no-store"))


def _headers(cache_control: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP,
        "X-Frame-Options": "SAMEORIGIN",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": cache_control,
    }


def deck_width(viewport: dict[str, Any] | None) -> int:
    """The 3D panel's width in px on a screen of ``viewport`` (the view is fitted to it)."""
    return round(((viewport or {}).get("w") or 1920) * PANEL_SHARE)


class DeckPanel:
    """The views' decks as JSON, cached per scope, view, panel width and data version:
    answered by the data route, and built ahead by the wall's prefetch (the step before
    the panel's turn), so the panel's request does not compete with the map's drawing."""

    def __init__(self) -> None:
        self._specs: BoundedCache[str] = BoundedCache(32, 32 * 2**20, len)

    def __len__(self) -> int:
        return len(self._specs)

    def body(self, access: ScopedStore, state: ViewState, width: int, version: str) -> str:
        """The deck of ``state`` as JSON text (AccessRefusedError outside the scope)."""
        info = access.region(state.region)
        key = (repr(access.scope), info.code, state.year, state.lang, state.indicator, width,
               version)  # fmt: skip
        body = self._specs.get(key)
        if body is None:
            body = json.dumps(deck_spec(access, state, width), separators=(",", ":"))
            self._specs.put(key, body)
        return body


def register_deck_route(
    server: Flask, context: AppContext, panel: DeckPanel, prefix: str = "/"
) -> None:
    """``GET {prefix}wall/deck`` (the shell), ``…/deck/deckgl.js`` (deck.gl, cached a
    year) and ``…/deck/data`` (a view's deck, through the request's scope)."""

    def shell() -> Response:
        return Response(shell_page(), mimetype="text/html", headers=_headers("no-cache"))

    def library() -> Response:
        data, digest = _bundle()
        headers = _headers(f"public, max-age={YEAR_SECONDS}, immutable")
        headers["ETag"] = f'"{digest}"'
        if request.if_none_match.contains(digest):
            return Response(status=304, headers=headers)
        return Response(data, mimetype="text/javascript", headers=headers)

    def data() -> Response:
        args = request.args
        try:
            width = min(max(int(args.get("w", "560")), 200), 4000)
            year = int(args.get("year", ""))
        except ValueError:
            return _error("bad w or year", 400)
        lang = "en" if args.get("lang") == "en" else "zh"
        indicator = args.get("indicator", "incidence")
        try:
            access = context.access()
            info = access.region(args.get("region", ""))
            state = ViewState(info.code, year, indicator=indicator, lang=lang)
            body = panel.body(access, state, width, context.version)
        except AccessRefusedError as exc:
            return _error(public_message(exc), 403)
        except UnknownRegionError as exc:
            return _error(one_line(exc), 404)
        except BattlemapError as exc:
            return _error(one_line(exc), 503)
        except (KeyError, ValueError) as exc:  # an indicator or year the data does not have
            return _error(f"bad request: {type(exc).__name__}", 400)
        return Response(body, mimetype="application/json", headers=_headers("private, max-age=600"))

    server.add_url_rule(f"{prefix}{DECK_PATH}", "wall_deck", shell, methods=["GET"])
    server.add_url_rule(f"{prefix}{LIB_PATH}", "wall_deck_lib", library, methods=["GET"])
    server.add_url_rule(f"{prefix}{DATA_PATH}", "wall_deck_data", data, methods=["GET"])
