"""What both interactive HTML exports share: the page style, the visible stamp, the stamp
as ``<meta>`` tags, and a value's fill colour on the view's colour axis."""

from __future__ import annotations

import html
from typing import Any

import plotly.colors

from battlemap.exports.stamp import Stamp
from battlemap.layers.base import FONT_FAMILY

__all__ = ["NO_VALUE", "PAGE_CSS", "fill_colour", "stamp_html", "stamp_meta"]

NO_VALUE = "#d9d9d9"  # units without a value (as the page's grey)


def fill_colour(value: float | int | None, axis: dict[str, Any]) -> str:
    """The fill of ``value`` on the view's colour axis (the page's scale and range)."""
    if value is None:
        return NO_VALUE
    low, high = float(axis["cmin"]), float(axis["cmax"])
    pos = 0.0 if high <= low else min(max((float(value) - low) / (high - low), 0.0), 1.0)
    scale = [[float(p), c] for p, c in axis["colorscale"]]
    return plotly.colors.sample_colorscale(scale, [pos], colortype="rgb")[0]


PAGE_CSS = f"""
html, body {{ font-family: {FONT_FAMILY}; }}
.leaflet-container {{ background: #f4f6f8; font-family: {FONT_FAMILY}; }}
.bm-stamp {{ position: absolute; top: 8px; left: 56px; z-index: 1000; max-width: 70%;
  background: rgba(255,255,255,0.92); padding: 6px 10px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); font-size: 12px; line-height: 1.45; }}
.bm-stamp .bm-title {{ font-size: 15px; font-weight: 600; }}
.bm-stamp .bm-note {{ color: #8a4b00; }}
.bm-legend {{ position: absolute; bottom: 18px; right: 10px; z-index: 1000; width: 240px;
  background: rgba(255,255,255,0.92); padding: 6px 8px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); font-size: 11px; }}
.bm-legend-title {{ font-weight: 600; margin-bottom: 3px; }}
.bm-legend-bar {{ height: 10px; border: 1px solid #999; }}
.bm-legend-ticks {{ display: flex; justify-content: space-between; }}
.bm-legend-none i {{ display: inline-block; width: 10px; height: 10px; margin-right: 4px;
  border: 1px solid #999; vertical-align: middle; }}
.leaflet-tooltip table td {{ padding: 0 4px; }}
"""


def stamp_html(stamp: Stamp, note: str = "") -> str:
    """The stamp as a visible box (title, source line, a note) for an HTML export."""
    parts = [
        f'<div class="bm-stamp" id="bm-stamp"><div class="bm-title">{html.escape(stamp.title())}'
        f'</div><div class="bm-source">{html.escape(stamp.source_line())}</div>'
    ]
    if note:
        parts.append(f'<div class="bm-note">{html.escape(note)}</div>')
    parts.append("</div>")
    return "".join(parts)


def stamp_meta(stamp: Stamp) -> str:
    """``<meta name="battlemap:…">`` tags: the stamp as machine-readable page metadata."""
    return "".join(
        f'<meta name="battlemap:{k}" content="{html.escape(str(v), quote=True)}">'
        for k, v in stamp.as_dict().items()
    )
