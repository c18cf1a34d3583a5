"""Exit-check table rows (贫困村出列 / 贫困县摘帽): value, threshold, pass/fail and reason."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from battlemap.i18n import t

__all__ = ["exit_check_columns", "exit_check_rows"]


def _percent(value: Any) -> str:
    if value is None:
        return "—"
    return f"{float(value):,.2f}%"


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
                "check": str(check.get("label") or check.get("check", "")),
                "value": _percent(check.get("value")),
                "threshold": f"{comparison} {_percent(threshold)}".strip()
                if threshold is not None
                else "—",
                "passed": verdict,
                "reason": check.get("reason") or "",
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
