"""Plain HTTP routes beside Dash: region boundaries as cached GeoJSON, empty map glyphs.

``/geo/<code>.json?v=<dataset>`` returns the simplified boundaries of a region's map units
through the scoped store (so the scope check applies here too); with the dataset version in
the URL the browser keeps it for a year and a drill back up costs no geometry at all.
"""

from __future__ import annotations

import json

from flask import Flask, Response, request

from battlemap.callbacks.context import AppContext
from battlemap.geodata.access import AccessRefusedError
from battlemap.geodata.errors import BattlemapError, StoreUnavailableError, UnknownRegionError
from battlemap.web.errors import public_message

__all__ = ["register_routes"]

_YEAR = 365 * 24 * 3600


def _error(message: str, status: int) -> Response:
    body = json.dumps({"error": message}, ensure_ascii=False)
    return Response(
        body, status=status, mimetype="application/json", headers={"Cache-Control": "no-store"}
    )


def register_routes(server: Flask, context: AppContext, prefix: str = "/") -> None:
    """Add ``geo`` and ``glyphs`` routes under the app's path prefix."""

    def geo(code: str) -> Response:
        try:
            shapes = context.access().unit_shapes(code)
        except AccessRefusedError as exc:  # out of scope or missing right (audited)
            return _error(public_message(exc), 403)
        except UnknownRegionError as exc:
            return _error(public_message(exc), 404)
        except StoreUnavailableError as exc:
            return _error(public_message(exc, context.settings.language), 503)
        except BattlemapError as exc:
            return _error(public_message(exc, context.settings.language), 500)
        etag = f'"{context.version}-{shapes.code}"'
        if request.if_none_match and etag.strip('"') in request.if_none_match:
            return Response(status=304, headers={"ETag": etag})
        cache = (
            f"public, max-age={_YEAR}, immutable"
            if request.args.get("v") == context.version
            else "no-cache"
        )
        return Response(
            shapes.geojson,
            mimetype="application/geo+json",
            headers={"Cache-Control": cache, "ETag": etag},
        )

    def glyphs(fontstack: str, glyph_range: str) -> Response:
        # Chinese names render from the local CJK font (MapLibre localIdeographFontFamily);
        # an empty protobuf is a valid, empty glyph set for everything else.
        return Response(
            b"",
            mimetype="application/x-protobuf",
            headers={"Cache-Control": f"public, max-age={_YEAR}"},
        )

    server.add_url_rule(f"{prefix}geo/<code>.json", "battlemap_geo", geo)
    server.add_url_rule(
        f"{prefix}glyphs/<path:fontstack>/<glyph_range>.pbf", "battlemap_glyphs", glyphs
    )
