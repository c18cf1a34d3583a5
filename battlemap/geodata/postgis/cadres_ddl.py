"""PostGIS DDL of the cadre tables (issue 15), loaded by ``battlemap db load`` when present."""

from __future__ import annotations

from battlemap.geodata.postgis.ddl import Column, Table

__all__ = ["CADRE_TABLES"]

_CODE = 'char(12) COLLATE "C"'
_ID = 'text COLLATE "C"'
CADRE_TABLES: tuple[Table, ...] = (
    Table(
        "cadres",
        (
            Column("cadre_id", f"{_ID} NOT NULL"),
            Column("name", "text"),
            Column("unit", "text NOT NULL"),
            Column("unit_level", "text NOT NULL"),
            Column("role", "text NOT NULL"),
            Column("village_code", f"{_CODE} NOT NULL"),
            Column("start_date", "date NOT NULL"),
            Column("end_date", "date"),
        ),
        primary_key=("cadre_id",),
        indexes=(("cadres_village_code_idx", "(village_code)"),),
        optional_file=True,
    ),
    Table(
        "assignments",
        (
            Column("cadre_id", f"{_ID} NOT NULL"),
            Column("hh_id", f"{_ID} NOT NULL"),
            Column("start_date", "date NOT NULL"),
            Column("end_date", "date"),
        ),
        indexes=(
            ("assignments_hh_id_idx", "(hh_id, start_date)"),
            ("assignments_cadre_id_idx", "(cadre_id)"),
        ),
        optional_file=True,
    ),
    Table(
        "visits",
        (
            Column("visit_id", "bigint NOT NULL"),
            Column("cadre_id", f"{_ID} NOT NULL"),
            Column("hh_id", f"{_ID} NOT NULL"),
            Column("date", "date NOT NULL"),
            Column("lon", "double precision NOT NULL"),
            Column("lat", "double precision NOT NULL"),
            Column("kind", "text NOT NULL"),
            Column("note", "text"),
        ),
        primary_key=("visit_id",),
        indexes=(
            ("visits_hh_id_idx", "(hh_id, date)"),
            ("visits_cadre_id_idx", "(cadre_id, date)"),
        ),
        optional_file=True,
    ),
)
