"""User-facing strings of the cadres panel (issue 15), merged into :data:`battlemap.i18n.TEXT`.

Keys are ``cadre_<name>``; the panel's table columns use the cadre frame's column names
(``cadre_households_warning`` heads the ``households_warning`` column)."""

from __future__ import annotations

__all__ = ["CADRES_TEXT"]

CADRES_TEXT: dict[str, tuple[str, str]] = {
    "cadre_title": ("帮扶干部", "Cadres"),
    "cadre_no_data": ("无帮扶干部数据", "No cadre data"),
    "cadre_level": (
        "在县、村视图中列出帮扶干部",
        "Cadres are listed in the county and village views",
    ),
    "cadre_aggregates": ("本角色只见帮扶单位汇总", "Your role sees unit totals only"),
    "cadre_note": (
        "{n} 名在岗干部 · 帮扶户数超限 {over} 名 · 超期未走访 {late} 户 · 未真正入户 {far} 次 · "
        "贫困户月均走访 {rate} 次",
        "{n} cadres in post · over the limit {over} · not visited {late} households · "
        "far check-ins {far} · visits per poor household per month {rate}",
    ),
    "cadre_name": ("姓名", "Name"),
    "cadre_role": ("职务", "Role"),
    "cadre_unit": ("帮扶单位", "Unit"),
    "cadre_households": ("帮扶户数", "Households"),
    "cadre_last_visit": ("最近走访", "Last visit"),
    "cadre_visits": ("本年走访", "Visits"),
    "cadre_score": ("记工分", "Score"),
    "cadre_problems": ("问题", "Problems"),
    "cadre_cadres": ("干部数", "Cadres"),
    "cadre_households_exited": ("本年脱贫户", "Exited"),
    "cadre_households_warning": ("预警户", "Warnings"),
    "cadre_helper": ("帮扶责任人", "Helper"),
}
