"""``region_year_stats``: every metric per (region, year).

``db load`` COPYs the numbers the embedded store computes (:func:`load_aggregate`: its
verified ``aggregates.parquet`` cache, or the same numpy sums over the parquet tables): one
computation, the same answers in both stores. Aggregates for other exit rules, and an
import's rebuild, are built in SQL (:func:`build_aggregate`): household-years
(:data:`~battlemap.geodata.metrics.HOUSEHOLD_YEAR_SOURCE`) are grouped per village with each
metric's ``sql`` expression, joined with the villages' rural population and rolled up to
every ancestor by code prefix (2/4/6/9/12 digits, padded with zeros). Either way every
region gets a row for every year of the data set, zeros when it has no households.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from battlemap.geodata.codes import PREFIX_LENGTHS
from battlemap.geodata.metrics import HOUSEHOLD_YEAR_SOURCE, METRIC_NAMES, MetricSet

__all__ = [
    "BUILD_SETTINGS",
    "ComputedAggregate",
    "aggregate_sql",
    "build_aggregate",
    "compute_aggregate",
    "copy_aggregate",
    "use_build_settings",
]

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


@dataclass(frozen=True)
class ComputedAggregate:
    """The [region, year, metric] counts of a data dir, as the embedded store has them."""

    codes: tuple[str, ...]
    years: tuple[int, ...]
    values: np.ndarray  # int64 [len(codes), len(years), len(METRIC_NAMES)]
    from_cache: bool  # read from aggregates.parquet rather than summed from the tables


def compute_aggregate(
    data_dir: Path, years: Sequence[int], metrics: MetricSet, *, trust_cache: bool
) -> ComputedAggregate:
    """The embedded store's aggregates of ``data_dir`` under ``metrics``: its
    ``aggregates.parquet`` when ``trust_cache`` (the files were checked against the
    manifest), the cache is fresh and built under these rules; else summed from the tables
    (a part at a time, nothing written). DataDirError for unreadable or inconsistent tables.
    """
    from battlemap.geodata import aggregate
    from battlemap.geodata.datadir import AGGREGATES_FILE, read_table
    from battlemap.geodata.embedded import build_aggregates, cache_is_fresh
    from battlemap.geodata.errors import DataDirError, one_line
    from battlemap.geodata.regions import REGION_COLUMNS, RegionTree

    try:
        tree = RegionTree(read_table(data_dir, "regions", list(REGION_COLUMNS)))
        years = tuple(int(y) for y in years)
        if trust_cache and cache_is_fresh(data_dir):
            try:
                frame = read_table(data_dir, AGGREGATES_FILE)
                values = aggregate.from_frame(frame, tree.codes, years, metrics.digest)
            except DataDirError:
                values = None
            if values is not None:
                _check_villages(data_dir, aggregate.village_codes(tree.codes))
                return ComputedAggregate(tuple(tree.codes), years, values, True)
        values = build_aggregates(data_dir, tree, years, metrics, write=False)
    except DataDirError:
        raise
    except Exception as exc:  # pandas/pyarrow on inconsistent tables
        raise DataDirError(f"{data_dir}: the counts cannot be computed: {one_line(exc)}") from None
    return ComputedAggregate(tuple(tree.codes), years, values, False)


def _check_villages(data_dir: Path, villages: list[str]) -> None:
    """Every household's village is a village of regions (summing the tables checks it;
    the cache does not): DataDirError naming the first household that is not."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from battlemap.geodata.errors import DataDirError
    from battlemap.geodata.partitions import table_files

    known = pa.array(villages, pa.string())
    for path in table_files(data_dir, "households"):
        rows = pq.read_table(path, columns=["hh_id", "village_code"])
        codes = rows.column("village_code").cast(pa.string())
        bad = pc.invert(pc.is_in(codes, value_set=known))
        if pc.any(bad).as_py():
            row = rows.filter(bad).slice(0, 1).to_pylist()[0]
            raise DataDirError(
                f"households.parquet: household {row['hh_id']} has village_code "
                f"{row['village_code']}, which is not a village in regions"
            )


def aggregate_create_sql(table: str) -> str:
    """CREATE TABLE of an aggregate table: code, year, one bigint per metric."""
    # nullable like the SQL-built table: imports COPY a few columns into a LIKE copy
    metrics = ",\n  ".join(f"{name} bigint" for name in METRIC_NAMES)
    return (
        f'CREATE TABLE {table} (\n  code char(12) COLLATE "C" NOT NULL,\n'
        f"  year smallint NOT NULL,\n  {metrics}\n)"
    )


def _aggregate_binary(computed: ComputedAggregate, table: str, rows_per_chunk: int = 16_384):
    """The rows in binary COPY format (header, batches, trailer): no text for the server to
    parse (89 numbers a row; 4× the national set's 423 k rows took seconds as CSV)."""
    from battlemap.geodata.postgis.binary import HEADER, TRAILER, encode_batch
    from battlemap.geodata.postgis.ddl import Column, Table

    columns = (Column("code", "char(12)"), Column("year", "smallint"))
    layout = Table(table, columns + tuple(Column(n, "bigint") for n in METRIC_NAMES))
    n_codes, n_years = len(computed.codes), len(computed.years)
    codes = np.repeat(np.asarray(computed.codes, dtype=object), n_years)
    years = np.tile(np.asarray(computed.years, dtype=np.int16), n_codes)
    flat = computed.values.reshape(n_codes * n_years, -1)
    yield HEADER
    for start in range(0, len(codes), rows_per_chunk):
        stop = start + rows_per_chunk
        arrays = [pa.array(codes[start:stop], pa.string()), pa.array(years[start:stop])]
        arrays += [pa.array(flat[start:stop, j]) for j in range(len(METRIC_NAMES))]
        batch = pa.RecordBatch.from_arrays(arrays, names=[c.name for c in layout.columns])
        yield bytes(encode_batch(layout, batch))
    yield TRAILER


def copy_aggregate(cur, computed: ComputedAggregate, table: str) -> int:
    """Create ``table`` and COPY ``computed`` into it in binary (in the cursor's transaction,
    rows in code order), then its primary key; returns the row count."""
    from battlemap.geodata.postgis.copy import BatchReader

    cur.execute(aggregate_create_sql(table))
    reader = BatchReader(_aggregate_binary(computed, table))
    names = ", ".join(["code", "year", *METRIC_NAMES])
    cur.copy_expert(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT binary, FREEZE)", reader)
    if reader.error is not None:
        raise reader.error
    cur.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (code, year)")
    cur.execute(f"ANALYZE {table} (code, year)")  # lookups only filter on these
    return len(computed.codes) * len(computed.years)
