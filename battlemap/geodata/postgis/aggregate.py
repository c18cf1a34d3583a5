"""``region_year_stats``: every metric per (region, year), built in SQL.

Household-years (:data:`~battlemap.geodata.metrics.HOUSEHOLD_YEAR_SOURCE`) are grouped per
village with each metric's ``sql`` expression, joined with the villages' rural population
and rolled up to every ancestor by code prefix (2/4/6/9/12 digits, padded with zeros).
Every region gets a row for every year of the data set, zeros when it has no households.
"""

from __future__ import annotations

from collections.abc import Sequence

from battlemap.geodata.codes import PREFIX_LENGTHS
from battlemap.geodata.metrics import HOUSEHOLD_YEAR_SOURCE, METRIC_NAMES, MetricSet

__all__ = ["BUILD_SETTINGS", "aggregate_sql", "build_aggregate", "use_build_settings"]

# Session settings for the build: enough memory to hash-aggregate without spilling.
BUILD_SETTINGS = {
    "work_mem": "256MB",
    "maintenance_work_mem": "512MB",
    "enable_mergejoin": "off",  # hash joins: no sorts of wide rows
    "parallel_setup_cost": "100",
    "parallel_tuple_cost": "0.01",
}
# The household-year rows with last year's values, materialised once per build: the window
# functions of HOUSEHOLD_YEAR_SOURCE cannot run in parallel, the metric sums over this can.
SOURCE_TABLE = "battlemap_household_year_source"
_PARALLEL_SOURCE = f"households h JOIN {SOURCE_TABLE} y ON y.hh_id = h.hh_id"


def _rollup(base: str, columns: Sequence[str]) -> list[str]:
    """CTEs ``{base}4`` … ``{base}1``: each level summed from the level below by code prefix.

    ``{base}5`` must exist with columns ``code`` (12 digits), ``year`` and ``columns``.
    """
    sums = ", ".join(f"sum({c})::bigint AS {c}" for c in columns)
    ctes = []
    for level in (4, 3, 2, 1):
        length = PREFIX_LENGTHS[level]
        ctes.append(
            f"{base}{level} AS MATERIALIZED (SELECT left(code, {length}) AS code, year, {sums} "
            f"FROM {base}{level + 1} GROUP BY 1, 2)"
        )
    return ctes


def _union(base: str, columns: Sequence[str]) -> str:
    names = ", ".join(columns)
    parts = [f"SELECT code, year, {names} FROM {base}5"]
    parts += [
        f"SELECT rpad(code, 12, '0'), year, {names} FROM {base}{level}" for level in (4, 3, 2, 1)
    ]
    return "\n  UNION ALL ".join(parts)


def aggregate_sql(metrics: MetricSet, table: str, source: str = HOUSEHOLD_YEAR_SOURCE) -> str:
    """CREATE TABLE ``table`` AS ...; one parameter, ``%(years)s`` (list of int).

    ``source`` is the FROM clause of the household-years (aliases ``h`` and ``y``).

    Household metrics are summed per village, then level by level up to the province (each
    level from the one below, so every step is a small hash aggregate); rural population the
    same way; both joined to every (region, year) with zeros for the missing ones.
    """
    if tuple(metrics.names) != METRIC_NAMES:
        raise ValueError("metric set does not match METRIC_NAMES")
    names = [m.name for m in metrics.metrics]
    household = ",\n    ".join(f"sum({m.sql})::bigint AS {m.name}" for m in metrics.metrics)
    ctes = [
        "years AS (SELECT DISTINCT unnest(%(years)s::int[])::smallint AS year)",
        f"""hh5 AS MATERIALIZED (
  SELECT h.village_code::text AS code, y.year,
    {household}
  FROM {source}
  GROUP BY h.village_code, y.year
)""",
        *_rollup("hh", names),
        f"hh AS (\n  {_union('hh', names)}\n)",
        "pop5 AS MATERIALIZED (SELECT p.code::text AS code, p.year, "
        "p.persons::bigint AS rural_population "
        "FROM rural_population p JOIN regions r ON r.code = p.code AND r.level = 5)",
        *_rollup("pop", ["rural_population"]),
        f"pop AS (\n  {_union('pop', ['rural_population'])}\n)",
    ]
    final = ",\n  ".join(
        ["coalesce(p.rural_population, 0)::bigint AS rural_population"]
        + [f"coalesce(x.{n}, 0)::bigint AS {n}" for n in names]
    )
    with_body = ",\n".join(ctes)
    return f"""
CREATE TABLE {table} AS
WITH {with_body}
SELECT r.code, years.year,
  {final}
FROM years CROSS JOIN regions r
LEFT JOIN hh x ON x.code = r.code::text AND x.year = years.year
LEFT JOIN pop p ON p.code = r.code::text AND p.year = years.year
"""


def use_build_settings(cur) -> None:
    """:data:`BUILD_SETTINGS` for the rest of the cursor's transaction."""
    for name, value in BUILD_SETTINGS.items():
        cur.execute("SELECT set_config(%s, %s, true)", (name, value))


def build_aggregate(cur, metrics: MetricSet, years: Sequence[int], table: str) -> int:
    """Create and fill ``table`` (in the cursor's transaction, search_path schema); row count."""
    use_build_settings(cur)
    cur.execute(f"DROP TABLE IF EXISTS {SOURCE_TABLE}")
    cur.execute(f"CREATE UNLOGGED TABLE {SOURCE_TABLE} AS SELECT y.* FROM {HOUSEHOLD_YEAR_SOURCE}")
    cur.execute(f"ANALYZE {SOURCE_TABLE}")
    sql = aggregate_sql(metrics, table, _PARALLEL_SOURCE)
    cur.execute(sql, {"years": [int(y) for y in years]})
    rows = cur.rowcount
    cur.execute(f"DROP TABLE {SOURCE_TABLE}")
    cur.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (code, year)")
    cur.execute(f"ANALYZE {table} (code, year)")  # lookups only filter on these
    return rows
