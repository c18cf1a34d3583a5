"""``battlemap stats`` funds object and ``battlemap funds-report`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from battlemap.geodata.access import ScopedStore
from battlemap.views.funds import funds_report, funds_stats
from tests.clirun import run_cli


def test_stats_prints_the_funds_object(small_data_dir: Path, embedded_store) -> None:
    result = run_cli(
        "stats", "--region", "5201", "--year", "2018", "--data-dir", str(small_data_dir)
    )
    assert result.returncode == 0, result.stderr
    funds = json.loads(result.stdout)["funds"]
    assert funds == json.loads(json.dumps(funds_stats(ScopedStore(embedded_store), "5201", 2018)))
    assert funds["payment_rate_pct"] == round(100 * funds["paid"] / funds["allocated"], 2)


def test_funds_report_json_and_xlsx(small_data_dir: Path, embedded_store, tmp_path: Path) -> None:
    args = ("funds-report", "--region", "52", "--year", "2020", "--data-dir", str(small_data_dir))
    result = run_cli(*args, "--format", "json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    expected = funds_report(ScopedStore(embedded_store), "52", 2020)
    assert [r["project_id"] for r in rows] == expected.project_id.tolist()
    assert all(r["rule"] and r["reason"] and isinstance(r["evidence"], dict) for r in rows)
    out = tmp_path / "funds.xlsx"
    result = run_cli(*args, "--format", "xlsx", "--output", str(out))
    assert result.returncode == 0, result.stderr
    sheet = pd.read_excel(out)
    assert sheet.reason.tolist() == expected.reason.tolist()


def test_funds_report_bad_region_is_one_line(small_data_dir: Path) -> None:
    result = run_cli(
        "funds-report", "--region", "999999", "--year", "2018", "--data-dir", str(small_data_dir)
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
