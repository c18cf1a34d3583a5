"""Early warning of return to poverty (返贫预警): categories, triggering rules, counts.

Only households marked 已脱贫 in the year are monitored. Rules are tried in this order and
the first that matches gives the household its category and triggering rule:

1. ``income_drop`` → 突发严重困难户: income per capita fell by more than
   ``income_drop_pct`` from last year (needs last year's record).
2. ``severe_cause_drop`` → 突发严重困难户: a severe cause (因病/因灾 by default, primary or
   secondary) and an income fall of more than ``severe_cause_income_drop_pct``.
3. ``low_income`` → 脱贫不稳定户: income below ``unstable_income_multiple`` × the line.
4. ``edge_severe`` → 边缘易致贫户: income below ``edge_income_multiple`` × the line and a
   severe cause.

A missing income (or missing last-year income for the drop rules) never triggers a rule.
Thresholds come from the ``[warning]`` section of the exit rules.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from battlemap.geodata.schema import CAUSES, STATUS_EXITED
from battlemap.indicators.household import income_lines
from battlemap.indicators.rules import ExitRules

__all__ = [
    "RULE_CATEGORY",
    "WARNING_CATEGORIES",
    "WARNING_LABELS",
    "WARNING_RULES",
    "cause_mask",
    "classify_warnings",
    "severe_cause_bits",
    "warning_counts",
    "warning_metric",
    "warning_rule_index",
]

# Display order of the categories (DESIGN.md order).
WARNING_CATEGORIES: tuple[str, ...] = ("unstable", "edge", "sudden")
WARNING_LABELS: dict[str, str] = {
    "unstable": "脱贫不稳定户",
    "edge": "边缘易致贫户",
    "sudden": "突发严重困难户",
}
# Triggering rules in priority order, each with its category.
WARNING_RULES: tuple[str, ...] = ("income_drop", "severe_cause_drop", "low_income", "edge_severe")
RULE_CATEGORY: dict[str, str] = {
    "income_drop": "sudden",
    "severe_cause_drop": "sudden",
    "low_income": "unstable",
    "edge_severe": "edge",
}


def warning_metric(category: str, unit: str = "households") -> str:
    """Store metric name of monitored households (or persons) in a category."""
    return f"warning_{unit}_{category}"


def severe_cause_bits(rules: ExitRules) -> int:
    """Bit mask (bit i = ``CAUSES[i]``) of the configured severe causes."""
    return sum(1 << CAUSES.index(name) for name in rules.warning.severe_causes)


def cause_mask(primary: pd.Series, secondary: pd.Series | None = None) -> np.ndarray:
    """Per-row bit mask (int32) of the primary and secondary causes; unknown names ignored.

    >>> cause_mask(pd.Series(["因病", "其他"]), pd.Series([["因灾"], None])).tolist()
    [9, 2048]
    """
    names = pa.array(list(CAUSES))
    mask = np.zeros(len(primary), dtype=np.int32)
    codes = pc.index_in(pa.array(primary, type=pa.string(), from_pandas=True), value_set=names)
    codes = codes.fill_null(-1).to_numpy(zero_copy_only=False)
    ok = codes >= 0
    mask[ok] |= (1 << codes[ok]).astype(np.int32)
    if secondary is not None and len(secondary):
        lists = pa.array(secondary, type=pa.list_(pa.string()), from_pandas=True)
        codes = pc.index_in(pc.list_flatten(lists), value_set=names)
        codes = codes.fill_null(-1).to_numpy(zero_copy_only=False)
        parents = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
        ok = codes >= 0
        np.bitwise_or.at(mask, parents[ok], (1 << codes[ok]).astype(np.int32))
    return mask


def _dropped(income: np.ndarray, prev_income: np.ndarray, pct: float) -> np.ndarray:
    """Income fell by more than ``pct`` percent: (prev − income) × 100 > pct × prev."""
    with np.errstate(invalid="ignore"):
        return (prev_income > 0) & ((prev_income - income) * 100 > pct * prev_income)


def warning_rule_index(
    exited: np.ndarray,
    income: np.ndarray,
    prev_income: np.ndarray,
    line: np.ndarray,
    severe: np.ndarray,
    rules: ExitRules,
) -> np.ndarray:
    """Index into :data:`WARNING_RULES` of the first matching rule per row; -1 for none."""
    w = rules.warning
    income = np.asarray(income, dtype=np.float64)
    prev_income = np.asarray(prev_income, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        conditions = [
            _dropped(income, prev_income, w.income_drop_pct),
            severe & _dropped(income, prev_income, w.severe_cause_income_drop_pct),
            income < line * w.unstable_income_multiple,
            (income < line * w.edge_income_multiple) & severe,
        ]
    out = np.full(np.shape(income), -1, dtype=np.int8)
    for i in reversed(range(len(conditions))):
        out = np.where(exited & conditions[i], i, out).astype(np.int8)
    return out


def _reason(rule: str, income: float, prev: float, line: float, rules: ExitRules) -> str:
    w = rules.warning
    severe = "/".join(w.severe_causes)
    if rule in ("income_drop", "severe_cause_drop"):
        drop = (prev - income) * 100 / prev
        limit = w.income_drop_pct if rule == "income_drop" else w.severe_cause_income_drop_pct
        prefix = f"有{severe}风险，" if rule == "severe_cause_drop" else ""
        return f"{prefix}人均纯收入较上年下降 {drop:.1f}%，超过 {limit:g}%"
    multiple = w.unstable_income_multiple if rule == "low_income" else w.edge_income_multiple
    text = f"人均纯收入 {income:,.0f} 元，低于 {multiple:g} 倍扶贫标准 {line * multiple:,.0f} 元"
    return text if rule == "low_income" else f"{text}，且有{severe}风险"


def classify_warnings(frame: pd.DataFrame, rules: ExitRules) -> pd.DataFrame:
    """Warning category and triggering rule of household-year rows.

    ``frame`` has ``status``, ``year``, ``income_per_capita``, ``prev_income`` (last year's
    income, NaN when unknown), and ``primary_cause`` / ``secondary_causes`` (or a ready
    ``cause_mask``). Returns ``category`` and ``label`` (None when not at risk), ``rule`` and
    ``reason`` (Chinese text with the triggering values), on the same index.
    """
    income = pd.to_numeric(frame["income_per_capita"], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    prev = pd.to_numeric(
        frame.get("prev_income", pd.Series(np.nan, frame.index)), errors="coerce"
    ).to_numpy(dtype=np.float64, na_value=np.nan)
    if "cause_mask" in frame:
        mask = frame["cause_mask"].to_numpy(np.int64)
    else:
        mask = cause_mask(frame["primary_cause"], frame.get("secondary_causes"))
    severe = (mask & severe_cause_bits(rules)) != 0
    line = income_lines(frame["year"].to_numpy(), rules)
    exited = (frame["status"].astype(str) == STATUS_EXITED).to_numpy()
    index = warning_rule_index(exited, income, prev, line, severe, rules)
    rules_out = [WARNING_RULES[i] if i >= 0 else None for i in index.tolist()]
    categories = [RULE_CATEGORY[r] if r else None for r in rules_out]
    columns = {
        "category": categories,
        "label": [WARNING_LABELS[c] if c else None for c in categories],
        "rule": rules_out,
        "reason": [
            _reason(r, income[i], prev[i], line[i], rules) if r else None
            for i, r in enumerate(rules_out)
        ],
    }
    # object columns keep None for "not at risk" (a string dtype would turn it into NaN)
    return pd.DataFrame(
        {k: pd.Series(v, index=frame.index, dtype=object) for k, v in columns.items()},
        index=frame.index,
    )


def warning_counts(counts: Mapping[str, int], unit: str = "households") -> dict[str, int]:
    """Monitored households (or persons) per category label, in display order."""
    return {WARNING_LABELS[c]: counts[warning_metric(c, unit)] for c in WARNING_CATEGORIES}
