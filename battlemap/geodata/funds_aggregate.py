"""Funds values per (region code, year) for the embedded store: int64 [region, year, metric].

Metrics are :data:`~battlemap.geodata.funds_schema.FUNDS_METRICS` (money in fen, summed as
integers so the PostGIS aggregate, built in SQL by the same definitions, matches it to the
cent). A project counts in its own region and every ancestor; beneficiary values count
where the household lives. The definitions, for 31 December of year Y (``end``):

- allocated / paid: allocations to the project (``project_id`` set) / payments, dated ≤ end;
  ``_in_year``: dated in Y; by source: the project's source;
- projects: begun by end (planned or actual start ≤ end); overdue: begun, planned end ≤ end
  and no actual end ≤ end; status: the recorded final status once the actual end ≤ end,
  else 在建 once the actual start ≤ end, else 计划;
- anomalies: hits of the scan dated ≤ end;
- beneficiaries: distinct households linked to a project begun by end (persons: their
  size); income gain: Σ size × (income per capita in Y − in the year before the household's
  first project, or its first year on record after that), in fen.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from battlemap.geodata.funds_schema import FUNDS_METRICS, SOURCE_KEYS, STATUS_KEYS, TYPE_KEYS
from battlemap.indicators.funds_anomalies import arrow_text, lookup, text_codes

__all__ = ["ancestor_index", "funds_values", "to_fen"]

_M = {name: j for j, name in enumerate(FUNDS_METRICS)}
_FINAL = ("完工", "验收", "终止")


def to_fen(amount: pd.Series | np.ndarray) -> np.ndarray:
    """Yuan → integer fen, rounding half up (PostgreSQL: ``floor(amount * 100 + 0.5)``)."""
    return np.floor(np.asarray(amount, dtype=float) * 100 + 0.5).astype(np.int64)


def _day(values) -> np.ndarray:
    """Dates → int days since 1970 (NaT → a far future day)."""
    stamps = pd.to_datetime(pd.Series(values)).to_numpy("datetime64[D]")
    out = stamps.astype(np.int64)
    out[np.isnat(stamps)] = 1 << 40
    return out


def ancestor_index(codes: tuple[str, ...], wanted: np.ndarray) -> np.ndarray:
    """[n, 5] region indexes of each wanted code's ancestors and itself (province … village;
    -1 where a level repeats the one above or the code is unknown)."""
    index = pd.Index(codes, dtype=object)
    text = pd.Series(np.asarray(wanted, dtype=object)).astype(str)
    out = np.full((len(text), 5), -1, dtype=np.int64)
    previous = None
    for j, length in enumerate((2, 4, 6, 9, 12)):
        prefix = text.str[:length].str.ljust(12, "0").to_numpy(dtype=object)
        idx = index.get_indexer(prefix)
        if previous is not None:
            idx = np.where(prefix == previous, -1, idx)
        out[:, j] = idx
        previous = prefix
    return out


def _add(out: np.ndarray, anc: np.ndarray, metric: int, values: np.ndarray) -> None:
    """Add [n, Y] values to every ancestor's row of one metric."""
    years = values.shape[1]
    for j in range(anc.shape[1]):
        ok = anc[:, j] >= 0
        if not ok.any():
            continue
        flat = (anc[ok, j][:, None] * years + np.arange(years)).ravel()
        sums = np.bincount(flat, weights=values[ok].ravel(), minlength=out.shape[0] * years)
        out[:, :, metric] += np.round(sums).astype(np.int64).reshape(out.shape[0], years)


def _by_year(
    pidx: np.ndarray, day: np.ndarray, weight: np.ndarray, n: int, ends: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(cumulative to each year end, within each year) sums per project: [n, Y] each."""
    years = len(ends)
    starts = np.r_[ends[0] - 365, ends[:-1]]
    bins = np.searchsorted(ends, day, "left")  # 0..Y (Y: after the last year)
    ok = (pidx >= 0) & (bins < years)
    table = np.zeros((n, years + 1))
    np.add.at(table, (pidx[ok], bins[ok]), weight[ok])
    early = day[ok] <= starts[0]  # before the first year: only in the cumulative sums
    in_year = table[:, :years].copy()
    before = np.zeros((n, years))
    np.add.at(before, (pidx[ok][early], 0), weight[ok][early])
    in_year -= before
    return np.cumsum(table[:, :years], axis=1), in_year


def funds_values(
    codes: tuple[str, ...],
    years: tuple[int, ...],
    tables: dict[str, pd.DataFrame],
    households: pd.DataFrame,
    household_years: pd.DataFrame,
    hits: pd.DataFrame,
) -> np.ndarray:
    """The [region, year, metric] array. ``households`` (hh_id, village_code, size) and
    ``household_years`` (hh_id, year, income_per_capita) need only cover the beneficiaries."""
    out = np.zeros((len(codes), len(years), len(FUNDS_METRICS)), dtype=np.int64)
    ends = np.asarray([f"{y}-12-31" for y in years], "datetime64[D]").astype(np.int64)
    projects = tables["projects"]
    anc = _own(codes, projects.code.to_numpy())
    located = anc[:, 0] >= 0
    projects, anc = projects[located].reset_index(drop=True), anc[located]
    n = len(projects)
    pid = pd.Index(projects.project_id.to_numpy(object), dtype=object)
    source = projects.source.map({s: i for i, s in enumerate(SOURCE_KEYS)}).to_numpy()

    for table, name in (("fund_allocations", "allocated"), ("fund_payments", "paid")):
        rows = tables[table]
        if name == "allocated":
            rows = rows[rows.project_id.notna()]
        pidx = pid.get_indexer(rows.project_id)
        cum, in_year = _by_year(pidx, _day(rows.date), to_fen(rows.amount), n, ends)
        _add(out, anc, _M[f"{name}_fen"], cum)
        _add(out, anc, _M[f"{name}_in_year_fen"], in_year)
        for i, key in enumerate(SOURCE_KEYS.values()):
            mine = source == i
            _add(out, anc[mine], _M[f"{name}_fen_{key}"], cum[mine])

    planned_start, planned_end = _day(projects.planned_start), _day(projects.planned_end)
    actual_start, actual_end = _day(projects.actual_start), _day(projects.actual_end)
    begun = np.minimum(planned_start, actual_start)[:, None] <= ends
    ended = actual_end[:, None] <= ends
    started = actual_start[:, None] <= ends
    _add(out, anc, _M["projects"], begun.astype(float))
    overdue = begun & (planned_end[:, None] <= ends) & ~ended
    _add(out, anc, _M["projects_overdue"], overdue.astype(float))
    kinds = projects.type.to_numpy()
    for kind, key in TYPE_KEYS.items():
        mine = kinds == kind
        _add(out, anc[mine], _M[f"type_{key}"], begun[mine].astype(float))
    final = np.where(
        np.isin(projects.status.to_numpy(), _FINAL), projects.status.to_numpy(), "完工"
    )
    state = np.where(ended, final[:, None], np.where(started, "在建", "计划"))
    for status, key in STATUS_KEYS.items():
        _add(out, anc, _M[f"status_{key}"], (begun & (state == status)).astype(float))

    if len(hits):
        hidx = pid.get_indexer(hits.project_id)
        cum, _ = _by_year(hidx, _day(hits.date), np.ones(len(hits)), n, ends)
        _add(out, anc, _M["anomalies"], cum)
    _beneficiaries(out, codes, years, ends, tables, projects, households, household_years)
    _roll_up(codes, out)
    return out


def _own(codes: tuple[str, ...], wanted: np.ndarray) -> np.ndarray:
    """[n, 1] region index of each code (-1 when it is not a region): values are summed
    on the own region first, then rolled up (:func:`_roll_up`)."""
    index = pd.Index(np.asarray(codes, dtype=object), dtype=object)
    return index.get_indexer(np.asarray(wanted, dtype=object).astype(str).astype(object))[:, None]


def _roll_up(codes: tuple[str, ...], out: np.ndarray) -> None:
    """Add every region's own values to each of its ancestors (in place)."""
    anc = ancestor_index(codes, np.asarray(codes, dtype=object))
    own = out.copy()
    rows = np.arange(len(codes))
    for j in range(anc.shape[1]):
        up = anc[:, j]
        ok = (up >= 0) & (up != rows) & own.reshape(len(codes), -1).any(axis=1)
        np.add.at(out, up[ok], own[ok])


def _beneficiaries(out, codes, years, ends, tables, projects, households, household_years):
    links = tables["project_beneficiaries"]
    begins = np.minimum(_day(projects.planned_start), _day(projects.actual_start))
    at_project = lookup(links.project_id, arrow_text(projects.project_id.to_numpy(object)))
    linked = at_project >= 0
    hh, ids = text_codes(links.hh_id.to_numpy(object)[linked])
    first_day = np.full(len(ids), np.iinfo(np.int64).max)
    np.minimum.at(first_day, hh, begins[at_project[linked]])
    home = lookup(ids, arrow_text(households.hh_id.to_numpy(object)))  # row in households
    keep = home >= 0
    if not keep.any():
        return
    ids, first_day, home = ids.filter(pa.array(keep)), first_day[keep], home[keep]
    village = households.village_code.to_numpy(object)[home]
    anc = _own(codes, village)
    covered = first_day[:, None] <= ends
    size = households["size"].to_numpy(float)[home]
    _add(out, anc, _M["beneficiaries"], covered.astype(float))
    _add(out, anc, _M["beneficiary_persons"], covered * size[:, None])
    # income per capita by household and year (fen), the base before the first project
    y0 = years[0]
    income = np.full((len(ids), len(years)), np.nan)
    at = lookup(household_years.hh_id, ids)
    k = household_years.year.to_numpy(int) - y0
    value = household_years.income_per_capita.to_numpy(float)
    ok = (at >= 0) & (k >= 0) & (k < len(years)) & ~np.isnan(value)
    income[at[ok], k[ok]] = to_fen(value[ok])
    first_year = pd.to_datetime(first_day, unit="D").year.to_numpy()
    base_k = np.clip(first_year - 1 - y0, 0, len(years) - 1)
    base = np.full(len(ids), np.nan)
    for kk in range(len(years) - 1, -1, -1):  # the first year on record from base_k on
        take = (kk >= base_k) & ~np.isnan(income[:, kk])
        base = np.where(take, income[:, kk], base)
    gain = (income - base[:, None]) * size[:, None]
    gain = np.where(covered & ~np.isnan(gain), gain, 0.0)
    _add(out, anc, _M["beneficiary_income_gain_fen"], gain)
