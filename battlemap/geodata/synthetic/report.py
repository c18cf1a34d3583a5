"""What the generator produced, measured on its own output, beside what it aimed at.

:func:`measures` is stored in the manifest as ``generated`` (``targets`` holds the aims);
:func:`format_report` prints both side by side for ``battlemap generate --report``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from battlemap.geodata.metrics import STATUS_CODES
from battlemap.geodata.schema import STATUS_EXITED, STATUS_POOR, STATUS_RETURNED, YEARS
from battlemap.geodata.synthetic.households import HouseholdDraw
from battlemap.indicators.household import FLAG_COLUMNS, guarantees_met, income_lines, passes_exit
from battlemap.indicators.rules import ExitRules
from battlemap.indicators.warning import severe_cause_bits, warning_rule_index

__all__ = ["format_report", "measures", "warned_return_ratio"]

_EXITED = STATUS_CODES[STATUS_EXITED]
_POOR = STATUS_CODES[STATUS_POOR]
_RETURNED = STATUS_CODES[STATUS_RETURNED]


def _pct(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 3) if whole else None


def warned_return_ratio(
    hh: np.ndarray,
    year: np.ndarray,
    status: np.ndarray,
    warned: np.ndarray,
) -> dict[str, float | None]:
    """How often exited households return to poverty the next year, warned vs not.

    Rows must be sorted by household then year. ``warned``: the early warning flags the
    row (any category). Returns the two rates (percent) and their ratio.
    """
    nxt_same = np.zeros(len(hh), dtype=bool)
    nxt_same[:-1] = (hh[1:] == hh[:-1]) & (year[1:] == year[:-1] + 1)
    nxt_returned = np.zeros(len(hh), dtype=bool)
    nxt_returned[:-1] = status[1:] == _RETURNED
    base = (status == _EXITED) & nxt_same
    w, o = base & warned, base & ~warned
    rate_w = nxt_returned[w].mean() if w.any() else None
    rate_o = nxt_returned[o].mean() if o.any() else None
    ratio = rate_w / rate_o if rate_w is not None and rate_o else None
    return {
        "warned_return_pct": None if rate_w is None else round(100 * rate_w, 3),
        "other_return_pct": None if rate_o is None else round(100 * rate_o, 3),
        "warned_return_ratio": None if ratio is None else round(float(ratio), 2),
    }


def _warned(d: HouseholdDraw, rows: dict[str, np.ndarray], rules: ExitRules) -> np.ndarray:
    hh, year = rows["hh"], rows["year"]
    income = rows["income_per_capita"].astype(float)
    prev = np.full(len(hh), np.nan)
    same = (hh[1:] == hh[:-1]) & (year[1:] == year[:-1] + 1)
    prev[1:] = np.where(same, income[:-1], np.nan)
    bits = (1 << d.cause.astype(np.int64)).astype(np.int64)
    for s in d.secondary:
        bits |= np.where(s >= 0, 1 << np.maximum(s, 0).astype(np.int64), 0)
    severe = (bits[hh] & severe_cause_bits(rules)) != 0
    index = warning_rule_index(
        rows["status"] == _EXITED, income, prev, income_lines(year, rules), severe, rules
    )
    return index >= 0


def _passes(rows: dict[str, np.ndarray], rules: ExitRules) -> tuple[np.ndarray, np.ndarray]:
    """Passing the household exit test, and meeting all seven indicators, per row."""
    flags = {name: rows[column] for name, column in FLAG_COLUMNS.items()}
    met = guarantees_met(rows["year"], rows["income_per_capita"], flags, rules)
    return passes_exit(met, rules), np.logical_and.reduce(list(met.values()))


def measures(
    d: HouseholdDraw,
    rows: dict[str, np.ndarray],
    regions: pd.DataFrame,
    rural: pd.DataFrame,
    relocations: pd.DataFrame,
    labour: pd.DataFrame,
    rules: ExitRules,
) -> dict[str, Any]:
    """The generated set's heterogeneity measures (see the module docstring)."""
    hh, year, status = rows["hh"], rows["year"], rows["status"]
    size = d.size.astype(np.int64)[hh]
    poor = (status == _POOR) | (status == _RETURNED)
    k = year - YEARS[0]
    n_k = len(YEARS)
    # incidence by county and year (and the province)
    n_c = len(d.county_codes)
    poor_ck = np.bincount(
        d.county[hh] * n_k + k, weights=np.where(poor, size, 0), minlength=n_c * n_k
    ).reshape(n_c, n_k)
    village_codes = regions.code[regions.level == 5].to_numpy()
    pop = rural.pivot_table(index="code", columns="year", values="persons", aggfunc="sum")
    county_of = pd.Series(pop.index.str[:6].str.ljust(12, "0"), index=pop.index)
    pop_c = pop.groupby(county_of).sum().reindex(d.county_codes).to_numpy(float)
    incidence_c = poor_ck / np.maximum(pop_c, 1)
    province = poor_ck.sum(axis=0) / pop_c.sum(axis=0)
    flagged = regions.set_index("code").poverty_flag
    county_flag = flagged.reindex(d.county_codes).to_numpy(bool)
    zone = regions.zone.iloc[0]
    threshold = rules.county.max_incidence_pct[zone] / 100
    below = incidence_c < threshold
    first_below = np.where(below.any(axis=1), np.asarray(YEARS)[below.argmax(axis=1)], 0)
    batches = pd.Series(first_below[county_flag]).value_counts().sort_index()
    ratio_18 = incidence_c[:, YEARS.index(2018)] / np.maximum(incidence_c[:, 0], 1e-9)
    # villages: households, incidence
    village_hh = np.bincount(d.village, minlength=len(village_codes))
    poor_vk = np.bincount(
        d.village[hh] * n_k + k, weights=np.where(poor, size, 0), minlength=len(village_codes) * n_k
    ).reshape(-1, n_k)
    pop_v = pop.reindex(village_codes).to_numpy(float)
    # exits and returns
    passes, all_met = _passes(rows, rules)
    exit_row = (status == _EXITED) & (year == d.exit_year[hh])
    before = np.zeros(len(hh), dtype=bool)
    before[1:] = (hh[1:] == hh[:-1]) & (status[:-1] == _POOR) & passes[:-1] & exit_row[1:]
    episodes = (d.return_year < 9999).astype(int) + (d.return2_year < 9999).astype(int)
    duration = np.where(
        d.return_year < 9999, np.minimum(d.reexit_year, YEARS[-1] + 1) - d.return_year, 0
    )
    returned_2020 = (status == _RETURNED) & (year == YEARS[-1])
    exited_2020 = (status == _EXITED) & (year == YEARS[-1])
    wrong = (status == _EXITED) & ~passes
    warned = _warned(d, rows, rules)
    flag_levels = regions.groupby("level").poverty_flag.sum()
    other_town = relocations.to_site_code.str[:9] != relocations.from_village_code.str[:9]
    other_county = relocations.to_site_code.str[:6] != relocations.from_village_code.str[:6]
    n = len(d.size)
    return {
        "incidence_pct": {str(y): round(100 * province[i], 3) for i, y in enumerate(YEARS)},
        "poverty_counties": int(flag_levels.get(3, 0)),
        "poverty_townships": int(flag_levels.get(4, 0)),
        "poverty_villages": int(flag_levels.get(5, 0)),
        "county_exit_batches": {str(int(y)): int(c) for y, c in batches.items()},
        "county_decline_ratio_2018_sd": round(float(np.std(ratio_18[county_flag])), 3),
        "empty_villages": int((village_hh == 0).sum()),
        "max_village_incidence_pct": round(float(np.max(poor_vk / np.maximum(pop_v, 1))) * 100, 2),
        "ready_before_exit_pct_of_exits": _pct(before.sum(), exit_row.sum()),
        "wrong_exit_pct_of_exits": _pct((exit_row & ~passes).sum(), exit_row.sum()),
        "wrong_exit_pct_max_year": max(
            _pct((wrong & (year == y)).sum(), ((status == _EXITED) & (year == y)).sum()) or 0
            for y in YEARS
        ),
        "returned_household_share": round(float((episodes > 0).mean()), 4),
        "repeat_return_share": round(float((episodes > 1).sum() / max((episodes > 0).sum(), 1)), 3),
        "return_2020_household_share": round(float(returned_2020.sum() / n), 4),
        "return_lengths": {
            str(v): int(c)
            for v, c in zip(*np.unique(duration[duration > 0], return_counts=True), strict=True)
        },
        **warned_return_ratio(hh, year, status, warned),
        # all seven indicators (两不愁三保障 and the rest), wrong exits left out
        "exited_meeting_guarantees_2020_pct": _pct(
            (exited_2020 & ~wrong & all_met).sum(), (exited_2020 & ~wrong).sum()
        ),
        "wrong_exits_2020": int((exited_2020 & wrong).sum()),
        "relocated_household_share": round(len(relocations) / n, 4),
        "relocation_years": {
            str(int(y)): round(c / max(len(relocations), 1), 3)
            for y, c in relocations.year.value_counts().sort_index().items()
        },
        "relocated_to_other_township_pct": _pct(other_town.sum(), len(relocations)),
        "relocated_to_other_county_pct": _pct(other_county.sum(), len(relocations)),
        "labour_persons_by_year": {
            str(int(y)): int(v) for y, v in labour.groupby("year").persons.sum().items()
        },
    }


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items())
    return f"{value:g}" if isinstance(value, float) else str(value)


# a target whose generated counterpart has another name
_GENERATED_AS = {"warned_return_ratio_min": "warned_return_ratio"}


def format_report(manifest: dict[str, Any]) -> str:
    """Targets beside what was generated, one line per measure (aligned text)."""
    targets = manifest.get("targets", {})
    generated = manifest.get("generated", {})
    paired = {_GENERATED_AS.get(k, k) for k in targets}
    names = list(targets) + [k for k in generated if k not in paired]
    width = max(len(n) for n in names) if names else 0
    lines = [f"{'measure':<{width}}  target  |  generated"]
    for name in names:
        made = generated.get(_GENERATED_AS.get(name, name))
        lines.append(f"{name:<{width}}  {_text(targets.get(name))}  |  {_text(made)}")
    return "\n".join(lines)
