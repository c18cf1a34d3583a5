"""What a wall screen shows and how it tours: from a TOML file and the page's URL.

``battlemap run --wall-config FILE`` reads the file at start (a bad file is one line and
exit 2); URL parameters (``/wall?interval=10&tour=attention:5&lang=en``) override it per
screen. A bad URL parameter never fails the page: it is ignored and named in a notice.

TOML (keys at the top level or under ``[wall]``)::

    interval = 15            # seconds per tour stop (N)
    resume = 60              # seconds of no input before a paused tour resumes (M)
    tour = "attention:5"     # or a list of region codes: ["520000000000", "520100000000"]
    start = "520000000000"   # the first stop (default: the screen's own region)
    lang = "zh"              # zh or en
    year = 2019              # default: the latest year
    play_years = false       # the first stop plays the years before the tour moves on
    refresh = 30             # seconds between data refreshes of a paused screen
    indicator = "incidence"  # the map's colouring
    flows = true             # relocation and labour flows wherever the region in view has
                             # them that year (the largest arcs); false: never
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from battlemap.geodata.errors import BattlemapError

__all__ = ["ATTENTION_MAX", "WallConfig", "load_wall_config", "wall_config_from_query"]

ATTENTION_MAX = 20
_LIMITS = {"interval": (2.0, 3600.0), "resume": (2.0, 86400.0), "refresh": (5.0, 3600.0)}
_CODE = re.compile(r"^\d{2}(\d{2}){0,2}(\d{3}){0,2}$")
_ATTENTION = re.compile(r"^attention[:\s_-]*(\d+)$")
MAX_TOUR_CODES = 50


@dataclass(frozen=True)
class WallConfig:
    """One wall screen's settings (see the module docstring for each key)."""

    interval: float = 15.0
    resume: float = 60.0
    tour: tuple[str, ...] = ()  # explicit region codes; empty: the attention tour
    attention: int = 5  # K of "attention top K"
    start: str | None = None
    lang: str = "zh"
    year: int | None = None
    play_years: bool = False
    refresh: float = 30.0
    indicator: str = "incidence"
    flows: bool = True  # the flows (largest arcs) where the region has them; False: never

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (kept in the page's store)."""
        return {
            f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v
            for f in fields(self)
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WallConfig:
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        if "tour" in values:
            values["tour"] = tuple(values["tour"] or ())
        return cls(**values)


def _number(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{key} must be a number of seconds")
    number = float(value)
    low, high = _LIMITS[key]
    if not low <= number <= high:
        raise ValueError(f"{key} {number:g} s is outside {low:g}–{high:g} s")
    return number


def _code(value: Any) -> str:
    text = str(value).strip()
    if not _CODE.match(text):
        raise ValueError(f"{text!r} is not a region code (2, 4, 6, 9 or 12 digits)")
    return text.ljust(12, "0")


def _tour(value: Any) -> tuple[tuple[str, ...], int | None]:
    """(codes, None) for a list of codes; ((), K) for ``attention:K``."""
    if isinstance(value, str):
        match = _ATTENTION.match(value.strip().lower())
        if match:
            k = int(match.group(1))
            if not 1 <= k <= ATTENTION_MAX:
                raise ValueError(f"attention top {k}: K must be 1–{ATTENTION_MAX}")
            return (), k
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, list | tuple) or not value:
        raise ValueError('tour must be "attention:K" or a list of region codes')
    if len(value) > MAX_TOUR_CODES:
        raise ValueError(f"tour has {len(value)} stops: at most {MAX_TOUR_CODES}")
    return tuple(_code(v) for v in value), None


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{key} must be true or false")


def _apply(config: WallConfig, key: str, value: Any) -> WallConfig:
    """``config`` with one key set from a TOML value or URL text (ValueError when bad)."""
    if key in _LIMITS:
        return replace(config, **{key: _number(key, value)})
    if key == "tour":
        codes, k = _tour(value)
        return replace(config, tour=codes, attention=k or config.attention)
    if key == "start":
        return replace(config, start=_code(value))
    if key == "lang":
        if value not in ("zh", "en"):
            raise ValueError("lang must be zh or en")
        return replace(config, lang=value)
    if key == "year":
        if isinstance(value, bool) or not str(value).strip().isdigit():
            raise ValueError("year must be a year like 2019")
        return replace(config, year=int(value))
    if key in ("play_years", "flows"):
        return replace(config, **{key: _bool(key, value)})
    if key == "indicator":
        if not isinstance(value, str) or not re.fullmatch(r"[a-z_]{1,40}", value):
            raise ValueError("indicator must be an indicator key like incidence")
        return replace(config, indicator=value)
    raise ValueError(f"unknown key {key!r}")


# URL parameter → config key (short names for a remote control typed by hand)
_URL_KEYS = {
    "interval": "interval",
    "n": "interval",
    "resume": "resume",
    "m": "resume",
    "tour": "tour",
    "start": "start",
    "region": "start",
    "lang": "lang",
    "year": "year",
    "play": "play_years",
    "play_years": "play_years",
    "refresh": "refresh",
    "indicator": "indicator",
    "flows": "flows",
}


def load_wall_config(path: str | Path) -> WallConfig:
    """The settings in a TOML file; a BattlemapError naming the file and key when bad."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BattlemapError(f"wall config {path}: cannot read it ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BattlemapError(f"wall config {path}: not valid TOML ({exc})") from None
    table = data.get("wall", data)
    if not isinstance(table, dict):
        raise BattlemapError(f"wall config {path}: [wall] must be a table")
    config = WallConfig()
    for key, value in table.items():
        try:
            config = _apply(config, key, value)
        except ValueError as exc:
            raise BattlemapError(f"wall config {path}: {key}: {exc}") from None
    return config


def wall_config_from_query(
    base: WallConfig, query: Mapping[str, list[str]]
) -> tuple[WallConfig, list[str]]:
    """``base`` with the URL's parameters applied, and one problem line per bad one."""
    config, problems = base, []
    for name, values in query.items():
        key = _URL_KEYS.get(name)
        if key is None or not values:
            continue  # token=…, unrelated parameters
        try:
            config = _apply(config, key, values[-1])
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
    return config, problems
