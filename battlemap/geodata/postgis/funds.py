"""Projects and funds on PostGIS: :class:`PostgisFunds`, the PostGIS engine of
:class:`~battlemap.geodata.funds.FundsSource`.

``battlemap db load`` copies the four tables (empty when the data dir has none). The values
per (region, year) and the anomaly hits are derived once per loaded data version and rules
(``funds_meta`` holds the key): the tables and the linked households are read back from the
database and put through the same computation as the embedded cache
(:func:`~battlemap.geodata.funds.build_funds`), then stored in ``funds_region_year`` (primary
key code, year) and ``funds_hits``; queries are indexed lookups. Project rows and their
allocated/paid totals are summed in SQL.
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
from typing import Any

import pandas as pd
import psycopg2
import pyarrow as pa
import pyarrow.csv
import shapely

from battlemap.geodata.errors import StoreUnavailableError
from battlemap.geodata.features import code_range
from battlemap.geodata.funds import (
    PROJECT_ROW_COLUMNS,
    FundsCounts,
    FundsSource,
    build_funds,
    normalise,
    project_rows_empty,
    scan_empty,
)
from battlemap.geodata.funds_schema import FUNDS_METRICS, FUNDS_TABLES
from battlemap.geodata.postgis.connection import connect, first_line
from battlemap.geodata.postgis.funds_ddl import FUNDS_META, HITS_TABLE, VALUES_TABLE, derived_sql
from battlemap.geodata.postgis.load import LOCK_KEY
from battlemap.indicators.funds_anomalies import HIT_COLUMNS
from battlemap.indicators.funds_rules import funds_rules_of

__all__ = ["PostgisFunds", "funds_key"]


def funds_key(stamp: str, rules_digest: str, years) -> str:
    """What ``funds_meta`` holds: the derived tables' data stamp, rules and years."""
    return json.dumps([stamp, rules_digest, [int(y) for y in years]])


_TEXT, _FLOAT, _INT, _DATE = pa.string(), pa.float64(), pa.int64(), pa.date32()
_TYPES = {
    "projects": {
        "project_id": _TEXT,
        "name": _TEXT,
        "type": _TEXT,
        "code": _TEXT,
        "lon": _FLOAT,
        "lat": _FLOAT,
        "planned_start": _DATE,
        "planned_end": _DATE,
        "actual_start": _DATE,
        "actual_end": _DATE,
        "status": _TEXT,
        "budget": _FLOAT,
        "source": _TEXT,
        "unit": _TEXT,
    },
    "project_beneficiaries": {"project_id": _TEXT, "hh_id": _TEXT},
    "fund_allocations": {
        "allocation_id": _TEXT,
        "from_code": _TEXT,
        "to_code": _TEXT,
        "project_id": _TEXT,
        "date": _DATE,
        "amount": _FLOAT,
        "source": _TEXT,
        "document": _TEXT,
    },
    "fund_payments": {
        "payment_id": _TEXT,
        "project_id": _TEXT,
        "date": _DATE,
        "amount": _FLOAT,
        "payee_type": _TEXT,
        "payee_hh_id": _TEXT,
    },
}
_SELECT = {
    name: ", ".join(f"{c}::float8 AS {c}" if _TYPES[name][c] == _FLOAT else c for c in columns)
    for name, columns in FUNDS_TABLES.items()
}
_LINKED = (
    "SELECT hh_id FROM project_beneficiaries UNION "
    "SELECT payee_hh_id FROM fund_payments WHERE payee_hh_id IS NOT NULL"
)
_FEN = "floor(amount * 100 + 0.5)::bigint"
_PROJECTS_SQL = f"""
WITH p AS (SELECT * FROM projects WHERE code BETWEEN %(lo)s AND %(hi)s),
a AS (SELECT project_id, sum({_FEN}) AS fen FROM fund_allocations
      WHERE project_id IN (SELECT project_id FROM p) GROUP BY 1),
y AS (SELECT project_id, sum({_FEN}) AS fen FROM fund_payments
      WHERE project_id IN (SELECT project_id FROM p) GROUP BY 1),
b AS (SELECT project_id, count(DISTINCT hh_id) AS n FROM project_beneficiaries
      WHERE project_id IN (SELECT project_id FROM p) GROUP BY 1)
SELECT {", ".join(f"p.{c}" for c in _SELECT["projects"].split(", "))},
  coalesce(a.fen, 0)::float8 / 100 AS allocated, coalesce(y.fen, 0)::float8 / 100 AS paid,
  coalesce(b.n, 0) AS beneficiaries
FROM p LEFT JOIN a USING (project_id) LEFT JOIN y USING (project_id)
  LEFT JOIN b USING (project_id)
ORDER BY p.project_id
"""
_HIT_TYPES = {
    "rule": _TEXT,
    "reason": _TEXT,
    "project_id": _TEXT,
    "project_name": _TEXT,
    "code": _TEXT,
    "date": _DATE,
    "evidence": _TEXT,
}


class PostgisFunds(FundsSource):
    """Funds of a :class:`~battlemap.geodata.postgis.PostgisStore`."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.years = tuple(store.years)
        self.rules = funds_rules_of(store.rules)
        present = store._fetch("SELECT to_regclass('projects'), to_regclass('fund_payments')")[0]
        self.available = all(present) and bool(
            store._fetch("SELECT EXISTS (SELECT 1 FROM projects)")[0][0]
        )
        self._lock = threading.Lock()
        self._ready_key: str | None = None

    # -- derived tables ------------------------------------------------------------------
    def _key(self) -> str:
        return funds_key(self.store.data_stamp(), self.rules.digest, self.years)

    def prepare(self) -> None:
        """Build the derived tables now (at load time, as the loading user), so that
        readers such as a read-only role or a replica never have to write."""
        if self.available:
            self._ensure()

    def _ensure(self) -> None:
        key = self._key()
        if self._ready_key == key:
            return
        with self._lock:
            if self._ready_key == key:
                return
            if self._stored_key() != key:
                self._build(key)
            self._ready_key = key

    def _stored_key(self) -> str | None:
        if self.store._fetch(f"SELECT to_regclass('{FUNDS_META}')")[0][0] is None:
            return None
        rows = self.store._fetch(f"SELECT key FROM {FUNDS_META} LIMIT 1")
        return rows[0][0] if rows else None

    def _read(self, cur, sql: str, types: dict[str, pa.DataType]) -> pd.DataFrame:
        buffer = io.BytesIO()
        cur.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)", buffer)
        buffer.seek(0)
        table = pa.csv.read_csv(
            buffer,
            convert_options=pa.csv.ConvertOptions(
                column_types=types, null_values=[""], strings_can_be_null=True
            ),
        )
        return table.to_pandas()

    def _build(self, key: str) -> None:
        """Read the tables back, compute values and hits, store them (one transaction)."""
        conn = connect(self.store._dsn, autocommit=False)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
                cur.execute(f"SELECT to_regclass('{FUNDS_META}')")
                if cur.fetchone()[0] is not None:
                    cur.execute(f"SELECT key FROM {FUNDS_META} LIMIT 1")
                    row = cur.fetchone()
                    if row and row[0] == key:  # another process built it meanwhile
                        conn.commit()
                        return
                values, hits = self._compute(cur)
                for name in (VALUES_TABLE, HITS_TABLE, FUNDS_META):
                    cur.execute(f"DROP TABLE IF EXISTS {name}")
                for sql in derived_sql():
                    cur.execute(sql)
                self._store(cur, values, hits)
                cur.execute(f"INSERT INTO {FUNDS_META} (key) VALUES (%s)", (key,))
            conn.commit()
            self.store.wait_for_replicas()  # reads may go to a replica (--read-dsn)
        except psycopg2.Error as exc:
            with contextlib.suppress(psycopg2.Error):
                conn.rollback()
            raise StoreUnavailableError(
                f"the funds aggregates cannot be built in PostgreSQL: {first_line(exc)}"
            ) from None
        finally:
            conn.close()

    def _compute(self, cur):
        tables = {
            name: normalise(
                name, self._read(cur, f"SELECT {_SELECT[name]} FROM {name}", _TYPES[name])
            )
            for name in FUNDS_TABLES
        }
        households = self._read(
            cur,
            f"SELECT hh_id, village_code, size FROM households WHERE hh_id IN ({_LINKED})",
            {"hh_id": _TEXT, "village_code": _TEXT, "size": _INT},
        )
        years = self._read(
            cur,
            "SELECT hh_id, year, status, income_per_capita FROM household_years "
            f"WHERE hh_id IN ({_LINKED})",
            {"hh_id": _TEXT, "year": _INT, "status": _TEXT, "income_per_capita": _FLOAT},
        )
        cur.execute(
            "SELECT code, ST_AsBinary(geom) FROM regions "
            "WHERE code IN (SELECT DISTINCT code FROM projects)"
        )
        shapes = {code: shapely.from_wkb(bytes(wkb)) for code, wkb in cur.fetchall()}
        codes = self.store.regions.codes
        return build_funds(codes, self.years, tables, households, years, shapes, self.rules)

    def _store(self, cur, values, hits: pd.DataFrame) -> None:
        import numpy as np

        r, k = np.nonzero(values.any(axis=2))
        frame = pd.DataFrame(
            {
                "code": np.asarray(self.store.regions.codes, dtype=object)[r],
                "year": np.asarray(self.years)[k],
            }
        )
        frame = pd.concat([frame, pd.DataFrame(values[r, k], columns=list(FUNDS_METRICS))], axis=1)
        self._copy(cur, VALUES_TABLE, frame)
        out = hits.assign(date=hits.date.dt.strftime("%Y-%m-%d"))
        self._copy(cur, HITS_TABLE, out[list(HIT_COLUMNS)])

    @staticmethod
    def _copy(cur, table: str, frame: pd.DataFrame) -> None:
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, header=False)
        buffer.seek(0)
        cur.copy_expert(
            f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)", buffer
        )

    # -- queries -------------------------------------------------------------------------
    def counts(self, codes: list[str], year: int) -> dict[str, FundsCounts]:
        zero = dict.fromkeys(FUNDS_METRICS, 0)
        if not self.available:
            return {c: dict(zero) for c in codes}
        self._ensure()
        rows = self.store._fetch(
            f"SELECT code, {', '.join(FUNDS_METRICS)} FROM {VALUES_TABLE} "
            "WHERE code = ANY(%s::char(12)[]) AND year = %s",
            (list(codes), int(year)),
        )
        found = {r[0]: dict(zip(FUNDS_METRICS, map(int, r[1:]), strict=True)) for r in rows}
        return {c: found.get(c, dict(zero)) for c in codes}

    def hits(self, code: str) -> pd.DataFrame:
        if not self.available:
            return scan_empty()
        self._ensure()
        lo, hi = code_range(code)
        frame = self.store._frame(
            f"SELECT {', '.join(HIT_COLUMNS)} FROM {HITS_TABLE} "
            "WHERE code BETWEEN %(lo)s AND %(hi)s",
            {"lo": lo, "hi": hi},
            _HIT_TYPES,
        )
        frame = frame.assign(date=pd.to_datetime(frame.date).astype("datetime64[ns]"))
        # the scan's order: by date, rule order, project, evidence
        from battlemap.indicators.funds_anomalies import RULES

        rank = frame.rule.map({r: i for i, r in enumerate(RULES)})
        frame = frame.assign(_rank=rank).sort_values(
            ["date", "_rank", "project_id", "evidence"], kind="stable"
        )
        return frame[list(HIT_COLUMNS)].reset_index(drop=True)

    def projects(self, code: str) -> pd.DataFrame:
        if not self.available:
            return project_rows_empty()
        lo, hi = code_range(code)
        types = {**_TYPES["projects"], "allocated": _FLOAT, "paid": _FLOAT, "beneficiaries": _INT}
        frame = self.store._frame(_PROJECTS_SQL, {"lo": lo, "hi": hi}, types)
        base = normalise("projects", frame)
        out = base.assign(
            allocated=frame.allocated.to_numpy(float),
            paid=frame.paid.to_numpy(float),
            beneficiaries=frame.beneficiaries.to_numpy("int64"),
        )
        return out[list(PROJECT_ROW_COLUMNS)]

    def payments(self, project_ids: list[str]) -> pd.DataFrame:
        if not self.available or not project_ids:
            return normalise(
                "fund_payments", pd.DataFrame({c: [] for c in FUNDS_TABLES["fund_payments"]})
            )
        frame = self.store._frame(
            f"SELECT {_SELECT['fund_payments']} FROM fund_payments "
            "WHERE project_id = ANY(%(ids)s) ORDER BY date, payment_id",
            {"ids": list(project_ids)},
            _TYPES["fund_payments"],
        )
        return normalise("fund_payments", frame)
