"""``battlemap run`` serves with gunicorn (gthread workers), never Werkzeug's development
server; the interactive debugger exists only in development (issue 18.10).

The app is built inside the worker process (``factory``), so its store, connection pool and
warm-up thread belong to the process that serves; ``workers`` is there for more processes.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from collections.abc import Callable
from typing import Any

from battlemap.geodata.errors import BattlemapError
from battlemap.settings import Settings

__all__ = ["DEV_ENV", "development_mode", "serve"]

log = logging.getLogger(__name__)

DEV_ENV = "BATTLEMAP_DEV"  # =1: --debug may start Werkzeug's interactive debugger


def development_mode(debug: bool, production: bool) -> bool:
    """True only for ``--debug`` with ``BATTLEMAP_DEV=1`` and never with ``--production``:
    the Werkzeug debugger runs any Python code its page is sent."""
    return debug and not production and os.environ.get(DEV_ENV) == "1"


def _bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _check_port(host: str, port: int) -> None:
    """One clear line (exit 2) instead of gunicorn's retries when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
    except OSError as exc:
        raise BattlemapError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def serve(
    factory: Callable[[], Any],
    settings: Settings,
    *,
    workers: int = 1,
    threads: int = 8,
    development: bool = False,
) -> int:
    """Serve the Dash app ``factory()`` builds on ``settings.host:port`` until stopped."""
    _check_port(settings.host, settings.port)
    if development:
        print(
            f"battlemap: development mode ({DEV_ENV}=1 --debug): Werkzeug server with the "
            "interactive debugger; never use this on a network",
            file=sys.stderr,
        )
        factory().run(host=settings.host, port=settings.port, debug=True)
        return 0
    if settings.debug:
        print(
            f"battlemap: --debug gives verbose logs only; the interactive debugger needs "
            f"{DEV_ENV}=1 and is never enabled with --production",
            file=sys.stderr,
        )
    from gunicorn.app.base import BaseApplication

    options = {
        "bind": _bind_address(settings.host, settings.port),
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": 60,
        "keepalive": 5,  # behind a load balancer idle connections are kept a little longer
        "graceful_timeout": 5,
        "loglevel": "debug" if settings.debug else "info",
        "errorlog": "-",
        "accesslog": "-" if settings.debug else None,
        "proc_name": "battlemap",
    }

    class _Server(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            logging.basicConfig(level=logging.DEBUG if settings.debug else logging.INFO)
            return factory().server

    print(
        f"battlemap: serving on http://{_bind_address(settings.host, settings.port)}/",
        file=sys.stderr,
    )
    if settings.host in ("0.0.0.0", "::") and not settings.allowed_hosts:
        print(
            "battlemap: listening on every interface but answering only to localhost names: "
            "pass --allowed-host NAME (or BATTLEMAP_ALLOWED_HOSTS) for the names clients use",
            file=sys.stderr,
        )
    _Server().run()
    return 0
