"""``battlemap stats`` through the installed console script: JSON out, clear errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from battlemap.geodata.access import ScopedStore
from battlemap.geodata.cadres_store import cadre_counts
from battlemap.views.funds import funds_stats
from battlemap.views.summary import region_summary

STATS_KEYS = {
    "code",
    "name",
    "level",
    "year",
    "rural_population",
    "poor_persons",
    "poor_households",
    "incidence_pct",
    "registered_persons",
    "exited_persons",
    "exit_progress_pct",
    "returned_persons",
    "causes",
    "children",
}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    exe = shutil.which("battlemap")
    assert exe, "the battlemap console script is not installed (pip install -e .)"
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )


@pytest.mark.parametrize(
    ("region", "year", "level"),
    [
        ("52", 2014, "province"),
        ("5201", 2017, "city"),
        ("520102", 2019, "county"),
        ("520102100", 2016, "township"),
    ],
)
def test_stats_json_matches_region_summary(
    small_data_dir: Path, embedded_store, region: str, year: int, level: str
) -> None:
    result = run_cli(
        "stats", "--region", region, "--year", str(year), "--data-dir", str(small_data_dir)
    )
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) >= STATS_KEYS | {"funds", "cadres"}
    expected = region_summary(embedded_store, region, year)
    expected["cadres"] = cadre_counts(embedded_store, region, year)
    expected["funds"] = funds_stats(ScopedStore(embedded_store), region, year)
    assert payload == json.loads(json.dumps(expected))
    assert payload["funds"]["projects"] > 0 and payload["cadres"]["cadres"] > 0
    assert payload["level"] == level


def _one_clear_line(result: subprocess.CompletedProcess, fragment: str) -> None:
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], result.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--region", "529999", "--year", "2016"], "529999000000 is not in this data set"),
        (["--region", "52x", "--year", "2016"], "not 2, 4, 6, 9 or 12 digits"),
        (["--region", "52", "--year", "2030"], "year 2030 is outside"),
    ],
)
def test_bad_query_is_one_line(small_data_dir: Path, args: list[str], fragment: str) -> None:
    _one_clear_line(run_cli("stats", *args, "--data-dir", str(small_data_dir)), fragment)


def test_missing_data_dir(tmp_path: Path) -> None:
    result = run_cli(
        "stats", "--region", "52", "--year", "2016", "--data-dir", str(tmp_path / "none")
    )
    _one_clear_line(result, "does not exist")


def test_corrupt_data_dir(small_data_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "corrupt"
    shutil.copytree(small_data_dir, copy)
    (copy / "regions.parquet").write_bytes(b"garbage")
    result = run_cli("stats", "--region", "52", "--year", "2016", "--data-dir", str(copy))
    _one_clear_line(result, "regions.parquet")


def test_unreachable_database() -> None:
    result = run_cli(
        "stats",
        "--region",
        "52",
        "--year",
        "2016",
        "--store",
        "postgis",
        "--dsn",
        "host=127.0.0.1 port=1 dbname=none user=none connect_timeout=3",
    )
    _one_clear_line(result, "cannot connect to PostgreSQL")
