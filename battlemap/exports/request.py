"""What an export is asked for and what it gives back (no rendering here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from battlemap.geodata.access import ScopedStore
from battlemap.views.panel import HouseholdLoader
from battlemap.viewstate import ViewState

__all__ = ["ExportRequest", "ExportResult"]


@dataclass(frozen=True)
class ExportRequest:
    """One export of one view.

    ``panel``: a :data:`battlemap.views.PANELS` name for pictures (``"map"`` default), or
    a table for csv (``"indicators"`` default, ``"exit_checks"``, ``"households"``);
    ``options``: renderer options — pictures ``size`` (``"1x"``, ``"2x"``, ``"a4"``),
    ``width``/``height`` in CSS pixels; ``generated_at``: the stamp's generation time (UTC);
    ``households``: a cached loader of masked household rows (default: ``access``).
    """

    access: ScopedStore
    state: ViewState
    panel: str = "map"
    options: Mapping[str, Any] = field(default_factory=dict)
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    households: HouseholdLoader | None = None


@dataclass(frozen=True)
class ExportResult:
    """The file's bytes, its suggested name (:func:`battlemap.exports.stamp.file_name`) and
    its media type (for a browser download)."""

    data: bytes
    filename: str
    media_type: str
