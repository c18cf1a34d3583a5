"""Picture exports through kaleido and one shared Chromium: png (1×, 2×, A4 at 300 dpi),
svg and pdf of the map and of each chart, stamped inside the picture.

A picture is made in two steps: ``plan_picture`` reads the store and builds the stamped
figure (fast, one thread: the store is read in the caller's thread), ``PicturePlan.draw``
has Chromium draw it (slow, thread-safe: a batch draws ``browser.TABS`` pictures at once)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from battlemap.exports.browser import to_image
from battlemap.exports.pictures import stamped_picture
from battlemap.exports.registry import FormatInfo, register_format
from battlemap.exports.request import ExportRequest, ExportResult
from battlemap.exports.stamp import file_name
from battlemap.views import PANELS

__all__ = ["MEDIA_TYPES", "PicturePlan", "plan_picture", "render_picture"]

MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}


@dataclass(frozen=True)
class PicturePlan:
    """A stamped figure ready for Chromium, with its size and file name."""

    figure: dict[str, Any]
    fmt: str
    width: int
    height: int
    scale: float
    filename: str

    def draw(self) -> ExportResult:
        """The picture's bytes (Chromium)."""
        data = to_image(
            self.figure, self.fmt, width=self.width, height=self.height, scale=self.scale
        )
        return ExportResult(data, self.filename, MEDIA_TYPES[self.fmt])


def plan_picture(request: ExportRequest, fmt: str) -> PicturePlan:
    """``request``'s panel as a stamped figure for ``fmt`` (png, svg or pdf)."""
    figure, size, stamp = stamped_picture(request)
    # PDF pages take the CSS size (A4 = 842 × 595 pt); the scale only adds pixels to rasters
    scale = size.scale if fmt == "png" else 1.0
    name = file_name(stamp.region_code, stamp.year, stamp.indicator, fmt, request.panel)
    return PicturePlan(figure, fmt, size.width, size.height, scale, name)


def render_picture(request: ExportRequest, fmt: str) -> ExportResult:
    """``request``'s panel as ``fmt`` (png, svg or pdf)."""
    return plan_picture(request, fmt).draw()


for _fmt in MEDIA_TYPES:
    register_format(
        _fmt,
        lambda request, fmt=_fmt: render_picture(request, fmt),
        FormatInfo(_fmt, MEDIA_TYPES[_fmt], panels=tuple(PANELS), browser=True),
    )
