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
    # read replicas of dsn (--read-dsn): the data are read there, writes go to dsn
    read_dsns: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8050
    language: str = "zh"
    debug: bool = False
    rules_path: Path | None = None  # exit rules TOML; default $BATTLEMAP_RULES, else shipped
    # web hardening (issue 18): Host names accepted (empty: the bound host and localhost),
    # request body cap, database connect/statement timeout, data version check interval
    allowed_hosts: tuple[str, ...] = ()
    max_body_bytes: int = 1024 * 1024
    db_timeout_s: float = 5.0
    reload_check_s: float = 1.0

    def __post_init__(self) -> None:
        if self.store not in ("embedded", "postgis"):
            raise BattlemapError(f"unknown store {self.store!r}: use embedded or postgis")
        if self.store == "postgis" and not self.dsn:
            raise BattlemapError("the PostGIS store needs a DSN (--dsn or BATTLEMAP_DSN)")
        if self.language not in ("zh", "en"):
            raise BattlemapError(f"unknown language {self.language!r}: use zh or en")
        object.__setattr__(self, "data_dir", Path(self.data_dir))
        object.__setattr__(self, "allowed_hosts", tuple(self.allowed_hosts))
        object.__setattr__(self, "read_dsns", tuple(self.read_dsns))
        if self.read_dsns and self.store != "postgis":
            raise BattlemapError("--read-dsn needs --store postgis")
        if self.max_body_bytes < 1024:
            raise BattlemapError(f"request body cap {self.max_body_bytes} is below 1024 bytes")
        if not 0 < self.db_timeout_s <= 3600:
            raise BattlemapError(f"database timeout {self.db_timeout_s} s is outside 0–3600 s")
        # bad exit rules are refused here, at start, with the file and key in the message
        object.__setattr__(self, "_rules", load_rules(self.rules_path))

    @property
    def rules(self) -> ExitRules:
        """The validated exit rules (weights, vetoes, income lines, thresholds)."""
        return self._rules
