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

    The steps draw in a fixed order from two streams: ``[seed, 15]`` for the normal rows and
    ``[seed, 15, 1]`` for the planted problems.
    """
    rng = np.random.default_rng([seed, 15])
    reg_day = np.asarray([_day(int(y)) for y in range(1990, 2101)])[registered_year - 1990]
    helpers = _helpers(rng, village, len(village_codes), reg_day)
    cadres = _cadres(rng, helpers, village_codes, poor_village, years, names)
    links = _assignments(helpers, cadres, reg_day)
    planter = _Planter(seed, village, status, years.index(PLANT_YEAR), helpers)
    links = planter.assignment_problems(links, cadres)
    visits = _visits(rng, status, years, links)
    visits = planter.unvisited(visits)
    _check_ins(rng, visits, lon, lat)
    planter.check_in_problems(visits, lon, lat)
    return _data(rng, hh_id, cadres, links, visits, planter.plants)


@dataclass
class _Helpers:
    """The responsible helpers: each household's group (its helper), the helper's village
    and start, and the day a helper is replaced (−1: never)."""

    group: np.ndarray
    village: np.ndarray
    start: np.ndarray
    swap_day: np.ndarray
    replaced: np.ndarray

    def __len__(self) -> int:
        return len(self.village)


def _helpers(rng, village: np.ndarray, n_villages: int, reg_day: np.ndarray) -> _Helpers:
    """Consecutive runs of 5–10 households of one village, each with its helper."""
    n = len(village)
    sizes = rng.integers(5, 11, n)  # more than enough group sizes
    group = np.empty(n, dtype=np.int64)
    starts = np.searchsorted(village, np.arange(n_villages))
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
    return _Helpers(group, helper_village, helper_start, swap_day, swap_day > 0)


@dataclass
class _Cadres:
    """The cadre rows (helpers, their successors, secretaries, work teams) in drawing order,
    ``order`` the table's order; a helper's index is its group, its successor's
    ``succ_index[group]``."""

    role: np.ndarray
    village: np.ndarray
    start: np.ndarray
    end: np.ndarray
    codes: np.ndarray
    order: np.ndarray
    cadre_id: pa.Array
    unit: np.ndarray
    unit_level: np.ndarray
    succ_index: np.ndarray


def _cadres(rng, helpers: _Helpers, village_codes, poor_village, years, names) -> _Cadres:
    """Helpers, their successors, and per poverty village a first secretary (rotated in
    mid-2017) and two work-team members; IDs like 520102100201-001, units drawn."""
    n_helpers, replaced = len(helpers), helpers.replaced
    poor_v = np.nonzero(poor_village)[0]
    succ = np.nonzero(replaced)[0]
    role = np.concatenate(
        [
            np.full(n_helpers + len(succ), ROLE_HELPER, dtype=object),
            np.full(2 * len(poor_v), ROLE_SECRETARY, dtype=object),
            np.full(2 * len(poor_v), ROLE_TEAM, dtype=object),
        ]
    )
    c_village = np.concatenate([helpers.village, helpers.village[succ], np.tile(poor_v, 4)])
    rotate = _day(2017, 7, 1)
    c_start = np.concatenate(
        [
            helpers.start,
            helpers.swap_day[succ] + 1,
            np.full(len(poor_v), _day(years[0])),
            np.full(len(poor_v), rotate),
            np.full(2 * len(poor_v), _day(years[0])),
        ]
    )
    c_end = np.concatenate(
        [
            np.where(replaced, helpers.swap_day, -1),
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
    succ_index = np.full(n_helpers, -1)
    succ_index[succ] = n_helpers + np.arange(len(succ))
    return _Cadres(
        role, c_village, c_start, c_end, codes, order, cadre_id, unit, unit_level, succ_index
    )


@dataclass
class _Links:
    """Assignment rows: household, cadre index, start and end day (−1: open)."""

    hh: np.ndarray
    cad: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def active(self, day: int) -> np.ndarray:
        return (self.start <= day) & ((self.end < 0) | (self.end >= day))


def _assignments(helpers: _Helpers, cadres: _Cadres, reg_day: np.ndarray) -> _Links:
    """Each household to its group's helper from registration (and to the successor)."""
    n, group = len(reg_day), helpers.group
    h_swap = helpers.swap_day[group]
    a_start = [reg_day, h_swap[h_swap > 0] + 1]
    a_end = [
        np.where((h_swap > 0) & (h_swap >= reg_day), h_swap, -1),
        np.full((h_swap > 0).sum(), -1),
    ]
    a_hh = [np.arange(n), np.nonzero(h_swap > 0)[0]]
    a_cadre = [np.arange(len(helpers))[group], cadres.succ_index[group[h_swap > 0]]]
    # a household registered after its helper was replaced goes to the successor directly
    late = (h_swap > 0) & (reg_day > h_swap)
    a_cadre[0] = np.where(late, cadres.succ_index[group], a_cadre[0])
    a_end[0] = np.where(late, -1, a_end[0])
    keep = ~late[a_hh[1]]
    a_hh[1], a_start[1], a_end[1], a_cadre[1] = (
        x[keep] for x in (a_hh[1], a_start[1], a_end[1], a_cadre[1])
    )
    a_start[1] = np.maximum(a_start[1], reg_day[a_hh[1]])
    hh, start, end, cad = (np.concatenate(x) for x in (a_hh, a_start, a_end, a_cadre))
    return _Links(hh, cad, start, end)


@dataclass
class _Visits:
    """Visit rows: household, day, cadre index; check-in point, kind and note index."""

    hh: np.ndarray
    day: np.ndarray
    cad: np.ndarray
    lon: np.ndarray | None = None
    lat: np.ndarray | None = None
    kind: np.ndarray | None = None
    note: np.ndarray | None = None

    def keep(self, ok: np.ndarray) -> _Visits:
        return _Visits(self.hh[ok], self.day[ok], self.cad[ok])


def _visits(rng, status: np.ndarray, years: tuple[int, ...], links: _Links) -> _Visits:
    """Every 21–81 days while poor (seasonal), from VISITS_FROM, by the cadre assigned
    that day (none: no visit); ordered by household, then day."""
    hh, cad, start, end = links.hh, links.cad, links.start, links.end
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
    return _Visits(v_hh[found], v_day[found], cad[at][found])


def _check_ins(rng, visits: _Visits, lon: np.ndarray, lat: np.ndarray) -> None:
    """Each visit's check-in within ~150 m of the household, its kind and note (in place)."""
    m, v_hh = len(visits.hh), visits.hh
    r = np.minimum(np.abs(rng.normal(0, 40, m)), 150.0)
    theta = rng.random(m) * 2 * np.pi
    visits.lat = lat[v_hh] + r * np.sin(theta) / _M_PER_DEG
    visits.lon = lon[v_hh] + r * np.cos(theta) / (_M_PER_DEG * np.cos(np.radians(lat[v_hh])))
    cumulative = np.cumsum(_KIND_P)[:-1]
    visits.kind = np.searchsorted(cumulative, rng.random(m), side="right").astype(np.int8)
    visits.note = rng.integers(0, 12, m)


class _Planter:
    """The planted problems of :data:`PLANT_YEAR`, each in a village of its own, drawn from
    their own stream; ``plants`` lists them (household, cadre and visit by index)."""

    def __init__(self, seed: int, village, status, y_ix: int, helpers: _Helpers) -> None:
        self.prng = np.random.default_rng([seed, 15, 1])
        self.village, self.helpers = village, helpers
        self.poor_now = np.isin(status[:, y_ix], (0, 2))
        # poor this year and the year before: a helper and visits are due all year
        self.poor = np.nonzero(self.poor_now & np.isin(status[:, y_ix - 1], (0, 2)))[0]
        self.plants: list[dict[str, Any]] = []
        self.taken_villages: set[int] = set()

    def pick_households(self, count: int) -> list[int]:
        out = []
        swap_day, group = self.helpers.swap_day, self.helpers.group
        for h in self.prng.permutation(self.poor):
            if self.village[h] in self.taken_villages or swap_day[group[h]] > 0:
                continue
            self.taken_villages.add(int(self.village[h]))
            out.append(int(h))
            if len(out) == count:
                break
        return out

    def assignment_problems(self, links: _Links, cadres: _Cadres) -> _Links:
        """Poor households without a helper on 31 December (1) and helpers over the limit
        (2); the rows sorted by household and start."""
        hh, cad, start, end = links.hh, links.cad, links.start, links.end
        year_end = _day(PLANT_YEAR, 12, 31)
        # (1) an assignment ends 30 Sep and resumes 1 Mar
        gap_end, gap_resume = _day(PLANT_YEAR, 9, 30), _day(PLANT_YEAR + 1, 3, 1)
        extra_rows: list[tuple[int, int, int, int]] = []  # hh, cadre, start, end
        for h in self.pick_households(3):
            rows = np.nonzero((hh == h) & (start <= gap_end) & ((end < 0) | (end >= gap_end)))[0]
            r = rows[0]
            old_end = end[r]
            end[r] = gap_end
            if old_end < 0 or old_end >= gap_resume:
                extra_rows.append((h, int(cad[r]), gap_resume, int(old_end)))
            self.plants.append({"kind": "without_helper", "hh_id": h, "date": _iso(year_end)})
            self.plants.append({"kind": "not_visited", "hh_id": h, "date": _iso(year_end)})
        # (2) a helper takes 6 households of a neighbour helper, Mar 2018–Jan 2019
        over_from, over_to = _day(PLANT_YEAR, 3, 1), _day(PLANT_YEAR + 1, 1, 31)
        for h in self.pick_households(2):
            mine = cad[(hh == h) & links.active(year_end)][0]
            same_village = np.nonzero(cadres.village[cad] == self.village[h])[0]
            others = [
                c
                for c in np.unique(cad[same_village])
                if c != mine and cadres.role[c] == ROLE_HELPER
            ]
            donor_rows = None
            carried = int(((cad == mine) & links.active(year_end)).sum())
            if carried < 5:
                others = []
            for c in others:
                through = links.active(over_from) & links.active(over_to + 1)
                rows = np.nonzero((cad == c) & through)[0]
                if len(rows) >= 6 and cadres.end[c] < 0 and cadres.end[mine] < 0:
                    donor_rows = rows[:6]
                    break
            if donor_rows is None:
                continue
            for r in donor_rows:
                extra_rows.append((int(hh[r]), int(mine), over_from, over_to))
                extra_rows.append((int(hh[r]), int(cad[r]), over_to + 1, int(end[r])))
                end[r] = over_from - 1
            self.plants.append(
                {"kind": "helper_over_limit", "cadre": int(mine), "date": _iso(year_end)}
            )
        if extra_rows:
            e = np.asarray(extra_rows, dtype=np.int64)
            hh, cad, start, end = (
                np.concatenate([a, e[:, i]]) for i, a in enumerate((hh, cad, start, end))
            )
        a_order = np.lexsort((start, hh))
        return _Links(hh[a_order], cad[a_order], start[a_order], end[a_order])

    def unvisited(self, visits: _Visits) -> _Visits:
        """(3) Households not visited for the last months of the plant year."""
        cut = _day(PLANT_YEAR, 9, 15)
        drop = np.zeros(len(visits.hh), dtype=bool)
        for h in self.pick_households(3):
            drop |= (visits.hh == h) & (visits.day > cut) & (visits.day <= _day(PLANT_YEAR, 12, 31))
            self.plants.append(
                {"kind": "not_visited", "hh_id": h, "date": _iso(_day(PLANT_YEAR, 12, 31))}
            )
        return visits.keep(~drop)

    def check_in_problems(self, visits: _Visits, lon: np.ndarray, lat: np.ndarray) -> None:
        """(4) Three visits of the plant year checked in 2–5 km away; (5) a helper logging a
        second visit that day in a village far away (in place)."""
        v_hh, v_day = visits.hh, visits.day
        in_plant = np.nonzero((v_day >= _day(PLANT_YEAR)) & (v_day < _day(PLANT_YEAR + 1)))[0]
        far_pool = [
            i
            for i in self.prng.permutation(in_plant)[:200]
            if self.village[v_hh[i]] not in self.taken_villages
        ]
        for i in far_pool[:3]:
            self.taken_villages.add(int(self.village[v_hh[i]]))
            dist = self.prng.uniform(2000, 5000)
            visits.lat[i] = lat[v_hh[i]] + dist / _M_PER_DEG
            visits.lon[i] = lon[v_hh[i]]
            self.plants.append({"kind": "far_checkin", "visit": int(i), "date": _iso(v_day[i])})
        extra_v: list[tuple[int, int, int]] = []
        taken = self.taken_villages
        for i in [i for i in far_pool[3:60] if self.village[v_hh[i]] not in taken][:2]:
            far = np.hypot(lon - lon[v_hh[i]], lat - lat[v_hh[i]]) > 2.0  # over ~150 km
            cand = np.nonzero(far & self.poor_now)[0]
            cand = [c for c in cand[:500] if self.village[c] not in taken]
            if not cand:
                continue
            target = int(cand[0])
            taken.update((int(self.village[v_hh[i]]), int(self.village[target])))
            extra_v.append((target, int(v_day[i]), int(visits.cad[i])))
            self.plants.append({"kind": "impossible_travel", "cadre": int(visits.cad[i]),
                                "date": _iso(v_day[i]), "hh_id": target})  # fmt: skip
        if extra_v:
            e = np.asarray(extra_v, dtype=np.int64)
            visits.hh = np.concatenate([visits.hh, e[:, 0]])
            visits.day = np.concatenate([visits.day, e[:, 1]])
            visits.cad = np.concatenate([visits.cad, e[:, 2]])
            visits.lon = np.concatenate([visits.lon, lon[e[:, 0]]])
            visits.lat = np.concatenate([visits.lat, lat[e[:, 0]]])
            visits.kind = np.concatenate([visits.kind, np.zeros(len(e), dtype=visits.kind.dtype)])
            visits.note = np.concatenate([visits.note, np.zeros(len(e), dtype=visits.note.dtype)])


def _data(
    rng, hh_id: pa.Array, cadres: _Cadres, links: _Links, visits: _Visits, plants: list[dict]
) -> CadreData:
    """The three tables (cadre names drawn last) and the planted problems by ID."""
    cadre_id = cadres.cadre_id
    far_rows = {p["visit"]: p for p in plants if p["kind"] == "far_checkin"}
    visit_id = np.arange(1, len(visits.hh) + 1, dtype=np.int64)
    kind_names = np.asarray(VISIT_KINDS, dtype=object)
    note_table = np.asarray(
        [_NOTES[k][j % len(_NOTES[k])] for k in VISIT_KINDS for j in range(12)], dtype=object
    )
    notes = pa.DictionaryArray.from_arrays(
        pa.array((visits.kind.astype(np.int32) * 12 + visits.note).astype(np.int32)),
        pa.array(note_table),
    ).cast(pa.string())  # no 22 M-element object array on the way

    cadre_table = pa.table(
        {
            "cadre_id": cadre_id,
            "name": pa.array(person_names(rng, len(cadres.role)).astype(object)),
            "unit": pa.array(cadres.unit),
            "unit_level": pa.array(cadres.unit_level.astype(object)),
            "role": pa.array(cadres.role),
            "village_code": pa.array(cadres.codes.astype(object)),
            "start_date": _dates(cadres.start),
            "end_date": _dates(cadres.end),
        },
        schema=CADRE_SCHEMAS["cadres"],
    ).take(pa.array(cadres.order))
    assignment_table = pa.table(
        {
            "cadre_id": cadre_id.take(pa.array(links.cad)),
            "hh_id": hh_id.take(pa.array(links.hh)).cast(pa.string()),
            "start_date": _dates(links.start),
            "end_date": _dates(links.end),
        },
        schema=CADRE_SCHEMAS["assignments"],
    )
    visit_table = pa.table(
        {
            "visit_id": visit_id,
            "cadre_id": cadre_id.take(pa.array(visits.cad)),
            "hh_id": hh_id.take(pa.array(visits.hh)).cast(pa.string()),
            "date": _dates(visits.day),
            "lon": np.round(visits.lon, 6),
            "lat": np.round(visits.lat, 6),
            "kind": pa.DictionaryArray.from_arrays(
                pa.array(visits.kind.astype(np.int32)), pa.array(kind_names)
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
                (visits.cad == p["cadre"]) & (visits.day == _day(*map(int, p["date"].split("-"))))
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
