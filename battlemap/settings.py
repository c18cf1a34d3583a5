"""One validated settings object read at start (CLI flags, then environment)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from battlemap.geodata.errors import BattlemapError
from battlemap.indicators.rules import ExitRules, load_rules

__all__ = ["Settings"]


@dataclass(frozen=True)
class Settings:
    """Where the data is and how the app serves it."""

    store: str = "embedded"
    data_dir: Path = Path(os.environ.get("BATTLEMAP_DATA_DIR", "demo-data"))
    dsn: str | None = os.environ.get("BATTLEMAP_DSN")
    host: str = "127.0.0.1"
    port: int = 8050
    language: str = "zh"
    debug: bool = False
    rules_path: Path | None = None  # exit rules TOML; default $BATTLEMAP_RULES, else shipped

    def __post_init__(self) -> None:
        if self.store not in ("embedded", "postgis"):
            raise BattlemapError(f"unknown store {self.store!r}: use embedded or postgis")
        if self.store == "postgis" and not self.dsn:
            raise BattlemapError("the PostGIS store needs a DSN (--dsn or BATTLEMAP_DSN)")
        if self.language not in ("zh", "en"):
            raise BattlemapError(f"unknown language {self.language!r}: use zh or en")
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        # bad exit rules are refused here, at start, with the file and key in the message
        object.__setattr__(self, "_rules", load_rules(self.rules_path))

    @property
    def rules(self) -> ExitRules:
        """The validated exit rules (weights, vetoes, income lines, thresholds)."""
        return self._rules
