"""Projects and funds views (issue 14): the stats object, the anomaly report, the funds panel,
the projects on the map and, in the village view, the projects and the households they pay.

Every function reads through a :class:`~battlemap.geodata.access.ScopedStore` (the region is
checked first) and the store's :func:`~battlemap.geodata.funds.funds_source`.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from battlemap.geodata.access import ScopedStore, mask_name
from battlemap.geodata.funds import funds_source
from battlemap.geodata.funds_schema import STATUS_KEYS, TYPE_KEYS
from battlemap.i18n import t
from battlemap.indicators.funds import funds_object
from battlemap.indicators.funds_anomalies import RULE_NAMES, RULE_NAMES_EN
from battlemap.layers.projects import funds_figure
from battlemap.views.panel import PanelView
from battlemap.viewstate import ViewState

__all__ = [
    "REPORT_COLUMNS",
    "funds_panel",
    "funds_report",
    "funds_stats",
    "project_points",
    "village_payments",
]

REPORT_COLUMNS = (
    "rule",
    "rule_name",
    "reason",
    "project_id",
    "project_name",
    "code",
    "date",
    "evidence",
)


def funds_stats(access: ScopedStore, code: str, year: int) -> dict[str, Any]:
    """``battlemap stats``' ``funds`` object of a region and year (``available`` False and
    zeros when the data set has no projects and funds)."""
    info = access.region(code)
    year = access.store.check_year(year)
    source = funds_source(access.store)
    children = access.children(info.code)
    codes = [info.code, *(c.code for c in children)]
    values = source.counts(codes, year)
    counts = access.store.counts_many(codes, year)
    rows = {c.code: (c.name, values[c.code], counts[c.code]) for c in children}
    return funds_object(values[info.code], counts[info.code], rows, available=source.available)


def funds_report(access: ScopedStore, code: str, year: int) -> pd.DataFrame:
    """The anomaly hits of the projects under a region dated on or before 31 December of
    ``year``: REPORT_COLUMNS (``evidence`` as JSON text), by date, rule, project."""
    info = access.region(code)
    year = access.store.check_year(year)
    hits = funds_source(access.store).hits(info.code)
    hits = hits[hits.date <= pd.Timestamp(f"{year}-12-31")]
    out = hits.assign(
        rule_name=hits.rule.map(RULE_NAMES),
        date=hits.date.dt.strftime("%Y-%m-%d"),
    )
    return out[list(REPORT_COLUMNS)].astype(object).reset_index(drop=True)


def report_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Report rows for JSON: ``evidence`` parsed back into an object."""
    rows = frame.to_dict("records")
    for row in rows:
        row["evidence"] = json.loads(row["evidence"])
    return rows


def status_in(frame: pd.DataFrame, year: int) -> pd.Series:
    """Each project's status on 31 December of ``year`` (the aggregates' definition)."""
    end = pd.Timestamp(f"{year}-12-31")
    final = frame.status.where(frame.status.isin(["完工", "验收", "终止"]), "完工")
    started = frame.actual_start.notna() & (frame.actual_start <= end)
    ended = frame.actual_end.notna() & (frame.actual_end <= end)
    return final.where(ended, pd.Series("在建", index=frame.index).where(started, "计划"))


def project_points(access: ScopedStore, code: str, year: int) -> pd.DataFrame:
    """Projects under a region begun by 31 December of ``year`` with their status then and
    totals (aggregates only: no household in them)."""
    info = access.region(code)
    year = access.store.check_year(year)
    frame = funds_source(access.store).projects(info.code)
    end = pd.Timestamp(f"{year}-12-31")
    begun = frame.planned_start.le(end) | frame.actual_start.le(end)
    frame = frame[begun.fillna(False)]
    return frame.assign(status_then=status_in(frame, year)).reset_index(drop=True)


def village_payments(access: ScopedStore, code: str, year: int) -> pd.DataFrame:
    """In the village view: each payment to a household by the village's projects up to
    ``year`` (project, date, amount, household ID, head's name masked unless the scope
    shows names). MissingRightError for a scope without household rights."""
    info = access.require_households(code)
    year = access.store.check_year(year)
    projects = project_points(access, info.code, year)
    pay = funds_source(access.store).payments(projects.project_id.tolist())
    pay = pay[pay.payee_hh_id.notna() & (pay.date <= pd.Timestamp(f"{year}-12-31"))]
    homes = access.households(info.code, year)[["hh_id", "head_name"]]
    names = dict(zip(homes.hh_id, homes.head_name, strict=True))
    name_of = projects.set_index("project_id")["name"]
    return pd.DataFrame(
        {
            "project_id": pay.project_id.to_numpy(object),
            "project_name": pay.project_id.map(name_of).to_numpy(object),
            "date": pay.date.dt.strftime("%Y-%m-%d").to_numpy(object),
            "amount": pay.amount.to_numpy(float),
            "hh_id": pay.payee_hh_id.to_numpy(object),
            "head_name": [
                names.get(h, "") if access.scope.pii else mask_name(names.get(h, ""))
                for h in pay.payee_hh_id
            ],
        }
    )


_ENGLISH_VALUES = {**TYPE_KEYS, **STATUS_KEYS}  # 教育 → education, 完工 → completed …


def _english_value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_english_value(v) for v in value)
    return _ENGLISH_VALUES.get(value, str(value)).replace("_", " ")


def english_reason(rule: str, evidence: str) -> str:
    """A hit's reason in English: the rule and its evidence (the stored reason is Chinese)."""
    found = json.loads(evidence) if evidence else {}
    facts = "; ".join(f"{k.replace('_', ' ')} {_english_value(v)}" for k, v in found.items())
    return f"{RULE_NAMES_EN.get(rule, rule)}: {facts}" if facts else RULE_NAMES_EN.get(rule, rule)


def funds_panel(access: ScopedStore, state: ViewState) -> PanelView:
    """The funds panel: allocated vs paid by source (figure), the anomalies with reasons
    (rows), overdue projects and payment rate (note); says so when there is no data."""
    lang = state.lang
    stats = funds_stats(access, state.region, state.year)
    title = t("funds_title", lang)
    if not stats["available"]:
        return PanelView("funds", title, None, note=t("funds_no_data", lang), data=stats)
    report = funds_report(access, state.region, state.year)
    english = lang == "en"
    rows = [
        {
            "rule": RULE_NAMES_EN.get(r.rule, r.rule) if english else r.rule_name,
            "reason": english_reason(r.rule, r.evidence) if english else r.reason,
            "project": r.project_name,
            "date": r.date,
        }
        for r in report.tail(200).iloc[::-1].itertuples()
    ]
    columns = [
        {"name": t("funds_col_rule", lang), "id": "rule"},
        {"name": t("funds_col_reason", lang), "id": "reason"},
        {"name": t("funds_col_project", lang), "id": "project"},
        {"name": t("funds_col_date", lang), "id": "date"},
    ]
    rate = stats["payment_rate_pct"]
    note = t("funds_note", lang).format(
        rate="—" if rate is None else f"{rate:.1f}",
        idle=stats["idle"] / 1e4,
        projects=stats["projects"],
        overdue=stats["projects_overdue"],
        anomalies=stats["anomalies"],
    )
    figure = funds_figure(stats["by_source"], lang=lang)
    return PanelView("funds", title, figure, rows, columns, note, data=stats)


def funds_unit_values(
    access: ScopedStore, region: str, year: int, indicator: Any
) -> dict[str, float | int | None]:
    """A funds indicator (``source="funds"``) for each map unit of ``region`` (its
    children, or itself at a village); None everywhere when the data set has no funds."""
    shapes = access.unit_shapes(region)
    source = funds_source(access.store)
    if not source.available:
        return dict.fromkeys(shapes.codes)
    values = source.counts(list(shapes.codes), access.store.check_year(year))
    return {c: indicator.value(values[c]) for c in shapes.codes}


def project_map_traces(access: ScopedStore, state: ViewState) -> list[dict[str, Any]]:
    """The projects layer of a view: points by status sized by budget, or H3 bubbles where
    dense (:func:`~battlemap.layers.projects.project_layer`)."""
    from battlemap.layers.projects import project_layer

    if not funds_source(access.store).available:
        return []
    frame = project_points(access, state.region, state.year)
    binned = access.region(state.region).level <= 2  # province, city: H3 bubbles
    return project_layer(frame, lang=state.lang, binned=binned) if len(frame) else []


def funds_tiles(access: ScopedStore, state: ViewState) -> list:
    """The KPI warning tile of fund anomalies (none when the data set has no funds)."""
    from battlemap.layers.projects import anomaly_tile

    info = access.region(state.region)
    source = funds_source(access.store)
    if not source.available:
        return []
    years = access.years
    now = source.counts([info.code], state.year)[info.code]["anomalies"]
    before = None
    if state.year != years[0]:
        last = years[years.index(state.year) - 1]
        before = source.counts([info.code], last)[info.code]["anomalies"]
    return [anomaly_tile(int(now), None if before is None else int(before), lang=state.lang)]
