"""The leaders' wall screen ``/wall`` (攻坚指挥): a dark, self-touring command screen.

``WallScreen(context, urls).register(app)`` adds its callbacks; ``is_wall_page()`` tells
the app's layout function that the page asked for is the wall.
"""

from __future__ import annotations

from urllib.parse import urlparse

import flask

from battlemap.wall.config import WallConfig, load_wall_config
from battlemap.wall.screen import CONFIG_ENV, WallScreen

__all__ = ["CONFIG_ENV", "WallConfig", "WallScreen", "is_wall_page", "load_wall_config"]


def is_wall_page() -> bool:
    """True when the current request is for the wall page (its layout is fetched by XHR,
    so the page is the referrer's path)."""
    if not flask.has_request_context():
        return False
    request = flask.request
    path = request.path
    if path.endswith("_dash-layout") and request.referrer:
        path = urlparse(request.referrer).path
    return path.rstrip("/").endswith("/wall") or path.rstrip("/") == "wall"
