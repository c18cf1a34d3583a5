"""gzip for JSON, GeoJSON, JS and CSS responses, without an extra dependency.

Large static bundles (plotly.js ≈ 4.8 MB) are compressed once and kept in memory; callback
responses and boundaries are compressed per response (a few kB, well under a millisecond).
"""

from __future__ import annotations

import gzip
import threading
import zlib

from flask import Flask, Response, request

__all__ = ["enable_compression"]

_TYPES = (
    "application/json",
    "application/geo+json",
    "application/javascript",
    "text/javascript",
    "text/css",
    "text/html",
    "image/svg+xml",
)
_MIN_BYTES = 1024
_CACHE_MIN_BYTES = 64 * 1024


def enable_compression(server: Flask) -> None:
    """Compress eligible responses when the client accepts gzip."""
    cache: dict[tuple[str, int], bytes] = {}
    lock = threading.Lock()

    @server.after_request
    def _gzip(response: Response) -> Response:
        if (
            response.direct_passthrough
            and response.mimetype in _TYPES
            and response.status_code == 200
            and "/assets/" in request.path
        ):
            response.direct_passthrough = False  # a static asset file: read it to compress it
        if (
            response.direct_passthrough
            or response.status_code < 200
            or response.status_code >= 300
            or "gzip" not in request.headers.get("Accept-Encoding", "").lower()
            or "Content-Encoding" in response.headers
            or response.mimetype not in _TYPES
        ):
            return response
        data = response.get_data()
        if len(data) < _MIN_BYTES:
            return response
        if len(data) >= _CACHE_MIN_BYTES and request.method == "GET":
            key = (request.full_path, zlib.crc32(data))
            with lock:
                packed = cache.get(key)
            if packed is None:
                packed = gzip.compress(data, compresslevel=6, mtime=0)
                with lock:
                    cache[key] = packed
        else:
            packed = gzip.compress(data, compresslevel=5, mtime=0)
        response.set_data(packed)
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Content-Length"] = str(len(packed))
        response.vary.add("Accept-Encoding")
        return response
