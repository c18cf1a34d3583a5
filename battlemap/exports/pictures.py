"""A view's panel as a stamped picture figure: the page's own figure (from views/), sized
for the file, with the title (region, year, indicator), a scale note and the source line
drawn inside it. Rendering is kaleido's (images.py); this module is plain dicts."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

from battlemap.exports.request import ExportRequest
from battlemap.exports.stamp import Stamp, make_stamp
from battlemap.geodata.errors import BattlemapError
from battlemap.layers.base import FONT_FAMILY, Figure
from battlemap.views import PANELS, panel_view
from battlemap.views.panel import PanelView

__all__ = [
    "A4_DPI",
    "SIZES",
    "BadExportOption",
    "PictureSize",
    "decorate",
    "needs_households",
    "panel_figure",
    "picture_size",
    "scale_note",
    "stamped_picture",
]

A4_DPI = 300
CSS_DPI = 96
TITLE_PX, FOOTER_PX = 64, 34  # room above and below the panel for the stamp


@dataclass(frozen=True)
class PictureSize:
    """CSS pixel size of the picture and the device scale (pixels = size × scale)."""

    width: int
    height: int
    scale: float

    @property
    def pixels(self) -> tuple[int, int]:
        return round(self.width * self.scale), round(self.height * self.scale)


# A4 landscape in CSS pixels (297 × 210 mm at 96 dpi), drawn at 300 dpi
A4 = PictureSize(1123, 794, A4_DPI / CSS_DPI)
SIZES = ("1x", "2x", "a4")
# 1× map: 960 × 720 (its map area is larger than the page's at 1440 px); software WebGL
# cost grows with pixels: 1200 × 900 took 2.3 Chromium CPU-s a county map, this 1.7
_DEFAULT = {"map": (960, 720), "kpis": (1200, 240)}


class BadExportOption(BattlemapError):
    """An export option that makes no sense (unknown size, non-positive width)."""


def picture_size(panel: str, options: dict[str, Any], figure: Figure | None = None) -> PictureSize:
    """The size of a picture: ``size`` "1x" (default), "2x" (twice the pixels) or "a4"
    (A4 landscape at 300 dpi); ``width``/``height`` override the panel's default."""
    size = str(options.get("size") or "1x").lower()
    if size not in SIZES:
        raise BadExportOption(f"unknown picture size {size!r} (one of {', '.join(SIZES)})")
    if size == "a4":
        return A4
    fig_height = (figure or {}).get("layout", {}).get("height")
    width, height = _DEFAULT.get(panel, (900, (fig_height or 420) + TITLE_PX + FOOTER_PX + 20))
    try:
        width = int(options.get("width") or width)
        height = int(options.get("height") or height)
    except (TypeError, ValueError):
        raise BadExportOption("width and height must be whole numbers of pixels") from None
    if not (50 <= width <= 10000 and 50 <= height <= 10000):
        raise BadExportOption("width and height must be between 50 and 10000 pixels")
    return PictureSize(width, height, 2.0 if size == "2x" else 1.0)


def needs_households(request: ExportRequest) -> bool:
    """True when the picture holds household rows or points (the household table, or a
    map with the household or heat layer for a scope allowed to see points)."""
    if request.panel == "households":
        return True
    layers = set(request.state.layers)
    return (
        request.panel == "map"
        and bool(layers & {"households", "heat"})
        and (request.access.scope.households)
    )


def panel_view_for(request: ExportRequest, size: PictureSize | None = None) -> PanelView:
    """The panel's view, the map sized to the picture's map area (what the page's callback
    returns for a map of that pixel size)."""
    if request.panel not in PANELS:
        raise BadExportOption(f"unknown panel {request.panel!r} (one of {', '.join(PANELS)})")
    options: dict[str, Any] = {}
    if request.panel == "map":
        size = size or picture_size("map", dict(request.options))
        options["viewport"] = {"w": size.width, "h": size.height - TITLE_PX - FOOTER_PX}
        options["households"] = request.households
    elif request.panel == "households":
        options["households"] = request.households
    return panel_view(request.panel, request.access, request.state, **options)


def panel_figure(request: ExportRequest, size: PictureSize | None = None) -> Figure:
    """The panel's figure as the page draws it (boundaries inline), before the stamp."""
    figure = panel_view_for(request, size).figure
    if figure is None:
        raise BadExportOption(f"panel {request.panel!r} has no picture")
    return figure


def _km_per_cm(zoom: float, lat: float) -> float:
    """Ground distance of 1 cm of a 96-dpi picture (MapLibre: 512 px tiles)."""
    metres_per_px = 40_075_016.686 * math.cos(math.radians(lat)) / (512 * 2**zoom)
    return metres_per_px * CSS_DPI / 2.54 / 1000


def scale_note(figure: Figure, lang: str) -> str:
    """``比例尺：图上 1 厘米 ≈ 12 公里`` for a map figure ("" for a chart)."""
    view = figure.get("layout", {}).get("map") or {}
    if "zoom" not in view or "center" not in view:
        return ""
    km = _km_per_cm(float(view["zoom"]), float(view["center"]["lat"]))
    text = f"{km:.1f}" if km < 10 else f"{km:,.0f}"
    if lang == "en":
        return f"Scale: 1 cm ≈ {text} km (printed at 96 dpi, or A4); Web Mercator"
    return f"比例尺：图上 1 厘米 ≈ {text} 公里（按 96 dpi 或 A4 打印）；Web 墨卡托投影"


def decorate(
    figure: Figure, stamp: Stamp, size: PictureSize, *, panel_title: str = "", note: str = ""
) -> Figure:
    """A copy of ``figure`` sized to ``size`` with the stamp inside: title (+ panel title),
    scale note (maps) or the panel's note, and the source line at the bottom."""
    out = copy.deepcopy(figure)
    layout = out.setdefault("layout", {})
    margin = dict(layout.get("margin") or {})
    margin["t"] = TITLE_PX + (0 if "map" in layout else int(margin.get("t") or 0))
    margin["b"] = FOOTER_PX + (0 if "map" in layout else int(margin.get("b") or 0) + 16)
    margin["l"] = max(int(margin.get("l") or 0), 12)
    margin["r"] = max(int(margin.get("r") or 0), 12)
    title = stamp.title() if not panel_title else f"{stamp.title()} · {panel_title}"
    sub = scale_note(out, stamp.language) or note
    layout.update(
        width=size.width,
        height=size.height,
        margin=margin,
        paper_bgcolor="#ffffff",
        font={**(layout.get("font") or {}), "family": FONT_FAMILY},
        title={
            "text": title,
            "subtitle": {"text": sub, "font": {"size": 12, "color": "#555"}},
            "x": 0.01,
            "xanchor": "left",
            "y": 1,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": 10},
            "font": {"size": 18, "color": "#222"},
        },
    )
    if "map" not in layout:
        layout["plot_bgcolor"] = "#ffffff"
    plot_h = max(size.height - margin["t"] - margin["b"], 1)
    annotations = list(layout.get("annotations") or [])
    annotations.append(
        {
            "text": stamp.source_line(),
            "showarrow": False,
            "xref": "paper",
            "yref": "paper",
            "x": 0,
            "xanchor": "left",
            "y": -(margin["b"] - 6) / plot_h,
            "yanchor": "bottom",
            "font": {"size": 10, "color": "#555"},
        }
    )
    layout["annotations"] = annotations
    return out


def stamped_picture(request: ExportRequest) -> tuple[Figure, PictureSize, Stamp]:
    """The whole picture figure of ``request`` (after the export check), its size and stamp."""
    request.access.check_export(request.state.region, households=needs_households(request))
    stamp = make_stamp(request.access, request.state, request.generated_at)
    options = dict(request.options)
    if request.panel == "map":
        size = picture_size("map", options)
        view = panel_view_for(request, size)
    else:
        view = panel_view_for(request)
        size = picture_size(request.panel, options, view.figure)
    if view.figure is None:
        raise BadExportOption(f"panel {request.panel!r} has no picture")
    title = "" if request.panel == "map" else view.title
    figure = decorate(view.figure, stamp, size, panel_title=title, note=view.note)
    return figure, size, stamp
