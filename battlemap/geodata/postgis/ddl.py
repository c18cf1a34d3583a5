"""Schema of DESIGN.md's tables in PostgreSQL + PostGIS: columns, keys, indexes.

Each column names its parquet source and how a batch is turned into COPY text
(``kind``: plain value, EWKB point, EWKB multipolygon, or a text[] literal).
"""

from __future__ import annotations

from dataclasses import dataclass

from battlemap.geodata.schema import STATUS_EXITED, STATUS_POOR, STATUS_RETURNED

__all__ = [
    "AGGREGATE_PREFIX",
    "AGGREGATE_TABLE",
    "LOAD_ORDER",
    "META_SQL",
    "META_TABLE",
    "TABLES",
    "Column",
    "Table",
]

AGGREGATE_TABLE = "region_year_stats"
# Aggregates under other exit rules than the load's, built on demand by a store.
AGGREGATE_PREFIX = f"{AGGREGATE_TABLE}_"
META_TABLE = "battlemap_meta"
META_SQL = f"""CREATE TABLE {META_TABLE} (
  data_dir text NOT NULL,
  loaded_at timestamptz NOT NULL DEFAULT now(),
  manifest jsonb NOT NULL,
  years smallint[] NOT NULL,
  metrics_digest text NOT NULL
)"""


@dataclass(frozen=True)
class Column:
    """One table column: SQL type and how to fill it from the parquet file."""

    name: str
    type: str
    kind: str = "plain"  # plain | point | multipolygon | text_array
    source: str | None = None  # parquet column, default: same name
    optional: bool = False  # NULL when the parquet file lacks the column

    @property
    def parquet(self) -> str:
        return self.source or self.name


@dataclass(frozen=True)
class Table:
    """A table: columns, primary key, secondary indexes (``name``, ``USING ...`` clause)."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    indexes: tuple[tuple[str, str], ...] = ()
    checks: tuple[str, ...] = ()
    optional_file: bool = False  # the data dir may lack it: the table is created empty

    def create_sql(self) -> str:
        body = [f"{c.name} {c.type}" for c in self.columns]
        body += [f"CHECK ({check})" for check in self.checks]
        return f"CREATE TABLE {self.name} (\n  " + ",\n  ".join(body) + "\n)"

    def index_sql(self) -> list[str]:
        out = []
        if self.primary_key:
            out.append(
                f"ALTER TABLE {self.name} ADD CONSTRAINT {self.name}_pkey "
                f"PRIMARY KEY ({', '.join(self.primary_key)})"
            )
        out += [f"CREATE INDEX {name} ON {self.name} {spec}" for name, spec in self.indexes]
        return out


_CODE = 'char(12) COLLATE "C"'
_FLAG = "boolean"
_ID = 'text COLLATE "C"'  # identifiers: byte order, fast index builds under any locale
_STATUSES = ", ".join(f"'{s}'" for s in (STATUS_POOR, STATUS_EXITED, STATUS_RETURNED))

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "regions",
            (
                Column("code", f"{_CODE} NOT NULL"),
                Column("level", "smallint NOT NULL"),
                Column("name", "text NOT NULL"),
                Column("parent_code", _CODE),
                Column("zone", "text NOT NULL"),
                Column("poverty_flag", "boolean NOT NULL"),
                Column("area_km2", "double precision", optional=True),
                Column("label_lon", "double precision"),
                Column("label_lat", "double precision"),
                Column("geom", "geometry(MultiPolygon, 4326)", "multipolygon", "geometry"),
            ),
            primary_key=("code",),
            indexes=(
                ("regions_parent_code_idx", "(parent_code)"),
                ("regions_geom_idx", "USING gist (geom)"),
            ),
            checks=("level BETWEEN 0 AND 5",),  # 0: a national root
        ),
        Table(
            "households",
            (
                Column("hh_id", f"{_ID} NOT NULL"),
                Column("village_code", f"{_CODE} NOT NULL"),
                Column("lon", "double precision NOT NULL"),
                Column("lat", "double precision NOT NULL"),
                Column("geom", "geometry(Point, 4326)", "point", "geometry"),
                Column("size", "smallint NOT NULL"),
                Column("hh_type", "text NOT NULL"),
                Column("primary_cause", "text NOT NULL"),
                Column("secondary_causes", "text[]", "text_array", optional=True),
                Column("registered_year", "smallint", optional=True),
                Column("h3_r7", _ID, optional=True),
                Column("h3_r9", _ID, optional=True),
                Column("head_name", "text", optional=True),
            ),
            primary_key=("hh_id",),
            indexes=(
                ("households_village_code_idx", "(village_code)"),
                ("households_geom_idx", "USING gist (geom)"),
            ),
            checks=("size > 0",),
        ),
        Table(
            "household_years",
            (
                Column("hh_id", f"{_ID} NOT NULL"),
                Column("year", "smallint NOT NULL"),
                Column("status", "text NOT NULL"),
                Column("income_per_capita", "double precision", optional=True),
                Column("housing_safe", _FLAG, optional=True),
                Column("no_dropout", _FLAG, optional=True),
                Column("medical_insured", _FLAG, optional=True),
                Column("pension_insured", _FLAG, optional=True),
                Column("water_safe", _FLAG, optional=True),
                Column("electricity", _FLAG, optional=True),
                Column("relocated", _FLAG, optional=True),
            ),
            primary_key=("hh_id", "year"),
            checks=(f"status IN ({_STATUSES})",),
        ),
        Table(
            "relocations",
            (
                Column("hh_id", f"{_ID} NOT NULL"),
                Column("year", "smallint NOT NULL"),
                Column("from_village_code", f"{_CODE} NOT NULL"),
                Column("to_site_code", f"{_ID} NOT NULL"),
                Column("to_lon", "double precision NOT NULL"),
                Column("to_lat", "double precision NOT NULL"),
                Column("persons", "integer NOT NULL"),
            ),
            indexes=(
                ("relocations_hh_id_idx", "(hh_id)"),
                ("relocations_from_village_code_idx", "(from_village_code)"),
            ),
        ),
        Table(
            "labour_flows",
            (
                Column("origin_county_code", f"{_CODE} NOT NULL"),
                Column("year", "smallint NOT NULL"),
                Column("destination_name", "text NOT NULL"),
                Column("dest_lon", "double precision NOT NULL"),
                Column("dest_lat", "double precision NOT NULL"),
                Column("persons", "integer NOT NULL"),
            ),
            indexes=(("labour_flows_origin_idx", "(origin_county_code, year)"),),
        ),
        Table(
            "rural_population",
            (
                Column("code", f"{_CODE} NOT NULL"),
                Column("year", "smallint NOT NULL"),
                Column("persons", "integer NOT NULL"),
            ),
            primary_key=("code", "year"),
        ),
        Table(
            "county_assessments",
            (
                Column("code", f"{_CODE} NOT NULL"),
                Column("year", "smallint NOT NULL"),
                Column("satisfaction_pct", "double precision"),
                Column("missed_registration_pct", "double precision"),
            ),
            primary_key=("code", "year"),
            optional_file=True,
        ),
    )
}

from battlemap.geodata.postgis.cadres_ddl import CADRE_TABLES  # noqa: E402 - needs Table

TABLES.update({t.name: t for t in CADRE_TABLES})  # issue 15: optional cadre tables

# Projects and funds (issue 14; postgis/funds_ddl.py), optional files like the assessments.
from battlemap.geodata.postgis.funds_ddl import FUNDS_TABLES  # noqa: E402

TABLES.update({t.name: t for t in FUNDS_TABLES})

# Load order: regions first (households are checked against them).
LOAD_ORDER: tuple[str, ...] = tuple(TABLES)
