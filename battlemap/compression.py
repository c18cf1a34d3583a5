"""gzip for JSON, GeoJSON, JS and CSS responses, without an extra dependency.

Large responses (the plotly.js bundle, big boundary sets) are compressed once and kept in
a bounded LRU cache keyed by the path and the response's own bytes (length + CRC), never by
the query string: ``?x=1``, ``?x=2`` … of one asset share one entry, and the cache holds at
most :data:`CACHE_MAX_ENTRIES` entries and :data:`CACHE_MAX_BYTES` compressed bytes.
Callback responses and boundaries are compressed per response (a few kB, well under a ms).
"""

from __future__ import annotations

import gzip
import zlib

from flask import Flask, Response, request

from battlemap.lru import BoundedCache

__all__ = ["CACHE_MAX_BYTES", "CACHE_MAX_ENTRIES", "enable_compression"]

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
CACHE_MAX_ENTRIES = 64
CACHE_MAX_BYTES = 16 * 1024 * 1024


def enable_compression(
    server: Flask, *, max_entries: int = CACHE_MAX_ENTRIES, max_bytes: int = CACHE_MAX_BYTES
) -> BoundedCache[bytes]:
    """Compress eligible responses when the client accepts gzip; returns the bounded cache
    of compressed large responses (also ``server.extensions["battlemap_gzip_cache"]``)."""
    cache: BoundedCache[bytes] = BoundedCache(max_entries, max_bytes, len)
    server.extensions["battlemap_gzip_cache"] = cache

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
            key = (request.path, len(data), zlib.crc32(data))  # content, not query string
            packed = cache.get(key)
            if packed is None:
                packed = gzip.compress(data, compresslevel=6, mtime=0)
                cache.put(key, packed)
        else:
            packed = gzip.compress(data, compresslevel=5, mtime=0)
        response.set_data(packed)
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Content-Length"] = str(len(packed))
        response.vary.add("Accept-Encoding")
        return response

    return cache
