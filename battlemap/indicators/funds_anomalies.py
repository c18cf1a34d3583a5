"""The data cage (数据铁笼): fund anomaly rules over projects, allocations and payments.

Pure: tables in, one row per hit out (``rule``, ``reason`` in words, the project, the date
the anomaly arose, the ``evidence`` as JSON). Thresholds come from the rules file's
``[funds]`` section (:class:`~battlemap.indicators.funds_rules.FundsRules`). A hit is dated
when it arose (the payment, the end of the idle window, the project's end …), so a report
"as of 31 December Y" is the hits dated on or before it. Both stores feed the same tables to
:func:`scan`, so they report the same hits.

Rules (ids in :data:`RULES`):

- ``payee_not_registered``: a payment to a household ID not in the registry;
- ``payee_exited``: a payment to a household exited (已脱贫, without a return since) at
  least ``exited_years`` years before the payment's year;
- ``duplicate_payment``: the same household paid more than once by one project;
- ``payment_before_allocation``: a payment dated before the project's first allocation
  (or a project paid with no allocation at all);
- ``payment_after_close``: a payment more than ``close_grace_days`` after the actual end;
- ``overpaid``: the project's payments exceed its budget (+ ``overpaid_tolerance_pct``);
- ``idle_allocation``: an allocation with no payment of its project within ``idle_days``;
- ``location_outside``: the project's point lies outside its region (village) polygon;
- ``beneficiary_double``: one household a beneficiary of two projects of one type and
  year (the hit names the project with the larger ID);
- ``completed_no_payment``: a project 完工/验收 with no payment at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import shapely

from battlemap.indicators.funds_rules import FundsRules

__all__ = ["HIT_COLUMNS", "RULES", "RULE_NAMES", "scan"]

RULES: tuple[str, ...] = (
    "payee_not_registered",
    "payee_exited",
    "duplicate_payment",
    "payment_before_allocation",
    "payment_after_close",
    "overpaid",
    "idle_allocation",
    "location_outside",
    "beneficiary_double",
    "completed_no_payment",
)
RULE_NAMES: dict[str, str] = {
    "payee_not_registered": "支付对象不在建档立卡名单",
    "payee_exited": "支付给已脱贫多年的农户",
    "duplicate_payment": "同一农户重复领取",
    "payment_before_allocation": "资金未下达先支付",
    "payment_after_close": "项目结束后仍支付",
    "overpaid": "支付超预算",
    "idle_allocation": "资金滞留",
    "location_outside": "项目位置不在所属区域",
    "beneficiary_double": "同类项目重复受益",
    "completed_no_payment": "项目完工无支付",
}
HIT_COLUMNS: tuple[str, ...] = (
    "rule",
    "reason",
    "project_id",
    "project_name",
    "code",
    "date",
    "evidence",
)
_STATUS_EXITED = "已脱贫"


def _day(value) -> str:
    return str(pd.Timestamp(value).date())


def _yuan(value: float) -> str:
    return f"{value:,.2f}"


def _hits(rule: str, frame: pd.DataFrame, reason: Callable, evidence: Callable) -> pd.DataFrame:
    """One hit per row of ``frame`` (which has project_id and date)."""
    if frame.empty:
        return pd.DataFrame(columns=["rule", "reason", "project_id", "date", "evidence"])
    rows = list(frame.itertuples(index=False))
    return pd.DataFrame(
        {
            "rule": rule,
            "reason": [reason(r) for r in rows],
            "project_id": frame.project_id.to_numpy(object),
            "date": pd.to_datetime(frame.date).to_numpy("datetime64[ns]"),
            "evidence": [json.dumps(evidence(r), ensure_ascii=False, sort_keys=True) for r in rows],
        }
    )


def _payee_rules(payments, registry, known, rules: FundsRules) -> list[pd.DataFrame]:
    paid = payments[payments.payee_hh_id.notna()]
    outside = paid[~paid.payee_hh_id.isin(known)]
    out = [
        _hits(
            "payee_not_registered",
            outside,
            lambda r: f"支付给建档立卡名单外的农户 {r.payee_hh_id}（{_yuan(r.amount)} 元）",
            lambda r: {
                "payment_id": r.payment_id,
                "hh_id": r.payee_hh_id,
                "amount": r.amount,
                "date": _day(r.date),
            },
        )
    ]
    inside = paid[paid.payee_hh_id.isin(known)]
    if not inside.empty and not registry.empty:
        out.append(_exited(inside, registry, rules))
    dup = inside.sort_values(["project_id", "payee_hh_id", "date", "payment_id"], kind="stable")
    rank = dup.groupby(["project_id", "payee_hh_id"]).cumcount()
    times = dup.groupby(["project_id", "payee_hh_id"]).payment_id.transform("size")
    ids = dup.groupby(["project_id", "payee_hh_id"]).payment_id.agg(list)
    second = dup[rank == 1].assign(times=times[rank == 1])
    out.append(
        _hits(
            "duplicate_payment",
            second,
            lambda r: f"农户 {r.payee_hh_id} 在本项目领取 {r.times} 次",
            lambda r: {"hh_id": r.payee_hh_id, "payment_ids": ids[(r.project_id, r.payee_hh_id)]},
        )
    )
    return out


def _exited(paid: pd.DataFrame, registry: pd.DataFrame, rules: FundsRules) -> pd.DataFrame:
    """Payments to households exited at least ``exited_years`` before the payment's year."""
    years = sorted(int(y) for y in registry.year.unique())
    y0, span = years[0], years[-1] - years[0] + 1
    ids = pd.Index(registry.hh_id.unique())
    exited = np.zeros((len(ids), span), dtype=bool)
    exited[ids.get_indexer(registry.hh_id), registry.year.to_numpy(int) - y0] = (
        registry.status.astype(str).to_numpy() == _STATUS_EXITED
    )
    start = np.full((len(ids), span), -1, dtype=np.int64)  # first year of the current run
    for k in range(span):
        prev = start[:, k - 1] if k else np.full(len(ids), -1)
        start[:, k] = np.where(exited[:, k], np.where(prev >= 0, prev, y0 + k), -1)
    pay_year = pd.to_datetime(paid.date).dt.year.to_numpy()
    k = np.clip(pay_year - y0, 0, span - 1)
    row = ids.get_indexer(paid.payee_hh_id)
    since = np.where(row >= 0, start[np.maximum(row, 0), k], -1)
    hit = (since >= 0) & (pay_year - since >= rules.exited_years)
    found = paid[hit].assign(since=since[hit], gone=(pay_year - since)[hit])
    return _hits(
        "payee_exited",
        found,
        lambda r: f"支付给 {r.since} 年已脱贫的农户 {r.payee_hh_id}（已脱贫 {r.gone} 年）",
        lambda r: {
            "payment_id": r.payment_id,
            "hh_id": r.payee_hh_id,
            "exited_year": int(r.since),
            "amount": r.amount,
            "date": _day(r.date),
        },
    )


def _timing_rules(projects, allocations, payments, rules: FundsRules, as_of) -> list:
    first = allocations.groupby("project_id").date.min()
    pay = payments.assign(first_alloc=payments.project_id.map(first))
    early = pay[pay.first_alloc.isna() | (pay.date < pay.first_alloc)]
    out = [
        _hits(
            "payment_before_allocation",
            early,
            lambda r: (
                f"支付 {_day(r.date)} 早于首笔资金下达 {_day(r.first_alloc)}"
                if pd.notna(r.first_alloc)
                else f"支付 {_day(r.date)} 但项目无资金下达记录"
            ),
            lambda r: {
                "payment_id": r.payment_id,
                "amount": r.amount,
                "date": _day(r.date),
                "first_allocation": None if pd.isna(r.first_alloc) else _day(r.first_alloc),
            },
        )
    ]
    ends = projects.set_index("project_id").actual_end
    pay = pay.assign(actual_end=pay.project_id.map(ends))
    grace = pd.Timedelta(days=rules.close_grace_days)
    late = pay[pay.actual_end.notna() & (pay.date > pay.actual_end + grace)]
    out.append(
        _hits(
            "payment_after_close",
            late,
            lambda r: (
                f"项目 {_day(r.actual_end)} 结束，{_day(r.date)} 仍支付 {_yuan(r.amount)} 元"
                f"（超过 {rules.close_grace_days} 天）"
            ),
            lambda r: {
                "payment_id": r.payment_id,
                "amount": r.amount,
                "date": _day(r.date),
                "actual_end": _day(r.actual_end),
            },
        )
    )
    # overpaid: the payment that takes the running total above the budget
    budget = projects.set_index("project_id").budget
    ordered = payments.sort_values(["project_id", "date", "payment_id"], kind="stable")
    cents = np.floor(ordered.amount.to_numpy(float) * 100 + 0.5).astype(np.int64)
    running = pd.Series(cents, index=ordered.index).groupby(ordered.project_id.to_numpy()).cumsum()
    cap = ordered.project_id.map(budget).to_numpy(float) * (1 + rules.overpaid_tolerance_pct / 100)
    over = ordered[running.to_numpy() > np.floor(cap * 100 + 0.5)]
    over = over.groupby("project_id", sort=False).head(1)
    totals = pd.Series(cents, index=ordered.index).groupby(ordered.project_id.to_numpy()).sum()
    over = over.assign(budget=over.project_id.map(budget), total=over.project_id.map(totals) / 100)
    out.append(
        _hits(
            "overpaid",
            over,
            lambda r: f"累计支付 {_yuan(r.total)} 元，超过预算 {_yuan(r.budget)} 元",
            lambda r: {"paid": r.total, "budget": r.budget, "payment_id": r.payment_id},
        )
    )
    out.append(_idle(allocations, payments, rules, as_of))
    return out


def _idle(allocations, payments, rules: FundsRules, as_of) -> pd.DataFrame:
    """Allocations with no payment of their project within ``idle_days`` of their date."""
    window = pd.Timedelta(days=rules.idle_days)
    due = allocations[allocations.date + window <= as_of]
    pay = payments.sort_values(["project_id", "date"], kind="stable")
    projects = pd.Index(pd.unique(pd.concat([due.project_id, pay.project_id])))
    key_pay = projects.get_indexer(pay.project_id).astype(np.int64) * 10**6 + _days(pay.date)
    key_due = projects.get_indexer(due.project_id).astype(np.int64) * 10**6 + _days(due.date)
    order = np.argsort(key_pay, kind="stable")
    key_pay = key_pay[order]
    at = np.searchsorted(key_pay, key_due, "left")
    nxt = np.where(at < len(key_pay), key_pay[np.minimum(at, len(key_pay) - 1)], -1)
    same = (nxt >= 0) & (nxt // 10**6 == key_due // 10**6)
    ok = same & (nxt - key_due <= rules.idle_days)
    idle = due[~ok].assign(date_alloc=due.date[~ok], date=due.date[~ok] + window)
    return _hits(
        "idle_allocation",
        idle,
        lambda r: f"{_day(r.date_alloc)} 下达 {_yuan(r.amount)} 元，{rules.idle_days} 天内无支付",
        lambda r: {
            "allocation_id": r.allocation_id,
            "amount": r.amount,
            "allocated": _day(r.date_alloc),
        },
    )


def _days(values: pd.Series) -> np.ndarray:
    return (pd.to_datetime(values).to_numpy("datetime64[D]").astype(np.int64)).astype(np.int64)


def _project_rules(projects, beneficiaries, payments, shapes, as_of) -> list[pd.DataFrame]:
    out = []
    placed = projects[projects.lon.notna() & projects.lat.notna()]
    if not placed.empty and shapes is not None:
        geoms = np.asarray([shapes(c) for c in placed.code], dtype=object)
        known = np.asarray([g is not None for g in geoms])
        inside = np.ones(len(placed), dtype=bool)
        if known.any():
            inside[known] = shapely.contains_xy(
                geoms[known], placed.lon.to_numpy(float)[known], placed.lat.to_numpy(float)[known]
            )
        away = placed[~inside].assign(date=placed.planned_start[~inside])
        out.append(
            _hits(
                "location_outside",
                away,
                lambda r: f"项目位置（{r.lon:.5f}, {r.lat:.5f}）不在所属区域 {r.code} 内",
                lambda r: {"lon": r.lon, "lat": r.lat, "code": r.code},
            )
        )
    kinds = projects.set_index("project_id")[["type", "planned_start"]]
    links = beneficiaries.drop_duplicates().join(kinds, on="project_id", how="inner")
    links = links.assign(year=pd.to_datetime(links.planned_start).dt.year)
    groups = links.groupby(["hh_id", "type", "year"])
    multi = links[groups.project_id.transform("size") > 1]
    if not multi.empty:
        agg = multi.groupby(["hh_id", "type", "year"]).agg(
            project_id=("project_id", "max"),
            others=("project_id", lambda s: sorted(s)),
            date=("planned_start", "max"),
        )
        agg = agg.reset_index()
    else:
        agg = pd.DataFrame(columns=["hh_id", "type", "year", "project_id", "others", "date"])
    out.append(
        _hits(
            "beneficiary_double",
            agg,
            lambda r: f"农户 {r.hh_id} 在 {r.year} 年受益于 {len(r.others)} 个{r.type}项目",
            lambda r: {
                "hh_id": r.hh_id,
                "type": r.type,
                "year": int(r.year),
                "projects": list(r.others),
            },
        )
    )
    done = projects[projects.status.isin(["完工", "验收"]) & projects.actual_end.notna()]
    done = done[~done.project_id.isin(payments.project_id)]
    done = done[done.actual_end <= as_of].assign(date=done.actual_end)
    out.append(
        _hits(
            "completed_no_payment",
            done,
            lambda r: f"项目已{r.status}（{_day(r.actual_end)}），没有任何支付记录",
            lambda r: {"status": r.status, "actual_end": _day(r.actual_end), "budget": r.budget},
        )
    )
    return out


def scan(
    projects: pd.DataFrame,
    beneficiaries: pd.DataFrame,
    allocations: pd.DataFrame,
    payments: pd.DataFrame,
    registry: pd.DataFrame,
    known_households: pd.Index | set | list,
    shapes: Callable[[str], object] | None,
    rules: FundsRules,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """Every rule's hits dated on or before ``as_of``, sorted by date, rule, project.

    ``allocations`` are those to projects (``project_id`` set); ``registry`` holds
    household_years rows (hh_id, year, status) of at least the paid households;
    ``known_households`` the paid IDs that are registered; ``shapes(code)`` the region's
    polygon (None when unknown; no check then).
    """
    as_of = pd.Timestamp(as_of)
    projects = _dated(projects, ["planned_start", "actual_end"])
    allocations = _dated(allocations[allocations.project_id.notna()], ["date"])
    payments = _dated(payments, ["date"])
    known = pd.Index(known_households)
    parts = [
        *_payee_rules(payments, registry, known, rules),
        *_timing_rules(projects, allocations, payments, rules, as_of),
        *_project_rules(projects, beneficiaries, payments, shapes, as_of),
    ]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in HIT_COLUMNS}).astype(
            {"date": "datetime64[ns]"}
        )
    hits = pd.concat(parts, ignore_index=True)
    hits = hits[hits.date <= as_of]
    info = projects.set_index("project_id")
    hits = hits.assign(
        project_name=hits.project_id.map(info["name"]).astype(object),
        code=hits.project_id.map(info.code).astype(object),
    )
    hits = hits[hits.code.notna()]
    rank = hits.rule.map({r: i for i, r in enumerate(RULES)})
    hits = hits.assign(_rank=rank).sort_values(
        ["date", "_rank", "project_id", "evidence"], kind="stable"
    )
    return hits[list(HIT_COLUMNS)].reset_index(drop=True)


def _dated(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame.assign(**{c: pd.to_datetime(frame[c]).astype("datetime64[ns]") for c in columns})
