"""Small counts suppressed on per-area household bubbles (roles without household rights).

An area with one or two poor households identifies families; its bubble reads ``<3`` and
is drawn at the size of three, so neither the label nor the area gives the number away.
"""

from __future__ import annotations

import math
from typing import Any

from battlemap.geodata.access import SMALL_COUNT
from battlemap.i18n import t

__all__ = ["suppress_small_bubbles"]


def suppress_small_bubbles(
    trace: dict[str, Any], counts: list[int], *, lang: str = "zh"
) -> dict[str, Any]:
    """A copy of a ``household_bubbles`` trace with counts of 1–2 shown as ``<3``."""
    top = max([*counts, SMALL_COUNT, 1])
    shown = [SMALL_COUNT if 0 < v < SMALL_COUNT else v for v in counts]
    unit = t("households_unit", lang)
    customdata = [
        [*row[:2], f"<{SMALL_COUNT} {unit}" if 0 < v < SMALL_COUNT else row[2]]
        for row, v in zip(trace["customdata"], counts, strict=True)
    ]
    marker = {**trace["marker"], "size": [4 + 30 * math.sqrt(v / top) for v in shown]}
    return {**trace, "customdata": customdata, "marker": marker}
