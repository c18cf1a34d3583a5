"""Exports of a view to files: pictures (png, svg, pdf via kaleido), tables (csv, xlsx),
geodata (gpkg, geojson) and offline HTML maps, all stamped and named by one rule.

``render(format, ExportRequest) -> ExportResult``; :func:`write_atomic` puts the bytes at a
path. Formats live in :data:`FORMATS` (see registry.py); :func:`load_formats` imports every
renderer module so each registers itself.
"""

from __future__ import annotations

import importlib

from battlemap.exports.atomic import ExportPathError, check_writable, write_atomic
from battlemap.exports.registry import (
    FORMAT_INFO,
    FORMATS,
    FormatInfo,
    Renderer,
    UnknownFormatError,
    register_format,
    render,
)
from battlemap.exports.request import ExportRequest, ExportResult
from battlemap.exports.stamp import Stamp, file_name, make_stamp

__all__ = [
    "FORMATS",
    "FORMAT_INFO",
    "ExportPathError",
    "ExportRequest",
    "ExportResult",
    "FormatInfo",
    "Renderer",
    "Stamp",
    "UnknownFormatError",
    "check_writable",
    "file_name",
    "load_formats",
    "make_stamp",
    "register_format",
    "render",
    "write_atomic",
]

# renderer modules; each calls register_format when imported (html_*: issue 11 part B)
RENDERER_MODULES = ("images", "tables", "geo", "html_folium", "html_deck")
_loaded = False


def load_formats() -> dict[str, Renderer]:
    """Import every renderer module once (a missing optional one is skipped); FORMATS."""
    global _loaded
    if not _loaded:
        for name in RENDERER_MODULES:
            try:
                importlib.import_module(f"battlemap.exports.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"battlemap.exports.{name}":
                    raise
        _loaded = True
    return FORMATS
