"""Household exit assessment (贫困户退出): seven indicators, points, vetoes, threshold.

Vectorised over numpy arrays (one element per household-year) and over DataFrames with
DESIGN.md's ``household_years`` columns. The same array functions define the store metrics
(see :mod:`battlemap.geodata.metrics`), so a household's verdict here and the counts in either
store always agree.

A household *passes* in a year when no veto indicator fails and its score (the sum of the
points of the indicators it meets) is at least the threshold. Income is met when the income
per capita is strictly above the year's line; a missing income or a year without a line
never meets it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from battlemap.geodata.schema import POOR_STATUSES, STATUS_EXITED
from battlemap.indicators.rules import GUARANTEES, ExitRules

__all__ = [
    "FLAG_COLUMNS",
    "GUARANTEE_LABELS",
    "assess_households",
    "exit_scores",
    "failure_reasons",
    "guarantees_met",
    "income_lines",
    "passes_exit",
    "veto_failed",
]

# The household_years column behind each non-income indicator.
FLAG_COLUMNS: dict[str, str] = {
    "housing": "housing_safe",
    "education": "no_dropout",
    "medical": "medical_insured",
    "pension": "pension_insured",
    "water": "water_safe",
    "electricity": "electricity",
}
GUARANTEE_LABELS: dict[str, str] = {
    "income": "收入达标",
    "housing": "住房安全",
    "education": "义务教育",
    "medical": "基本医疗",
    "pension": "养老保险",
    "water": "饮水安全",
    "electricity": "生活用电",
}
_FAIL_TEXT: dict[str, str] = {
    "housing": "住房不安全",
    "education": "有义务教育阶段辍学",
    "medical": "未参加基本医疗保险",
    "pension": "未参加养老保险",
    "water": "饮水不安全",
    "electricity": "未通生活用电",
}


def income_lines(years: np.ndarray, rules: ExitRules) -> np.ndarray:
    """The income line of each year as float64; NaN for a year without a line.

    >>> from battlemap.indicators.rules import default_rules
    >>> income_lines(np.array([2014, 2020, 2030]), default_rules()).tolist()
    [2800.0, 4000.0, nan]
    """
    years = np.asarray(years)
    out = np.full(years.shape, np.nan)
    for year, line in rules.household.income_lines.items():
        out[years == year] = line
    return out


def guarantees_met(
    years: np.ndarray, income: np.ndarray, flags: Mapping[str, np.ndarray], rules: ExitRules
) -> dict[str, np.ndarray]:
    """Boolean array per indicator (GUARANTEES order); missing flags count as not met."""
    income = np.asarray(income, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        met = {"income": income > income_lines(years, rules)}
    for name in GUARANTEES[1:]:
        met[name] = np.asarray(flags[name], dtype=bool)
    return met


def exit_scores(met: Mapping[str, np.ndarray], rules: ExitRules) -> np.ndarray:
    """Points (0–100, int64): the weights of the indicators met."""
    first = next(iter(met.values()))
    score = np.zeros(np.shape(first), dtype=np.int64)
    for name, weight in rules.household.weights.items():
        score += np.where(met[name], weight, 0)
    return score


def veto_failed(met: Mapping[str, np.ndarray], rules: ExitRules) -> np.ndarray:
    """True where at least one veto indicator (否决项) is not met."""
    first = next(iter(met.values()))
    failed = np.zeros(np.shape(first), dtype=bool)
    for name in rules.household.vetoes:
        failed |= ~np.asarray(met[name], dtype=bool)
    return failed


def passes_exit(met: Mapping[str, np.ndarray], rules: ExitRules) -> np.ndarray:
    """True where no veto fails and the score reaches the threshold (score ≥ 80 by default)."""
    return ~veto_failed(met, rules) & (exit_scores(met, rules) >= rules.household.threshold)


def _flag_array(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame:
        return np.zeros(len(frame), dtype=bool)
    return frame[column].astype("boolean").fillna(False).to_numpy(dtype=bool)


def assess_households(frame: pd.DataFrame, rules: ExitRules) -> pd.DataFrame:
    """Exit assessment of household-year rows.

    ``frame`` has ``year``, ``income_per_capita``, the six flag columns of
    :data:`FLAG_COLUMNS` and optionally ``status``. Returns, on the same index, ``met_<name>``
    for each indicator, ``score``, ``veto_failed``, ``passes``, ``wrong_exit`` (错退: marked
    已脱贫 but not passing), ``passing_poor`` (passing but still marked poor) and ``reasons``
    (Chinese text of the failed indicators; empty when passing). An empty frame gives an
    empty result with the same columns.
    """
    income = pd.to_numeric(
        frame.get("income_per_capita", pd.Series(np.nan, frame.index)), errors="coerce"
    ).to_numpy(dtype=np.float64, na_value=np.nan)
    flags = {name: _flag_array(frame, column) for name, column in FLAG_COLUMNS.items()}
    years = frame["year"].to_numpy() if "year" in frame else np.zeros(len(frame), np.int64)
    met = guarantees_met(years, income, flags, rules)
    out = pd.DataFrame({f"met_{name}": met[name] for name in GUARANTEES}, index=frame.index)
    out["score"] = exit_scores(met, rules)
    out["veto_failed"] = veto_failed(met, rules)
    out["passes"] = ~out["veto_failed"].to_numpy() & (
        out["score"].to_numpy() >= rules.household.threshold
    )
    status = frame["status"].astype(str) if "status" in frame else pd.Series("", frame.index)
    out["wrong_exit"] = (status == STATUS_EXITED).to_numpy() & ~out["passes"].to_numpy()
    out["passing_poor"] = status.isin(POOR_STATUSES).to_numpy() & out["passes"].to_numpy()
    out["reasons"] = failure_reasons(out, income, income_lines(years, rules), rules)
    return out


def _yuan(value: float) -> str:
    return f"{value:,.0f} 元"


def failure_reasons(
    assessed: pd.DataFrame, income: np.ndarray, lines: np.ndarray, rules: ExitRules
) -> list[str]:
    """不达标原因 per row of :func:`assess_households`'s output ("" when passing)."""
    out: list[str] = []
    threshold = rules.household.threshold
    met_columns = [assessed[f"met_{name}"].to_numpy() for name in GUARANTEES]
    for i, (score, passes) in enumerate(
        zip(assessed["score"].to_numpy(), assessed["passes"].to_numpy(), strict=True)
    ):
        if passes:
            out.append("")
            continue
        parts = []
        for name, met in zip(GUARANTEES, met_columns, strict=True):
            if met[i]:
                continue
            veto = "（否决项）" if name in rules.household.vetoes else ""
            if name == "income":
                if np.isnan(lines[i]):
                    parts.append("当年无扶贫标准，收入无法判定")
                elif np.isnan(income[i]):
                    parts.append(f"无人均纯收入数据{veto}")
                else:
                    parts.append(
                        f"人均纯收入 {_yuan(income[i])}，未超过 {_yuan(lines[i])} 标准{veto}"
                    )
            else:
                parts.append(_FAIL_TEXT[name] + veto)
        if score < threshold:
            parts.append(f"得分 {score} 分，低于 {threshold} 分")
        out.append("；".join(parts))
    return out
