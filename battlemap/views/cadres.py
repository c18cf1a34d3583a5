"""Cadre views (issue 15): a region's cadre detail under the caller's scope, the cadres
panel of the county and village views, the check-in layer's rows, the household table's
helper and last-visit columns.

Everything reads through a :class:`~battlemap.geodata.access.ScopedStore`: the region is
scope-checked, cadre names are masked like household heads (``mask_name``) unless the scope
grants personal data, and a scope without household rights gets no household, visit or
cadre row (the unit table only).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from battlemap.geodata.access import ScopedStore, mask_name
from battlemap.geodata.cadre_tables import ROLE_HELPER, ROLE_SECRETARY, ROLE_TEAM
from battlemap.geodata.cadres_store import EmbeddedCadres, cadre_source
from battlemap.geodata.codes import PREFIX_LENGTHS
from battlemap.i18n import t
from battlemap.indicators import cadres as ind
from battlemap.indicators.cadre_report import CadreDetail, iso_days, region_detail
from battlemap.layers.checkins import checkin_traces, score_bars
from battlemap.views.cache import ViewCache
from battlemap.views.panel import PanelView
from battlemap.viewstate import ViewState

__all__ = [
    "CADRE_PANEL_COLUMNS",
    "PANEL_LEVELS",
    "UNIT_PANEL_COLUMNS",
    "add_cadre_columns",
    "cadre_detail",
    "cadres_panel",
    "checkin_layer",
    "checkin_rows",
    "household_cadre_columns",
]

# whole region details by cadre source (so by store: a reopened store starts afresh)
_DETAILS: weakref.WeakKeyDictionary[Any, ViewCache] = weakref.WeakKeyDictionary()
DETAIL_CACHE_ENTRIES = 8  # a county's is tens of MB
DETAIL_CACHE_BYTES = 64 * 2**20  # of memory held by the details (views/cache.held_bytes)
# a county's detail takes ~0.2 s of one core and ~30 MB while it is built: one at a time per
# process, so several at once neither stack their memory nor starve the process's other
# requests of the interpreter (the others wait without holding it)
DETAIL_BUILDS_AT_ONCE = 1
_DETAIL_BUILDS = threading.BoundedSemaphore(DETAIL_BUILDS_AT_ONCE)
PANEL_LEVELS = (3, 5)  # the cadres panel belongs to the county and village views
# the cadre table's columns (cadre rows; unit totals for roles without household rights)
CADRE_PANEL_COLUMNS = ("name", "role", "unit", "households", "last_visit", "visits",
                       "households_warning", "score", "problems")  # fmt: skip
UNIT_PANEL_COLUMNS = ("unit", "cadres", "households", "visits", "households_exited",
                      "households_warning", "score")  # fmt: skip


def _t(key: str, lang: str) -> str:
    return t(f"cadre_{key}", lang)


def cadre_detail(
    access: ScopedStore, code: str, year: int, *, unit: str | None = None
) -> CadreDetail:
    """The region's cadre detail (households, cadres, units, problems) as the scope allows;
    ``unit`` keeps one 帮扶单位's cadres and their problems."""
    info = access.region(code)
    store = access.store
    year = store.check_year(year)
    source = cadre_source(store)

    def compute() -> CadreDetail:
        with _DETAIL_BUILDS:
            frames = source.frames(info.code, year)
            return region_detail(
                frames, year, source.rules, has_data=source.has_data,
                wrong_exit=_wrong_exits(store, info.code, year, frames) if source.has_data
                else None,
            )  # fmt: skip

    # the whole detail (before the scope's cuts and masks below) is the same for every user:
    # the cadres panel and the household table of one view compute it once (issue 19)
    # (embedded only: its arrays are read once per store anyway; PostGIS reads afresh)
    if isinstance(source, EmbeddedCadres):
        details = _DETAILS.get(source)
        if details is None:
            cache = ViewCache(DETAIL_CACHE_ENTRIES, DETAIL_CACHE_BYTES)
            details = _DETAILS.setdefault(source, cache)
        detail = details.get((info.code, year), compute)
    else:
        detail = compute()
    if unit is not None:
        keep = detail.cadres["unit"] == unit
        ids = set(detail.cadres.loc[keep, "cadre_id"])
        detail = replace(
            detail,
            cadres=detail.cadres[keep].reset_index(drop=True),
            units=detail.units[detail.units["unit"] == unit].reset_index(drop=True),
            problems=detail.problems[detail.problems["cadre_id"].isin(ids)].reset_index(drop=True),
            households=detail.households[detail.households["helper_id"].isin(ids)].reset_index(
                drop=True
            ),
        )
    if not access.scope.households:
        return replace(
            detail,
            households=detail.households.iloc[:0],
            cadres=detail.cadres.iloc[:0],
            problems=detail.problems.iloc[:0],
        )
    if not access.scope.pii:
        masked = [mask_name(n) for n in detail.cadres["name"].tolist()]
        detail = replace(detail, cadres=detail.cadres.assign(name=masked))
    return detail


ROLE_NAMES_EN = {
    ROLE_SECRETARY: "First secretary",
    ROLE_TEAM: "Work team member",
    ROLE_HELPER: "Helper",  # as the household table's column (a short cell: 9 columns)
}


def cadres_panel(access: ScopedStore, state: ViewState, **_: Any) -> PanelView:
    """The cadres panel: helpers, households each carries, last visit, score, problems (a
    county or village view; a note elsewhere), and a bar chart of the scores."""
    lang = state.lang
    info = access.region(state.region)
    title = _t("title", lang)
    if info.level not in PANEL_LEVELS:
        return PanelView("cadres", title, note=_t("level", lang))
    detail = cadre_detail(access, info.code, state.year)
    if not detail.has_data:
        return PanelView("cadres", title, note=_t("no_data", lang), data={"has_data": False})
    keys = CADRE_PANEL_COLUMNS
    columns = [{"name": _t(k, lang), "id": k} for k in keys]
    posted = detail.cadres[detail.cadres["in_post"]]
    posted = posted.sort_values(["score", "cadre_id"], ascending=[False, True], kind="stable")
    rows = [
        {k: (None if pd.isna(v) else v) for k, v in row.items()}
        for row in posted[list(keys)].to_dict("records")
    ]
    if lang == "en":  # the stored role is the Chinese title
        for row in rows:
            row["role"] = ROLE_NAMES_EN.get(row["role"], row["role"])
    kinds = detail.problems["kind"].value_counts()
    note = _t("note", lang).format(
        n=len(posted),
        over=int(kinds.get("helper_over_limit", 0)),
        late=int(kinds.get("not_visited", 0)),
        far=int(kinds.get("far_checkin", 0)),
        rate=_rate(detail.summary.get("visits_per_household_per_month")),
    )
    if not access.scope.households:
        note = _t("aggregates", lang)
        columns = [{"name": _t(k, lang), "id": k} for k in UNIT_PANEL_COLUMNS]
        rows = detail.units[[c["id"] for c in columns]].to_dict("records")
        figure = None
    else:
        figure = score_bars(posted["name"].tolist(), posted["score"].tolist(), lang=lang)
    return PanelView(
        "cadres",
        title,
        figure=figure,
        rows=rows,
        columns=columns,
        note=note,
        data={"has_data": True, "problems": len(detail.problems)},
    )


def checkin_rows(access: ScopedStore, code: str, year: int) -> pd.DataFrame:
    """The check-in layer's rows: visits of the year to the region's households (check-in
    point, kind, household point, far flag and distance). Needs household rights."""
    info = access.require_households(code)
    source = cadre_source(access.store)
    frames = source.frames(info.code, access.store.check_year(year))
    v = frames.visits
    v = v[v["hh_village_code"].between(*_range(info.code))].reset_index(drop=True)
    distance = ind.haversine_m(v["lon"], v["lat"], v["hh_lon"], v["hh_lat"])
    return v.assign(
        distance_m=np.asarray(distance, dtype=float),
        far=np.asarray(distance, dtype=float) > source.rules.far_checkin_m,
        date=[ind.day_iso(d) for d in v["day"]],
    )


def household_cadre_columns(access: ScopedStore, code: str, year: int) -> pd.DataFrame:
    """``hh_id``, ``helper`` (masked like household heads) and ``last_visit`` (in the year)
    of the region's registered households in ``year``, for the household table."""
    detail = cadre_detail(access, code, year)
    names = dict(zip(detail.cadres["cadre_id"], detail.cadres["name"], strict=True))
    h = detail.households
    return pd.DataFrame(
        {
            "hh_id": h["hh_id"],
            "helper": [names.get(c) if c else None for c in h["helper_id"]],
            "last_visit": iso_days(h["last_visit_day"].to_numpy()),
        }
    )


def _range(code: str) -> tuple[str, str]:
    from battlemap.geodata.features import code_range

    return code_range(code)


def checkin_layer(access: ScopedStore, code: str, year: int, *, lang: str = "zh") -> list:
    """The check-in layer's map traces (none without cadre data)."""
    if not cadre_source(access.store).has_data:
        return []
    return checkin_traces(checkin_rows(access, code, year), lang=lang)


def add_cadre_columns(
    access: ScopedStore, state: ViewState, rows: list[dict], columns: list[dict]
) -> list[dict]:
    """The household table's rows get ``helper`` and ``last_visit`` (in place) and the
    columns two headers; unchanged without cadre data."""
    if not rows or not cadre_source(access.store).has_data:
        return columns
    extra = household_cadre_columns(access, state.region, state.year)
    helper = dict(zip(extra["hh_id"], extra["helper"], strict=True))
    last = dict(zip(extra["hh_id"], extra["last_visit"], strict=True))
    for row in rows:
        row["helper"] = helper.get(row["hh_id"]) or ""
        row["last_visit"] = last.get(row["hh_id"]) or ""
    lang = state.lang
    return [
        *columns,
        {"name": _t("helper", lang), "id": "helper"},
        {"name": _t("last_visit", lang), "id": "last_visit"},
    ]


SCORE_FROM_LEVEL = 3  # the score map needs a region's cadre detail: county and below
_SCORE_CACHE_ENTRIES = 256


def cadre_unit_values(
    access: ScopedStore, region: str, year: int, indicator, codes: tuple[str, ...]
) -> dict[str, float | int | None]:
    """The cadre indicator's value per map unit (``codes``: the children, or the region
    itself at a village): the cadres counts, and for ``cadre_score`` the mean 记工分 of
    the unit's cadres in post (county and below; None above, and without cadre data)."""
    info = access.region(region)
    source = cadre_source(access.store)
    if not source.has_data:
        return dict.fromkeys(codes)
    counts = source.counts_many(list(codes), access.store.check_year(year))
    if indicator.key == "cadre_score":
        scores = _unit_scores(access, info, year, codes)
        counts = {c: {**counts[c], "score": scores.get(c)} for c in codes}
    return {c: indicator.value(counts[c]) for c in codes}


def _unit_scores(access: ScopedStore, info, year: int, codes) -> dict[str, float]:
    if info.level < SCORE_FROM_LEVEL:
        return {}
    source = cadre_source(access.store)
    cache: dict = source.__dict__.setdefault("_unit_scores", {})
    key = (info.code, int(year))
    if key not in cache:
        detail = region_detail(source.frames(info.code, year), year, source.rules)
        posted = detail.cadres[detail.cadres["in_post"]]
        length = PREFIX_LENGTHS[min(info.level + 1, 5)] if codes != (info.code,) else 12
        unit = posted["village_code"].str[:length].str.ljust(12, "0")
        means = posted["score"].groupby(unit.to_numpy()).mean().round(1)
        if len(cache) >= _SCORE_CACHE_ENTRIES:
            cache.clear()
        cache[key] = {str(k): float(v) for k, v in means.items()}
    return cache[key]


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _wrong_exits(store, code: str, year: int, frames) -> np.ndarray:
    """Per row of ``frames.households``: marked 已脱贫 without passing the exit rule in
    ``year`` under the store's rules (the ``wrong_exit_households`` definition)."""
    from battlemap.geodata.features import met_column
    from battlemap.geodata.schema import STATUS_EXITED
    from battlemap.indicators.household import passes_exit
    from battlemap.indicators.rules import GUARANTEES

    rows = store.households(code, year)
    met = {g: rows[met_column(g)].to_numpy(bool) for g in GUARANTEES}
    wrong = (rows["status"].to_numpy(object) == STATUS_EXITED) & ~passes_exit(met, store.rules)
    # plain object indexes: pandas would otherwise build Arrow string arrays of the IDs
    # first (0.4 s of a county's 0.7 s)
    known = pd.Index(rows["hh_id"].to_numpy(object), dtype=object)
    at = known.get_indexer(pd.Index(frames.households["hh_id"].to_numpy(object), dtype=object))
    return (at >= 0) & wrong[np.maximum(at, 0)] if len(wrong) else np.zeros(len(at), bool)
