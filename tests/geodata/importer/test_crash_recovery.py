"""An import killed (SIGKILL) at an exact step of its commit: the next open of the store,
read or write, finishes or rolls back the commit first, and PostGIS and the data dir end in
the same state (BATTLEMAP_FAULT names the step; a real kill, a real PostgreSQL)."""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path

import pandas as pd
import pytest
from pgtables import pg_tables

from battlemap.geodata.datadir import check_files, read_manifest
from battlemap.geodata.importer.households import import_households
from battlemap.geodata.journal import FAULT_ENV, JOURNAL_FILE
from tests.clirun import run_cli

PROVINCE = "520000000000"


@pytest.fixture
def county_csv(county_rows: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "county.csv"
    county_rows.to_csv(path, index=False)
    return path


def _import(csv: Path, data_dir: Path, fault: str, *dsn: str):
    args = ["import", "households", str(csv), "--data-dir", str(data_dir), "--quiet", *dsn]
    return run_cli(*args, env={FAULT_ENV: fault})


def _stats(*store: str) -> tuple[int, dict | str]:
    result = run_cli("stats", "--region", PROVINCE, "--year", "2016", *store)
    if result.returncode:
        return result.returncode, result.stderr
    return 0, json.loads(result.stdout)


@pytest.fixture(scope="module")
def finished(county_rows: pd.DataFrame, empty_template: Path, tmp_path_factory) -> tuple:
    """(the empty store with the county imported uninterrupted, its `stats`): what a
    killed import that is finished later must equal (made once for the module)."""
    root = tmp_path_factory.mktemp("finished")
    csv, done = root / "county.csv", root / "done"
    county_rows.to_csv(csv, index=False)
    shutil.copytree(empty_template, done)
    import_households(csv, done)
    code, stats = _stats("--data-dir", str(done))
    assert code == 0, stats
    return done, stats


@pytest.mark.parametrize("step", ["after-journal", "mid-swap"])
def test_a_read_after_a_kill_inside_the_swap_sees_the_finished_import(
    step: str, county_csv: Path, empty_dir: Path, finished: tuple, tables
) -> None:
    done, done_stats = finished
    killed = _import(county_csv, empty_dir, step)
    assert killed.returncode == -signal.SIGKILL
    assert (empty_dir / JOURNAL_FILE).exists()  # the commit broke off half way
    # `stats` (a read) finishes the commit before it reads: the imported numbers, never a mix
    code, stats = _stats("--data-dir", str(empty_dir))
    assert code == 0, stats
    assert stats == done_stats
    assert stats["registered_persons"] > 0
    assert not (empty_dir / JOURNAL_FILE).exists()
    for a, b in zip(tables(empty_dir), tables(done), strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert check_files(empty_dir, read_manifest(empty_dir)).problems == []


def test_a_kill_after_the_database_commit_is_reconciled_to_the_database(
    county_csv: Path, empty_dir: Path, postgis_cluster
) -> None:
    dsn = postgis_cluster.load_database("crash_after_db_commit", empty_dir)
    killed = _import(county_csv, empty_dir, "after-database-commit", "--dsn", dsn)
    assert killed.returncode == -signal.SIGKILL
    # PostGIS committed the import, the data dir has not swapped yet: a read without the
    # database cannot know which state wins, and says how to settle it (one line, exit 2)
    code, message = _stats("--data-dir", str(empty_dir))
    assert code == 2 and "battlemap import recover" in message
    assert message.count("\n") == 1 and "Traceback" not in message
    recovered = run_cli("import", "recover", "--data-dir", str(empty_dir), "--dsn", dsn)
    assert recovered.returncode == 0, recovered.stderr
    assert "completed" in recovered.stderr
    embedded = _stats("--data-dir", str(empty_dir))
    postgis = _stats("--store", "postgis", "--dsn", dsn)
    assert embedded[0] == postgis[0] == 0
    assert embedded[1] == postgis[1]
    assert embedded[1]["registered_persons"] > 0  # the import won in both stores


def test_a_kill_before_the_database_commit_is_rolled_back_in_both_stores(
    county_csv: Path, empty_dir: Path, postgis_cluster, digests
) -> None:
    dsn = postgis_cluster.load_database("crash_before_db_commit", empty_dir)
    before_pg = [t.to_dict("list") for t in pg_tables(dsn)]
    visible = {k: v for k, v in digests(empty_dir).items() if not k.startswith(".")}
    killed = _import(county_csv, empty_dir, "after-prepare", "--dsn", dsn)
    assert killed.returncode == -signal.SIGKILL
    assert (empty_dir / JOURNAL_FILE).exists()
    # the next import with the database settles it first: PostGIS never committed
    recovered = run_cli("import", "recover", "--data-dir", str(empty_dir), "--dsn", dsn)
    assert recovered.returncode == 0, recovered.stderr
    assert "nothing to finish" in recovered.stderr
    assert {k: v for k, v in digests(empty_dir).items() if not k.startswith(".")} == visible
    assert not [p for p in empty_dir.iterdir() if p.name.startswith(".import-") and p.is_dir()]
    assert [t.to_dict("list") for t in pg_tables(dsn)] == before_pg
    embedded = _stats("--data-dir", str(empty_dir))
    assert embedded == _stats("--store", "postgis", "--dsn", dsn)
    assert embedded[1]["registered_persons"] == 0
