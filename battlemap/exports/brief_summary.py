"""The brief's one-paragraph summary, written from the numbers in Chinese or English.

"全县 2016 年贫困发生率 10.82%，较上年下降 2.42 个百分点；贫困人口 550 人，较上年减少 129 人；
尚未达到贫困县摘帽标准（……）；11 个贫困村未达到出列标准（共 13 个），主要原因：贫困发生率
（11 个）；主要致贫原因为因病（218 人）和缺技术（77 人）；返贫预警 51 户。" Every number is
handed in from the views (trend, KPIs, causes, exit checks); nothing is computed here but
the change between two of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from battlemap.i18n import level_name, t
from battlemap.layers.causes import cause_label
from battlemap.views.brief import ExitOverview

__all__ = ["summary_text"]


_WHOLE = "省市州盟县区旗乡镇村"  # 全县 / 全区 / 全州 / 全镇 … by the name's last character


def _whole(name: str, level: int) -> str:
    """``全县`` for 息烽县, ``全区`` for 南明区, ``全州`` for 黔南州, ``全镇`` for 米园镇."""
    if name.endswith("街道"):
        return "全街道"
    return "全" + (name[-1] if name and name[-1] in _WHOLE else level_name(level, "zh"))


def _n(count: int, one: str, many: str) -> str:
    """``1 household`` / ``2 households`` (English plurals)."""
    return f"{count:,} {one if count == 1 else many}"


def _headline(
    en: bool, name: str, level: int, year: int, incidence: Mapping[int, float | None],
    persons: Mapping[int, int | None],
) -> str:  # fmt: skip
    now, before = incidence.get(year), incidence.get(year - 1)
    poor, poor_before = persons.get(year), persons.get(year - 1)
    where = _whole(name, level)
    if now is None:
        if en:
            return f"{name} has no rural population on record for {year}"
        return f"{name} {year} 年无农村人口数据，无法计算贫困发生率"
    if before is None or poor is None or poor_before is None:
        if en:
            return (
                f"In {year}, poverty incidence in {name} was {now:.2f}% "
                f"({_n(poor or 0, 'person', 'persons')} poor)"
            )
        return f"{where} {year} 年贫困发生率 {now:.2f}%，贫困人口 {poor or 0:,} 人"
    change, diff = round(now - before, 2), poor - poor_before
    if en:
        move = (
            f"unchanged from {year - 1}"
            if change == 0
            else f"{'down' if change < 0 else 'up'} {abs(change):.2f} percentage points on "
            f"{year - 1}"
        )
        head = f"In {year}, poverty incidence in {name} was {now:.2f}%, {move}"
        if poor == 0:
            return f"{head}; no one was still poor" + ("" if diff else " (none the year before)")
        still = "was" if poor == 1 else "were"
        than = "as many as the year before" if diff == 0 else f"{abs(diff):,} fewer"
        if diff > 0:
            than = f"{diff:,} more"
        return f"{head}; {_n(poor, 'person', 'persons')} {still} still poor ({than})"
    move = (
        "与上年持平"
        if change == 0
        else (f"较上年{'下降' if change < 0 else '上升'} {abs(change):.2f} 个百分点")
    )
    than = "与上年持平" if diff == 0 else f"较上年{'减少' if diff < 0 else '增加'} {abs(diff):,} 人"
    return f"{where} {year} 年贫困发生率 {now:.2f}%，{move}；贫困人口 {poor:,} 人，{than}"


def _own_exit(en: bool, name: str, level: int, own_exit: Mapping[str, Any]) -> str:
    if not own_exit.get("standard") or own_exit.get("status") not in ("pass", "fail"):
        return ""
    label = t("standard_county" if level == 3 else "standard_village", "en" if en else "zh")
    reasons = list(own_exit.get("reasons") or [])
    if own_exit["status"] == "pass":
        return f"{name} meets the {label.lower()} standard" if en else f"已达到{label}标准"
    if en:
        return f"{name} does not yet meet the {label.lower()} standard ({'; '.join(reasons)})"
    return f"尚未达到{label}标准（{'；'.join(reasons)}）"


def _children_exit(en: bool, level: int, overview: ExitOverview) -> str:
    status = overview.status
    if not status.total or status.level == level:
        return ""
    county = status.level == 3
    failing, total = len(status.failing), status.total
    if en:
        kind = (
            ("poverty county", "poverty counties")
            if county
            else ("poverty village", "poverty villages")
        )
        if failing == 0:
            if total == 1:
                return f"the one {kind[0]} under it meets the exit standard"
            return f"all {total:,} {kind[1]} under it meet the exit standard"
        why = ", ".join(f"{label} ({n:,})" for label, n in overview.failed_checks[:3])
        if total == 1:
            return f"the one {kind[0]} under it does not meet the exit standard: {why}"
        verb = "does" if failing == 1 else "do"
        return (
            f"{failing:,} of the {_n(total, *kind)} under it {verb} not meet the exit "
            f"standard, mainly for: {why}"
        )
    kind, act = ("贫困县", "摘帽") if county else ("贫困村", "出列")
    if failing == 0:
        return f"辖区 {total:,} 个{kind}全部达到{act}标准"
    why = "、".join(f"{label}（{n:,} 个）" for label, n in overview.failed_checks[:3])
    return f"{failing:,} 个{kind}未达到{act}标准（共 {total:,} 个），主要原因：{why}"


def summary_text(
    *,
    lang: str,
    name: str,
    level: int,
    year: int,
    incidence: Mapping[int, float | None],
    persons: Mapping[int, int | None],
    own_exit: Mapping[str, Any],
    overview: ExitOverview,
    causes: Mapping[str, int],
    warnings: str,
) -> str:
    """One paragraph written from the numbers (the views' own), in Chinese or English:
    incidence and poor persons with the change vs last year, the region's own exit verdict,
    how many flagged counties/villages under it fail and the checks they fail most, the
    main causes and the households on the early-warning list."""
    en = lang == "en"
    parts = [
        _headline(en, name, level, year, incidence, persons),
        _own_exit(en, name, level, own_exit),
        _children_exit(en, level, overview),
    ]
    ranked = [(c, p) for c, p in sorted(causes.items(), key=lambda cp: -cp[1]) if p > 0][:2]
    if ranked and en:
        listed = " and ".join(
            f"{cause_label(c, 'en')} ({_n(p, 'person', 'persons')})" for c, p in ranked
        )
        parts.append(f"the main {'causes' if len(ranked) > 1 else 'cause'} of poverty: {listed}")
    elif ranked:
        parts.append("主要致贫原因为" + "和".join(f"{c}（{p:,} 人）" for c, p in ranked))
    if warnings and warnings not in ("—", "0"):
        if en:
            count = int(warnings.replace(",", ""))
            verb = "was" if count == 1 else "were"
            parts.append(f"{_n(count, 'household', 'households')} {verb} on the early-warning list")
        else:
            parts.append(f"返贫预警 {warnings} 户")
    parts = [p for p in parts if p]
    if en:
        text = "; ".join(parts)
        return text[0].upper() + text[1:] + "."
    return "；".join(parts) + "。"
