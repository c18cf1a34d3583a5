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
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from battlemap.indicators.funds_rules import FundsRules

__all__ = [
    "HIT_COLUMNS",
    "RULES",
    "RULE_NAMES",
    "RULE_NAMES_EN",
    "arrow_text",
    "lookup",
    "scan",
    "text_codes",
]

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
RULE_NAMES_EN: dict[str, str] = {
    "payee_not_registered": "Payee not in the registry",
    "payee_exited": "Paid to a household exited for years",
    "duplicate_payment": "Same household paid twice",
    "payment_before_allocation": "Paid before the allocation",
    "payment_after_close": "Paid after the project closed",
    "overpaid": "Payments over budget",
    "idle_allocation": "Idle allocation",
    "location_outside": "Project outside its region",
    "beneficiary_double": "Beneficiary counted twice",
    "completed_no_payment": "Completed with no payment",
}
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


def _arrow(values) -> pa.Array:
    """Text as an Arrow string array (hashing UTF-8 bytes in C++ beats Python strings)."""
    if isinstance(values, pa.Array):
        return values
    return pa.array(np.asarray(values, dtype=object), pa.string(), from_pandas=True)


def _lookup(values, keys: pa.Array) -> np.ndarray:
    """Position of each value in ``keys`` (-1 when absent or missing)."""
    if not isinstance(values, pa.Array):
        values = _arrow(values.to_numpy(object) if hasattr(values, "to_numpy") else values)
    found = pc.index_in(values, value_set=keys)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _codes(values) -> tuple[np.ndarray, pa.Array]:
    """(integer code of each value, the distinct values as Arrow strings)."""
    encoded = _arrow(values).dictionary_encode()
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64), encoded.dictionary


# shared with the funds values (geodata.funds_aggregate): the same fast ID handling
arrow_text, lookup, text_codes = _arrow, _lookup, _codes


class _Tables:
    """The scan's tables with integer keys: project index of every row, day numbers."""

    def __init__(self, projects, beneficiaries, allocations, payments) -> None:
        self.projects = projects.reset_index(drop=True)
        ids = pd.Index(payments.payment_id.to_numpy(object), dtype=object)
        if ids.is_monotonic_increasing:  # usual: generated and imported tables are by ID
            self.payments = payments.reset_index(drop=True)
        else:  # by ID, so hits do not depend on the input's row order
            order = np.argsort(ids.to_numpy(), kind="stable")
            self.payments = payments.iloc[order].reset_index(drop=True)
        self.allocations = allocations.reset_index(drop=True)
        self.beneficiaries = beneficiaries
        index = pd.Index(self.projects.project_id.to_numpy(object), dtype=object)
        self.n = len(index)
        keys = _arrow(index.to_numpy())
        self.pp = _lookup(self.payments.project_id, keys)
        self.ap = _lookup(self.allocations.project_id, keys)
        self.bp = _lookup(beneficiaries.project_id, keys)
        self.pday = _days(self.payments.date)
        self.aday = _days(self.allocations.date)
        self.cents = np.floor(self.payments.amount.to_numpy(float) * 100 + 0.5).astype(np.int64)


def _payee_rules(t: _Tables, registry, known, rules: FundsRules) -> list[pd.DataFrame]:
    pay = t.payments
    payee = pay.payee_hh_id.to_numpy(object)
    has = pd.notna(payee)
    registered = has & (_lookup(pay.payee_hh_id, _arrow(known)) >= 0)
    outside = pay[has & ~registered]
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
    inside = pay[registered]
    if not inside.empty and not registry.empty:
        out.append(_exited(inside, registry, rules))
    codes, _ = _codes(payee[registered])
    key = (t.pp[registered].astype(np.int64) + 1) * (codes.max(initial=0) + 1) + codes
    dup = inside[pd.Series(key).duplicated(keep=False).to_numpy()]
    dup = dup.sort_values(["project_id", "payee_hh_id", "date", "payment_id"], kind="stable")
    groups = dup.groupby(["project_id", "payee_hh_id"])
    rank = groups.cumcount()
    times = groups.payment_id.transform("size")
    ids = groups.payment_id.agg(list)
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
    year = registry.year.to_numpy(np.int64)
    y0, span = int(year.min()), int(year.max() - year.min() + 1)
    codes, uniques = _codes(registry.hh_id.to_numpy(object))
    exited = np.zeros((len(uniques), span), dtype=bool)
    exited[codes, year - y0] = registry.status.to_numpy(object) == _STATUS_EXITED
    start = np.full((len(uniques), span), -1, dtype=np.int64)  # first year of the current run
    for k in range(span):
        prev = start[:, k - 1] if k else np.full(len(uniques), -1)
        start[:, k] = np.where(exited[:, k], np.where(prev >= 0, prev, y0 + k), -1)
    pay_year = pd.to_datetime(paid.date).dt.year.to_numpy()
    k = np.clip(pay_year - y0, 0, span - 1)
    row = _lookup(paid.payee_hh_id, uniques)
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


_NEVER = 1 << 40


def _timing_rules(t: _Tables, rules: FundsRules, as_of) -> list[pd.DataFrame]:
    pay, pp = t.payments, t.pp
    first = np.full(t.n + 1, _NEVER, dtype=np.int64)  # slot n: payments of unknown projects
    located = t.ap >= 0
    np.minimum.at(first, t.ap[located], t.aday[located])
    slot = np.where(pp >= 0, pp, t.n)
    early_mask = t.pday < first[slot]
    first_day = first[slot][early_mask]
    known = first_day < _NEVER
    stamps = np.where(known, first_day, 0).astype("datetime64[D]").astype("datetime64[ns]")
    stamps[~known] = np.datetime64("NaT")
    early = pay[early_mask].assign(first_alloc=stamps)
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
    ends = np.r_[_days(t.projects.actual_end), _NEVER]
    ends = np.where(ends < 0, _NEVER, ends)
    late_mask = (ends[slot] < _NEVER) & (t.pday > ends[slot] + rules.close_grace_days)
    late = pay[late_mask].assign(actual_end=pd.to_datetime(ends[slot][late_mask], unit="D"))
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
    out.append(_overpaid(t, rules))
    out.append(_idle(t, rules, as_of))
    return out


def _overpaid(t: _Tables, rules: FundsRules) -> pd.DataFrame:
    """The payment that takes a project's running total above its budget."""
    mine = np.nonzero(t.pp >= 0)[0]
    order = mine[np.lexsort((mine, t.pday[mine], t.pp[mine]))]  # by project, date, ID
    group = t.pp[order]
    running = np.cumsum(t.cents[order])
    starts = np.r_[0, np.nonzero(group[1:] != group[:-1])[0] + 1]
    before = np.repeat(np.r_[0, running[starts[1:] - 1]], np.diff(np.r_[starts, len(order)]))
    running = running - before
    budget = t.projects.budget.to_numpy(float)
    cap = np.floor(budget * (1 + rules.overpaid_tolerance_pct / 100) * 100 + 0.5)
    over = running > cap[group]
    if not over.any():
        return _hits("overpaid", t.payments.iloc[:0], str, dict)
    projects, first = np.unique(group[over], return_index=True)
    rows = order[np.nonzero(over)[0][first]]
    totals = np.bincount(group, weights=t.cents[order], minlength=t.n)
    found = t.payments.iloc[rows].assign(
        budget=budget[projects], total=np.round(totals[projects]) / 100
    )
    return _hits(
        "overpaid",
        found,
        lambda r: f"累计支付 {_yuan(r.total)} 元，超过预算 {_yuan(r.budget)} 元",
        lambda r: {"paid": r.total, "budget": r.budget, "payment_id": r.payment_id},
    )


def _idle(t: _Tables, rules: FundsRules, as_of) -> pd.DataFrame:
    """Allocations with no payment of their project within ``idle_days`` of their date."""
    limit = int((as_of.to_datetime64().astype("datetime64[D]")).astype(np.int64))
    due = (t.ap >= 0) & (t.aday + rules.idle_days <= limit)
    mine = t.pp >= 0
    key_pay = np.sort(t.pp[mine].astype(np.int64) * 10**6 + t.pday[mine])
    key_due = t.ap[due].astype(np.int64) * 10**6 + t.aday[due]
    at = np.searchsorted(key_pay, key_due, "left")
    nxt = np.where(at < len(key_pay), key_pay[np.minimum(at, max(len(key_pay) - 1, 0))], -1)
    ok = (nxt >= 0) & (nxt // 10**6 == key_due // 10**6) & (nxt - key_due <= rules.idle_days)
    rows = t.allocations[due][~ok]
    window = pd.Timedelta(days=rules.idle_days)
    idle = rows.assign(date_alloc=rows.date, date=rows.date + window)
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
    """Dates → int days since 1970 (NaT → a very negative number)."""
    return pd.to_datetime(values).to_numpy("datetime64[D]").astype(np.int64)


def _project_rules(t: _Tables, shapes, as_of) -> list[pd.DataFrame]:
    projects = t.projects
    out = []
    placed = projects[projects.lon.notna() & projects.lat.notna()]
    if not placed.empty and shapes is not None:
        geoms = pd.Series(shapes).reindex(placed.code.to_numpy(object)).to_numpy(object)
        known = ~pd.isna(geoms)
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
    out.append(_double(t))
    has_payment = np.bincount(t.pp[t.pp >= 0], minlength=t.n) > 0
    done = projects[
        projects.status.isin(["完工", "验收"]).to_numpy()
        & projects.actual_end.notna().to_numpy()
        & ~has_payment
    ]
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


def _double(t: _Tables) -> pd.DataFrame:
    """Households that benefit from two projects of one type in one (planned start) year."""
    ok = t.bp >= 0
    bp = t.bp[ok]
    hh, uniques = _codes(t.beneficiaries.hh_id.to_numpy(object)[ok])
    kind, _ = _codes(t.projects.type.to_numpy(object))
    year = pd.to_datetime(t.projects.planned_start).dt.year.fillna(0).to_numpy(np.int64)
    width = int(hh.max(initial=0)) + 1
    pair = pd.unique(bp.astype(np.int64) * width + hh)
    bp, hh = pair // width, pair % width
    key = (hh * 64 + kind[bp]) * 10_000 + year[bp]
    multi = pd.Series(key).duplicated(keep=False).to_numpy()
    if not multi.any():
        return _hits("beneficiary_double", t.projects.iloc[:0], str, dict)
    links = pd.DataFrame(
        {
            "hh_id": pd.Series(uniques.to_numpy(zero_copy_only=False)[hh[multi]], dtype=object),
            "project_id": pd.Series(
                t.projects.project_id.to_numpy(object)[bp[multi]], dtype=object
            ),
            "type": pd.Series(t.projects.type.to_numpy(object)[bp[multi]], dtype=object),
            "year": year[bp[multi]],
            "planned_start": t.projects.planned_start.to_numpy()[bp[multi]],
        }
    )
    agg = (
        links.groupby(["hh_id", "type", "year"])
        .agg(
            project_id=("project_id", "max"),
            others=("project_id", lambda s: sorted(s)),
            date=("planned_start", "max"),
        )
        .reset_index()
    )
    return _hits(
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


def scan(
    projects: pd.DataFrame,
    beneficiaries: pd.DataFrame,
    allocations: pd.DataFrame,
    payments: pd.DataFrame,
    registry: pd.DataFrame,
    known_households: pd.Index | set | list,
    shapes: Mapping[str, object] | None,
    rules: FundsRules,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """Every rule's hits dated on or before ``as_of``, sorted by date, rule, project.

    ``allocations`` are those to projects (``project_id`` set); ``registry`` holds
    household_years rows (hh_id, year, status) of at least the paid households;
    ``known_households`` the paid IDs that are registered; ``shapes`` maps a region code to
    its polygon (a Series or dict; a code without one is not checked).
    """
    as_of = pd.Timestamp(as_of)
    projects = _dated(projects, ["planned_start", "actual_end"])
    allocations = _dated(allocations[allocations.project_id.notna()], ["date"])
    payments = _dated(payments, ["date"])
    known = np.asarray(list(known_households), dtype=object)
    tables = _Tables(projects, beneficiaries, allocations, payments)
    parts = [
        *_payee_rules(tables, registry, known, rules),
        *_timing_rules(tables, rules, as_of),
        *_project_rules(tables, shapes, as_of),
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
