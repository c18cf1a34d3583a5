"""The wall screen's own strings (zh, en); everything else comes from battlemap.i18n."""

from __future__ import annotations

from battlemap.i18n import t

__all__ = ["wt"]

WALL_TEXT: dict[str, tuple[str, str]] = {
    "wall_title": ("脱贫攻坚指挥", "Poverty Alleviation Command"),
    "wall_year": ("{year}年", "{year}"),
    "as_of": ("数据截至 {time}", "Data as of {time}"),
    "stale": ("数据暂停更新 · 自 {time} 起", "数据暂停更新 · data paused since {time}"),
    "paused": ("已暂停", "Paused"),
    "touring": ("巡视中", "Touring"),
    "reason_home": ("全域", "Overview"),
    "reason_path": ("下钻", "Drilling in"),
    "reason_incidence": ("贫困发生率最高", "Highest poverty incidence"),
    "reason_warnings": ("返贫预警最多", "Most early warnings"),
    "reason_exit_checks": ("退出检查未达标", "Failing exit checks"),
    "reason_listed": ("巡视", "Tour"),
    "panel_causes": ("致贫原因", "Causes of poverty"),
    "panel_trend": ("贫困发生率走势（与上级对比）", "Incidence trend vs parent"),
    "panel_radar": ("两不愁三保障", "Guarantees vs parent"),
    "panel_deck": ("三维：贫困人口（柱）与流向（弧线）", "3D: poor persons and flows"),
    "panel_ranking": ("下级排名", "Ranking of sub-regions"),
    "panel_exit": ("退出检查未达标及原因", "Failing exit checks and reasons"),
    "panel_warnings": ("返贫预警（按类别）", "Early warnings by category"),
    "all_passing": ("全部达标", "All passing"),
    "wall_error": ("暂时无法显示该地区", "This region cannot be shown right now"),
    "config_problem": ("大屏参数有误，已忽略：", "Wall parameters ignored: "),
}


def wt(key: str, lang: str = "zh", **values: object) -> str:
    """A wall string (or an app-wide one via :func:`battlemap.i18n.t`), formatted."""
    pair = WALL_TEXT.get(key)
    text = (pair[1] if lang == "en" else pair[0]) if pair else t(key, lang)
    return text.format(**values) if values else text
