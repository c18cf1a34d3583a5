"""Exit rules (贫困退出标准): weights, vetoes, income lines, region thresholds, warning rules.

The rules live in one TOML file: the shipped ``rules.toml`` next to this module, or a
deployment's own complete copy named by ``--rules`` or ``$BATTLEMAP_RULES``. They are
validated when loaded; a bad file raises :class:`~battlemap.geodata.errors.RulesError` with
the file, the key and what is wrong, so a deployment is refused at start, never half-applied.

>>> rules = default_rules()
>>> rules.household.threshold, rules.household.line(2016)
(80, 2952.0)
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from battlemap.geodata.errors import RulesError
from battlemap.geodata.schema import CAUSES, YEARS

__all__ = [
    "DEFAULT_RULES_PATH",
    "GUARANTEES",
    "RULES_ENV",
    "ZONES",
    "CountyRules",
    "ExitRules",
    "HouseholdRules",
    "ProgressRules",
    "VillageRules",
    "WarningRules",
    "default_rules",
    "load_rules",
    "parse_rules",
]

# The seven household indicators (两不愁三保障 plus pension, water, electricity), in order.
GUARANTEES: tuple[str, ...] = (
    "income",
    "housing",
    "education",
    "medical",
    "pension",
    "water",
    "electricity",
)
ZONES: tuple[str, ...] = ("east", "central", "west")
RULES_ENV = "BATTLEMAP_RULES"
DEFAULT_RULES_PATH = Path(__file__).with_name("rules.toml")
TOTAL_POINTS = 100


@dataclass(frozen=True)
class HouseholdRules:
    """贫困户退出: integer points per indicator, vetoes, pass threshold, income line per year."""

    weights: Mapping[str, int]
    vetoes: tuple[str, ...]
    threshold: int
    income_lines: Mapping[int, float]

    def line(self, year: int) -> float | None:
        """The income line (yuan per person-year) of ``year``; None when not configured."""
        return self.income_lines.get(int(year))


@dataclass(frozen=True)
class VillageRules:
    """贫困村出列: incidence strictly below ``max_incidence_pct[zone]``."""

    max_incidence_pct: Mapping[str, float]


@dataclass(frozen=True)
class CountyRules:
    """贫困县摘帽 thresholds (percent)."""

    max_incidence_pct: Mapping[str, float]
    max_wrong_exit_pct: float
    max_missed_registration_pct: float
    min_satisfaction_pct: float


@dataclass(frozen=True)
class WarningRules:
    """返贫预警 thresholds (multiples of the income line, percent drops, severe causes)."""

    unstable_income_multiple: float
    edge_income_multiple: float
    income_drop_pct: float
    severe_causes: tuple[str, ...]
    severe_cause_income_drop_pct: float


@dataclass(frozen=True)
class ProgressRules:
    """Exit-progress target year and the incidence goal of the projection."""

    target_year: int
    goal_incidence_pct: float


@dataclass(frozen=True)
class ExitRules:
    """All exit rules of one deployment; ``source`` names the file they came from."""

    household: HouseholdRules
    village: VillageRules
    county: CountyRules
    warning: WarningRules
    progress: ProgressRules
    source: str = field(default="<rules>", compare=False)
    # [cadres] (indicators/cadre_rules.py); not part of the household metrics' digest
    cadres: Any = field(default=None, compare=False)
    # [funds] (indicators/funds_rules.py); not part of the household metrics' digest
    funds: Any = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready form (year keys as strings), without the source."""
        data = asdict(self)
        data.pop("source")
        data.pop("cadres", None)
        data.pop("funds", None)
        data["household"]["income_lines"] = {
            str(y): v for y, v in sorted(self.household.income_lines.items())
        }
        return data

    def digest(self) -> str:
        """A short hash of the rule values: equal rules, equal digest (cache keys)."""
        text = json.dumps(self.as_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def check_years(self, years: Iterable[int]) -> None:
        """RulesError when a data year has no income line."""
        missing = [int(y) for y in years if int(y) not in self.household.income_lines]
        if missing:
            raise RulesError(
                f"{self.source}: household.income_line has no line for "
                f"{', '.join(map(str, missing))}, a year of the data set; add it"
            )


class _Section:
    """Typed access to one TOML table, remembering which keys were read."""

    def __init__(self, data: Any, name: str, source: str) -> None:
        if not isinstance(data, Mapping):
            raise RulesError(f"{source}: [{name}] must be a table")
        self.data, self.name, self.source = data, name, source
        self.read: set[str] = set()

    def error(self, key: str, problem: str) -> RulesError:
        return RulesError(f"{self.source}: {self.name}.{key} {problem}")

    def raw(self, key: str) -> Any:
        if key not in self.data:
            where = f"[{self.name}] lacks {key}" if self.name else f"lacks section [{key}]"
            raise RulesError(f"{self.source}: {where}")
        self.read.add(key)
        return self.data[key]

    def number(
        self,
        key: str,
        *,
        low: float = 0,
        high: float = 100,
        integer: bool = False,
        low_open: bool = True,
    ) -> float:
        value = self.raw(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"must be a number, not {value!r}")
        if integer and not float(value).is_integer():
            raise self.error(key, f"must be a whole number, not {value!r}")
        if value < low or (low_open and value == low) or value > high:
            bound = "(" if low_open else "["
            raise self.error(key, f"is {value}, outside {bound}{low:g}, {high:g}]")
        return int(value) if integer else float(value)

    def table(self, key: str) -> _Section:
        name = f"{self.name}.{key}" if self.name else key
        return _Section(self.raw(key), name, self.source)

    def names(self, key: str, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
        value = self.raw(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, f"must be a list of {what} names")
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise self.error(
                key, f"names unknown {what} {unknown[0]!r}; known: {', '.join(allowed)}"
            )
        if len(set(value)) != len(value):
            raise self.error(key, "lists a name twice")
        return tuple(value)

    def done(self) -> None:
        extra = sorted(set(self.data) - self.read)
        if extra:
            raise RulesError(f"{self.source}: [{self.name}] has unknown key {extra[0]!r}")

    def zone_map(self, key: str) -> dict[str, float]:
        zones = self.table(key)
        out = {z: zones.number(z) for z in ZONES}
        zones.done()
        return out


def _household(root: _Section) -> HouseholdRules:
    sec = root.table("household")
    weights_sec = sec.table("weights")
    unknown = [k for k in weights_sec.data if k not in GUARANTEES]
    if unknown:
        raise weights_sec.error(unknown[0], f"is not an indicator; known: {', '.join(GUARANTEES)}")
    weights = {
        g: int(weights_sec.number(g, low=0, low_open=False, integer=True)) for g in GUARANTEES
    }
    total = sum(weights.values())
    if total != TOTAL_POINTS:
        raise RulesError(
            f"{root.source}: household.weights sum to {total} points, not {TOTAL_POINTS}"
        )
    vetoes = sec.names("vetoes", GUARANTEES, "indicator")
    threshold = int(sec.number("threshold", integer=True))
    lines_sec = sec.table("income_line")
    lines: dict[int, float] = {}
    for key in lines_sec.data:
        if not str(key).isdigit() or not 2000 <= int(key) <= 2100:
            raise lines_sec.error(str(key), "is not a year")
        lines[int(key)] = lines_sec.number(key, high=1e7)
    missing = [y for y in YEARS if y not in lines]
    if missing:
        raise RulesError(
            f"{root.source}: household.income_line lacks year {', '.join(map(str, missing))}"
        )
    sec.done()
    return HouseholdRules(weights, vetoes, threshold, dict(sorted(lines.items())))


def _county(root: _Section) -> CountyRules:
    sec = root.table("county")
    out = CountyRules(
        max_incidence_pct=sec.zone_map("max_incidence_pct"),
        max_wrong_exit_pct=sec.number("max_wrong_exit_pct"),
        max_missed_registration_pct=sec.number("max_missed_registration_pct"),
        min_satisfaction_pct=sec.number("min_satisfaction_pct"),
    )
    sec.done()
    return out


def _warning(root: _Section) -> WarningRules:
    sec = root.table("warning")
    out = WarningRules(
        unstable_income_multiple=sec.number("unstable_income_multiple", high=100),
        edge_income_multiple=sec.number("edge_income_multiple", high=100),
        income_drop_pct=sec.number("income_drop_pct", high=100),
        severe_causes=sec.names("severe_causes", CAUSES, "cause"),
        severe_cause_income_drop_pct=sec.number(
            "severe_cause_income_drop_pct", low=0, low_open=False, high=100
        ),
    )
    if out.edge_income_multiple < out.unstable_income_multiple:
        raise sec.error("edge_income_multiple", "must not be below unstable_income_multiple")
    sec.done()
    return out


def parse_rules(data: Mapping[str, Any], source: str = "<rules>") -> ExitRules:
    """Validated :class:`ExitRules` from parsed TOML; RulesError naming the first problem."""
    root = _Section(data, "", source)
    household = _household(root)
    village_sec = root.table("village")
    village = VillageRules(village_sec.zone_map("max_incidence_pct"))
    village_sec.done()
    county = _county(root)
    warning = _warning(root)
    progress_sec = root.table("progress")
    progress = ProgressRules(
        target_year=int(progress_sec.number("target_year", low=2000, high=2100, integer=True)),
        goal_incidence_pct=progress_sec.number("goal_incidence_pct"),
    )
    progress_sec.done()
    from battlemap.indicators.cadre_rules import parse_cadre_rules

    cadres = parse_cadre_rules(root)
    from battlemap.indicators.funds_rules import parse_funds_rules

    funds = parse_funds_rules(root)
    extra = sorted(set(data) - root.read)
    if extra:
        raise RulesError(f"{source}: unknown section [{extra[0]}]")
    return ExitRules(
        household, village, county, warning, progress, source=source, cadres=cadres, funds=funds
    )


def _resolve(path: str | Path | None) -> Path:
    if path is None or str(path) == "":
        path = os.environ.get(RULES_ENV) or DEFAULT_RULES_PATH
    return Path(path)


def load_rules(path: str | Path | None = None) -> ExitRules:
    """Rules from ``path``, else ``$BATTLEMAP_RULES``, else the shipped ``rules.toml``."""
    resolved = _resolve(path)
    try:
        stat = resolved.stat()
    except OSError as exc:
        raise RulesError(f"rules file {resolved} cannot be read: {exc.strerror}") from None
    return _load_cached(str(resolved.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=16)
def _load_cached(path: str, _mtime_ns: int, _size: int) -> ExitRules:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(f"rules file {path} cannot be read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"rules file {path} is not valid TOML: {exc}") from None
    return parse_rules(data, source=f"rules file {path}")


def default_rules() -> ExitRules:
    """The shipped rules (ignores ``$BATTLEMAP_RULES``)."""
    return load_rules(DEFAULT_RULES_PATH)
