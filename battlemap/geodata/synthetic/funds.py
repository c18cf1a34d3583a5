"""Synthetic projects and funds (扶贫项目资金) at Guizhou's proportion, with planted anomalies.

Guizhou's 扶贫云 tracked 155,412 projects for about 7.4 M registered persons: the generator
makes ``persons × 155,412 / 7.4 M`` projects over 2014–2020, where the poor are, with the
allocations that fund them and the payments that spend them, all on its own random stream
(``[seed, 14]``) so the other tables stay byte-identical for a seed.

Realistic delays: allocations arrive 10–90 days before the planned start, works start up to
120 days late and run 0.9–1.25× their planned length, payments follow the works (an advance
within 30 days of the start, households paid during the works, a retention up to 90 days
after the end), some projects spend only 60–90 % of what they got. Normal rows never break a
rule of the [funds] section; a small known set of anomalies is planted and returned (they go
to the manifest's ``funds.planted``), one project per anomaly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from battlemap.geodata.funds_schema import PROJECT_TYPES, SOURCES
from battlemap.geodata.synthetic.points import points_in_polygons

__all__ = ["PROJECTS_PER_PERSON", "FundsTables", "funds_tables"]

PROJECTS_PER_PERSON = 155_412 / 7_400_000
STREAM = 14  # the generator's random stream for issue 14's tables
FIRST_YEAR, LAST_YEAR = 2014, 2020
DATA_END = np.datetime64(f"{LAST_YEAR}-12-31", "D")
_EPOCH = np.datetime64("1970-01-01", "D")
_YEAR_WEIGHTS = np.array([0.06, 0.10, 0.16, 0.20, 0.20, 0.16, 0.12])
_SOURCE_WEIGHTS = np.array([0.40, 0.20, 0.15, 0.20, 0.05])
# per location level (village, township, county): type shares in PROJECT_TYPES order
_TYPE_WEIGHTS = np.array(
    [
        [0.34, 0.20, 0.02, 0.08, 0.06, 0.06, 0.06, 0.13, 0.05],
        [0.30, 0.45, 0.08, 0.10, 0.02, 0.00, 0.03, 0.00, 0.02],
        [0.20, 0.40, 0.30, 0.05, 0.00, 0.00, 0.05, 0.00, 0.00],
    ]
)
_LEVEL_SHARES = np.array([0.85, 0.10, 0.05])
_BUDGET_MEDIAN = np.array([90_000.0, 400_000.0, 1_000_000.0])
# planned length (days), beneficiaries drawn, share paid to households, by type
_DURATION = np.array(
    [
        [120, 365],
        [90, 540],
        [300, 540],
        [60, 300],
        [60, 300],
        [90, 365],
        [60, 240],
        [60, 240],
        [60, 300],
    ]
)
_BENEFICIARIES = np.array(
    [[5, 30], [5, 40], [10, 60], [3, 20], [3, 20], [3, 20], [3, 20], [1, 3], [2, 12]]
)
_HOUSEHOLD_SHARE = np.array([0.5, 0.0, 0.3, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0])
# most one household gets from one project (yuan), by type: the rest pays firms
_HOUSEHOLD_CAP = np.array([8000, 0, 30000, 5000, 10000, 3000, 5000, 35000, 0], dtype=float)
_TRANCHE_PAYEE = np.array(
    ["合作社", "企业", "企业", "其他", "其他", "其他", "企业", "其他", "其他"]
)
_WORK = {
    "产业": [
        "茶叶种植",
        "食用菌基地",
        "生猪养殖",
        "肉牛养殖",
        "中药材种植",
        "精品水果",
        "刺梨种植",
    ],
    "基础设施": ["通组路硬化", "人饮工程", "产业路", "小型水利", "村级活动场所", "电网改造"],
    "易地扶贫搬迁": ["安置点建设", "搬迁安置房", "安置点配套设施"],
    "教育": ["教育资助", "雨露计划", "学前教育补助"],
    "健康": ["医疗救助", "村卫生室建设", "大病保险补助"],
    "金融": ["扶贫小额信贷贴息", "产业发展贷款贴息"],
    "就业": ["劳动力培训", "公益性岗位", "就业奖补"],
    "危房改造": ["农村危房改造", "老旧住房透风漏雨整治"],
    "其他": ["驻村工作经费", "以工代赈", "扶贫车间"],
}
_UNIT = {
    "产业": "农业农村局",
    "基础设施": "交通运输局",
    "易地扶贫搬迁": "生态移民局",
    "教育": "教育局",
    "健康": "卫生健康局",
    "金融": "扶贫开发投资公司",
    "就业": "人力资源和社会保障局",
    "危房改造": "住房和城乡建设局",
    "其他": "扶贫开发办公室",
}
_PROVINCE_SHORT = {"52": "黔", "45": "桂", "53": "滇", "62": "甘"}


@dataclass
class FundsTables:
    """The four tables and the planted anomalies (rule, project_id and the row they touch)."""

    projects: pd.DataFrame
    project_beneficiaries: pd.DataFrame
    fund_allocations: pd.DataFrame
    fund_payments: pd.DataFrame
    planted: list[dict] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "projects": self.projects,
            "project_beneficiaries": self.project_beneficiaries,
            "fund_allocations": self.fund_allocations,
            "fund_payments": self.fund_payments,
        }


def _ids(prefix: str, n: int, width: int = 10) -> np.ndarray:
    text = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, text, "").to_numpy(zero_copy_only=False)


def _days(values: np.ndarray) -> np.ndarray:
    """int days since 1970 → datetime64[D]."""
    return _EPOCH + values.astype("timedelta64[D]")


def _ranged(rng: np.random.Generator, bounds: np.ndarray, which: np.ndarray) -> np.ndarray:
    low, high = bounds[which, 0], bounds[which, 1]
    return rng.integers(low, high + 1)


def _code_int(codes: np.ndarray) -> np.ndarray:
    return np.asarray(codes).astype(np.int64)


def _place_projects(rng, regions: pd.DataFrame, hh_village: np.ndarray, n: int):
    """(code, level index 0/1/2) of ``n`` projects: villages weighted by households."""
    villages = regions[regions.level == 5]
    vcodes = villages.code.to_numpy()
    weight = pd.Series(hh_village).value_counts().reindex(vcodes).fillna(0).to_numpy() + 1.0
    pick = rng.choice(len(vcodes), size=n, p=weight / weight.sum())
    level = rng.choice(3, size=n, p=_LEVEL_SHARES)
    code = vcodes[pick].astype(object)
    town = np.asarray([c[:9] + "000" for c in code], dtype=object)
    county = np.asarray([c[:6] + "000000" for c in code], dtype=object)
    code = np.where(level == 0, code, np.where(level == 1, town, county))
    return code, level


@dataclass
class _Plan:
    """The projects drawn, by project index (days are int days since 1970; ``end`` the data
    set's last day)."""

    code: np.ndarray
    level: np.ndarray
    year: np.ndarray
    kind: np.ndarray
    source: np.ndarray
    budget: np.ndarray
    planned_start: np.ndarray
    planned_end: np.ndarray
    started: np.ndarray
    span: np.ndarray
    terminated: np.ndarray
    ended: np.ndarray
    status: np.ndarray
    end: int

    def __len__(self) -> int:
        return len(self.code)


def funds_tables(
    seed: int,
    regions: pd.DataFrame,
    hh_ids: np.ndarray,
    hh_village: np.ndarray,
    hh_size: np.ndarray,
    rows: dict[str, np.ndarray],
    province: str = "52",
) -> FundsTables:
    """Projects, beneficiaries, allocations and payments for the synthetic province."""
    rng = np.random.default_rng([seed, STREAM])
    n = max(20, round(float(hh_size.sum()) * PROJECTS_PER_PERSON))
    plan = _draw_projects(rng, regions, hh_village, n)
    proj, hh = _draw_beneficiaries(rng, plan, hh_village, rows)
    alloc, pay = _draw_money(rng, plan, proj, hh)
    projects = _project_frame(rng, regions, plan, province)
    tables = _Working(
        projects=projects, benef=pd.DataFrame({"project": proj, "hh": hh}), alloc=alloc, pay=pay
    )
    planted = _plant(rng, tables, rows, len(hh_ids), plan.end)
    pids = projects.project_id.to_numpy()
    return tables.finish(pids, hh_ids, plan.code, plan.source, plan.end, province, planted, regions)


def _draw_projects(rng, regions: pd.DataFrame, hh_village: np.ndarray, n: int) -> _Plan:
    """Where, when, what and how much: ``n`` projects with their dates and status."""
    code, level = _place_projects(rng, regions, hh_village, n)
    year = FIRST_YEAR + rng.choice(len(_YEAR_WEIGHTS), size=n, p=_YEAR_WEIGHTS)
    kind = np.empty(n, dtype=np.int64)
    for lv in range(3):
        at = level == lv
        kind[at] = rng.choice(len(PROJECT_TYPES), size=int(at.sum()), p=_TYPE_WEIGHTS[lv])
    order = np.lexsort((kind, year, code.astype(str)))
    code, level, year, kind = code[order], level[order], year[order], kind[order]
    source = rng.choice(len(SOURCES), size=n, p=_SOURCE_WEIGHTS)
    budget = np.maximum(
        np.round(_BUDGET_MEDIAN[level] * np.exp(rng.normal(0, 0.8, n)) / 100) * 100, 5000
    )

    # dates (int days since 1970)
    jan1 = (
        np.array([f"{y}-01-01" for y in range(FIRST_YEAR, LAST_YEAR + 1)], "datetime64[D]") - _EPOCH
    ).astype(np.int64)[year - FIRST_YEAR]
    end = int((DATA_END - _EPOCH).astype(np.int64))
    planned_start = jan1 + rng.integers(20, 301, n)
    duration = _ranged(rng, _DURATION, kind)
    planned_end = planned_start + duration
    started = planned_start + np.minimum(rng.exponential(20, n), 120).astype(np.int64)
    span = np.round(duration * rng.uniform(0.9, 1.25, n)).astype(np.int64)
    terminated = (rng.random(n) < 0.01) & (started <= end)
    span = np.where(terminated, np.maximum((span * rng.uniform(0.2, 0.6, n)).astype(int), 30), span)
    ended = started + span
    accepted = ended + rng.integers(30, 151, n) <= end
    status = np.where(
        started > end,
        "计划",
        np.where(
            ended > end, "在建", np.where(terminated, "终止", np.where(accepted, "验收", "完工"))
        ),
    )
    return _Plan(
        code, level, year, kind, source, budget, planned_start, planned_end, started, span,
        terminated, ended, status, end,
    )  # fmt: skip


def _draw_beneficiaries(
    rng, plan: _Plan, hh_village: np.ndarray, rows: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """(project, household) index pairs: households poor in the project's year under its
    region, one project of a kind and year per household."""
    n, code, level, year, kind = len(plan), plan.code, plan.level, plan.year, plan.kind
    # beneficiaries: households poor in the project's year under its region
    vint = _code_int(hh_village)
    poor = rows["status"] != 1
    key = (rows["year"][poor].astype(np.int64) - FIRST_YEAR) * 10**12 + vint[rows["hh"][poor]]
    sort = np.argsort(key, kind="stable")
    key, cand = key[sort], rows["hh"][poor][sort]
    prefix_len = np.array([12, 9, 6])[level]
    cint = _code_int(code)
    scale = 10 ** (12 - prefix_len)
    lo_code = cint // scale * scale
    hi_code = lo_code + scale - 1
    base = (year - FIRST_YEAR) * 10**12
    lo = np.searchsorted(key, base + lo_code, "left")
    hi = np.searchsorted(key, base + hi_code, "right")
    want = np.minimum(_ranged(rng, _BENEFICIARIES, kind), hi - lo)
    proj = np.repeat(np.arange(n), want)
    pos = lo[proj] + (rng.random(len(proj)) * (hi - lo)[proj]).astype(np.int64)
    hh = cand[pos]
    # one project of a kind and year per household (a second would be a planted anomaly)
    _, first = np.unique((hh * 9 + kind[proj]) * 8 + (year[proj] - FIRST_YEAR), return_index=True)
    first.sort()
    proj, hh = proj[first], hh[first]
    return proj, hh


def _draw_money(
    rng, plan: _Plan, proj: np.ndarray, hh: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(allocations, payments) by project index: money arrives before the works and is
    paid during them (see the module docstring)."""
    n, kind, budget = len(plan), plan.kind, plan.budget
    planned_start, started, ended = plan.planned_start, plan.started, plan.ended
    span, terminated = plan.span, plan.terminated
    n_benef = np.bincount(proj, minlength=n)

    # allocations to projects
    allocated = np.floor(budget * rng.uniform(0.92, 1.0, n) / 100) * 100
    two = rng.random(n) < 0.3
    first_amount = np.where(two, np.floor(allocated * 0.6 / 100) * 100, allocated)
    alloc1_date = planned_start - rng.integers(10, 91, n)

    # payments
    payout = allocated * np.where(
        rng.random(n) < 0.08, rng.uniform(0.6, 0.9, n), rng.uniform(0.97, 1.0, n)
    )
    share = np.where(n_benef > 0, _HOUSEHOLD_SHARE[kind], 0.0)
    per_household = np.minimum(
        np.floor(payout * share / np.maximum(n_benef, 1)), _HOUSEHOLD_CAP[kind]
    )
    household_total = per_household * n_benef
    rest = np.floor(payout - household_total)
    n_tranche = np.where(rest >= 100, rng.integers(1, 5, n), 0)
    t_proj = np.repeat(np.arange(n), n_tranche)
    t_rank = np.arange(len(t_proj)) - np.repeat(np.cumsum(n_tranche) - n_tranche, n_tranche)
    weights = rng.uniform(0.5, 1.5, len(t_proj))
    wsum = np.bincount(t_proj, weights=weights, minlength=n)
    t_amount = np.floor(rest[t_proj] * weights / wsum[t_proj])
    last = t_rank == n_tranche[t_proj] - 1
    t_amount[last] += (
        rest[t_proj[last]] - np.bincount(t_proj, weights=t_amount, minlength=n)[t_proj[last]]
    )
    work = span.astype(float)
    frac = (t_rank + rng.uniform(0.3, 1.0, len(t_proj))) / np.maximum(n_tranche[t_proj], 1)
    t_date = started[t_proj] + np.round(frac * work[t_proj]).astype(np.int64)
    retention = last & (n_tranche[t_proj] >= 2) & ~terminated[t_proj]
    t_date = np.where(retention, ended[t_proj] + rng.integers(0, 91, len(t_proj)), t_date)
    t_date = np.where(t_rank == 0, started[t_proj] + rng.integers(0, 31, len(t_proj)), t_date)
    h_paid = per_household[proj] > 0
    h_proj, h_hh = proj[h_paid], hh[h_paid]
    h_date = started[h_proj] + (rng.random(len(h_proj)) * work[h_proj]).astype(np.int64)
    pay_proj = np.concatenate([t_proj, h_proj])
    pay_date = np.concatenate([t_date, h_date])
    pay_amount = np.concatenate([t_amount, per_household[h_proj]])
    pay_type = np.concatenate([_TRANCHE_PAYEE[kind[t_proj]], np.full(len(h_proj), "农户")])
    pay_hh = np.concatenate([np.full(len(t_proj), -1), h_hh])
    # the first payment comes within 30 days of the start (an advance; keeps money moving)
    order = np.lexsort((pay_date, pay_proj))
    pay_proj, pay_date, pay_amount, pay_type, pay_hh = (
        a[order] for a in (pay_proj, pay_date, pay_amount, pay_type, pay_hh)
    )
    head = np.r_[True, pay_proj[1:] != pay_proj[:-1]]
    limit = started[pay_proj] + np.minimum(30, span[pay_proj])
    pay_date = np.where(head & (pay_date > limit), limit, pay_date)
    pay_date = np.minimum(pay_date, np.where(terminated[pay_proj], ended[pay_proj], 1 << 40))
    # a second allocation lands shortly before one of the project's payments
    counts = np.bincount(pay_proj, minlength=n)
    starts = np.cumsum(counts) - counts
    pick = starts + (rng.random(n) * np.maximum(counts, 1)).astype(np.int64)
    pick_date = np.where(counts > 0, pay_date[np.minimum(pick, len(pay_date) - 1)], alloc1_date)
    two &= counts > 0
    alloc2_date = np.maximum(alloc1_date + 1, pick_date - rng.integers(0, 61, n))

    a_proj = np.concatenate([np.arange(n), np.nonzero(two)[0]])
    a_date = np.concatenate([alloc1_date, alloc2_date[two]])
    a_amount = np.concatenate([first_amount, (allocated - first_amount)[two]])
    a_order = np.lexsort((a_date, a_proj))
    a_proj, a_date, a_amount = a_proj[a_order], a_date[a_order], a_amount[a_order]
    alloc = pd.DataFrame({"project": a_proj, "date": a_date, "amount": a_amount})
    pay = pd.DataFrame(
        {
            "project": pay_proj,
            "date": pay_date,
            "amount": pay_amount,
            "payee_type": pay_type,
            "hh": pay_hh,
        }
    )
    return alloc, pay


def _project_frame(rng, regions: pd.DataFrame, plan: _Plan, province: str) -> pd.DataFrame:
    """The projects table: IDs, names, types, points in their regions, dates, units."""
    code, level, kind, year, source = plan.code, plan.level, plan.kind, plan.year, plan.source
    budget, status, started, ended, end = (
        plan.budget, plan.status, plan.started, plan.ended, plan.end,
    )  # fmt: skip
    planned_start, planned_end = plan.planned_start, plan.planned_end
    n = len(code)
    names = regions.set_index("code")["name"]
    place = names.reindex(code).to_numpy(object)
    county = names.reindex([c[:6] + "000000" for c in code]).to_numpy(object)
    types = np.asarray(PROJECT_TYPES)[kind]
    work = np.asarray(
        [_WORK[t][i % len(_WORK[t])] for t, i in zip(types, rng.integers(0, 7, n), strict=True)],
        dtype=object,
    )
    unit = np.where(
        level == 1, place + "人民政府", county + np.asarray([_UNIT[t] for t in types], dtype=object)
    )
    serial = pd.Series(np.arange(n)).groupby(pd.Series(code).str[:6]).cumcount().to_numpy() + 1
    pid = (
        pd.Series(code).str[:6]
        + pd.Series(year).astype(str)
        + pd.Series(serial).astype(str).str.zfill(5)
    )
    # points inside the project's region
    geoms = regions.set_index("code").geometry
    uniq, inverse = np.unique(code.astype(str), return_inverse=True)
    counts = np.bincount(inverse, minlength=len(uniq))
    owner, lon, lat = points_in_polygons(geoms.reindex(uniq).to_numpy(), counts, rng)
    slot = np.argsort(inverse, kind="stable")
    x, y = np.empty(n), np.empty(n)
    x[slot], y[slot] = lon, lat
    assert np.array_equal(owner, inverse[slot])
    return pd.DataFrame(
        {
            "project_id": ("XM" + pid).to_numpy(object),
            "name": pd.Series(year).astype(str).to_numpy(object) + "年" + place + work + "项目",
            "type": types.astype(object),
            "code": code.astype(object),
            "lon": x,
            "lat": y,
            "planned_start": _days(planned_start),
            "planned_end": _days(planned_end),
            "actual_start": pd.array(
                np.where(started <= end, _days(started), np.datetime64("NaT"))
            ),
            "actual_end": pd.array(np.where(ended <= end, _days(ended), np.datetime64("NaT"))),
            "status": status.astype(object),
            "budget": budget,
            "source": np.asarray(SOURCES)[source].astype(object),
            "unit": unit,
        }
    )


@dataclass
class _Working:
    """Tables by project index and household index, before ids are attached."""

    projects: pd.DataFrame
    benef: pd.DataFrame
    alloc: pd.DataFrame
    pay: pd.DataFrame
    fake_payees: dict = field(default_factory=dict)  # payment row -> an ID not registered

    def finish(self, pids, hh_ids, code, source, end, province, planted, regions) -> FundsTables:
        alloc = self.alloc[self.alloc.date <= end].sort_values(["project", "date"], kind="stable")
        pay = self.pay[self.pay.date <= end].sort_values(["date", "project"], kind="stable")
        hh = pay.hh.to_numpy(np.int64)
        payee = np.where(hh >= 0, hh_ids[np.maximum(hh, 0)], None).astype(object)
        for row, fake in self.fake_payees.items():
            payee[pay.index.get_loc(row)] = fake
        payments = pd.DataFrame(
            {
                "payment_id": _ids("ZF", len(pay)),
                "project_id": pids[pay.project.to_numpy()],
                "date": _days(pay.date.to_numpy(np.int64)),
                "amount": pay.amount.to_numpy(float),
                "payee_type": pay.payee_type.to_numpy(object),
                "payee_hh_id": payee,
            }
        )
        row_ids = dict(zip(pay.index.tolist(), payments.payment_id.tolist(), strict=True))
        at = alloc.project.to_numpy()
        project_alloc = pd.DataFrame(
            {
                "from_code": np.asarray([c[:6] + "000000" for c in code[at]], dtype=object),
                "to_code": code[at],
                "project_id": pids[at],
                "date": _days(alloc.date.to_numpy(np.int64)),
                "amount": alloc.amount.to_numpy(float),
                "source": np.asarray(SOURCES)[source[at]].astype(object),
            }
        )
        upper = (
            project_alloc.assign(year=project_alloc.date.dt.year)
            .groupby(["from_code", "year", "source"], as_index=False)
            .agg(amount=("amount", "sum"), date=("date", "min"))
        )
        upper = pd.DataFrame(
            {
                "from_code": province + "0" * 10,
                "to_code": upper.from_code.to_numpy(object),
                "project_id": None,
                "date": (upper.date - pd.to_timedelta(15, unit="D")).to_numpy("datetime64[D]"),
                "amount": upper.amount.to_numpy(float),
                "source": upper.source.to_numpy(object),
            }
        )
        short = _PROVINCE_SHORT.get(province, "省")
        names = regions.set_index("code")["name"]
        serial = pd.Series(np.arange(len(project_alloc)) % 900 + 1).astype(str).to_numpy(object)
        project_alloc["document"] = (
            names.reindex(project_alloc.from_code).to_numpy(object)
            + "财农〔"
            + project_alloc.date.dt.year.astype(str).to_numpy(object)
            + "〕"
            + serial
            + "号"
        )
        serial = pd.Series(np.arange(len(upper)) % 400 + 1).astype(str).to_numpy(object)
        upper["document"] = (
            short
            + "财农〔"
            + upper.date.dt.year.astype(str).to_numpy(object)
            + "〕"
            + serial
            + "号"
        )
        allocations = pd.concat([upper, project_alloc], ignore_index=True)
        allocations.insert(0, "allocation_id", _ids("ZJ", len(allocations)))
        allocations["project_id"] = allocations.project_id.astype(object)
        alloc_ids = dict(
            zip(alloc.index.tolist(), allocations.allocation_id.iloc[len(upper) :], strict=True)
        )
        benef = self.benef.sort_values(["project", "hh"], kind="stable")
        beneficiaries = pd.DataFrame(
            {"project_id": pids[benef.project.to_numpy()], "hh_id": hh_ids[benef.hh.to_numpy()]}
        )
        out = []
        for item in planted:
            row = {"rule": item["rule"], "project_id": str(pids[item["project"]])}
            if "pay_row" in item:
                row["payment_id"] = row_ids[item["pay_row"]]
            if "alloc_row" in item:
                row["allocation_id"] = alloc_ids[item["alloc_row"]]
            if "hh" in item:
                row["hh_id"] = str(hh_ids[item["hh"]])
            out.append(row)
        projects = _as_dates(
            self.projects, ["planned_start", "planned_end", "actual_start", "actual_end"]
        )
        return FundsTables(
            projects,
            beneficiaries,
            _as_dates(allocations, ["date"]),
            _as_dates(payments, ["date"]),
            out,
        )


def _plant(rng, t: _Working, rows, n_hh, end) -> list[dict]:
    """Plant a few anomalies, one project each; returns what was planted (by index)."""
    p, pay, alloc = t.projects, t.pay, t.alloc
    n = len(p)
    pay_count = np.bincount(pay.project, minlength=n)
    hh_pay = np.bincount(pay.project[pay.hh >= 0], minlength=n)
    alloc_count = np.bincount(alloc.project, minlength=n)
    far = pd.Timestamp("2200-01-01")
    a_end = _day_numbers(p.actual_end.fillna(far))
    a_start = _day_numbers(p.actual_start.fillna(far))
    year = p.planned_start.dt.year.to_numpy()
    base = (
        (p.status.to_numpy() == "验收")
        & (alloc_count == 1)
        & (year <= 2018)
        & (a_end <= end - 470)
        & (pay_count >= 3)
        & (hh_pay >= 1)
    )
    pool = list(rng.permutation(np.nonzero(base)[0])[:400])  # plenty for a few per rule
    k = max(2, min(6, n // 25_000 + 2))
    planted: list[dict] = []
    paid = np.bincount(pay.project, weights=pay.amount, minlength=n)
    budget = p.budget.to_numpy()
    groups = {int(i): g for i, g in pay[pay.project.isin(pool)].groupby("project")}

    def take(ok) -> list[int]:
        got = []
        for i in pool:
            if len(got) == k:
                break
            if ok(i):
                got.append(i)
        for i in got:
            pool.remove(i)
        return got

    def homes(i: int) -> pd.DataFrame:
        return groups[i][groups[i].hh >= 0]

    def add(frame: pd.DataFrame, **row) -> int:
        idx = int(frame.index.max()) + 1
        frame.loc[idx] = pd.Series(row)
        return idx

    for i in take(lambda i: True):  # a payee outside the registry
        r = homes(i).index[0]
        pay.loc[r, "hh"] = -2
        t.fake_payees[r] = f"{p.code.iat[i]}99{len(planted) % 90 + 10}"
        planted.append({"rule": "payee_not_registered", "project": i, "pay_row": r})
    start = _exit_started(rows, n_hh)
    long_gone = np.nonzero(start <= FIRST_YEAR + 1)[0]  # exited in 2014/2015, still in 2020
    for i in (
        take(lambda i: _year_of(homes(i).date.max()) >= FIRST_YEAR + 4) if len(long_gone) else []
    ):
        r = homes(i).date.idxmax()
        h = int(long_gone[rng.integers(0, len(long_gone))])
        pay.loc[r, "hh"] = h
        planted.append({"rule": "payee_exited", "project": i, "pay_row": r, "hh": h})
    for i in take(lambda i: budget[i] - paid[i] >= homes(i).amount.min()):  # paid twice
        row = pay.loc[homes(i).amount.idxmin()]
        r = add(
            pay,
            project=i,
            date=int(row.date),
            amount=float(row.amount),
            payee_type="农户",
            hh=int(row.hh),
        )
        planted.append({"rule": "duplicate_payment", "project": i, "pay_row": r})
    first = alloc.groupby("project").date.min()
    for i in take(lambda i: np.sort(groups[i].date.to_numpy())[1] <= first[i] + 300):
        r = groups[i].date.idxmin()  # paid before any money arrived
        pay.loc[r, "date"] = int(first[i]) - int(rng.integers(10, 41))
        planted.append({"rule": "payment_before_allocation", "project": i, "pay_row": r})
    for i in take(lambda i: a_end[i] <= end - 320):  # paid long after the end
        r = groups[i].date.idxmax()
        pay.loc[r, "date"] = int(a_end[i]) + int(rng.integers(200, 301))
        planted.append({"rule": "payment_after_close", "project": i, "pay_row": r})
    for i in take(lambda i: True):  # paid above the budget
        r = add(
            pay,
            project=i,
            date=int((a_start[i] + a_end[i]) // 2),
            amount=float(np.round(budget[i] * 1.1 - paid[i])),
            payee_type="企业",
            hh=-1,
        )
        planted.append({"rule": "overpaid", "project": i, "pay_row": r})
    for i in take(lambda i: groups[i].date.max() <= end - 460):  # money that sat idle
        r = add(
            alloc,
            project=i,
            date=int(groups[i].date.max()) + int(rng.integers(30, 61)),
            amount=float(np.floor(budget[i] * 0.1 / 100) * 100),
        )
        planted.append({"rule": "idle_allocation", "project": i, "alloc_row": r})
    codes = p.code.to_numpy().astype(str)
    for i in take(lambda i: not codes[i].endswith("000")):  # a point in another village
        town = codes[i][:9]
        mates = np.nonzero(np.char.startswith(codes, town) & (codes != codes[i]))[0]
        mates = [j for j in mates if not codes[j].endswith("000")]
        if mates:
            p.loc[i, ["lon", "lat"]] = [p.lon.iat[mates[0]], p.lat.iat[mates[0]]]
            planted.append({"rule": "location_outside", "project": i})
    kinds = p.type.to_numpy()
    benef = t.benef.sort_values("project", kind="stable")
    cut = np.searchsorted(benef.project.to_numpy(), np.arange(n + 1))
    hh_of = benef.hh.to_numpy()

    def members_of(i: int) -> set:
        return set(hh_of[cut[i] : cut[i + 1]].tolist())

    paired: set[int] = set()  # each pair and household used once: hits stay one per plant
    for i in [i for i in pool if cut[i + 1] > cut[i]]:  # a household in two projects of a kind
        if sum(p["rule"] == "beneficiary_double" for p in planted) == k:
            break
        if i in paired:
            continue
        mates = np.nonzero((kinds == kinds[i]) & (year == year[i]) & (np.arange(n) != i))[0]
        mates = [j for j in mates[:200] if j not in paired and members_of(j) - members_of(i)]
        if mates:
            j = int(mates[0])
            h = min(members_of(j) - members_of(i))
            paired |= {i, j}
            pool.remove(i)
            t.benef = pd.concat(
                [t.benef, pd.DataFrame({"project": [i], "hh": [h]})], ignore_index=True
            )
            planted.append({"rule": "beneficiary_double", "project": max(i, j), "hh": int(h)})
    for i in take(lambda i: True):  # completed, nothing paid (and its allocation withdrawn)
        t.pay = pay = pay.drop(groups[i].index)
        t.alloc = alloc = alloc.drop(alloc.index[alloc.project == i])
        planted.append({"rule": "completed_no_payment", "project": i})
    return planted


def _as_dates(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Date columns as Arrow date32 (parquet DATE: a day, no time of day)."""
    return frame.assign(**{c: frame[c].astype("date32[pyarrow]") for c in columns})


def _day_numbers(values: pd.Series) -> np.ndarray:
    return (values.to_numpy("datetime64[D]") - _EPOCH).astype(np.int64)


def _year_of(day: int) -> int:
    return int(str(_days(np.asarray([day]))[0])[:4])


def _exit_started(rows: dict, n_hh: int) -> np.ndarray:
    """Per household the first year of the run of 已脱贫 lasting to the last year (9999 when
    the household is not exited then)."""
    years = LAST_YEAR - FIRST_YEAR + 1
    status = np.full((n_hh, years), -1, dtype=np.int8)
    status[rows["hh"], np.asarray(rows["year"], dtype=np.int64) - FIRST_YEAR] = rows["status"]
    start = np.full(n_hh, 9999, dtype=np.int64)
    for k in range(years):
        exited = status[:, k] == 1
        start = np.where(exited, np.where(start == 9999, FIRST_YEAR + k, start), 9999)
    return start


def manifest_part(tables: FundsTables) -> dict:
    """The manifest's ``funds`` entry: row counts, total amounts and the planted anomalies
    (rule, project_id and the payment, allocation or household each one touches)."""
    return {
        "counts": {name: len(frame) for name, frame in tables.tables().items()},
        "budget_yuan": float(tables.projects.budget.sum()),
        "planted": tables.planted,
    }
