"""Exit-check table rows (贫困村出列 / 贫困县摘帽): value, threshold, pass/fail and reason."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from battlemap.i18n import t

__all__ = ["exit_check_columns", "exit_check_rows"]


def _number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def exit_check_rows(
    checks: Iterable[Mapping[str, Any]], *, lang: str = "zh"
) -> list[dict[str, Any]]:
    """One row per check; ``passed`` None (no data) is shown as such, never as a pass."""
    rows = []
    for check in checks:
        passed = check.get("passed")
        verdict = t("pass", lang) if passed else t("no_data", lang) if passed is None else t(
            "fail", lang)
        rows.append({
            "check": str(check.get("label") or check.get("check", "")),
            "value": _number(check.get("value")),
            "threshold": _number(check.get("threshold")),
            "passed": verdict,
            "reason": check.get("reason") or "",
            "ok": bool(passed),
        })
    return rows


def exit_check_columns(*, lang: str = "zh") -> list[dict[str, str]]:
    """DataTable column specs of the exit-check table."""
    return [{"name": t(key, lang), "id": key}
            for key in ("check", "value", "threshold", "passed", "reason")]
