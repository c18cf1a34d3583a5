"""Sign-in for the Flask server under Dash: sessions, /login, tokens, the gate and the audit.

:class:`WebAuth` is installed once per app. It turns each request into a
:class:`~battlemap.auth.principal.Principal` (a session cookie from ``/login`` or a display
token from ``?token=``), gives :meth:`AppContext.access` the principal's
:class:`~battlemap.geodata.access.Scope`, refuses unauthenticated requests in production
(401 for ``/_dash-*``, ``/geo/``, ``/glyphs/``; a redirect to ``/login`` for pages) and
writes one audit row per request that read a region or was refused.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from flask import Flask, Response, g, has_request_context, redirect, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter, RequestLimit
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms.validators import ValidationError

from battlemap.auth.config import AuthConfig
from battlemap.auth.limits_store import SCHEME as LIMITS_SCHEME
from battlemap.auth.login_page import login_html, logout_html
from battlemap.auth.passwords import verify_password
from battlemap.auth.principal import Principal, scope_of
from battlemap.auth.roles import ROLES
from battlemap.auth.store import AuthStore
from battlemap.geodata.access import AccessRefusedError, Scope
from battlemap.i18n import t

__all__ = ["LOGIN_ENDPOINT", "LOGOUT_ENDPOINT", "PUBLIC_ENDPOINTS", "WebAuth"]

log = logging.getLogger(__name__)

LOGIN_ENDPOINT = "battlemap_login"
LOGOUT_ENDPOINT = "battlemap_logout"
# Endpoints served without sign-in: the sign-in form itself and static files (no data).
PUBLIC_ENDPOINTS = frozenset({LOGIN_ENDPOINT, "static", "_dash_assets.static", "/_favicon.ico"})
# Failed sign-ins allowed before the form answers 429 (successful ones cost nothing).
LIMIT_PER_USER = "5 per minute;20 per hour"
LIMIT_PER_ADDRESS = "10 per minute;60 per hour"
AUDIT_REPEAT_S = 60.0  # the same allowed (who, region, view) is written once per minute


@dataclass(frozen=True)
class Check:
    """One scope check of the current request (what the audit row is made of)."""

    code: str
    allowed: bool
    why: str


class _Sessions(SecureCookieSessionInterface):
    """The signed session cookie, ``Secure`` whenever the request came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = bool(app.config.get("SESSION_COOKIE_SECURE"))
        return configured or (has_request_context() and request.is_secure)


def _address() -> str:
    return request.remote_addr or "-"


def _user_key() -> str:
    return "user:" + (request.form.get("username") or "").strip().lower()[:64]


def _lang() -> str:
    lang = request.values.get("lang", "zh")
    return lang if lang in ("zh", "en") else "zh"


class WebAuth:
    """Sessions, sign-in, tokens, the production gate and the audit of one Flask server."""

    def __init__(
        self,
        server: Flask,
        config: AuthConfig,
        open_store: Callable[[], AuthStore],
        prefix: str = "/",
    ) -> None:
        config.require_secret()
        self.config = config
        self.prefix = prefix
        self._open_store = open_store
        self._store: AuthStore | None = None
        self._lock = threading.Lock()
        self._recent: OrderedDict[tuple[str, str, str], float] = OrderedDict()
        server.secret_key = config.secret_key or secrets.token_hex(32)
        server.config.update(
            SESSION_COOKIE_NAME="battlemap_session",
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        )
        server.session_interface = _Sessions()
        manager = LoginManager()
        manager.init_app(server)
        manager.user_loader(self._load)
        # counters in the auth store: every worker and app server counts against one limit
        self.limiter = Limiter(
            _address,
            app=server,
            storage_uri=f"{LIMITS_SCHEME}://",
            storage_options={"backend": lambda: self.store.backend},
            default_limits=[],
            key_prefix="bm",
        )
        login = self._login
        for value, key in ((LIMIT_PER_USER, _user_key), (LIMIT_PER_ADDRESS, _address)):
            login = self.limiter.limit(
                value,
                key_func=key,
                methods=["POST"],
                deduct_when=lambda response: response.status_code == 401,
                on_breach=self._throttled,
            )(login)
        server.add_url_rule(f"{prefix}login", LOGIN_ENDPOINT, login, methods=["GET", "POST"])
        server.add_url_rule(
            f"{prefix}logout", LOGOUT_ENDPOINT, self._logout, methods=["GET", "POST"]
        )
        server.before_request(self._gate)
        server.after_request(self._audit_request)

    # -- the store ------------------------------------------------------------------------
    @property
    def store(self) -> AuthStore:
        """Users, tokens and audit rows of the active data store (opened on first use)."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = self._open_store()
        return self._store

    # -- who is asking --------------------------------------------------------------------
    def principal(self) -> Principal | None:
        """The signed-in user or token of the current request, else None."""
        if not has_request_context():
            return None
        user = current_user._get_current_object()
        return user if isinstance(user, Principal) else None

    def scope(self, default: Scope) -> Scope:
        """The scope of the current request: the principal's, or ``default`` in the open
        demo; AccessRefusedError for an anonymous caller in production."""
        principal = self.principal()
        if principal is not None:
            return scope_of(principal)
        if self.config.production:
            raise AccessRefusedError("sign in first")
        return default

    def observe(self, code: str, allowed: bool, why: str = "") -> None:
        """Remember a scope check of this request (written to the audit after it)."""
        if has_request_context():
            g.setdefault("bm_checks", []).append(Check(code, allowed, why))

    def csrf_token(self) -> str:
        return generate_csrf()

    def _load(self, session_id: str) -> Principal | None:
        kind, _, rest = session_id.partition(":")
        try:
            if kind == "u":
                fingerprint, _, name = rest.partition(":")
                user = self.store.user(name)
                if (
                    user is not None
                    and not user.disabled
                    and user.role in ROLES
                    and ROLES[user.role].password
                    and user.password_hash[-12:] == fingerprint
                ):
                    return Principal.of_user(user)
            elif kind == "t":
                token = self.store.token(rest)
                if token is not None and token.valid():
                    return Principal.of_token(token)
                self.observe("", False, f"token {rest} revoked or expired")
        except Exception:  # an unreachable user store signs nobody in
            log.exception("cannot load the session's user")
        return None

    # -- the gate -------------------------------------------------------------------------
    def _gate(self) -> Response | None:
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        presented = request.args.get("token")
        if presented is not None:
            refused = self._token_sign_in(presented)
            if refused is not None:
                return refused
        if current_user.is_authenticated or not self.config.production:
            return None
        path = request.path[len(self.prefix) :]
        if request.method != "GET" or path.startswith(("_dash-", "geo/", "glyphs/", "_reload")):
            return _json_error("sign in first", 401)
        target = request.full_path if request.query_string else request.path
        return redirect(f"{self.prefix}login?next={quote(target, safe='/')}")

    def _token_sign_in(self, presented: str) -> Response | None:
        token = self.store.token_for_secret(presented)
        if token is None:
            token_id = presented.partition(".")[0][:16]
            self._write(f"token:{token_id}", "", "token", "invalid, expired or revoked", False)
            return _json_error("invalid, expired or revoked token", 401)
        principal = Principal.of_token(token)
        if self.principal() != principal:
            session.clear()
            login_user(principal)
            session.permanent = True
            self._write(principal.name, token.scope, "token sign-in", "", True)
        return None

    # -- /login, /logout ------------------------------------------------------------------
    def _login(self) -> Response | tuple[str, int] | str:
        lang = _lang()
        next_url = _safe_next(request.values.get("next", ""), self.prefix)
        if request.method == "GET":
            return login_html(
                action=request.path, csrf=generate_csrf(), lang=lang, next_url=next_url
            )
        name = (request.form.get("username") or "").strip()[:64]
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError:
            self._write(name or "-", "", "signin", "missing or expired CSRF token", False)
            page = login_html(
                action=request.path, csrf=generate_csrf(), lang=lang, next_url=next_url,
                error=t("signin_expired", lang),
            )  # fmt: skip
            return page, 400
        user = self.store.user(name) if name else None
        usable = user is not None and not user.disabled and ROLES[user.role].password
        password = (request.form.get("password") or "")[:1024]
        if not verify_password(user.password_hash if usable and user else None, password):
            why = "wrong password" if usable else "unknown or disabled user"
            self._write(name or "-", "", "signin", why, False)
            page = login_html(
                action=request.path, csrf=generate_csrf(), lang=lang, next_url=next_url,
                error=t("signin_failed", lang),
            )  # fmt: skip
            return page, 401
        assert user is not None
        session.clear()  # a fresh session: nothing carried over from before the sign-in
        login_user(Principal.of_user(user))
        session.permanent = True
        self._write(user.name, user.scope, "signin", "", True)
        return redirect(next_url or self.prefix)

    def _throttled(self, limit: RequestLimit) -> Response:
        lang = _lang()
        name = (request.form.get("username") or "").strip()[:64] or "-"
        self._write(name, "", "signin", f"throttled ({limit.limit})", False)
        page = login_html(
            action=request.path, csrf=generate_csrf(), lang=lang, error=t("signin_slow_down", lang)
        )
        return Response(page, status=429, mimetype="text/html", headers={"Retry-After": "60"})

    def _logout(self) -> Response | str:
        if request.method == "GET":
            return logout_html(action=request.path, csrf=generate_csrf(), lang=_lang())
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError:
            return _json_error("missing or expired CSRF token", 400)
        principal = self.principal()
        if principal is not None:
            self._write(principal.name, "", "signout", "", True)
        logout_user()
        session.clear()
        return redirect(f"{self.prefix}login")

    # -- audit ----------------------------------------------------------------------------
    def _audit_request(self, response: Response) -> Response:
        checks: list[Check] = g.pop("bm_checks", None) or []
        if not checks:
            return response
        refused = [c for c in checks if not c.allowed]
        first = refused[0] if refused else checks[0]
        principal = self.principal()
        if principal is None and not refused:
            return response  # an open-demo visitor: synthetic data, nothing to account for
        who = principal.name if principal else "anonymous"
        action = _action()
        if not refused:
            key = (who, first.code, action)
            now = time.monotonic()
            with self._lock:
                last = self._recent.get(key)
                self._recent[key] = now
                self._recent.move_to_end(key)
                while len(self._recent) > 4096:
                    self._recent.popitem(last=False)
            if last is not None and now - last < AUDIT_REPEAT_S:
                return response
        self._write(who, first.code, action, first.why, not refused)
        return response

    def _write(self, who: str, region: str, action: str, detail: str, allowed: bool) -> None:
        try:
            self.store.audit(
                who=who, address=_address() if has_request_context() else "-",
                region=region, action=action, detail=detail, allowed=allowed,
            )  # fmt: skip
        except Exception:  # the request has been answered; a lost audit row is logged loudly
            log.exception("cannot write the audit row (%s %s %s)", who, action, region)


def _action() -> str:
    """What the request was: ``page``, ``geo``, ``view <outputs>`` for a Dash callback."""
    endpoint = request.endpoint or request.path
    if endpoint.endswith("_dash-update-component"):
        try:  # Dash has read the body already (an oversize one raises 413 again here)
            body = request.get_json(silent=True) or {}
        except Exception:
            body = {}
        output = body.get("output") if isinstance(body, dict) else None
        return f"view {str(output)[:90]}"
    if endpoint.endswith("_dash-layout"):
        return "page"
    if endpoint == "battlemap_geo":
        return "geo"
    return str(endpoint)[:100]


def _safe_next(target: str, prefix: str) -> str:
    """A same-site path to go to after sign-in, else '' (no open redirects)."""
    if target.startswith(prefix) and not target.startswith("//") and "\\" not in target:
        return target
    return ""


def _json_error(message: str, status: int) -> Response:
    return Response(
        json.dumps({"error": message}),
        status=status,
        mimetype="application/json",
        headers={"Cache-Control": "no-store"},
    )
