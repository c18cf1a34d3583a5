"""Map features of the PostGIS store: range scans on indexed code columns.

Each hook is one query; every code filter is ``BETWEEN lo AND hi`` on a ``char(12)`` column
with a btree index (works under any collation, unlike ``LIKE 'prefix%'``). Grouping to the
map's units is done in SQL; simplification and GeoJSON are shared with the embedded engine.
"""

from __future__ import annotations

import pandas as pd

from battlemap.geodata.features import (
    HEXBIN_COLUMNS,
    HOUSEHOLD_COLUMNS,
    LABOUR_COLUMNS,
    RELOCATION_COLUMNS,
    UnitRows,
)
from battlemap.geodata.schema import POOR_STATUSES

__all__ = ["PostgisFeatures"]

_POOR = ", ".join(f"'{s}'" for s in POOR_STATUSES)

_UNITS_SQL = (
    "SELECT code, name, label_lon, label_lat, ST_AsBinary(geom) FROM regions "
    "WHERE code = ANY(%s::bpchar[]) ORDER BY code"
)
_HOUSEHOLDS_SQL = (
    "SELECT h.hh_id, h.village_code::text, h.lon, h.lat, h.size, h.hh_type, h.primary_cause, "
    "y.status, h.head_name FROM households h JOIN household_years y ON y.hh_id = h.hh_id "
    "WHERE h.village_code BETWEEN %s AND %s AND y.year = %s ORDER BY h.village_code, h.hh_id"
)
_HEX_SQL = (
    "SELECT h.h3_r{source} AS cell, count(*) AS poor_households, sum(h.size) AS poor_persons "
    "FROM households h JOIN household_years y ON y.hh_id = h.hh_id "
    f"WHERE h.village_code BETWEEN %s AND %s AND y.year = %s AND y.status IN ({_POOR}) "
    "GROUP BY 1 ORDER BY 1"
)
_RELOCATION_SQL = (
    "SELECT rpad(left(from_village_code, %s), 12, '0') AS origin_code, to_site_code, "
    "min(to_lon), min(to_lat), count(*), sum(persons) FROM relocations "
    "WHERE from_village_code BETWEEN %s AND %s AND year <= %s GROUP BY 1, 2 ORDER BY 1, 2"
)
_LABOUR_SQL = (
    "SELECT rpad(left(origin_county_code, %s), 12, '0') AS origin_code, destination_name, "
    "min(dest_lon), min(dest_lat), sum(persons) FROM labour_flows "
    "WHERE origin_county_code BETWEEN %s AND %s AND year = %s GROUP BY 1, 2 ORDER BY 1, 2"
)


class PostgisFeatures:
    """Feature hooks of :class:`~battlemap.geodata.store.Store` for the PostGIS engine.

    Mixed into ``PostgisStore``; uses its ``_fetch(sql, params)``.
    """

    def _fetch(self, sql: str, params: tuple | None = None) -> list[tuple]:
        raise NotImplementedError  # provided by PostgisStore

    def _unit_rows(self, codes: list[str]) -> UnitRows:
        rows = self._fetch(_UNITS_SQL, (list(codes),))
        return UnitRows(
            codes=[r[0] for r in rows],
            names=[r[1] for r in rows],
            label_lon=[r[2] for r in rows],
            label_lat=[r[3] for r in rows],
            wkb=[bytes(r[4]) for r in rows],
        )

    def _households(self, lo: str, hi: str, year: int) -> pd.DataFrame:
        rows = self._fetch(_HOUSEHOLDS_SQL, (lo, hi, year))
        return pd.DataFrame.from_records(rows, columns=list(HOUSEHOLD_COLUMNS))

    def _hex_cells(self, lo: str, hi: str, year: int, source: int) -> pd.DataFrame:
        rows = self._fetch(_HEX_SQL.format(source=int(source)), (lo, hi, year))
        return pd.DataFrame.from_records(rows, columns=list(HEXBIN_COLUMNS))

    def _relocation_flows(self, lo: str, hi: str, year: int, origin_len: int) -> pd.DataFrame:
        rows = self._fetch(_RELOCATION_SQL, (origin_len, lo, hi, year))
        return pd.DataFrame.from_records(rows, columns=list(RELOCATION_COLUMNS))

    def _labour_flows(self, lo: str, hi: str, year: int, origin_len: int) -> pd.DataFrame:
        rows = self._fetch(_LABOUR_SQL, (origin_len, lo, hi, year))
        return pd.DataFrame.from_records(rows, columns=list(LABOUR_COLUMNS))
