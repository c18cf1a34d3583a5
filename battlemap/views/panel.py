"""What every panel view returns: one small dataclass (data + figure), the same for the page,
the exports, the wall screen and the brief."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from battlemap.layers.base import Figure

__all__ = ["HouseholdLoader", "PanelView"]

# (region code, year) -> masked household rows (ScopedStore.households or a cached copy)
HouseholdLoader = Callable[[str, int], pd.DataFrame]


@dataclass(frozen=True)
class PanelView:
    """One panel of one view.

    ``figure``: the plotly figure (a dict, as the page sends it; None for a panel without
    one); ``rows``/``columns``: the panel as a table (Dash DataTable shape: ``columns`` are
    ``{"name": header, "id": key}``); ``note``: the line shown under the panel;
    ``data``: the panel's numbers for programs (exports, the brief, the wall).
    """

    panel: str
    title: str
    figure: Figure | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    columns: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)
