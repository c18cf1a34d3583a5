"""All or nothing: failures, Ctrl-C and kills mid-import leave both stores as they were."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from pgtables import pg_tables

from battlemap.geodata.importer import atomic, households
from battlemap.geodata.importer.atomic import JOURNAL_FILE, STAGING_PREFIX, recover
from battlemap.geodata.importer.extract import import_rows
from battlemap.geodata.importer.households import ImportOptions, import_households


class Boom(RuntimeError):
    """The injected failure."""


@pytest.fixture(scope="module")
def big_csv(small_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All 344 k household-years of the small data set: a few seconds to import."""
    path = tmp_path_factory.mktemp("big") / "all.csv"
    import_rows(small_data_dir).to_csv(path, index=False)
    return path


@pytest.fixture
def county_csv(county_rows: pd.DataFrame, tmp_path: Path) -> Path:
    path = tmp_path / "county.csv"
    county_rows.to_csv(path, index=False)
    return path


def visible(digests: dict) -> dict:
    return {k: v for k, v in digests.items() if not k.startswith(".")}


@pytest.mark.parametrize("where", ["validate", "add_to_cache", "rebuild_aggregates", "interrupt"])
def test_a_failure_before_the_commit_changes_nothing(
    where: str,
    county_csv: Path,
    empty_dir: Path,
    monkeypatch,
    digests,
) -> None:
    before = digests(empty_dir)
    calls = {"n": 0}
    real_validate = households.validate_chunk

    def failing_validate(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt if where == "interrupt" else Boom("validate")
        return real_validate(*args, **kwargs)

    def failing_aggregates(*args, **kwargs):
        raise Boom("aggregates")

    if where == "rebuild_aggregates":  # the cache cannot take the delta: full rebuild fails
        monkeypatch.setattr(households, "add_to_cache", lambda *args: False)
        monkeypatch.setattr(households, "rebuild_aggregates", failing_aggregates)
    elif where == "add_to_cache":
        monkeypatch.setattr(households, "add_to_cache", failing_aggregates)
    else:
        monkeypatch.setattr(households, "validate_chunk", failing_validate)
    with pytest.raises(KeyboardInterrupt if where == "interrupt" else Boom):
        import_households(county_csv, empty_dir, options=ImportOptions(chunk_rows=2000))
    assert digests(empty_dir) == before  # no staging dir left either
    assert not list(county_csv.parent.glob("*.rejects.csv*"))


class DiskError(OSError):
    """The injected I/O failure."""


@pytest.mark.parametrize("persistent", [False, True])
def test_a_failure_during_the_swap_is_rolled_forward(
    persistent: bool,
    county_csv: Path,
    empty_dir: Path,
    tmp_path: Path,
    monkeypatch,
    digests,
    tables,
) -> None:
    """Once the journal exists the new state wins: the swap is finished at once if possible,
    else by the next run (recover)."""
    done = tmp_path / "done"
    shutil.copytree(empty_dir, done)
    import_households(county_csv, done)
    calls = {"n": 0}
    real_replace = os.replace

    def failing_rename(src, dst):
        if Path(dst).parent == empty_dir and Path(dst).name != JOURNAL_FILE:
            calls["n"] += 1
            if calls["n"] == 2 or (persistent and calls["n"] > 2):
                raise DiskError("disk error")
        return real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", failing_rename)
    with pytest.raises(DiskError):
        import_households(county_csv, empty_dir)
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    assert (empty_dir / JOURNAL_FILE).exists() == persistent
    if persistent:
        assert recover(empty_dir)
    assert not (empty_dir / JOURNAL_FILE).exists()
    assert not [p for p in empty_dir.glob(f"{STAGING_PREFIX}*") if p.is_dir()]
    for a, b in zip(tables(empty_dir), tables(done), strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert {k: v[0] for k, v in visible(digests(empty_dir)).items() if k != "manifest.json"} == {
        k: v[0] for k, v in visible(digests(done)).items() if k != "manifest.json"
    }


def _start(args: list[str]) -> subprocess.Popen:
    # Ctrl-C as at a terminal, even when this suite runs as a background job (whose children
    # inherit SIGINT ignored, and Python then installs no KeyboardInterrupt handler)
    code = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "from battlemap.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(proc: subprocess.Popen, text: str, timeout: float = 120) -> str:
    """Read the child's stderr until a line contains ``text``."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return line
    proc.kill()
    raise AssertionError(f"never saw {text!r}; stderr: {''.join(seen)}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_a_killed_import_leaves_the_data_dir_unchanged(
    sig: signal.Signals,
    big_csv: Path,
    empty_dir: Path,
    digests,
) -> None:
    before = digests(empty_dir)
    proc = _start(
        [
            "import",
            "households",
            str(big_csv),
            "--data-dir",
            str(empty_dir),
            "--chunk-rows",
            "20000",
        ]
    )
    _wait_for(proc, "rows/s")
    proc.send_signal(sig)
    proc.communicate(timeout=120)
    if sig == signal.SIGINT:
        assert proc.returncode == 130
        assert digests(empty_dir) == before
    else:
        assert proc.returncode == -signal.SIGKILL
        assert visible(digests(empty_dir)) == visible(before)
        recover(empty_dir)  # what the next import does first: drop the orphaned staging dir
        assert digests(empty_dir) == before


def test_a_killed_import_leaves_postgis_unchanged(
    big_csv: Path,
    empty_dir: Path,
    postgis_cluster,
    digests,
) -> None:
    """SIGKILL while the PostGIS transaction updates the aggregates: the server rolls back."""

    dsn = postgis_cluster.load_database("import_killed", empty_dir)
    before_pg = [t.to_dict("list") for t in pg_tables(dsn)]
    before = digests(empty_dir)
    proc = _start(
        ["import", "households", str(big_csv), "--data-dir", str(empty_dir), "--dsn", dsn]
    )
    _wait_for(proc, "PostGIS: updating region_year_stats")
    proc.kill()
    proc.communicate(timeout=60)
    recover(empty_dir)
    assert digests(empty_dir) == before
    time.sleep(0.5)  # the server notices the dropped connection and rolls back
    assert [t.to_dict("list") for t in pg_tables(dsn)] == before_pg


def test_a_failing_database_commit_changes_neither_store(
    county_csv: Path,
    empty_dir: Path,
    postgis_cluster,
    monkeypatch,
    digests,
) -> None:
    from battlemap.geodata.importer import postgis_write

    dsn = postgis_cluster.load_database("import_commit_fails", empty_dir)
    before = digests(empty_dir)

    def failing_commit(self, import_id=None) -> None:
        raise Boom("commit")

    monkeypatch.setattr(postgis_write.PostgisUpsert, "commit", failing_commit)
    with pytest.raises(Boom):
        import_households(county_csv, empty_dir, dsn=dsn)
    assert digests(empty_dir) == before
    assert all(len(t) == 0 for t in pg_tables(dsn))
