"""PostgreSQL tables of projects and funds (issue 14): the four data-dir tables (loaded by
``battlemap db load`` when the data dir has them, created empty otherwise) and the derived
``funds_region_year`` / ``funds_hits`` (built by :mod:`.funds` on first use)."""

from __future__ import annotations

from battlemap.geodata.funds_schema import FUNDS_METRICS
from battlemap.geodata.postgis.ddl import Column, Table

__all__ = ["FUNDS_META", "FUNDS_TABLES", "HITS_TABLE", "VALUES_TABLE", "derived_sql"]

_CODE = 'char(12) COLLATE "C"'
_ID = 'text COLLATE "C"'
_MONEY = "numeric(16, 2)"

FUNDS_TABLES: tuple[Table, ...] = (
    Table(
        "projects",
        (
            Column("project_id", f"{_ID} NOT NULL"),
            Column("name", "text NOT NULL"),
            Column("type", "text NOT NULL"),
            Column("code", f"{_CODE} NOT NULL"),
            Column("lon", "double precision"),
            Column("lat", "double precision"),
            Column("planned_start", "date"),
            Column("planned_end", "date"),
            Column("actual_start", "date"),
            Column("actual_end", "date"),
            Column("status", "text NOT NULL"),
            Column("budget", f"{_MONEY} NOT NULL"),
            Column("source", "text NOT NULL"),
            Column("unit", "text"),
        ),
        primary_key=("project_id",),
        indexes=(("projects_code_idx", "(code)"),),
        optional_file=True,
    ),
    Table(
        "project_beneficiaries",
        (Column("project_id", f"{_ID} NOT NULL"), Column("hh_id", f"{_ID} NOT NULL")),
        primary_key=("project_id", "hh_id"),
        indexes=(("project_beneficiaries_hh_idx", "(hh_id)"),),
        optional_file=True,
    ),
    Table(
        "fund_allocations",
        (
            Column("allocation_id", f"{_ID} NOT NULL"),
            Column("from_code", _CODE),
            Column("to_code", _CODE),
            Column("project_id", _ID),
            Column("date", "date NOT NULL"),
            Column("amount", f"{_MONEY} NOT NULL"),
            Column("source", "text"),
            Column("document", "text"),
        ),
        primary_key=("allocation_id",),
        indexes=(("fund_allocations_project_idx", "(project_id)"),),
        optional_file=True,
    ),
    Table(
        "fund_payments",
        (
            Column("payment_id", f"{_ID} NOT NULL"),
            Column("project_id", f"{_ID} NOT NULL"),
            Column("date", "date NOT NULL"),
            Column("amount", f"{_MONEY} NOT NULL"),
            Column("payee_type", "text NOT NULL"),
            Column("payee_hh_id", _ID),
        ),
        primary_key=("payment_id",),
        indexes=(("fund_payments_project_idx", "(project_id)"),),
        optional_file=True,
    ),
)

VALUES_TABLE = "funds_region_year"
HITS_TABLE = "funds_hits"
FUNDS_META = "funds_meta"


def derived_sql() -> list[str]:
    """CREATE statements of the derived tables (values per region-year, hits, their key)."""
    metrics = ",\n  ".join(f"{m} bigint NOT NULL" for m in FUNDS_METRICS)
    return [
        f"CREATE TABLE {VALUES_TABLE} (\n  code {_CODE} NOT NULL,\n  year smallint NOT NULL,\n"
        f"  {metrics},\n  PRIMARY KEY (code, year)\n)",
        f"CREATE TABLE {HITS_TABLE} (rule text NOT NULL, reason text NOT NULL, "
        f"project_id {_ID} NOT NULL, project_name text, code {_CODE} NOT NULL, "
        "date date NOT NULL, evidence text NOT NULL)",
        f"CREATE INDEX {HITS_TABLE}_code_idx ON {HITS_TABLE} (code)",
        f"CREATE TABLE {FUNDS_META} (key text NOT NULL)",
    ]
