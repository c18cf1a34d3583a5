"""Early warning: each rule, its boundary, the priority between rules, configuration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from battlemap.indicators.rules import default_rules, parse_rules
from battlemap.indicators.warning import (
    WARNING_LABELS,
    cause_mask,
    classify_warnings,
    warning_counts,
    warning_metric,
)
from tests.indicators.common import mutated

RULES = default_rules()
LINE = 3747.0  # 2019: 1.5 × = 5620.5, 1.8 × = 6744.6


def row(
    income: float,
    prev: float | None = None,
    *,
    primary: str = "缺资金",
    secondary: list[str] | None = None,
    status: str = "已脱贫",
) -> dict:
    return {"year": 2019, "status": status, "income_per_capita": income,
            "prev_income": np.nan if prev is None else prev, "primary_cause": primary,
            "secondary_causes": secondary or []}  # fmt: skip


def classify(*rows: dict, rules=RULES) -> pd.DataFrame:
    return classify_warnings(pd.DataFrame(list(rows)), rules)


@pytest.mark.parametrize(
    ("case", "rule", "category"),
    [
        (row(6900, prev=10_000), "income_drop", "sudden"),  # −31 %
        (row(7000, prev=10_000), None, None),  # −30 % exactly: not more than 30 %
        (row(8900, prev=10_000, primary="因病"), "severe_cause_drop", "sudden"),  # −11 %
        (row(8900, prev=10_000, secondary=["因灾"]), "severe_cause_drop", "sudden"),
        (row(9000, prev=10_000, primary="因病"), None, None),  # −10 % exactly
        (row(8900, prev=10_000), None, None),  # −11 % without a severe cause
        (row(5620), "low_income", "unstable"),
        (row(5620.5), None, None),  # exactly 1.5 × the line
        (row(6744, primary="因病"), "edge_severe", "edge"),
        (row(6744.6, primary="因病"), None, None),  # exactly 1.8 × the line
        (row(6744), None, None),  # near the line but no severe cause
        (row(3000, status="未脱贫"), None, None),  # only exited households are monitored
        (row(3000, status="返贫"), None, None),
        (row(4000, prev=10_000), "income_drop", "sudden"),  # drop wins over low income
        (row(float("nan"), prev=10_000), None, None),  # missing income never triggers
    ],
)
def test_rules(case: dict, rule: str | None, category: str | None) -> None:
    out = classify(case).iloc[0]
    assert out["rule"] == rule and out["category"] == category
    assert out["label"] == (WARNING_LABELS[category] if category else None)
    assert (out["reason"] is None) == (rule is None)


def test_reasons_name_the_values() -> None:
    out = classify(
        row(6900, prev=10_000),
        row(8900, prev=10_000, primary="因病"),
        row(5000),
        row(6000, primary="因病"),
    )
    assert out["reason"].tolist() == [
        "人均纯收入较上年下降 31.0%，超过 30%",
        "有因病/因灾风险，人均纯收入较上年下降 11.0%，超过 10%",
        "人均纯收入 5,000 元，低于 1.5 倍扶贫标准 5,620 元",
        "人均纯收入 6,000 元，低于 1.8 倍扶贫标准 6,745 元，且有因病/因灾风险",
    ]


def test_thresholds_are_configuration() -> None:
    looser = parse_rules(
        mutated(
            lambda d: d["warning"].update(
                income_drop_pct=20, unstable_income_multiple=1.2, severe_causes=["因学"]
            )
        )
    )
    out = classify(
        row(7500, prev=10_000),
        row(5000),
        row(6000, primary="因病"),
        row(6000, primary="因学"),
        rules=looser,
    )
    assert out["rule"].tolist() == ["income_drop", None, None, "edge_severe"]


def test_cause_mask_bits() -> None:
    mask = cause_mask(pd.Series(["因病", "因灾", "未知"]),
                      pd.Series([["因学"], [], None]))  # fmt: skip
    assert mask.tolist() == [1 | 4, 8, 0]
    assert cause_mask(pd.Series([], dtype=object)).tolist() == []


def test_counts_by_category_in_display_order() -> None:
    counts = {warning_metric(c): i for i, c in enumerate(["unstable", "edge", "sudden"])}
    counts |= {warning_metric(c, "persons"): 10 for c in ["unstable", "edge", "sudden"]}
    assert warning_counts(counts) == {"脱贫不稳定户": 0, "边缘易致贫户": 1, "突发严重困难户": 2}
    assert list(warning_counts(counts, "persons").values()) == [10, 10, 10]
