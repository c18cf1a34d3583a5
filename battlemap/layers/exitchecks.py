"""Exit-check table rows (贫困村出列 / 贫困县摘帽): value, threshold, pass/fail and reason."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from battlemap.i18n import TEXT, t
from battlemap.indicators.exit_checks import format_pct

__all__ = ["check_label", "check_reason", "exit_check_columns", "exit_check_rows"]


def _percent(value: Any) -> str:
    if value is None:
        return "—"
    return f"{float(value):,.2f}%"


_NO_DATA_WHY = {"incidence": "why_incidence", "wrong_exit": "why_wrong_exit"}


def check_label(check: Mapping[str, Any], lang: str = "zh") -> str:
    """The check's name (贫困发生率 …) in ``lang``."""
    key = f"check_{check.get('check', '')}"
    return t(key, lang) if key in TEXT else str(check.get("label") or key)


def check_reason(check: Mapping[str, Any], lang: str = "zh") -> str:
    """不达标原因 in ``lang``: the indicator module's own text in Chinese, the same facts
    (value, limit, which side, or why there is no data) worded in English."""
    reason = check.get("reason") or ""
    if lang != "en" or not reason:
        return reason
    label, threshold = check_label(check, lang), check.get("threshold")
    if check.get("passed") is None:
        why = t(_NO_DATA_WHY.get(str(check.get("check")), "why_assessment"), lang)
        return t("reason_no_data", lang).format(label=label, why=why)
    value, limit = float(check["value"]), format_pct(float(threshold))
    if check.get("comparison") == ">=":
        key = "reason_below"
    else:  # the exact comparison was made by the indicator; "等于" marks value == limit
        key = "reason_equal" if "等于" in reason else "reason_above"
    return t(key, lang).format(label=label, value=format_pct(value, threshold), limit=limit)


def exit_check_rows(
    checks: Iterable[Mapping[str, Any]], *, lang: str = "zh"
) -> list[dict[str, Any]]:
    """One row per check (values and thresholds in percent).

    ``passed`` None (no data) is shown as such, never as a pass.
    """
    rows = []
    for check in checks:
        passed = check.get("passed")
        if passed is None:
            verdict = t("no_data", lang)
        else:
            verdict = t("pass", lang) if passed else t("fail", lang)
        comparison = check.get("comparison") or ""
        threshold = check.get("threshold")
        rows.append(
            {
                "check": check_label(check, lang),
                "value": _percent(check.get("value")),
                "threshold": f"{comparison} {_percent(threshold)}".strip()
                if threshold is not None
                else "—",
                "passed": verdict,
                "reason": check_reason(check, lang),
                "status": "pass" if passed else "no_data" if passed is None else "fail",
            }
        )
    return rows


def exit_check_columns(*, lang: str = "zh") -> list[dict[str, str]]:
    """DataTable column specs of the exit-check table."""
    return [
        {"name": t(key, lang), "id": key}
        for key in ("check", "value", "threshold", "passed", "reason")
    ]
