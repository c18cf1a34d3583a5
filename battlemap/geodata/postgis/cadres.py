"""Cadre tables in PostGIS (issue 15): DDL for ``db load`` and the PostGIS cadre engine.

Counts come from a per-village, per-year table built by SQL on first use (its own
implementation of the rules, compared with the embedded engine by the parity test), named
``region_year_stats_cadres_<rules>_<data>`` so a reload (which drops every
``region_year_stats_*`` table) or an import (a new data stamp) never leaves it stale.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import psycopg2
import pyarrow as pa

from battlemap.geodata.cadres_store import CadreFrames, CadreSource, region_frames_empty
from battlemap.geodata.errors import StoreUnavailableError
from battlemap.geodata.features import code_range
from battlemap.geodata.metrics import warning_category_sql
from battlemap.geodata.postgis.cadres_ddl import CADRE_TABLES
from battlemap.geodata.postgis.connection import connect, first_line
from battlemap.geodata.postgis.ddl import AGGREGATE_PREFIX
from battlemap.geodata.schema import STATUS_POOR, STATUS_RETURNED
from battlemap.indicators.cadre_rules import CadreRules
from battlemap.indicators.cadres import CADRE_COUNT_NAMES, EARTH_RADIUS_M

__all__ = ["CADRE_TABLES", "PostgisCadres"]

_POOR = f"('{STATUS_POOR}', '{STATUS_RETURNED}')"
_R = EARTH_RADIUS_M


def _haversine(lon1: str, lat1: str, lon2: str, lat2: str) -> str:
    return (
        f"2 * {_R} * asin(sqrt(least(1, power(sin((radians({lat2}) - radians({lat1})) / 2), 2)"
        f" + cos(radians({lat1})) * cos(radians({lat2}))"
        f" * power(sin(radians({lon2} - {lon1}) / 2), 2))))"
    )


_BUILD_SQL = f"""
CREATE TABLE {{table}} AS
WITH yr AS (SELECT y::smallint AS year, make_date(y, 12, 31) AS d
            FROM unnest(%(years)s::int[]) AS y),
poor AS (
  SELECT h.hh_id, h.village_code, yr.year, yr.d
  FROM household_years hy JOIN households h ON h.hh_id = hy.hh_id
  JOIN yr ON yr.year = hy.year WHERE hy.status IN {_POOR}),
parts AS (
  SELECT p.village_code, p.year, 0 AS cadres, 1 AS poor_households,
    CASE WHEN EXISTS (SELECT 1 FROM assignments a JOIN cadres c ON c.cadre_id = a.cadre_id
      WHERE a.hh_id = p.hh_id AND a.start_date <= p.d
      AND (a.end_date IS NULL OR a.end_date >= p.d)) THEN 0 ELSE 1 END AS without_helper,
    0 AS over_limit,
    CASE WHEN EXISTS (SELECT 1 FROM visits v JOIN cadres c ON c.cadre_id = v.cadre_id
      WHERE v.hh_id = p.hh_id AND v.date <= p.d AND v.date > p.d - %(days)s)
      THEN 0 ELSE 1 END AS not_visited,
    0 AS visits, 0 AS far
  FROM poor p
  UNION ALL
  SELECT c.village_code, yr.year, 1, 0, 0, 0, 0, 0, 0
  FROM cadres c JOIN yr ON c.start_date <= yr.d AND (c.end_date IS NULL OR c.end_date >= yr.d)
  UNION ALL
  SELECT c.village_code, o.year, 0, 0, 0, 1, 0, 0, 0
  FROM (SELECT a.cadre_id, yr.year FROM assignments a JOIN yr
          ON a.start_date <= yr.d AND (a.end_date IS NULL OR a.end_date >= yr.d)
        JOIN households h ON h.hh_id = a.hh_id
        GROUP BY a.cadre_id, yr.year HAVING count(*) > %(limit)s) o
  JOIN cadres c ON c.cadre_id = o.cadre_id
  UNION ALL
  SELECT h.village_code, yr.year, 0, 0, 0, 0, 0, 1,
    CASE WHEN {_haversine("v.lon", "v.lat", "h.lon", "h.lat")} > %(far)s THEN 1 ELSE 0 END
  FROM visits v JOIN households h ON h.hh_id = v.hh_id JOIN cadres c ON c.cadre_id = v.cadre_id
  JOIN yr ON yr.year = extract(year FROM v.date)
)
SELECT village_code, year, sum(cadres)::bigint AS cadres,
  sum(poor_households)::bigint AS poor_households,
  sum(without_helper)::bigint AS poor_households_without_helper,
  sum(over_limit)::bigint AS helpers_over_limit,
  sum(not_visited)::bigint AS households_not_visited,
  sum(visits)::bigint AS visits_in_year, sum(far)::bigint AS far_checkins_in_year
FROM parts GROUP BY village_code, year
"""

# The bounds are char(12) like village_code: as text they made PostgreSQL compare
# village_code::text, which no index serves, so each code scanned every village of the year
# (400 codes: 2 s on the 50k set's 6,250 villages, the 5 s timeout on the full set's 17,000);
# as char(12) each code is one range scan of the (year, village_code) index (1 ms).
_COUNTS_SQL = """
SELECT r.code, {sums}
FROM unnest(%(codes)s::text[], %(los)s::bpchar[], %(his)s::bpchar[]) AS r(code, lo, hi)
LEFT JOIN {table} s ON s.year = %(year)s AND s.village_code BETWEEN r.lo AND r.hi
GROUP BY r.code
"""
_DAY = "- DATE '1970-01-01'"
# ``h`` and ``y`` as in HOUSEHOLD_YEAR_SOURCE (last year's income and status joined, not
# windowed over the whole table), so the warning counts' own SQL conditions apply as they are
_HOUSEHOLDS_SQL = """
SELECT h.hh_id, h.village_code, h.lon, h.lat, y.status, y.prev_status, {warning} AS warning
FROM households h JOIN (
  SELECT yy.*, p.income_per_capita AS prev_income, p.status AS prev_status
  FROM household_years yy
  LEFT JOIN household_years p ON p.hh_id = yy.hh_id AND p.year = %(prev)s
  WHERE yy.year = %(year)s) y ON y.hh_id = h.hh_id
WHERE h.village_code BETWEEN %(lo)s AND %(hi)s ORDER BY h.village_code, h.hh_id
"""
_CADRES_SQL = f"""
SELECT cadre_id, name, unit, unit_level, role, village_code, start_date {_DAY} AS start_day,
  coalesce(end_date {_DAY}, -1) AS end_day
FROM cadres WHERE village_code BETWEEN %(lo)s AND %(hi)s ORDER BY cadre_id
"""
_ASSIGNMENTS_SQL = f"""
SELECT a.cadre_id, a.hh_id, a.start_date {_DAY} AS start_day,
  coalesce(a.end_date {_DAY}, -1) AS end_day
FROM households h JOIN assignments a ON a.hh_id = h.hh_id
JOIN cadres c ON c.cadre_id = a.cadre_id
WHERE h.village_code BETWEEN %(lo)s AND %(hi)s ORDER BY a.hh_id, 3, a.cadre_id
"""
_VISITS_SQL = f"""
WITH ids AS (
  SELECT v.visit_id FROM households h JOIN visits v ON v.hh_id = h.hh_id
    AND v.date BETWEEN %(first)s AND %(last)s
  WHERE h.village_code BETWEEN %(lo)s AND %(hi)s
  UNION
  SELECT v.visit_id FROM cadres c JOIN visits v ON v.cadre_id = c.cadre_id
    AND v.date BETWEEN %(first)s AND %(last)s
  WHERE c.village_code BETWEEN %(lo)s AND %(hi)s)
SELECT v.visit_id, v.cadre_id, v.hh_id, v.date {_DAY} AS day, v.lon, v.lat, v.kind,
  h.lon AS hh_lon, h.lat AS hh_lat, h.village_code AS hh_village_code
FROM ids JOIN visits v ON v.visit_id = ids.visit_id
JOIN households h ON h.hh_id = v.hh_id JOIN cadres c ON c.cadre_id = v.cadre_id
ORDER BY v.visit_id
"""
_T, _F, _I = pa.string(), pa.float64(), pa.int64()
_TYPES = {
    "households": {"hh_id": _T, "village_code": _T, "lon": _F, "lat": _F, "status": _T,
                   "prev_status": _T, "warning": _T},
    "cadres": {"cadre_id": _T, "name": _T, "unit": _T, "unit_level": _T, "role": _T,
               "village_code": _T, "start_day": _I, "end_day": _I},
    "assignments": {"cadre_id": _T, "hh_id": _T, "start_day": _I, "end_day": _I},
    "visits": {"visit_id": _I, "cadre_id": _T, "hh_id": _T, "day": _I, "lon": _F, "lat": _F,
               "kind": _T, "hh_lon": _F, "hh_lat": _F, "hh_village_code": _T},
}  # fmt: skip


def stats_table_name(rules: CadreRules, stamp: str) -> str:
    """The per-village counts table of these rules and this data stamp."""
    key = json.dumps([rules.not_visited_days, rules.max_households, rules.far_checkin_m])
    digest = hashlib.sha256(f"{key}|{stamp}".encode()).hexdigest()[:12]
    return f"{AGGREGATE_PREFIX}cadres_{digest}"


class PostgisCadres(CadreSource):
    """Cadre counts and rows from the database of a :class:`PostgisStore`."""

    def __init__(self, store, rules: CadreRules) -> None:
        self.store, self.rules = store, rules
        self._has_data: bool | None = None
        self._table: str | None = None

    @property
    def has_data(self) -> bool:
        """The database holds cadre rows (asked once; a database that does not answer
        counts as none for now, so a page still draws and says why elsewhere)."""
        if self._has_data is None:
            try:
                found = self.store._fetch("SELECT to_regclass('cadres'), to_regclass('visits')")
                self._has_data = all(found[0]) and bool(
                    self.store._fetch("SELECT EXISTS (SELECT 1 FROM cadres)")[0][0]
                )
            except StoreUnavailableError:
                return False
        return self._has_data

    def prepare(self) -> None:
        """Build the per-village counts now (at load time, as the loading user), so that
        readers such as a read-only role or a replica never have to write."""
        if self.has_data:
            self._stats_table()

    def _stats_table(self) -> str:
        """The per-village counts for these rules and this data, built once."""
        table = stats_table_name(self.rules, self.store.data_stamp())
        if self._table == table:
            return table
        if self.store._fetch("SELECT to_regclass(%s)", (table,))[0][0] is None:
            self._build(table)
        self._table = table
        return table

    def _build(self, table: str) -> None:
        conn = connect(self.store._dsn, autocommit=False)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (0x424D4344,))
                cur.execute("SELECT to_regclass(%s)", (table,))
                if cur.fetchone()[0] is None:
                    cur.execute(
                        _BUILD_SQL.format(table=table),
                        {
                            "years": list(self.store.years),
                            "days": self.rules.not_visited_days,
                            "limit": self.rules.max_households,
                            "far": self.rules.far_checkin_m,
                        },
                    )
                    cur.execute(f"CREATE INDEX ON {table} (year, village_code)")
            conn.commit()
            self.store.wait_for_replicas()  # reads may go to a replica (--read-dsn)
        except psycopg2.Error as exc:
            conn.rollback()
            raise StoreUnavailableError(
                f"the cadre counts cannot be built in PostgreSQL ({first_line(exc)})"
            ) from None
        finally:
            conn.close()

    def counts_query(self, codes: list[str], year: int) -> tuple[str, dict[str, Any]]:
        """The statement (and its parameters) summing the per-village counts under each of
        ``codes``: one index range scan per code."""
        sums = ", ".join(f"coalesce(sum(s.{n}), 0)::bigint" for n in CADRE_COUNT_NAMES)
        ranges = [code_range(c) for c in codes]
        params = {
            "codes": codes,
            "los": [lo for lo, _ in ranges],
            "his": [hi for _, hi in ranges],
            "year": int(year),
        }
        return _COUNTS_SQL.format(sums=sums, table=self._stats_table()), params

    def counts_many(self, codes: list[str], year: int) -> dict[str, dict[str, int]]:
        if not self.has_data:
            return {}
        rows = self.store._fetch(*self.counts_query(codes, year))
        return {
            code: dict(zip(CADRE_COUNT_NAMES, (int(v) for v in values), strict=True))
            for code, *values in rows
        }

    def frames(self, code: str, year: int) -> CadreFrames:
        if not self.has_data:
            return region_frames_empty()
        from battlemap.indicators.cadres import day_iso, year_end_day, year_start_day

        lo, hi = code_range(code)
        params = {
            "lo": lo,
            "hi": hi,
            "year": int(year),
            "prev": int(year) - 1,
            "first": day_iso(year_start_day(year)),
            "last": day_iso(year_end_day(year)),
        }
        sql = {
            "households": _HOUSEHOLDS_SQL.format(warning=warning_category_sql(self.store.metrics)),
            "cadres": _CADRES_SQL,
            "assignments": _ASSIGNMENTS_SQL,
            "visits": _VISITS_SQL,
        }
        return CadreFrames(
            **{name: self.store._frame(sql[name], params, _TYPES[name]) for name in sql}
        )
