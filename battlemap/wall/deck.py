"""The wall's 3D panel: the exports' offline deck.gl page of the region in view, in a frame.

``/wall/deck?region=…&year=…&lang=…&w=…`` answers the page the ``html-deck`` export builds
(:func:`battlemap.exports.html_deck.deck_of`: poor persons as columns per child region, the
relocation and labour flows as arcs; deck.gl inlined from the pydeck wheel, nothing fetched
from outside), dressed for the dark wall: dark ground, the view fitted to the panel, no
stamp (the panel's title names it) and no tooltips. It reads through the screen's own scoped
store (a display token sees its scope only); it is part of the screen, not a file leaving
it, so the export right is not asked for. Pages are cached per scope, view and data version.
"""

from __future__ import annotations

import logging
import math
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, request

from battlemap.callbacks.context import AppContext
from battlemap.exports.html_deck import deck_of
from battlemap.exports.offline import deck_html
from battlemap.exports.request import ExportRequest
from battlemap.geodata.access import AccessRefusedError, ScopedStore
from battlemap.geodata.errors import BattlemapError, UnknownRegionError, one_line
from battlemap.geodata.regions import RegionInfo
from battlemap.lru import BoundedCache
from battlemap.viewstate import ViewState
from battlemap.web.errors import public_message

__all__ = ["DECK_PATH", "deck_page", "deck_src", "register_deck_route"]

log = logging.getLogger(__name__)
DECK_PATH = "wall/deck"
PANEL_SHARE = 0.29  # the panel's width as a share of the window's (wall.css: 30vw column)
DECK_WIDTH = 1000  # the width html_deck fits the region into
GROUND = [14, 38, 66, 255]  # the regions' fill on the dark wall
EDGE = [79, 135, 186, 255]
BACKGROUND = "#0b1a2b"  # theme.MAP_BACKGROUND: the 3D panel and the map share the ground
# a panel's frame may only sit inside this app's pages; the deck page needs inline scripts
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
    f"<style>html, body {{ background: {BACKGROUND}; margin: 0; overflow: hidden; }}"
    " #deck-container { width: 100vw; height: 100vh; }"
    " .deck-tooltip { display: none !important; }</style>"
)


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


def deck_page(access: ScopedStore, state: ViewState, width: int) -> str:
    """The offline deck.gl page of ``state`` for a panel ``width`` px wide."""
    deck = deck_of(ExportRequest(access=_PanelAccess(access), state=state))  # type: ignore[arg-type]
    for layer in deck.layers:
        if layer.id == "boundaries":
            layer.get_fill_color = GROUND
            layer.get_line_color = EDGE
        layer.pickable = False  # nobody hovers a wall
    view = deck.initial_view_state
    view.zoom = round(view.zoom - math.log2(DECK_WIDTH / max(width, 200)), 3)
    return deck_html(deck, head=_WALL_CSS)


def deck_src(prefix: str, state: ViewState, viewport: dict[str, Any] | None, version: str) -> str:
    """The panel frame's URL for ``state`` on a screen of ``viewport``."""
    width = round(((viewport or {}).get("w") or 1920) * PANEL_SHARE)
    query = {"region": state.region, "year": state.year, "lang": state.lang,
             "indicator": state.indicator, "w": width, "v": version}  # fmt: skip
    return f"{prefix}{DECK_PATH}?{urlencode(query)}"


def _error(text: str, status: int) -> Response:
    body = f"<!DOCTYPE html><html><body style='background:{BACKGROUND}'></body></html>"
    log.info("wall 3D panel: %s", text)
    return Response(body, status=status, mimetype="text/html", headers=_headers(cache=False))


def _headers(*, cache: bool) -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP,
        "X-Frame-Options": "SAMEORIGIN",
        "Cache-Control": "private, max-age=600" if cache else "no-store",
    }


def register_deck_route(server: Flask, context: AppContext, prefix: str = "/") -> None:
    """``GET {prefix}wall/deck``: the 3D panel's page for the request's scope."""
    pages: BoundedCache[str] = BoundedCache(6, 48 * 2**20, len)  # ~5 MB a page (deck.gl)

    def deck() -> Response:
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
            key = (repr(access.scope), info.code, year, lang, indicator, width, context.version)
            page = pages.get(key)
            if page is None:
                page = deck_page(access, state, width)
                pages.put(key, page)
        except AccessRefusedError as exc:
            return _error(public_message(exc), 403)
        except UnknownRegionError as exc:
            return _error(one_line(exc), 404)
        except BattlemapError as exc:
            return _error(one_line(exc), 503)
        except (KeyError, ValueError) as exc:  # an indicator or year the data does not have
            return _error(f"bad request: {type(exc).__name__}", 400)
        return Response(page, mimetype="text/html", headers=_headers(cache=True))

    server.add_url_rule(f"{prefix}{DECK_PATH}", "wall_deck", deck, methods=["GET"])
