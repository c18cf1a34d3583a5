"""What one import of a side table (funds, cadres) read, rejected and changed."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["TableImportReport"]


@dataclass
class TableImportReport:
    """One side-table import's counts (JSON from the CLI): the funds and cadre imports."""

    file: str
    table: str
    rows: int = 0
    loaded: int = 0
    rejected: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    stores: list[str] = field(default_factory=list)
    dry_run: bool = False
    rejects_file: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
