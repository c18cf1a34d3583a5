"""The funds and cadre tables derived from a data dir, computed at ``db load`` time.

The PostGIS engines used to derive ``funds_region_year`` / ``funds_hits`` (reading the
funds tables back out of the database into the embedded computation) and the per-village
cadre counts (one SQL statement over 23 M visits) after the load: about two minutes for the
2.3 M-household province. The embedded engines compute the same values in seconds, or
have them cached: :func:`compute_derived` takes them from the data dir while the tables
COPY, and :func:`copy_derived` COPYs them in binary into the load's staging schema, under
the names and keys the PostGIS engines look for (the data stamp of the meta row being
loaded), so they are swapped in with the rest in the same transaction. The engines' own
builders stay for imports and for other rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from battlemap.geodata import aggregate
from battlemap.geodata.postgis.binary import HEADER, TRAILER, encode_batch
from battlemap.geodata.postgis.copy import BatchReader
from battlemap.geodata.postgis.ddl import Column, Table
from battlemap.indicators.rules import ExitRules

__all__ = ["DERIVED_FUNDS_TABLES", "DerivedTables", "compute_derived", "copy_derived"]

_CODE = 'char(12) COLLATE "C"'
_BATCH = 65_536


@dataclass(frozen=True)
class DerivedTables:
    """The embedded engines' values for one data dir (None: the data set has no such tables)."""

    codes: tuple[str, ...]
    years: tuple[int, ...]
    funds: tuple[np.ndarray, pd.DataFrame] | None  # values [region, year, metric], hits
    cadres: np.ndarray | None  # counts [region, year, count], rolled up


def _cadre_rules(rules: ExitRules):
    from battlemap.indicators.cadre_rules import default_cadre_rules

    return getattr(rules, "cadres", None) or default_cadre_rules()


def compute_derived(
    data_dir: Path,
    years: tuple[int, ...],
    rules: ExitRules,
    manifest: dict[str, Any],
    *,
    trust_cache: bool,
) -> DerivedTables:
    """The funds values and hits and the cadre counts of ``data_dir`` under ``rules``, as
    the embedded store computes them: from their cache when ``trust_cache`` (the files were
    checked against the manifest) and it is there (then also written there), else
    computed from the tables."""
    from battlemap.geodata.cadres_store import EmbeddedCadres
    from battlemap.geodata.datadir import read_table
    from battlemap.geodata.funds import EmbeddedFunds
    from battlemap.geodata.regions import REGION_COLUMNS, RegionTree
    from battlemap.indicators.funds_rules import funds_rules_of

    codes = tuple(RegionTree(read_table(data_dir, "regions", list(REGION_COLUMNS))).codes)
    funds = cadres = None
    engine = EmbeddedFunds(data_dir, codes, years, funds_rules_of(rules), manifest)
    if engine.available:
        if trust_cache:
            engine._ensure()
            funds = (engine._values, engine._hits)
        else:
            funds = engine._build()
    source = EmbeddedCadres(data_dir, list(codes), years, _cadre_rules(rules))
    if source.has_data:
        if trust_cache:
            cadres = source._counts_values()
        else:
            source._build()
            cadres = source._aggregate()
    return DerivedTables(codes, tuple(years), funds, cadres)


def _copy_frame(cur, table: Table, frame: pd.DataFrame) -> int:
    """COPY ``frame`` (columns named as the table's) into ``table`` in binary."""

    def chunks():
        yield HEADER
        for start in range(0, len(frame), _BATCH):
            part = frame.iloc[start : start + _BATCH]
            batch = pa.RecordBatch.from_pandas(part, preserve_index=False)
            yield bytes(encode_batch(table, batch))
        yield TRAILER

    names = ", ".join(c.name for c in table.columns)
    reader = BatchReader(chunks())
    cur.copy_expert(f"COPY {table.name} ({names}) FROM STDIN WITH (FORMAT binary)", reader)
    if reader.error is not None:
        raise reader.error
    return len(frame)


def _region_year_frame(codes, years, values: np.ndarray, rows: np.ndarray, names) -> pd.DataFrame:
    """One row per (region, year) of ``rows`` (region indexes) with any value, columns
    code, year, then ``names``."""
    sub = values[rows]
    r, k = np.nonzero(sub.any(axis=2))
    frame = pd.DataFrame(
        {
            "code": np.asarray(codes, dtype=object)[rows[r]],
            "year": np.asarray(years, dtype=np.int16)[k],
        }
    )
    counts = pd.DataFrame(sub[r, k].astype(np.int64), columns=list(names))
    return pd.concat([frame, counts], axis=1)


def _copy_funds(cur, derived: DerivedTables, key: str) -> int:
    from battlemap.geodata.funds_schema import FUNDS_METRICS
    from battlemap.geodata.postgis.funds_ddl import (
        FUNDS_META,
        HITS_TABLE,
        VALUES_TABLE,
        derived_sql,
    )
    from battlemap.indicators.funds_anomalies import HIT_COLUMNS

    values, hits = derived.funds
    for sql in derived_sql():
        cur.execute(sql)
    rows = np.arange(len(derived.codes))
    frame = _region_year_frame(derived.codes, derived.years, values, rows, FUNDS_METRICS)
    columns = (Column("code", _CODE), Column("year", "smallint"))
    columns += tuple(Column(m, "bigint") for m in FUNDS_METRICS)
    n = _copy_frame(cur, Table(VALUES_TABLE, columns), frame)
    hit_types = {"code": _CODE, "date": "date"}
    table = Table(HITS_TABLE, tuple(Column(c, hit_types.get(c, "text")) for c in HIT_COLUMNS))
    out = hits[list(HIT_COLUMNS)].assign(date=pd.to_datetime(hits.date).dt.date)
    _copy_frame(cur, table, out)
    cur.execute(f"ANALYZE {VALUES_TABLE}")
    cur.execute(f"INSERT INTO {FUNDS_META} (key) VALUES (%s)", (key,))
    return n


DERIVED_FUNDS_TABLES = ("funds_region_year", "funds_hits", "funds_meta")


def _copy_cadres(cur, derived: DerivedTables, table_name: str) -> int:
    from battlemap.indicators.cadres import CADRE_COUNT_NAMES

    codes = derived.codes
    villages = aggregate.village_codes(list(codes))
    rows = pd.Index(np.asarray(codes, dtype=object)).get_indexer(villages)
    frame = _region_year_frame(codes, derived.years, derived.cadres, rows, CADRE_COUNT_NAMES)
    frame = frame.rename(columns={"code": "village_code"})
    columns = (Column("village_code", _CODE), Column("year", "smallint"))
    columns += tuple(Column(n, "bigint") for n in CADRE_COUNT_NAMES)
    table = Table(table_name, columns)
    cur.execute(table.create_sql())
    n = _copy_frame(cur, table, frame)
    cur.execute(f"CREATE INDEX ON {table_name} (year, village_code)")
    cur.execute(f"ANALYZE {table_name}")
    return n


def copy_derived(cur, derived: DerivedTables, stamp: str, rules: ExitRules) -> dict[str, int]:
    """Create and fill the derived tables (in the cursor's schema and transaction) under the
    names and keys the PostGIS engines expect for data stamp ``stamp``; rows per table."""
    from battlemap.geodata.postgis.cadres import stats_table_name
    from battlemap.geodata.postgis.funds import funds_key
    from battlemap.indicators.funds_rules import funds_rules_of

    rows: dict[str, int] = {}
    if derived.funds is not None:
        key = funds_key(stamp, funds_rules_of(rules).digest, derived.years)
        rows[DERIVED_FUNDS_TABLES[0]] = _copy_funds(cur, derived, key)
    if derived.cadres is not None:
        name = stats_table_name(_cadre_rules(rules), stamp)
        rows[name] = _copy_cadres(cur, derived, name)
    return rows
