"""The export formats: ``FORMATS[name](request) -> ExportResult``.

Renderers register themselves here (``register_format``); the page's export menu, the
``battlemap export`` command and the brief look formats up by name. A renderer reads only
through ``request.access`` (a ScopedStore) and calls ``check_export`` first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from battlemap.exports.request import ExportRequest, ExportResult
from battlemap.geodata.errors import BattlemapError

__all__ = [
    "FORMATS",
    "FORMAT_INFO",
    "FormatInfo",
    "Renderer",
    "UnknownFormatError",
    "register_format",
    "render",
]

Renderer = Callable[[ExportRequest], ExportResult]


@dataclass(frozen=True)
class FormatInfo:
    """What a format is: file extension, media type, panels it renders (empty: any
    picture panel / the format decides) and whether it needs the browser (Chromium)."""

    extension: str
    media_type: str
    panels: tuple[str, ...] = ()
    browser: bool = False


class UnknownFormatError(BattlemapError):
    """No renderer of that name."""


FORMATS: dict[str, Renderer] = {}
FORMAT_INFO: dict[str, FormatInfo] = {}


def register_format(name: str, renderer: Renderer, info: FormatInfo) -> None:
    """Add (or replace) format ``name``."""
    FORMATS[name] = renderer
    FORMAT_INFO[name] = info


def render(name: str, request: ExportRequest) -> ExportResult:
    """Render ``request`` as format ``name`` (UnknownFormatError names the known ones)."""
    from battlemap.exports import load_formats

    load_formats()
    try:
        renderer = FORMATS[name]
    except KeyError:
        known = ", ".join(sorted(FORMATS))
        raise UnknownFormatError(f"unknown export format {name!r} (one of {known})") from None
    return renderer(request)
