"""Picture exports through kaleido and one shared Chromium: png (1×, 2×, A4 at 300 dpi),
svg and pdf of the map and of each chart, stamped inside the picture."""

from __future__ import annotations

from battlemap.exports.browser import to_image
from battlemap.exports.pictures import stamped_picture
from battlemap.exports.registry import FormatInfo, register_format
from battlemap.exports.request import ExportRequest, ExportResult
from battlemap.exports.stamp import file_name
from battlemap.views import PANELS

__all__ = ["render_picture"]

MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


def render_picture(request: ExportRequest, fmt: str) -> ExportResult:
    """``request``'s panel as ``fmt`` (png, svg or pdf)."""
    figure, size, stamp = stamped_picture(request)
    # PDF pages take the CSS size (A4 = 842 × 595 pt); the scale only adds pixels to rasters
    scale = size.scale if fmt == "png" else 1.0
    data = to_image(figure, fmt, width=size.width, height=size.height, scale=scale)
    name = file_name(stamp.region_code, stamp.year, stamp.indicator, fmt, request.panel)
    return ExportResult(data, name, MEDIA_TYPES[fmt])


for _fmt in MEDIA_TYPES:
    register_format(
        _fmt,
        lambda request, fmt=_fmt: render_picture(request, fmt),
        FormatInfo(_fmt, MEDIA_TYPES[_fmt], panels=tuple(PANELS), browser=True),
    )
