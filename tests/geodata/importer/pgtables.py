"""The household tables of a PostGIS store, comparable with a data dir's (see conftest)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def _query(conn, sql: str) -> pd.DataFrame:
    with conn.cursor() as cur:
        cur.execute(sql)
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


def pg_tables(dsn: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """households and household_years of a PostGIS store, like conftest.household_tables."""
    import psycopg2

    conn = psycopg2.connect(dsn)
    try:
        hh = _query(
            conn,
            "SELECT hh_id, village_code, lon, lat, size, hh_type, primary_cause, "
            "array_to_string(secondary_causes, ';') AS secondary_causes, "
            "registered_year, h3_r7, h3_r9, head_name FROM households ORDER BY hh_id",
        )
        years = _query(
            conn,
            "SELECT hh_id, year, status, income_per_capita, housing_safe, "
            "no_dropout, medical_insured, pension_insured, water_safe, electricity, "
            "relocated FROM household_years ORDER BY hh_id, year",
        )
    finally:
        conn.close()
    return hh, years


def assert_same_content(dsn: str, data_dir: Path, tables) -> None:
    """Both stores hold the same households and household-years."""
    want_hh, want_years = tables(data_dir)
    got_hh, got_years = pg_tables(dsn)
    got_hh = got_hh.astype({c: object for c in got_hh.columns if c not in ("lon", "lat")})
    pd.testing.assert_frame_equal(got_hh, want_hh[got_hh.columns], check_dtype=False)
    pd.testing.assert_frame_equal(
        got_years.astype(object), want_years[got_years.columns], check_dtype=False
    )
