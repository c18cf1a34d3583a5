"""Fund indicators from pre-aggregated counts: payment rate, idle funds, per person, performance.

Pure: the store's per-region values (money in fen, :data:`FUNDS_METRICS`) and household
counts in, plain JSON-ready numbers out (money in yuan). ``payment_rate_pct`` (支出进度) =
100 × paid / allocated; ``idle`` (滞留资金) = allocated − paid, both cumulative to 31
December of the year, over the projects located in the region.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from battlemap.geodata.funds_schema import SOURCE_KEYS, STATUS_KEYS, TYPE_KEYS

__all__ = ["funds_object", "payment_rate_pct", "per_10k", "performance_rows", "yuan"]

Values = Mapping[str, int]


def yuan(fen: int) -> float:
    """Integer fen → yuan (two decimals)."""
    return round(int(fen) / 100, 2)


def payment_rate_pct(paid_fen: int, allocated_fen: int) -> float | None:
    """100 × paid / allocated (two decimals); None when nothing was allocated."""
    if allocated_fen <= 0:
        return None
    return round(100 * paid_fen / allocated_fen, 2)


def per_10k(amount: float, paid_fen: int) -> float | None:
    """``amount`` per 10,000 yuan paid (None when nothing was paid)."""
    if paid_fen <= 0:
        return None
    return round(amount / (paid_fen / 100 / 10_000), 4)


def _money(allocated: int, paid: int) -> dict[str, Any]:
    return {
        "allocated": yuan(allocated),
        "paid": yuan(paid),
        "payment_rate_pct": payment_rate_pct(paid, allocated),
        "idle": yuan(allocated - paid),
    }


def performance_rows(
    children: Mapping[str, tuple[str, Values, Mapping[str, int]]],
) -> list[dict[str, Any]]:
    """Per child (code → (name, funds values, household counts)): paid, exited persons and
    beneficiary income gain, each per 10,000 yuan paid; ordered by code."""
    rows = []
    for code in sorted(children):
        name, values, counts = children[code]
        paid = int(values["paid_fen"])
        gain = int(values["beneficiary_income_gain_fen"]) / 100
        exited = int(counts.get("exited_persons", 0))
        rows.append(
            {
                "code": code,
                "name": name,
                "paid": yuan(paid),
                "exited_persons": exited,
                "exited_persons_per_10k": per_10k(exited, paid),
                "income_gain": round(gain, 2),
                "income_gain_per_10k": per_10k(gain, paid),
            }
        )
    return rows


def funds_object(
    values: Values,
    counts: Mapping[str, int],
    children: Mapping[str, tuple[str, Values, Mapping[str, int]]],
    *,
    available: bool = True,
) -> dict[str, Any]:
    """``battlemap stats``' ``funds`` object of one region and year.

    ``values``: the region's funds values; ``counts``: its household counts (registered
    and exited persons); ``children``: code → (name, funds values, household counts).
    """
    allocated, paid = int(values["allocated_fen"]), int(values["paid_fen"])
    registered = int(counts.get("registered_persons", 0))
    exited = int(counts.get("exited_persons", 0))
    gain = int(values["beneficiary_income_gain_fen"]) / 100
    return {
        "available": available,
        **_money(allocated, paid),
        "allocated_in_year": yuan(values["allocated_in_year_fen"]),
        "paid_in_year": yuan(values["paid_in_year_fen"]),
        "projects": int(values["projects"]),
        "projects_overdue": int(values["projects_overdue"]),
        "anomalies": int(values["anomalies"]),
        "by_source": {
            name: _money(int(values[f"allocated_fen_{key}"]), int(values[f"paid_fen_{key}"]))
            for name, key in SOURCE_KEYS.items()
        },
        "per_poor_person": {  # per registered poor person (建档立卡贫困人口)
            "allocated": round(allocated / 100 / registered, 2) if registered else None,
            "paid": round(paid / 100 / registered, 2) if registered else None,
        },
        "projects_by_type": {name: int(values[f"type_{key}"]) for name, key in TYPE_KEYS.items()},
        "projects_by_status": {
            name: int(values[f"status_{key}"]) for name, key in STATUS_KEYS.items()
        },
        "beneficiaries": {
            "households": int(values["beneficiaries"]),
            "persons": int(values["beneficiary_persons"]),
            "income_gain": round(gain, 2),
        },
        "performance": {
            "exited_persons_per_10k": per_10k(exited, paid),
            "income_gain_per_10k": per_10k(gain, paid),
            "children": performance_rows(children),
        },
    }
