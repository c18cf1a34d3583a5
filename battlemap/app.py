"""The Dash app: ``create_app(settings) -> Dash``; ``server`` for gunicorn, created lazily.

``gunicorn battlemap.app:server`` builds the app on first access from the environment
(``BATTLEMAP_STORE``, ``BATTLEMAP_DATA_DIR``, ``BATTLEMAP_DSN``, ``BATTLEMAP_LANGUAGE``).
Nothing is loaded at import time.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import flask
from dash import Dash, html, set_props

from battlemap import ids
from battlemap.auth.bar import access_bar
from battlemap.auth.config import AuthConfig
from battlemap.auth.demo_secret import kept_secret
from battlemap.auth.production import check_production
from battlemap.auth.store import AuthStore
from battlemap.auth.web import WebAuth
from battlemap.callbacks import AppContext, MapUrls, register_all
from battlemap.compression import enable_compression
from battlemap.geodata.access import AccessRefusedError, Scope, ScopedStore
from battlemap.geodata.embedded_cache import cache_root
from battlemap.geodata.errors import BattlemapError
from battlemap.geodata.store import Store
from battlemap.i18n import t
from battlemap.layout import error_page, page
from battlemap.routes import register_routes
from battlemap.settings import Settings
from battlemap.views.mapview import initial_figure
from battlemap.viewstate import default_state, parse_query
from battlemap.wall import WallScreen, is_wall_page
from battlemap.web.config import web_settings_from_env
from battlemap.web.errors import public_message
from battlemap.web.refusals import refuse_malformed_callbacks
from battlemap.web.security import secure

__all__ = ["ASSETS_DIR", "create_app", "settings_from_env"]

log = logging.getLogger(__name__)
ASSETS_DIR = Path(__file__).parent / "assets"


def settings_from_env() -> Settings:
    """Settings from ``BATTLEMAP_*`` environment variables (for gunicorn)."""
    return Settings(
        store=os.environ.get("BATTLEMAP_STORE", "embedded"),
        data_dir=Path(os.environ.get("BATTLEMAP_DATA_DIR", "demo-data")),
        dsn=os.environ.get("BATTLEMAP_DSN"),
        # read replicas, separated by ";" (see --read-dsn)
        read_dsns=tuple(
            d.strip() for d in os.environ.get("BATTLEMAP_READ_DSNS", "").split(";") if d.strip()
        ),
        language=os.environ.get("BATTLEMAP_LANGUAGE", "zh"),
        **web_settings_from_env(),  # BATTLEMAP_ALLOWED_HOSTS, _MAX_BODY_BYTES, _DB_TIMEOUT
    )


def _page_query() -> str:
    """The page's query string: Dash fetches the layout by XHR, so it is the referrer's."""
    if not flask.has_request_context():
        return ""
    request = flask.request
    if request.path.endswith("_dash-layout") and request.referrer:
        return urlparse(request.referrer).query
    return request.query_string.decode("utf-8", "replace")


def _request_lang(default: str) -> str:
    """The language of the page that sent the current request (its query's ``lang``)."""
    lang = parse_qs(_page_query()).get("lang", [None])[-1]
    if lang is None and flask.has_request_context() and flask.request.referrer:
        lang = parse_qs(urlparse(flask.request.referrer).query).get("lang", [None])[-1]
    return lang if lang in ("zh", "en") else default


def _layout(
    context: AppContext, urls: Callable[[], MapUrls], wall: WallScreen | None = None
) -> html.Div:
    """The page for the current request's URL; an error page if the store cannot open."""
    lang = _request_lang(context.settings.language)
    if wall is not None and is_wall_page():
        return wall.layout(_page_query())  # the leaders' wall screen (battlemap/wall/)
    try:
        access = context.access()
        indicators = context.indicators
        query = _page_query()
        if query:
            state, problems = parse_query(
                "?" + query, access, indicators=indicators, default_lang=lang
            )
        else:
            state, problems = default_state(access, lang=lang), []
        first = initial_figure(access, state, urls=urls(), households=context.households)
        root = page(access, state, indicators=indicators, problems=problems, map_figure=first)
        if isinstance(context.policy, WebAuth):
            root.children.insert(0, _bar(context.policy, access, lang))
        return root
    except AccessRefusedError as exc:  # a deep link outside the scope: refused, not widened
        return _refused_page(context, str(exc), lang)
    except BattlemapError as exc:
        return error_page(public_message(exc, lang), lang)  # what failed, not where


def _bar(auth: WebAuth, access: ScopedStore, lang: str) -> html.Div:
    """Who is signed in (or the open-demo banner) above the page."""
    return access_bar(
        auth.principal(),
        lang=lang,
        scope_name=access.home().name if access.scope.roots else t("all_regions", lang),
        prefix=auth.prefix,
    )


def _refused_page(context: AppContext, why: str, lang: str) -> html.Div:
    """无权访问 with the reason, who is signed in and a link back to the user's own region."""
    root = error_page(f"{t('no_access', lang)}: {why}", lang)
    if isinstance(context.policy, WebAuth) and context.policy.principal() is not None:
        access = context.access()
        root.children.insert(0, _bar(context.policy, access, lang))
        home = f"{context.policy.prefix}?region={access.home().code}&lang={lang}"
        root.children.insert(-1, html.A(t("back_home", lang), href=home, className="bm-home"))
    return root


def _open_auth_store(settings: Settings) -> AuthStore:
    """Users, tokens and the audit log in the active store (SQLite file or PostGIS)."""
    return AuthStore.open(settings.store, data_dir=settings.data_dir, dsn=settings.dsn)


def _on_error(context: AppContext, error: Exception) -> Any:
    """Show a callback's error in the page banner, in words; log unexpected ones."""
    lang = _request_lang(context.settings.language)
    if isinstance(error, AccessRefusedError):  # audited by the access policy
        message = f"{t('no_access', lang)}: {error}"
    elif isinstance(error, BattlemapError):
        message = f"{t('error', lang)}: {public_message(error, lang)}"
    else:
        log.error("callback failed", exc_info=error)
        message = t("internal_error", lang)
    set_props(ids.ERROR, {"children": message, "hidden": False})
    return None


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    scope: Scope | None = None,
    warm: bool = True,
    auth: AuthConfig | None = None,
) -> Dash:
    """Build the battle map app (the store opens on first use, or ``store`` is used as is).

    ``auth``: production mode and the session secret (default: from the environment,
    ``BATTLEMAP_PRODUCTION``, ``BATTLEMAP_SECRET_KEY``); without production the app is the
    open demo with ``scope`` for anonymous visitors.
    """
    settings = settings or settings_from_env()
    auth = auth or AuthConfig.from_env()
    auth.require_secret()
    context = AppContext(settings, store=store, scope=scope)
    app = Dash(
        __name__,
        assets_folder=str(ASSETS_DIR),
        assets_path_ignore=["^vendor$"],  # inlined into HTML exports, not for the page
        title=t("title", settings.language),
        update_title=None,
        # the page (/) and the wall (/wall) are two layouts of one app: each page's
        # callbacks name ids only the other has, which is not an error
        suppress_callback_exceptions=True,
        serve_locally=True,
        # plotly.js comes from assets/plotly-battlemap.min.js (only the traces we draw, 3.1 MB
        # instead of 4.8 MB); with lazy loading dcc.Graph uses that window.Plotly and never
        # fetches the full bundle.
        eager_loading=False,
        on_error=partial(_on_error, context),
    )
    prefix = app.config.requests_pathname_prefix or "/"

    def urls() -> MapUrls:
        host = flask.request.host_url.rstrip("/") if flask.has_request_context() else ""
        version = context.version
        return MapUrls(
            geo=lambda code: f"{prefix}geo/{code}.json?v={version}",
            glyphs=f"{host}{prefix}glyphs/{{fontstack}}/{{range}}.pbf",
        )

    wall = WallScreen(context, urls)  # /wall (issue 12); its config from BATTLEMAP_WALL_CONFIG
    app.layout = partial(_layout, context, urls, wall)

    register_routes(app.server, context, app.config.routes_pathname_prefix or "/")
    register_all(app, context, urls)
    wall.register(app)
    enable_compression(app.server)
    secure(app.server, settings)  # Host check, body cap, security headers (web/security.py)
    refuse_malformed_callbacks(app.server)  # junk payloads: 400 and one log line
    # sign-in, tokens, the production gate and the audit (after the Host check)
    context.policy = WebAuth(app.server, auth, partial(_open_auth_store, settings), prefix)
    app.server.config["BATTLEMAP_CONTEXT"] = context
    if warm:
        context.warm_in_background()
    return app


_server: flask.Flask | None = None


def __getattr__(name: str) -> Any:
    """``battlemap.app.server``: the Flask server of an app built from the environment."""
    global _server
    if name == "server":
        if _server is None:
            settings, auth = settings_from_env(), AuthConfig.from_env()
            where = {"kind": settings.store, "data_dir": settings.data_dir, "dsn": settings.dsn}
            check_production(auth, **where)  # no secret or no admin: refuse to serve
            if auth.secret_key is None:  # open demo: one key for all workers (kept in the cache)
                auth = replace(auth, secret_key=kept_secret(cache_root()))
            _server = create_app(settings, auth=auth).server
        return _server
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
