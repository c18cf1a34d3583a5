"""Additive counts kept per (region, year): one definition, evaluated by both stores.

Every indicator is a ratio of these integer sums, so the embedded store (numpy) and the
PostGIS store (SQL) agree exactly as long as both evaluate the same definitions below.
A metric counts the household-years meeting a condition (households, or persons with
``h.size``): ``condition`` in SQL over :data:`HOUSEHOLD_YEAR_SOURCE` (aliases ``h`` for
households and ``y`` for household_years plus last year's ``prev_income`` and
``prev_status``) and ``mask`` over the same rows as numpy arrays (:class:`HouseholdYearArrays`).

Some metrics depend on the exit rules (wrong exits, guarantees met, early warnings), so the
list is built from an :class:`~battlemap.indicators.rules.ExitRules` by :func:`metric_set`.
The numpy side calls the pure rule functions of :mod:`battlemap.indicators.household` and
:mod:`battlemap.indicators.warning` (numpy only, no store access), so each rule is written
once in Python and once in SQL, next to each other. Metric *names* never depend on the rules
(:data:`METRIC_NAMES`); a :class:`MetricSet`'s ``digest`` changes whenever a definition does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from battlemap.geodata.schema import (
    CAUSES,
    HH_TYPES,
    STATUS_EXITED,
    STATUS_POOR,
    STATUS_RETURNED,
)
from battlemap.indicators.household import FLAG_COLUMNS, guarantees_met, income_lines, passes_exit
from battlemap.indicators.metric_names import cause_metric, guarantee_metric, hh_type_metric
from battlemap.indicators.rules import GUARANTEES, ExitRules, load_rules
from battlemap.indicators.warning import (
    RULE_CATEGORY,
    WARNING_CATEGORIES,
    WARNING_RULES,
    severe_cause_bits,
    warning_metric,
    warning_rule_index,
)

__all__ = [
    "HH_TYPE_COUNTS",
    "HOUSEHOLD_YEAR_SOURCE",
    "METRICS_VERSION",
    "METRIC_NAMES",
    "NO_STATUS",
    "STATUS_CODES",
    "HouseholdYearArrays",
    "Metric",
    "MetricSet",
    "cause_metric",
    "guarantee_metric",
    "hh_type_metric",
    "met_sql",
    "metric_set",
    "warning_categories",
    "warning_category_sql",
]

STATUS_CODES: dict[str, int] = {STATUS_POOR: 0, STATUS_EXITED: 1, STATUS_RETURNED: 2}
NO_STATUS = -1  # prev_status when the household has no record for the previous year
METRICS_VERSION = 2  # bump when a definition changes without changing its SQL

# households h joined to household_years y, with last year's income and status (NULL when
# the household has no record for year - 1).
HOUSEHOLD_YEAR_SOURCE = """households h JOIN (
    SELECT yy.*,
      CASE WHEN lag(yy.year) OVER w = yy.year - 1
        THEN lag(yy.income_per_capita) OVER w END AS prev_income,
      CASE WHEN lag(yy.year) OVER w = yy.year - 1 THEN lag(yy.status) OVER w END AS prev_status
    FROM household_years yy
    WINDOW w AS (PARTITION BY yy.hh_id ORDER BY yy.year)
  ) y ON y.hh_id = h.hh_id"""


@dataclass(frozen=True)
class HouseholdYearArrays:
    """Columns of households joined to household_years, one element per household-year.

    ``status`` and ``prev_status`` hold :data:`STATUS_CODES` (``prev_status`` is
    :data:`NO_STATUS` without a record for year - 1), ``cause`` the index of the primary
    cause in :data:`~battlemap.geodata.schema.CAUSES` (-1 unknown), ``cause_mask`` a bit per
    primary or secondary cause, ``hh_type`` the index of the household type in
    :data:`~battlemap.geodata.schema.HH_TYPES` (-1 unknown), ``income``/``prev_income``
    float64 with NaN for missing, and ``flags`` one boolean array per non-income indicator
    (missing values already False).
    """

    size: np.ndarray
    status: np.ndarray
    cause: np.ndarray
    hh_type: np.ndarray
    year: np.ndarray
    income: np.ndarray
    prev_income: np.ndarray
    prev_status: np.ndarray
    cause_mask: np.ndarray
    flags: dict[str, np.ndarray]
    cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def poor(self) -> np.ndarray:
        if "poor" not in self.cache:
            self.cache["poor"] = (self.status == STATUS_CODES[STATUS_POOR]) | self.returned
        return self.cache["poor"]

    @property
    def exited(self) -> np.ndarray:
        return self.status == STATUS_CODES[STATUS_EXITED]

    @property
    def returned(self) -> np.ndarray:
        return self.status == STATUS_CODES[STATUS_RETURNED]

    @property
    def new_exit(self) -> np.ndarray:
        """已脱贫 now and poor (or unrecorded) last year: an exit during this year."""
        prev = self.prev_status
        was_poor = (
            (prev == NO_STATUS)
            | (prev == STATUS_CODES[STATUS_POOR])
            | (prev == STATUS_CODES[STATUS_RETURNED])
        )
        return self.exited & was_poor


@dataclass(frozen=True)
class Metric:
    """An additive count of the rows meeting a condition: households, or persons (``h.size``).

    ``condition`` is the SQL boolean and ``mask`` the numpy boolean of the same rows; ``sql``
    and ``weight`` are the per-row quantity summed by the stores.
    """

    name: str
    condition: str
    mask: Callable[[HouseholdYearArrays], np.ndarray]
    persons: bool = False

    @property
    def sql(self) -> str:
        return f"CASE WHEN {self.condition} THEN {'h.size' if self.persons else '1'} ELSE 0 END"

    def weight(self, rows: HouseholdYearArrays) -> np.ndarray:
        """Per-row int64 quantity (size or 1 where the mask holds, else 0)."""
        mask = self.mask(rows)
        return np.where(mask, rows.size, 0) if self.persons else mask.astype(np.int64)


@dataclass(frozen=True)
class MetricSet:
    """The household metrics under one set of exit rules, and a digest of their definitions."""

    rules: ExitRules
    metrics: tuple[Metric, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Column order of every aggregate: rural population, then the household metrics."""
        return ("rural_population", *(m.name for m in self.metrics))

    @property
    def digest(self) -> str:
        """Hash of the rules and every metric's SQL: a cache built with another digest is stale."""
        text = "\n".join(
            [
                f"v{METRICS_VERSION}",
                self.rules.digest(),
                *(f"{m.name}={m.sql}" for m in self.metrics),
            ]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _pair(
    prefix: str,
    condition: str,
    mask: Callable[[HouseholdYearArrays], np.ndarray],
) -> list[Metric]:
    """``{prefix}_households`` and ``{prefix}_persons`` of the same rows."""
    return [
        Metric(f"{prefix}_households", condition, mask),
        Metric(f"{prefix}_persons", condition, mask, persons=True),
    ]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _float(value: float) -> str:
    return f"{float(value)!r}::float8"


_POOR_SQL = f"y.status IN ({_quote(STATUS_POOR)}, {_quote(STATUS_RETURNED)})"
_EXITED_SQL = f"y.status = {_quote(STATUS_EXITED)}"
_RETURNED_SQL = f"y.status = {_quote(STATUS_RETURNED)}"
_NEW_EXIT_SQL = (
    f"{_EXITED_SQL} AND (y.prev_status IS NULL OR y.prev_status IN "
    f"({_quote(STATUS_POOR)}, {_quote(STATUS_RETURNED)}))"
)


# What each per-household-type count counts (``hh_type_<of>_<unit>_<n>``): the rows of the
# unfiltered count of the same name (poor_persons, registered_persons…) of one type, so a
# household-type filter divides exactly like the indicator it filters.
HH_TYPE_COUNTS: tuple[tuple[str, str], ...] = (
    ("poor", "households"),
    ("poor", "persons"),
    ("registered", "persons"),
    ("exited", "persons"),
)


def _has_cause_sql(name: str, any_cause: bool) -> str:
    primary = f"h.primary_cause = {_quote(name)}"
    if not any_cause:
        return primary
    return f"({primary} OR coalesce({_quote(name)} = ANY(h.secondary_causes), false))"


def _cause_metrics() -> list[Metric]:
    out = []
    for any_cause in (False, True):
        for unit in ("persons", "households"):
            for i, name in enumerate(CAUSES):
                if any_cause:

                    def mask(a: HouseholdYearArrays, i: int = i) -> np.ndarray:
                        return a.poor & ((a.cause_mask & (1 << i)) != 0)
                else:

                    def mask(a: HouseholdYearArrays, i: int = i) -> np.ndarray:
                        return a.poor & (a.cause == i)

                out.append(
                    Metric(
                        cause_metric(i, unit=unit, any_cause=any_cause),
                        f"{_POOR_SQL} AND {_has_cause_sql(name, any_cause)}",
                        mask,
                        persons=unit == "persons",
                    )
                )
    return out


def _hh_type_metrics() -> list[Metric]:
    status = {
        "poor": (_POOR_SQL, lambda a: a.poor),
        "registered": ("true", lambda a: np.ones(a.size.shape, dtype=bool)),
        "exited": (_EXITED_SQL, lambda a: a.exited),
    }
    out = []  # a type's households and persons of the same rows side by side (one mask)
    for i, name in enumerate(HH_TYPES):
        for of, unit in HH_TYPE_COUNTS:
            sql, rows = status[of]

            def mask(a: HouseholdYearArrays, i: int = i, rows=rows) -> np.ndarray:
                return rows(a) & (a.hh_type == i)

            condition = f"h.hh_type = {_quote(name)}"
            out.append(
                Metric(
                    hh_type_metric(i, of, unit),
                    condition if sql == "true" else f"{sql} AND {condition}",
                    mask,
                    persons=unit == "persons",
                )
            )
    return out


def _base_metrics() -> list[Metric]:
    out = [
        *_pair("registered", "true", lambda a: np.ones(a.size.shape, dtype=bool)),
        *_pair("poor", _POOR_SQL, lambda a: a.poor),
        *_pair("exited", _EXITED_SQL, lambda a: a.exited),
        *_pair("returned", _RETURNED_SQL, lambda a: a.returned),
    ]
    out += _cause_metrics()
    out += _pair("new_exit", _NEW_EXIT_SQL, lambda a: a.new_exit)
    out += _hh_type_metrics()
    return out


# -- rule-dependent metrics -------------------------------------------------------------------


def _line_sql(rules: ExitRules) -> str:
    cases = " ".join(
        f"WHEN {year} THEN {_float(line)}" for year, line in rules.household.income_lines.items()
    )
    return f"(CASE y.year {cases} END)"


def met_sql(rules: ExitRules) -> dict[str, str]:
    """SQL boolean per guarantee (GUARANTEES order) over ``y`` (household_years): met in
    the row's year under ``rules``, as :func:`battlemap.indicators.household.guarantees_met`."""
    met = {"income": f"coalesce(y.income_per_capita > {_line_sql(rules)}, false)"}
    for name in GUARANTEES[1:]:
        met[name] = f"coalesce(y.{FLAG_COLUMNS[name]}, false)"
    return met


def _pass_sql(rules: ExitRules) -> str:
    met = met_sql(rules)
    score = (
        " + ".join(
            f"CASE WHEN {met[g]} THEN {w} ELSE 0 END"
            for g, w in rules.household.weights.items()
            if w
        )
        or "0"
    )
    vetoes = " AND ".join(met[v] for v in rules.household.vetoes) or "true"
    return f"(({vetoes}) AND ({score}) >= {rules.household.threshold})"


def _cached(a: HouseholdYearArrays, key: tuple, compute: Callable[[], Any]) -> Any:
    """Per-rows memo: each rule is evaluated once per aggregation, not once per metric."""
    if key not in a.cache:
        a.cache[key] = compute()
    return a.cache[key]


def _met(a: HouseholdYearArrays, rules: ExitRules) -> dict[str, np.ndarray]:
    return _cached(
        a, ("met", rules.digest()), lambda: guarantees_met(a.year, a.income, a.flags, rules)
    )


def _warning_sql(rules: ExitRules) -> dict[str, str]:
    """SQL condition per warning rule, each excluding the rules before it."""
    w = rules.warning
    line = _line_sql(rules)
    severe_names = ", ".join(_quote(c) for c in w.severe_causes)
    severe = (
        f"(h.primary_cause IN ({severe_names}) OR coalesce(h.secondary_causes && "
        f"ARRAY[{severe_names}]::text[], false))"
    )

    def dropped(pct: float) -> str:
        return (
            f"coalesce(y.prev_income > 0 AND (y.prev_income - y.income_per_capita) * 100 "
            f"> {_float(pct)} * y.prev_income, false)"
        )

    def below(multiple: float) -> str:
        return f"coalesce(y.income_per_capita < {line} * {_float(multiple)}, false)"

    conditions = {
        "income_drop": dropped(w.income_drop_pct),
        "severe_cause_drop": f"({severe} AND {dropped(w.severe_cause_income_drop_pct)})",
        "low_income": below(w.unstable_income_multiple),
        "edge_severe": f"({below(w.edge_income_multiple)} AND {severe})",
    }
    out, earlier = {}, []
    for rule in WARNING_RULES:
        out[rule] = " AND ".join([_EXITED_SQL, *(f"NOT {c}" for c in earlier), conditions[rule]])
        earlier.append(conditions[rule])
    return out


def _warning_rule(a: HouseholdYearArrays, rules: ExitRules) -> np.ndarray:
    def compute() -> np.ndarray:
        severe = (a.cause_mask & severe_cause_bits(rules)) != 0
        line = income_lines(a.year, rules)
        return warning_rule_index(a.exited, a.income, a.prev_income, line, severe, rules)

    return _cached(a, ("warning", rules.digest()), compute)


def _rule_metrics(rules: ExitRules) -> list[Metric]:
    passes = _pass_sql(rules)

    def passing(a: HouseholdYearArrays) -> np.ndarray:
        return _cached(a, ("passes", rules.digest()), lambda: passes_exit(_met(a, rules), rules))

    def wrong(a: HouseholdYearArrays) -> np.ndarray:
        return a.exited & ~passing(a)

    def passing_poor(a: HouseholdYearArrays) -> np.ndarray:
        return a.poor & passing(a)

    out = [
        Metric("exit_pass_households", passes, passing),
        *_pair("wrong_exit", f"{_EXITED_SQL} AND NOT {passes}", wrong),
        *_pair("passing_poor", f"{_POOR_SQL} AND {passes}", passing_poor),
    ]
    met_by_name = met_sql(rules)
    for name in GUARANTEES:
        out.append(
            Metric(guarantee_metric(name), met_by_name[name], lambda a, n=name: _met(a, rules)[n])
        )
    rule_sql = _warning_sql(rules)
    for category in WARNING_CATEGORIES:
        triggered = [i for i, r in enumerate(WARNING_RULES) if RULE_CATEGORY[r] == category]
        condition = " OR ".join(f"({rule_sql[WARNING_RULES[i]]})" for i in triggered)

        def member(
            a: HouseholdYearArrays, t: list[int] = triggered, key: str = category
        ) -> np.ndarray:
            return _cached(
                a, ("warning", key, rules.digest()), lambda: np.isin(_warning_rule(a, rules), t)
            )

        out.append(Metric(warning_metric(category), condition, member))
        out.append(Metric(warning_metric(category, "persons"), condition, member, persons=True))
    return out


_RULE_METRIC_NAMES: tuple[str, ...] = (
    "exit_pass_households",
    "wrong_exit_households",
    "wrong_exit_persons",
    "passing_poor_households",
    "passing_poor_persons",
    *(guarantee_metric(g) for g in GUARANTEES),
    *(warning_metric(c, unit) for c in WARNING_CATEGORIES for unit in ("households", "persons")),
)
# Column order of every aggregate; the same under any rules.
METRIC_NAMES: tuple[str, ...] = (
    "rural_population",
    *(m.name for m in _base_metrics()),
    *_RULE_METRIC_NAMES,
)


_SETS: dict[str, MetricSet] = {}


def metric_set(rules: ExitRules | None = None) -> MetricSet:
    """All household metrics under ``rules`` (default: :func:`load_rules`), cached per rules."""
    rules = rules or load_rules()
    key = rules.digest()
    if key not in _SETS:
        built = MetricSet(rules, tuple(_base_metrics() + _rule_metrics(rules)))
        if built.names != METRIC_NAMES:
            raise AssertionError("metric names depend on the rules")
        _SETS[key] = built
    return _SETS[key]


def _warning_members(metrics: MetricSet) -> list[Metric]:
    """The ``warning_households_<category>`` metrics, in WARNING_CATEGORIES order."""
    by_name = {m.name: m for m in metrics.metrics}
    return [by_name[warning_metric(c)] for c in WARNING_CATEGORIES]


def warning_categories(rows: HouseholdYearArrays, metrics: MetricSet | None = None) -> np.ndarray:
    """Per row, the index into WARNING_CATEGORIES of the early-warning category whose
    ``warning_households_*`` count counts it (int8, -1: none): the counts' own masks, so a
    per-household flag sums to the region's warning count (the categories do not overlap)."""
    out = np.full(rows.status.shape, -1, dtype=np.int8)
    for i, metric in enumerate(_warning_members(metrics or metric_set())):
        out[np.asarray(metric.mask(rows), dtype=bool)] = i
    return out


def warning_category_sql(metrics: MetricSet | None = None) -> str:
    """SQL over ``h`` and ``y`` (as in HOUSEHOLD_YEAR_SOURCE, ``y.prev_income`` included):
    the row's early-warning category name, NULL when none; the conditions of the
    ``warning_households_*`` counts (the SQL twin of :func:`warning_categories`)."""
    members = _warning_members(metrics or metric_set())
    whens = " ".join(
        f"WHEN {m.condition} THEN {_quote(c)}"
        for c, m in zip(WARNING_CATEGORIES, members, strict=True)
    )
    return f"(CASE {whens} END)"


def __getattr__(name: str) -> tuple[Metric, ...]:
    """``HOUSEHOLD_METRICS``: the metrics under the active rules (compatibility alias)."""
    if name == "HOUSEHOLD_METRICS":
        return metric_set().metrics
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
