"""A region's cadre detail for one year (issue 15): per household, cadre, unit and child
region, with every problem and its reason. Pure: frames in (a store's
:class:`~battlemap.geodata.cadres_store.CadreFrames`), frames out.

Counted on 31 December: a household's helper is the assignment covering that day, a cadre's
load the households assigned to it that day; visits are those dated in the year (the
``not_visited_days`` window, at most 365 days, lies inside it).

Cadres (within their county), units (帮扶单位) and child regions are ranked by the exit
outcomes of the households they help (:data:`OUTCOME_ORDER`): most exited that year, then
fewest wrong exits, fewest early-warning households, fewest returned, then the (mean) score.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from battlemap.geodata.schema import POOR_STATUSES, STATUS_EXITED, STATUS_RETURNED
from battlemap.indicators import cadres as ind
from battlemap.indicators.cadre_rules import CadreRules

__all__ = [
    "OUTCOME_COLUMNS",
    "OUTCOME_ORDER",
    "PROBLEM_COLUMNS",
    "CadreDetail",
    "region_detail",
    "region_ranking",
    "unit_ranking",
]

PROBLEM_COLUMNS = ("kind", "reason", "cadre_id", "hh_id", "visit_ids", "date", "village_code")
# Exit outcomes of the households a cadre helps on 31 December, counted per cadre and summed
# per unit and region: exited that year (未脱贫/返贫 → 已脱贫), wrong exits (已脱贫 without
# passing the exit rule; the store's ``wrong_exit_households``), early-warning households
# (the store's ``warning_households_*``), returned (已脱贫 → 返贫).
OUTCOME_COLUMNS = (
    "households_exited",
    "households_wrong_exit",
    "households_warning",
    "households_returned",
)
# The ranking order, best first: (column, ascending).
OUTCOME_ORDER: tuple[tuple[str, bool], ...] = (
    ("households_exited", False),
    ("households_wrong_exit", True),
    ("households_warning", True),
    ("households_returned", True),
    ("score", False),
)


@dataclass
class CadreDetail:
    """Tables of one region and year (empty frames when there is no cadre data)."""

    year: int
    households: pd.DataFrame  # registered households: poor, helper, last visit, problems
    cadres: pd.DataFrame  # cadres of the region: load, visits, outcomes, score, rank in county
    units: pd.DataFrame  # 帮扶单位 ranked by the exit outcomes (OUTCOME_ORDER)
    problems: pd.DataFrame  # PROBLEM_COLUMNS, one row per problem
    has_data: bool = True
    rules: dict = field(default_factory=dict)
    # poor households, the year's visits to them, visits per poor household per month
    summary: dict = field(default_factory=dict)


def _km(value: float) -> str:
    return f"{value:,.0f}"


def region_detail(
    frames,
    year: int,
    rules: CadreRules,
    *,
    has_data: bool = True,
    wrong_exit: np.ndarray | None = None,
) -> CadreDetail:
    """Households, cadres, units and problems of a region in ``year`` (see module doc).

    ``wrong_exit``: per row of ``frames.households``, marked 已脱贫 without passing the
    exit rule that year (错退; the store's ``wrong_exit_households`` definition); counted per
    cadre and unit and used in the rankings when given. Early warnings come from the
    households frame's ``warning`` column (the store's early-warning category)."""
    day = ind.year_end_day(year)
    hh, cad, asg, vis = frames.households, frames.cadres, frames.assignments, frames.visits
    n, m = len(hh), len(cad)
    positions = getattr(frames, "positions", None) or {}
    hh_index = pd.Index(hh["hh_id"].to_numpy(object))
    cad_ids = cad["cadre_id"].to_numpy(object)
    cad_index = pd.Index(cad_ids)
    asg_cadre = asg["cadre_id"].to_numpy(object)
    a_hh, a_cad = _positions(positions.get("assignments"), asg, hh_index, cad_index)
    ext = np.sort(pd.unique(asg_cadre[a_cad < 0]))  # helpers registered outside the region
    all_ids = pd.Index(np.concatenate([cad_ids, ext]).astype(object))
    if len(ext):
        outside = a_cad < 0
        a_cad[outside] = all_ids.get_indexer(asg_cadre[outside])
    a_start = asg["start_day"].to_numpy(np.int64)
    a_end = asg["end_day"].to_numpy(np.int64)
    ok = (a_hh >= 0) & (a_cad >= 0)
    helper = ind.helper_of(n, a_hh[ok], a_cad[ok], a_start[ok], a_end[ok], day)
    loads = ind.helper_loads(len(all_ids), a_cad[ok], a_start[ok], a_end[ok], day)

    status = hh["status"].to_numpy(object)
    prev = hh["prev_status"].to_numpy(object)
    poor = _any_of(status, POOR_STATUSES)  # elementwise: np.isin sorts object arrays
    exited = (status == STATUS_EXITED) & _any_of(prev, POOR_STATUSES)
    returned = (status == STATUS_RETURNED) & (prev == STATUS_EXITED)
    if "warning" in hh:
        warning = hh["warning"].to_numpy(object)
        warned = pd.notna(warning)
    else:  # frames without the column: no early warning known
        warning, warned = np.full(n, None, dtype=object), np.zeros(n, dtype=bool)

    vis_cadre = vis["cadre_id"].to_numpy(object)
    v_hh, v_cad = _positions(positions.get("visits"), vis, hh_index, cad_index)
    if len(ext):
        outside = v_cad < 0
        v_cad[outside] = all_ids.get_indexer(vis_cadre[outside])
    v_day = vis["day"].to_numpy(np.int64)
    group_cad = v_cad.astype(np.int64).copy()  # outside cadres numbered after the known ones
    outside = v_cad < 0
    if outside.any():
        group_cad[outside] = len(all_ids) + pd.factorize(vis_cadre[outside])[0]
    checks = ind.visit_checks(
        vis["visit_id"].to_numpy(np.int64),
        group_cad,
        v_day,
        vis["lon"].to_numpy(float),
        vis["lat"].to_numpy(float),
        vis["hh_lon"].to_numpy(float),
        vis["hh_lat"].to_numpy(float),
        rules,
    )
    local = v_hh >= 0
    last = ind.last_visit(n, v_hh[local], v_day[local], day)
    late = poor & ind.not_visited(last, day, rules)

    # -- problems ------------------------------------------------------------------------
    problems: list[dict] = []
    iso = ind.day_iso(day)
    codes = hh["village_code"].to_numpy(object)
    ids = hh["hh_id"].to_numpy(object)
    for i in np.nonzero(poor & (helper < 0))[0]:
        problems.append(
            _problem(
                "without_helper",
                "无帮扶责任人（12月31日无结对干部）",
                None,
                ids[i],
                [],
                iso,
                codes[i],
            )
        )
    for i in np.nonzero(late)[0]:
        seen = ind.day_iso(last[i]) if last[i] >= 0 else "本年无走访"
        problems.append(
            _problem(
                "not_visited",
                f"超期未走访（{rules.not_visited_days} 天内无走访，最近：{seen}）",
                all_ids[helper[i]] if helper[i] >= 0 else None,
                ids[i],
                [],
                iso,
                codes[i],
            )
        )
    cad_village = np.concatenate([cad["village_code"].to_numpy(object), np.full(len(ext), None)])
    for c in np.nonzero(loads > rules.max_households)[0]:
        if c < m:
            problems.append(
                _problem(
                    "helper_over_limit",
                    f"帮扶户数超限（{loads[c]} 户 > {rules.max_households} 户）",
                    all_ids[c],
                    None,
                    [],
                    iso,
                    cad_village[c],
                )
            )
    vid = vis["visit_id"].to_numpy(np.int64)
    vcad = vis["cadre_id"].to_numpy(object)
    vhh = vis["hh_id"].to_numpy(object)
    hv = vis["hh_village_code"].to_numpy(object)
    for k in np.nonzero(checks.far & local)[0]:
        problems.append(
            _problem(
                "far_checkin",
                f"未真正入户（签到点距农户 {_km(checks.distance_m[k])} 米 > "
                f"{rules.far_checkin_m:g} 米）",
                vcad[k],
                vhh[k],
                [int(vid[k])],
                ind.day_iso(v_day[k]),
                hv[k],
            )
        )
    own = (v_cad >= 0) & (v_cad < m)
    sel = checks.impossible & own
    trips = pd.DataFrame(
        {"cadre": pd.Series(vcad[sel], dtype=object), "day": v_day[sel], "id": vid[sel],
         "km": checks.travel_km[sel], "c": v_cad[sel]}
    )  # fmt: skip
    for (cadre_id, d), group in trips.groupby(["cadre", "day"], sort=True):
        c = int(group["c"].iloc[0])
        problems.append(
            _problem(
                "impossible_travel",
                f"轨迹异常（同日签到相距 {_km(group.km.max())} 公里 > "
                f"{rules.impossible_travel_km:g} 公里）",
                cadre_id,
                None,
                sorted(int(x) for x in group.id),
                ind.day_iso(d),
                cad_village[c],
            )
        )
    problem_frame = pd.DataFrame(problems, columns=list(PROBLEM_COLUMNS))
    problem_frame = problem_frame.sort_values(
        ["kind", "village_code", "cadre_id", "hh_id"], kind="stable", na_position="first"
    )

    # -- per cadre -----------------------------------------------------------------------
    kind_codes, kind_names = pd.factorize(vis["kind"].to_numpy(object))
    kind_w = np.asarray([rules.score.per_kind.get(k, 0.0) for k in kind_names] + [0.0])
    kind_w = kind_w[kind_codes]
    k = len(all_ids)
    vc = np.where(v_cad >= 0, v_cad, 0)
    weight = np.where(v_cad >= 0, 1.0, 0.0)
    visits_n = np.bincount(vc, weights=weight, minlength=k)
    far_n = np.bincount(vc, weights=weight * checks.far, minlength=k)
    points = np.bincount(vc, weights=weight * kind_w * ~checks.far, minlength=k)
    trip_days = np.zeros(k)
    if len(trips):
        per = trips.groupby("c")["day"].nunique()
        trip_days[per.index.to_numpy(np.int64)] = per.to_numpy()
    helped = helper >= 0
    hc = np.where(helped, helper, 0)
    late_n = np.bincount(hc, weights=helped & late, minlength=k)
    exit_n = np.bincount(hc, weights=helped & exited, minlength=k)
    ret_n = np.bincount(hc, weights=helped & returned, minlength=k)
    wrong = np.zeros(n, dtype=bool) if wrong_exit is None else np.asarray(wrong_exit, bool)
    wrong_n = np.bincount(hc, weights=helped & wrong, minlength=k)
    warn_n = np.bincount(hc, weights=helped & warned, minlength=k)
    poor_n = np.bincount(hc, weights=helped & poor, minlength=k)
    score = ind.score(points, far_n, trip_days, late_n, exit_n, rules)
    in_post = ind.active_on(
        cad["start_day"].to_numpy(np.int64), cad["end_day"].to_numpy(np.int64), day
    )
    by_cadre = problem_frame.dropna(subset=["cadre_id"]).groupby("cadre_id")["reason"]
    reasons = by_cadre.agg(lambda r: "；".join(dict.fromkeys(x.split("（")[0] for x in r)))
    cadre_frame = _objects(
        {
            "cadre_id": cad["cadre_id"].to_numpy(object),
            "name": cad["name"].to_numpy(object),
            "unit": cad["unit"].to_numpy(object),
            "unit_level": cad["unit_level"].to_numpy(object),
            "role": cad["role"].to_numpy(object),
            "village_code": cad["village_code"].to_numpy(object),
            "in_post": in_post,
            "households": loads[:m].astype(np.int64),
            "poor_households": poor_n[:m].astype(np.int64),
            "visits": visits_n[:m].astype(np.int64),
            "far_checkins": far_n[:m].astype(np.int64),
            "impossible_travel_days": trip_days[:m].astype(np.int64),
            "households_not_visited": late_n[:m].astype(np.int64),
            "households_exited": exit_n[:m].astype(np.int64),
            "households_returned": ret_n[:m].astype(np.int64),
            "households_wrong_exit": wrong_n[:m].astype(np.int64),
            "households_warning": warn_n[:m].astype(np.int64),
            "score": score[:m],
        }
    )
    last_day = np.full(k, -1, dtype=np.int64)
    np.maximum.at(last_day, vc[v_cad >= 0], v_day[v_cad >= 0])
    cadre_frame["last_visit"] = iso_days(last_day[:m])
    reason_of = reasons.to_dict()
    cadre_frame["problems"] = pd.Series([reason_of.get(c, "") for c in cad_ids], dtype=object)
    posted = cadre_frame["in_post"].to_numpy(bool)
    cadre_frame["rank_in_county"] = _rank_within(
        cadre_frame[posted], cadre_frame.loc[posted, "village_code"].str[:6]
    ).reindex(cadre_frame.index, fill_value=0)
    units = unit_ranking(cadre_frame)

    id_array = np.asarray(all_ids, dtype=object)
    households = _objects(
        {
            "hh_id": ids,
            "village_code": codes,
            "status": status,
            "poor": poor,
            "helper_id": np.where(helper >= 0, id_array[np.maximum(helper, 0)], None)
            if len(id_array)
            else np.full(n, None, dtype=object),
            "last_visit_day": last,  # day number, −1 none (iso_days() for text)
            "without_helper": poor & (helper < 0),
            "not_visited": late,
            "warning": warning,  # early-warning category, None: not at risk
        }
    )
    # visits per poor household per month: the year's visits to households poor at its end
    to_poor = int((local & poor[np.maximum(v_hh, 0)]).sum())
    summary = {
        "poor_households": int(poor.sum()),
        "warning_households": int(warned.sum()),
        "visits_to_poor_households": to_poor,
        "visits_per_household_per_month": round(to_poor / int(poor.sum()) / 12, 3)
        if poor.any()
        else None,
    }
    return CadreDetail(
        int(year),
        households,
        cadre_frame,
        units,
        problem_frame.reset_index(drop=True),
        has_data,
        summary=summary,
    )


def _any_of(values: np.ndarray, choices: tuple[str, ...]) -> np.ndarray:
    out = np.zeros(len(values), dtype=bool)
    for choice in choices:
        out |= values == choice
    return out


def _objects(columns: dict) -> pd.DataFrame:
    """A frame whose text columns stay plain ``object`` (no conversion to Arrow strings)."""
    return pd.DataFrame(
        {
            k: pd.Series(v, dtype=object)
            if isinstance(v, np.ndarray) and v.dtype == object
            else pd.Series(v)
            for k, v in columns.items()
        }
    )


def _positions(given, frame: pd.DataFrame, hh_index: pd.Index, cad_index: pd.Index):
    """(household row, cadre row) per row of ``frame`` (−1 when absent): the engine's
    positions when it gave them, else joined by ID."""
    if given is not None:
        return given[0].copy(), given[1].copy()
    return (
        hh_index.get_indexer(frame["hh_id"].to_numpy(object)),
        cad_index.get_indexer(frame["cadre_id"].to_numpy(object)),
    )


def iso_days(days: np.ndarray) -> np.ndarray:
    """Day numbers as ``YYYY-MM-DD`` strings (object array), None for −1 (vectorised)."""
    days = np.asarray(days, dtype=np.int64)
    text = days.astype("datetime64[D]").astype(str).astype(object)
    text[days < 0] = None
    return text


def _problem(kind, reason, cadre_id, hh_id, visit_ids, date, village_code) -> dict:
    return {
        "kind": kind,
        "reason": reason,
        "cadre_id": cadre_id,
        "hh_id": hh_id,
        "visit_ids": visit_ids,
        "date": date,
        "village_code": village_code,
    }


def region_ranking(cadres: pd.DataFrame, prefix_length: int) -> pd.DataFrame:
    """Child regions (cadres grouped by the first ``prefix_length`` digits of their village
    code) ranked by the exit outcomes of the households their cadres in post help
    (:data:`OUTCOME_ORDER`, then code)."""
    code = cadres["village_code"].str[:prefix_length].str.ljust(12, "0")
    return _ranked(cadres.assign(code=code.to_numpy(object)), ["code"])


def unit_ranking(cadres: pd.DataFrame) -> pd.DataFrame:
    """帮扶单位 (unit and level) ranked by the exit outcomes of the households their cadres
    in post help (:data:`OUTCOME_ORDER`, then unit name)."""
    return _ranked(cadres, ["unit", "unit_level"])


def _ranked(cadres: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Cadres in post grouped by ``keys``: counts and outcome sums, mean score, ``rank``
    1… by :data:`OUTCOME_ORDER` then the first key (no ties)."""
    posted = cadres[cadres["in_post"].to_numpy(bool)]
    out = (
        posted.assign(has_problem=posted["problems"].to_numpy(object) != "")
        .groupby(keys, sort=True)
        .agg(
            cadres=("cadre_id", "size"),
            households=("households", "sum"),
            visits=("visits", "sum"),
            **{c: (c, "sum") for c in OUTCOME_COLUMNS},
            problems=("has_problem", "sum"),
            score=("score", "mean"),
        )
        .reset_index()
    )
    out["score"] = out["score"].round(2)
    out = out.sort_values(
        [c for c, _ in OUTCOME_ORDER] + keys[:1],
        ascending=[a for _, a in OUTCOME_ORDER] + [True],
        kind="stable",
    ).reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def _rank_within(cadres: pd.DataFrame, group: pd.Series) -> pd.Series:
    """Rank (1 best) of each cadre within its ``group`` by :data:`OUTCOME_ORDER`; cadres
    equal on every outcome and score share the best rank of their run (``min``)."""
    columns = [c for c, _ in OUTCOME_ORDER]
    keys = cadres[columns].assign(_group=group.to_numpy(object))
    order = keys.sort_values(
        ["_group", *columns], ascending=[True, *(a for _, a in OUTCOME_ORDER)], kind="stable"
    )
    first = order.ne(order.shift()).any(axis=1)  # a new group or other outcomes
    position = order.groupby("_group", sort=False).cumcount() + 1
    return position.where(first).ffill().astype(np.int64).reindex(cadres.index)
