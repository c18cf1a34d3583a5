"""Synthetic cadres (帮扶干部), household assignments and visit logs (帮扶日志).

Density as the programme had it: every poverty village (贫困村) gets a first secretary
(第一书记, rotated mid-2017) and two work-team members (驻村工作队员); every household of the
register gets a responsible helper (帮扶责任人) who carries 5–10 households of one village, from
1 January of the household's registration year (about one helper in ten is replaced on a
random day of 2016–2019 by a colleague of the same unit). Helpers log a visit to each poor
household every 21–81 days while it is poor, more often around the Spring Festival and the
year-end review, less in the farming season, from 2016 (the year the logging app came in),
checking in within ~150 m of the household. The random stream is the generator's own
(``[seed, 15]``), so every other table is unchanged.

A small set of problems is planted in :data:`PLANT_YEAR` and returned (the manifest's
``cadre_problems``): far check-ins, impossible travel, helpers over the limit, poor
households without a helper on 31 December and households not visited in the last 90 days.
Nothing else in the generated data breaks a ``[cadres]`` rule of the shipped rules file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from battlemap.geodata.cadre_tables import (
    CADRE_SCHEMAS,
    ROLE_HELPER,
    ROLE_SECRETARY,
    ROLE_TEAM,
    VISIT_KINDS,
)
from battlemap.geodata.synthetic.names import person_names

__all__ = ["PLANT_YEAR", "VISITS_FROM", "CadreData", "cadre_tables"]

PLANT_YEAR = 2018
VISITS_FROM = 2016
_EPOCH = dt.date(1970, 1, 1)
_M_PER_DEG = 111_195.0  # metres per degree of latitude (mean Earth radius 6371.0088 km)

_PROVINCE_UNITS = ("财政厅", "农业农村厅", "交通运输厅", "卫生健康委", "教育厅", "水利厅",
                   "人力资源社会保障厅", "住房城乡建设厅", "自然资源厅", "民政厅")  # fmt: skip
_CITY_UNITS = ("农业农村局", "卫生健康局", "教育局", "财政局", "交通运输局")
_COUNTY_UNITS = ("扶贫办", "农业农村局", "教育局", "卫生健康局", "人社局", "水务局", "民政局",
                 "财政局", "住建局", "自然资源局")  # fmt: skip
_ENTERPRISES = ("电网公司", "移动分公司", "农村信用社", "交通投资集团", "烟草公司", "邮政分公司")
_KIND_P = (0.55, 0.15, 0.1, 0.1, 0.05, 0.05)
# Seasonal rhythm: the gap to the next visit (35–65 days) times this factor, by the month
# of the last visit: frequent around the Spring Festival (Jan–Feb: 走访慰问) and the
# year-end review (Nov–Dec: 年终核查), sparse in the farming season (May–Aug). The longest
# gap, 65 × 1.25 ≈ 81 days, stays inside the rules' 90-day window.
_SEASON = np.asarray([0.6, 0.6, 0.9, 0.9, 1.25, 1.25, 1.25, 1.25, 0.9, 0.9, 0.6, 0.6])
_MONTH_OF_DAY = np.repeat(np.arange(12), [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_NOTES = {
    "走访": ("了解家庭收支情况", "核实家庭人口变化", "宣讲扶贫政策", "填写帮扶手册"),
    "政策落实": ("落实医疗保险参保", "落实教育资助", "核对低保待遇", "落实危房改造补助"),
    "产业帮扶": ("发放种苗", "指导养殖技术", "联系合作社入股分红", "协调产业奖补"),
    "就业帮扶": ("推荐外出务工岗位", "报名技能培训", "落实公益性岗位"),
    "就医就学协调": ("协调住院报销", "联系学校落实资助", "办理慢病卡"),
    "其他": ("节日慰问", "协助办理证件"),
}


@dataclass
class CadreData:
    """The three tables (Arrow) and the planted problems."""

    cadres: pa.Table
    assignments: pa.Table
    visits: pa.Table
    problems: dict[str, Any]


def _day(year: int, month: int = 1, day: int = 1) -> int:
    return (dt.date(year, month, day) - _EPOCH).days


def _iso(day: int) -> str:
    return (_EPOCH + dt.timedelta(days=int(day))).isoformat()


def _dates(days: np.ndarray) -> pa.Array:
    """Day numbers (−1 = open) as a date32 array with nulls."""
    days = np.asarray(days, dtype=np.int32)
    return pa.array(days, type=pa.int32(), mask=days < 0).cast(pa.date32())


def _units(rng, n, county_codes, names, level_p) -> tuple[np.ndarray, np.ndarray]:
    """Unit name and level per cadre, drawn by level from the cadre's own county up."""
    levels = np.asarray(["省直", "市直", "县直", "乡镇", "企业"])
    level = rng.choice(5, size=n, p=level_p)
    province = names.get(county_codes[0][:2].ljust(12, "0"), "省")[:2]
    out = np.empty(n, dtype=object)
    pick = rng.integers(0, 1000, n)
    for i in range(n):
        county = county_codes[i]
        lv = level[i]
        if lv == 0:
            out[i] = f"{province}省{_PROVINCE_UNITS[pick[i] % len(_PROVINCE_UNITS)]}"
        elif lv == 1:
            out[i] = f"{names[county[:4].ljust(12, '0')]}{_CITY_UNITS[pick[i] % len(_CITY_UNITS)]}"
        elif lv == 2:
            out[i] = (
                f"{names[county[:6].ljust(12, '0')]}{_COUNTY_UNITS[pick[i] % len(_COUNTY_UNITS)]}"
            )
        elif lv == 3:
            out[i] = f"{names[county[:9].ljust(12, '0')]}人民政府"
        else:
            out[i] = f"{province}{_ENTERPRISES[pick[i] % len(_ENTERPRISES)]}"
    return out, levels[level]


def _unit_cache(rng, codes: np.ndarray, names: dict[str, str], level_p) -> tuple:
    """Units for many cadres, drawn per distinct village then repeated (fast for 300 k)."""
    unique, inverse = np.unique(codes, return_inverse=True)
    slots = 8  # a village's helpers come from at most 8 units
    u_names, u_levels = _units(rng, len(unique) * slots, np.repeat(unique, slots), names, level_p)
    choice = inverse * slots + rng.integers(0, slots, len(codes))
    return u_names[choice], u_levels[choice]


def cadre_tables(
    seed: int,
    hh_id: pa.Array,
    village: np.ndarray,
    village_codes: np.ndarray,
    poor_village: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    registered_year: np.ndarray,
    status: np.ndarray,
    years: tuple[int, ...],
    names: dict[str, str],
) -> CadreData:
    """Cadres, assignments and visits for the households (index = household).

    ``village``: each household's index into ``village_codes`` (households sorted by it);
    ``status``: [household, year] status codes (0 未脱贫, 1 已脱贫, 2 返贫, −1 not registered);
    ``names``: region code → name (prefectures, counties, townships) for unit names.
    """
    rng = np.random.default_rng([seed, 15])
    n = len(village)
    reg_day = np.asarray([_day(int(y)) for y in range(1990, 2101)])[registered_year - 1990]

    # -- helpers: consecutive runs of 5–10 households of one village ----------------------
    sizes = rng.integers(5, 11, n)  # more than enough group sizes
    group = np.empty(n, dtype=np.int64)
    starts = np.searchsorted(village, np.arange(len(village_codes)))
    ends = np.append(starts[1:], n)
    next_group = 0
    pos_in_village = np.arange(n) - starts[village]
    # group boundaries: within a village, cumulative sums of the drawn sizes
    for v in np.nonzero(ends > starts)[0]:
        count = ends[v] - starts[v]
        cuts = np.cumsum(sizes[next_group : next_group + count])
        cuts = cuts[cuts < count]
        group[starts[v] : ends[v]] = next_group + np.searchsorted(
            cuts, pos_in_village[starts[v] : ends[v]], side="right"
        )
        next_group += len(cuts) + 1
    n_helpers = next_group
    helper_village = np.zeros(n_helpers, dtype=np.int64)
    helper_village[group] = village
    helper_start = np.full(n_helpers, np.iinfo(np.int64).max)
    np.minimum.at(helper_start, group, reg_day)
    # about one helper in ten is replaced on a random day of 2016–2019
    replaced = rng.random(n_helpers) < 0.1
    swap_day = rng.integers(_day(2016), _day(2019, 12, 1), n_helpers)
    swap_day = np.where(replaced & (swap_day > helper_start), swap_day, -1)
    replaced = swap_day > 0

    # -- cadre rows: helpers, their successors, secretaries and work teams ---------------
    poor_v = np.nonzero(poor_village)[0]
    succ = np.nonzero(replaced)[0]
    role = np.concatenate(
        [
            np.full(n_helpers + len(succ), ROLE_HELPER, dtype=object),
            np.full(2 * len(poor_v), ROLE_SECRETARY, dtype=object),
            np.full(2 * len(poor_v), ROLE_TEAM, dtype=object),
        ]
    )
    c_village = np.concatenate([helper_village, helper_village[succ], np.tile(poor_v, 4)])
    rotate = _day(2017, 7, 1)
    c_start = np.concatenate(
        [
            helper_start,
            swap_day[succ] + 1,
            np.full(len(poor_v), _day(years[0])),
            np.full(len(poor_v), rotate),
            np.full(2 * len(poor_v), _day(years[0])),
        ]
    )
    c_end = np.concatenate(
        [
            np.where(replaced, swap_day, -1),
            np.full(len(succ), -1),
            np.full(len(poor_v), rotate - 1),
            np.full(3 * len(poor_v), -1),
        ]
    )
    n_cadres = len(role)
    codes = village_codes[c_village]
    # sort by village then role order, number within the village: 520102100201-H001 style
    order = np.lexsort((np.arange(n_cadres), c_village))
    rank = np.empty(n_cadres, dtype=np.int64)
    rank[order] = np.arange(n_cadres) - np.searchsorted(c_village[order], c_village[order])
    serial = pc.utf8_lpad(pc.cast(pa.array(rank + 1), pa.string()), 3, "0")
    cadre_id = pc.binary_join_element_wise(pa.array(codes.astype(str)), serial, "-")
    level_p = (0.08, 0.12, 0.45, 0.2, 0.15)
    unit, unit_level = _unit_cache(rng, codes.astype(str), names, level_p)
    helper_index = np.arange(n_helpers)
    succ_index = np.full(n_helpers, -1)
    succ_index[succ] = n_helpers + np.arange(len(succ))

    # -- assignments: household -> its group's helper (and successor) --------------------
    h_swap = swap_day[group]
    a_start = [reg_day, h_swap[h_swap > 0] + 1]
    a_end = [
        np.where((h_swap > 0) & (h_swap >= reg_day), h_swap, -1),
        np.full((h_swap > 0).sum(), -1),
    ]
    a_hh = [np.arange(n), np.nonzero(h_swap > 0)[0]]
    a_cadre = [helper_index[group], succ_index[group[h_swap > 0]]]
    # a household registered after its helper was replaced goes to the successor directly
    late = (h_swap > 0) & (reg_day > h_swap)
    a_cadre[0] = np.where(late, succ_index[group], a_cadre[0])
    a_end[0] = np.where(late, -1, a_end[0])
    keep = ~late[a_hh[1]]
    a_hh[1], a_start[1], a_end[1], a_cadre[1] = (
        x[keep] for x in (a_hh[1], a_start[1], a_end[1], a_cadre[1])
    )
    a_start[1] = np.maximum(a_start[1], reg_day[a_hh[1]])
    hh, start, end, cad = (np.concatenate(x) for x in (a_hh, a_start, a_end, a_cadre))

    plants: list[dict[str, Any]] = []
    prng = np.random.default_rng([seed, 15, 1])
    y_ix = years.index(PLANT_YEAR)
    poor_plant = np.nonzero(
        np.isin(status[:, y_ix], (0, 2)) & np.isin(status[:, y_ix - 1], (0, 2))
    )[0]
    taken_villages: set[int] = set()

    def pick_households(count: int) -> list[int]:
        out = []
        for h in prng.permutation(poor_plant):
            if village[h] in taken_villages or swap_day[group[h]] > 0:
                continue
            taken_villages.add(int(village[h]))
            out.append(int(h))
            if len(out) == count:
                break
        return out

    # (1) poor households without a helper on 31 Dec: assignment ends 30 Sep, resumes 1 Mar
    gap_end, gap_resume = _day(PLANT_YEAR, 9, 30), _day(PLANT_YEAR + 1, 3, 1)
    extra_rows: list[tuple[int, int, int, int]] = []  # hh, cadre, start, end
    for h in pick_households(3):
        rows = np.nonzero((hh == h) & (start <= gap_end) & ((end < 0) | (end >= gap_end)))[0]
        r = rows[0]
        old_end = end[r]
        end[r] = gap_end
        if old_end < 0 or old_end >= gap_resume:
            extra_rows.append((h, int(cad[r]), gap_resume, int(old_end)))
        plants.append(
            {"kind": "without_helper", "hh_id": h, "date": _iso(_day(PLANT_YEAR, 12, 31))}
        )
        plants.append({"kind": "not_visited", "hh_id": h, "date": _iso(_day(PLANT_YEAR, 12, 31))})
    # (2) helpers over the limit: take 6 households of a neighbour helper, Mar 2018–Jan 2019
    over_from, over_to = _day(PLANT_YEAR, 3, 1), _day(PLANT_YEAR + 1, 1, 31)
    active_d = lambda d: (start <= d) & ((end < 0) | (end >= d))  # noqa: E731
    for h in pick_households(2):
        mine = cad[(hh == h) & active_d(_day(PLANT_YEAR, 12, 31))][0]
        same_village = np.nonzero(c_village[cad] == village[h])[0]
        others = [c for c in np.unique(cad[same_village]) if c != mine and role[c] == ROLE_HELPER]
        donor_rows = None
        carried = int(((cad == mine) & active_d(_day(PLANT_YEAR, 12, 31))).sum())
        if carried < 5:
            others = []
        for c in others:
            rows = np.nonzero((cad == c) & active_d(over_from) & active_d(over_to + 1))[0]
            if len(rows) >= 6 and c_end[c] < 0 and c_end[mine] < 0:
                donor_rows = rows[:6]
                break
        if donor_rows is None:
            continue
        for r in donor_rows:
            extra_rows.append((int(hh[r]), int(mine), over_from, over_to))
            extra_rows.append((int(hh[r]), int(cad[r]), over_to + 1, int(end[r])))
            end[r] = over_from - 1
        plants.append(
            {
                "kind": "helper_over_limit",
                "cadre": int(mine),
                "date": _iso(_day(PLANT_YEAR, 12, 31)),
            }
        )
    if extra_rows:
        e = np.asarray(extra_rows, dtype=np.int64)
        hh, cad, start, end = (
            np.concatenate([a, e[:, i]]) for i, a in enumerate((hh, cad, start, end))
        )
    a_order = np.lexsort((start, hh))
    hh, cad, start, end = hh[a_order], cad[a_order], start[a_order], end[a_order]

    # -- visits: every 21–81 days while poor (seasonal), from VISITS_FROM -----------------
    v_years = [y for y in years if y >= VISITS_FROM]
    pairs_h, pairs_y = [], []
    for y in v_years:
        h = np.nonzero(np.isin(status[:, years.index(y)], (0, 2)))[0]
        pairs_h.append(h)
        pairs_y.append(np.full(len(h), y))
    ph, py = np.concatenate(pairs_h), np.concatenate(pairs_y)
    pair_order = np.lexsort((py, ph))  # visits come out ordered by household, then day
    ph, py = ph[pair_order], py[pair_order]
    year_start = np.asarray([_day(y) for y in v_years])[py - v_years[0]]
    year_len = np.asarray([_day(y + 1) - _day(y) for y in v_years])[py - v_years[0]]
    slots = 20
    steps = rng.integers(35, 66, (len(ph), slots)).astype(np.float32)
    offset = np.empty((len(ph), slots), dtype=np.int16)
    offset[:, 0] = rng.integers(0, 30, len(ph))
    for k in range(1, slots):  # the next visit comes sooner in the busy seasons
        pace = _SEASON[_MONTH_OF_DAY[np.minimum(offset[:, k - 1], 364)]]
        offset[:, k] = offset[:, k - 1] + np.rint(steps[:, k] * pace).astype(np.int16)
    ok = offset < year_len[:, None]
    v_hh = np.repeat(ph, slots)[ok.ravel()]
    v_day = (year_start[:, None] + offset)[ok]
    del steps, offset, ok  # (pairs × 13) scratch: ~1 GB at 2.3 M households
    # the cadre assigned on that day (none: no visit)
    key_a = hh * 100_000 + start
    key_v = v_hh * 100_000 + v_day
    at = np.searchsorted(key_a, key_v, side="right") - 1
    found = (at >= 0) & (hh[np.maximum(at, 0)] == v_hh)
    at = np.maximum(at, 0)
    found &= (end[at] < 0) | (end[at] >= v_day)
    v_hh, v_day, v_cad = v_hh[found], v_day[found], cad[at][found]
    del key_v, at, found
    # (3) not visited for the last months of the plant year
    cut = _day(PLANT_YEAR, 9, 15)
    drop = np.zeros(len(v_hh), dtype=bool)
    for h in pick_households(3):
        drop |= (v_hh == h) & (v_day > cut) & (v_day <= _day(PLANT_YEAR, 12, 31))
        plants.append({"kind": "not_visited", "hh_id": h, "date": _iso(_day(PLANT_YEAR, 12, 31))})
    v_hh, v_day, v_cad = v_hh[~drop], v_day[~drop], v_cad[~drop]
    m = len(v_hh)
    r = np.minimum(np.abs(rng.normal(0, 40, m)), 150.0)
    theta = rng.random(m) * 2 * np.pi
    v_lat = lat[v_hh] + r * np.sin(theta) / _M_PER_DEG
    v_lon = lon[v_hh] + r * np.cos(theta) / (_M_PER_DEG * np.cos(np.radians(lat[v_hh])))
    kind = np.searchsorted(np.cumsum(_KIND_P)[:-1], rng.random(m), side="right").astype(np.int8)
    note_pick = rng.integers(0, 12, m)
    # (4) far check-ins: three visits of the plant year checked in 2–5 km away
    in_plant = np.nonzero((v_day >= _day(PLANT_YEAR)) & (v_day < _day(PLANT_YEAR + 1)))[0]
    far_pool = [
        i for i in prng.permutation(in_plant)[:200] if village[v_hh[i]] not in taken_villages
    ]
    for i in far_pool[:3]:
        taken_villages.add(int(village[v_hh[i]]))
        dist = prng.uniform(2000, 5000)
        v_lat[i] = lat[v_hh[i]] + dist / _M_PER_DEG
        v_lon[i] = lon[v_hh[i]]
        plants.append({"kind": "far_checkin", "visit": int(i), "date": _iso(v_day[i])})
    # (5) impossible travel: a helper logs a second visit that day in a village far away
    extra_v: list[tuple[int, int, int]] = []
    for i in [i for i in far_pool[3:60] if village[v_hh[i]] not in taken_villages][:2]:
        far = np.hypot(lon - lon[v_hh[i]], lat - lat[v_hh[i]]) > 2.0  # over ~150 km
        cand = np.nonzero(far & np.isin(status[:, y_ix], (0, 2)))[0]
        cand = [c for c in cand[:500] if village[c] not in taken_villages]
        if not cand:
            continue
        target = int(cand[0])
        taken_villages.update((int(village[v_hh[i]]), int(village[target])))
        extra_v.append((target, int(v_day[i]), int(v_cad[i])))
        plants.append({"kind": "impossible_travel", "cadre": int(v_cad[i]), "date": _iso(v_day[i]),
                       "hh_id": target})  # fmt: skip
    if extra_v:
        e = np.asarray(extra_v, dtype=np.int64)
        v_hh = np.concatenate([v_hh, e[:, 0]])
        v_day = np.concatenate([v_day, e[:, 1]])
        v_cad = np.concatenate([v_cad, e[:, 2]])
        v_lon = np.concatenate([v_lon, lon[e[:, 0]]])
        v_lat = np.concatenate([v_lat, lat[e[:, 0]]])
        kind = np.concatenate([kind, np.zeros(len(e), dtype=kind.dtype)])
        note_pick = np.concatenate([note_pick, np.zeros(len(e), dtype=note_pick.dtype)])
    far_rows = {p["visit"]: p for p in plants if p["kind"] == "far_checkin"}
    visit_id = np.arange(1, len(v_hh) + 1, dtype=np.int64)
    kind_names = np.asarray(VISIT_KINDS, dtype=object)
    note_table = np.asarray(
        [_NOTES[k][j % len(_NOTES[k])] for k in VISIT_KINDS for j in range(12)], dtype=object
    )
    notes = pa.DictionaryArray.from_arrays(
        pa.array((kind.astype(np.int32) * 12 + note_pick).astype(np.int32)), pa.array(note_table)
    ).cast(pa.string())  # no 22 M-element object array on the way

    cadre_table = pa.table(
        {
            "cadre_id": cadre_id,
            "name": pa.array(person_names(rng, n_cadres).astype(object)),
            "unit": pa.array(unit),
            "unit_level": pa.array(unit_level.astype(object)),
            "role": pa.array(role),
            "village_code": pa.array(codes.astype(object)),
            "start_date": _dates(c_start),
            "end_date": _dates(c_end),
        },
        schema=CADRE_SCHEMAS["cadres"],
    ).take(pa.array(order))
    assignment_table = pa.table(
        {
            "cadre_id": cadre_id.take(pa.array(cad)),
            "hh_id": hh_id.take(pa.array(hh)).cast(pa.string()),
            "start_date": _dates(start),
            "end_date": _dates(end),
        },
        schema=CADRE_SCHEMAS["assignments"],
    )
    visit_table = pa.table(
        {
            "visit_id": visit_id,
            "cadre_id": cadre_id.take(pa.array(v_cad)),
            "hh_id": hh_id.take(pa.array(v_hh)).cast(pa.string()),
            "date": _dates(v_day),
            "lon": np.round(v_lon, 6),
            "lat": np.round(v_lat, 6),
            "kind": pa.DictionaryArray.from_arrays(
                pa.array(kind.astype(np.int32)), pa.array(kind_names)
            ).cast(pa.string()),
            "note": notes,
        },
        schema=CADRE_SCHEMAS["visits"],
    )
    ids = cadre_id.to_pylist()
    hh_text = hh_id.cast(pa.string())
    problems = []
    for p in plants:
        entry = {"kind": p["kind"], "date": p["date"]}
        if "cadre" in p:
            entry["cadre_id"] = ids[p["cadre"]]
        if "hh_id" in p:
            entry["hh_id"] = hh_text[p["hh_id"]].as_py()
        problems.append(entry)
    for row, p in far_rows.items():
        problems[plants.index(p)]["visit_id"] = int(visit_id[row])
    for p, entry in zip(plants, problems, strict=True):
        if p["kind"] == "impossible_travel":
            rows = np.nonzero(
                (v_cad == p["cadre"]) & (v_day == _day(*map(int, p["date"].split("-"))))
            )[0]
            entry["visit_ids"] = sorted(int(visit_id[r]) for r in rows)
    problems.sort(key=lambda e: (e["kind"], e.get("cadre_id", ""), e.get("hh_id", "")))
    return CadreData(
        cadre_table, assignment_table, visit_table, {"year": PLANT_YEAR, "problems": problems}
    )


def write_cadre_tables(data_dir, data: CadreData) -> None:
    """Write the three tables into ``data_dir`` (zstd parquet, temp file + rename)."""
    import os

    import pyarrow.parquet as pq

    from battlemap.geodata.cadre_tables import CADRE_FILES
    from battlemap.geodata.datadir import owner_only

    with owner_only():
        for table, name in CADRE_FILES.items():
            path = data_dir / name
            tmp = path.with_name(f"{name}.{os.getpid()}.tmp")
            pq.write_table(getattr(data, table), tmp, compression="zstd")
            os.replace(tmp, path)
