"""HTTP hardening of the Flask server under Dash (issue 18): who may ask and what we send.

* Only configured Host names are served (default: the bound address, localhost, 127.0.0.1,
  ::1); anything else gets 400, which stops DNS-rebinding pages from reading the app.
* Request bodies are capped (``MAX_CONTENT_LENGTH``): a larger body gets 413 before Dash
  reads it. A chunked body (no Content-Length, which Werkzeug would silently cut at the cap)
  is read up to the cap in front of Flask and refused with 413 beyond it.
* Every response carries Content-Security-Policy, X-Frame-Options, X-Content-Type-Options
  and Referrer-Policy. The CSP allows what the Dash page really needs: its inline renderer
  and clientside-callback scripts, inline styles, and MapLibre's blob: workers; everything
  else only from this origin. No ``eval``: the page, drilling, playing the years and every
  layer run without it in headless Chromium (tests/web/test_csp_browser.py).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, request

from battlemap.settings import Settings

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "SECURITY_HEADERS",
    "allowed_hosts",
    "host_name",
    "secure",
]

log = logging.getLogger(__name__)

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self' data: blob:",
        "worker-src 'self' blob:",
        "child-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # the page's query reaches _dash-layout, never others
}
_LOCAL = ("localhost", "127.0.0.1", "::1")


def allowed_hosts(settings: Settings) -> frozenset[str]:
    """Host names the app answers to: the configured ones, else the bound address and
    localhost. ``*`` accepts any (only behind a proxy that checks Host itself)."""
    names = settings.allowed_hosts or (settings.host, *_LOCAL)
    return frozenset(host_name(n) for n in names if n.strip())


def host_name(host: str) -> str:
    """The name part of a Host header value: lower case, no port, no brackets or final dot."""
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8050
        host = host[1 : host.find("]")] if "]" in host else host[1:]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return host.rstrip(".")


def secure(server: Flask, settings: Settings) -> None:
    """Install the Host check, the body cap and the security headers on ``server``."""
    hosts = allowed_hosts(settings)
    limit = settings.max_body_bytes
    server.config["MAX_CONTENT_LENGTH"] = limit
    server.wsgi_app = _ChunkedBodyCap(server.wsgi_app, limit)  # type: ignore[method-assign]

    @server.before_request
    def _check_host() -> Response | None:
        if "*" in hosts:
            return None
        name = host_name(request.headers.get("Host", "") or request.host)
        if name in hosts:
            return None
        log.warning("refused request for host %r (not in allowed hosts)", name[:100])
        return Response("400 Bad Request: unknown host name\n", status=400, mimetype="text/plain")

    @server.errorhandler(413)
    def _too_large(_error: Exception) -> Response:
        log.warning("refused %s %s: body over %d bytes", request.method, request.path, limit)
        return _too_large_response(limit)

    @server.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def _too_large_response(limit: int) -> Response:
    response = Response(
        f"413 Request Entity Too Large: the limit is {limit} bytes\n",
        status=413,
        mimetype="text/plain",
    )
    response.headers.update(SECURITY_HEADERS)
    return response


class _ChunkedBodyCap:
    """WSGI middleware: a body without Content-Length is buffered up to ``limit`` bytes and
    handed on with its length; one byte more and the request gets 413."""

    def __init__(self, app: Callable[..., Iterable[bytes]], limit: int) -> None:
        self.app = app
        self.limit = limit

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked and not environ.get("CONTENT_LENGTH"):
            body = _read_up_to(environ["wsgi.input"], self.limit + 1)
            if len(body) > self.limit:
                log.warning(
                    "refused %s %s: chunked body over %d bytes",
                    environ.get("REQUEST_METHOD"),
                    environ.get("PATH_INFO"),
                    self.limit,
                )
                return _too_large_response(self.limit)(environ, start_response)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ["wsgi.input_terminated"] = False
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)


def _read_up_to(stream: Any, size: int) -> bytes:
    parts, total = [], 0
    while total < size:
        chunk = stream.read(min(65536, size - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)
