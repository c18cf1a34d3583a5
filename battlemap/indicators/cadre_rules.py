"""The ``[cadres]`` section of the rules file: visit window, household limit, check-in
distance, impossible-travel distance and the 记工分 weights.

The section is optional in a deployment's rules file (older copies lack it): without it the
shipped values apply. When present every key is required and unknown keys are refused, like
the rest of the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["VISIT_KINDS", "CadreRules", "ScoreWeights", "default_cadre_rules", "parse_cadre_rules"]

# Visit kinds (帮扶日志类别) and their key in the rules file's [cadres.score] table.
VISIT_KINDS: dict[str, str] = {
    "走访": "visit",
    "政策落实": "policy",
    "产业帮扶": "industry",
    "就业帮扶": "employment",
    "就医就学协调": "health_education",
    "其他": "other",
}


@dataclass(frozen=True)
class ScoreWeights:
    """记工分: points per visit by kind, per household exited, and penalties (subtracted)."""

    per_kind: Mapping[str, float]
    exited_household: float
    far_checkin: float
    impossible_travel: float
    not_visited_household: float


@dataclass(frozen=True)
class CadreRules:
    """Coverage and visit checks, counted on 31 December of a year."""

    not_visited_days: int
    max_households: int
    far_checkin_m: float
    impossible_travel_km: float
    score: ScoreWeights


@lru_cache(maxsize=1)
def default_cadre_rules() -> CadreRules:
    """The shipped rules file's [cadres] values (used when a rules file has none)."""
    from battlemap.indicators.rules import DEFAULT_RULES_PATH, _Section

    data = tomllib.loads(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    return parse_cadre_rules(_Section(data, "", str(DEFAULT_RULES_PATH)))


def parse_cadre_rules(root: Any) -> CadreRules:
    """Validated :class:`CadreRules` from the rules file's root section (rules._Section)."""
    if "cadres" not in root.data:
        return default_cadre_rules()
    sec = root.table("cadres")
    weights = sec.table("score")
    per_kind = {
        kind: weights.number(key, low=0, low_open=False, high=1000)
        for kind, key in VISIT_KINDS.items()
    }
    score = ScoreWeights(
        per_kind=per_kind,
        exited_household=weights.number("exited_household", low=0, low_open=False, high=1000),
        far_checkin=weights.number("far_checkin", low=0, low_open=False, high=1000),
        impossible_travel=weights.number("impossible_travel", low=0, low_open=False, high=1000),
        not_visited_household=weights.number(
            "not_visited_household", low=0, low_open=False, high=1000
        ),
    )
    weights.done()
    out = CadreRules(
        not_visited_days=int(sec.number("not_visited_days", high=365, integer=True)),
        max_households=int(sec.number("max_households", high=1000, integer=True)),
        far_checkin_m=sec.number("far_checkin_m", high=100_000),
        impossible_travel_km=sec.number("impossible_travel_km", high=10_000),
        score=score,
    )
    sec.done()
    return out


def as_plain(rules: CadreRules) -> Mapping[str, Any]:
    """JSON-ready form (for reports)."""
    return {
        "not_visited_days": rules.not_visited_days,
        "max_households": rules.max_households,
        "far_checkin_m": rules.far_checkin_m,
        "impossible_travel_km": rules.impossible_travel_km,
    }
