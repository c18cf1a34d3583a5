"""The ``[funds]`` section of the rules file: thresholds of the fund anomaly rules (资金监管).

Optional in a deployment's rules file (older copies lack it): without it the shipped values
apply. When present every key is required and unknown keys are refused, like the rest of
the file. Not part of the household metrics' digest (the funds cache keys on its own).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["FundsRules", "default_funds_rules", "funds_rules_of", "parse_funds_rules"]


@dataclass(frozen=True)
class FundsRules:
    """Thresholds of the anomaly rules (:mod:`battlemap.indicators.funds_anomalies`)."""

    exited_years: int = 3  # a payee household exited at least this many years before: 已脱贫多年
    idle_days: int = 365  # an allocation with no payment of its project within these days
    close_grace_days: int = 180  # a payment later than this after the project's actual end
    overpaid_tolerance_pct: float = 0.0  # payments above budget × (1 + this / 100)

    @property
    def digest(self) -> str:
        text = json.dumps(asdict(self), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


_DEFAULT = FundsRules()


def default_funds_rules() -> FundsRules:
    """The values used when a rules file has no [funds] section (= the shipped file's)."""
    return _DEFAULT


def parse_funds_rules(root: Any) -> FundsRules:
    """Validated :class:`FundsRules` from the rules file's root section (rules._Section)."""
    if "funds" not in root.data:
        return _DEFAULT
    sec = root.table("funds")
    out = FundsRules(
        exited_years=int(sec.number("exited_years", high=20, integer=True)),
        idle_days=int(sec.number("idle_days", high=3660, integer=True)),
        close_grace_days=int(
            sec.number("close_grace_days", low=0, low_open=False, high=3660, integer=True)
        ),
        overpaid_tolerance_pct=sec.number("overpaid_tolerance_pct", low=0, low_open=False),
    )
    sec.done()
    return out


def funds_rules_of(rules: Any) -> FundsRules:
    """The funds rules carried by an ExitRules (the shipped values when it has none)."""
    found = getattr(rules, "funds", None)
    return found if isinstance(found, FundsRules) else _DEFAULT
