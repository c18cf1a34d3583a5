"""Chart panels of a view: cause bars, trend vs the parent, guarantee radar, early warnings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from battlemap.geodata.access import ScopedStore
from battlemap.i18n import t
from battlemap.indicators.filters import parse_filter
from battlemap.indicators.incidence import incidence_pct
from battlemap.indicators.warning import WARNING_CATEGORIES, warning_metric
from battlemap.layers.causes import cause_bars, cause_label
from battlemap.layers.panelfigures import warnings_figure
from battlemap.layers.radar import DIMENSION_LABELS, radar_figure
from battlemap.layers.trend import trend_figure
from battlemap.views.panel import PanelView
from battlemap.views.summary import summary_of
from battlemap.viewstate import ViewState

__all__ = ["causes_panel", "radar_panel", "trend_panel", "warnings_panel"]

Summary = Mapping[str, Any]


def causes_panel(
    access: ScopedStore, state: ViewState, *, summary: Summary | None = None
) -> PanelView:
    """Poor persons by primary cause (a cause filter keeps its bar red)."""
    summary = summary or summary_of(access, state)
    flt = parse_filter(state.filter)
    selected = flt.value if flt and flt.kind == "cause" else None
    causes = dict(summary["causes"])
    lang = state.lang
    rows = [
        {
            "cause": cause_label(c, lang),
            "persons": int(v),
            "any_persons": summary["causes_any"].get(c),
        }
        for c, v in sorted(causes.items(), key=lambda cv: -cv[1])
    ]
    return PanelView(
        panel="causes",
        title=t("causes", lang),
        figure=cause_bars(causes, lang=lang, selected=selected),
        rows=rows,
        columns=[
            {"name": t("causes", lang), "id": "cause"},
            {"name": t("persons", lang), "id": "persons"},
        ],
        data={"causes": causes, "causes_any": dict(summary["causes_any"]), "selected": selected},
    )


def trend_panel(access: ScopedStore, state: ViewState) -> PanelView:
    """Incidence and poor persons 2014–2020 for the region and its parent."""
    info = access.region(state.region)
    series = access.series(info.code)
    parent = access.parent(info.code)
    parent_series = access.series(parent.code) if parent else None
    incidence = {y: incidence_pct(c) for y, c in series.items()}
    persons = {y: c["poor_persons"] for y, c in series.items()}
    p_incidence = {y: incidence_pct(c) for y, c in parent_series.items()} if parent_series else None
    p_persons = {y: c["poor_persons"] for y, c in parent_series.items()} if parent_series else None
    figure = trend_figure(
        incidence,
        persons,
        parent_incidence=p_incidence,
        parent_persons=p_persons,
        region_name=info.name,
        parent_name=parent.name if parent else "",
        year=state.year,
        lang=state.lang,
    )
    rows = [
        {
            "year": y,
            "incidence_pct": incidence[y],
            "poor_persons": persons[y],
            "parent_incidence_pct": p_incidence.get(y) if p_incidence else None,
            "parent_poor_persons": p_persons.get(y) if p_persons else None,
        }
        for y in sorted(series)
    ]
    lang = state.lang
    return PanelView(
        panel="trend",
        title=t("trend", lang),
        figure=figure,
        rows=rows,
        columns=[
            {"name": t("year", lang), "id": "year"},
            {"name": t("incidence_pct", lang), "id": "incidence_pct"},
            {"name": t("poor_persons", lang), "id": "poor_persons"},
        ],
        data={
            "region": info.name,
            "parent": parent.name if parent else None,
            "incidence": incidence,
            "persons": persons,
            "parent_incidence": p_incidence,
            "parent_persons": p_persons,
        },
    )


def radar_panel(
    access: ScopedStore, state: ViewState, *, summary: Summary | None = None
) -> PanelView:
    """Share of households meeting each guarantee, region vs its parent (percent)."""
    info = access.region(state.region)
    summary = summary or summary_of(access, state)
    parent = access.parent(info.code)
    flt = parse_filter(state.filter)
    region_shares = summary["radar"]
    parent_shares = summary["radar_parent"] if parent else None
    figure = radar_figure(
        region_shares,
        parent_shares,
        region_name=info.name,
        parent_name=parent.name if parent else "",
        lang=state.lang,
        selected=flt.value if flt and flt.kind == "guarantee" else None,
    )
    i = 1 if state.lang == "en" else 0
    rows = [
        {
            "guarantee": DIMENSION_LABELS.get(k, (k, k))[i],
            "region_pct": v,
            "parent_pct": parent_shares.get(k) if parent_shares else None,
        }
        for k, v in region_shares.items()
    ]
    return PanelView(
        panel="radar",
        title=t("radar", state.lang),
        figure=figure,
        rows=rows,
        columns=[
            {"name": t("radar", state.lang), "id": "guarantee"},
            {"name": info.name, "id": "region_pct"},
            {"name": parent.name if parent else t("parent", state.lang), "id": "parent_pct"},
        ],
        data={"region": dict(region_shares), "parent": dict(parent_shares or {}) or None},
    )


def warnings_panel(access: ScopedStore, state: ViewState) -> PanelView:
    """Households and persons at risk of returning to poverty, by warning category."""
    counts = access.counts(state.region, state.year)
    lang = state.lang
    rows = [
        {
            "category": t(f"warning_{c}", lang),
            "households": int(counts[warning_metric(c, "households")]),
            "persons": int(counts[warning_metric(c, "persons")]),
        }
        for c in WARNING_CATEGORIES
    ]
    return PanelView(
        panel="warnings",
        title=t("warnings", lang),
        figure=warnings_figure({r["category"]: r["households"] for r in rows}, lang=lang),
        rows=rows,
        columns=[
            {"name": t("warnings", lang), "id": "category"},
            {"name": t("households_unit", lang), "id": "households"},
            {"name": t("persons", lang), "id": "persons"},
        ],
        data={
            "households": {
                c: r["households"] for c, r in zip(WARNING_CATEGORIES, rows, strict=True)
            },
            "persons": {c: r["persons"] for c, r in zip(WARNING_CATEGORIES, rows, strict=True)},
        },
    )
