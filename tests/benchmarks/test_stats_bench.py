"""`python -m benchmarks.stats` measures a read-only data dir (the 2.3 M bench sets) without
writing into it: its cold start rebuilds the aggregates cache on a stand-in in the cache dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from battlemap.geodata.embedded_cache import CACHE_ENV
from battlemap.geodata.journal import LOCK_FILE

ROOT = Path(__file__).resolve().parents[2]


def _files(folder: Path) -> dict[str, tuple[int, int, int]]:
    """Every path under ``folder`` with its inode, size and modification time: a write,
    a replacement or a deletion changes it. Not the empty import lock file, which every
    store open creates when it can (the benchmark's own store does, as the app would)."""
    return {
        str(p.relative_to(folder)): (p.lstat().st_ino, p.lstat().st_size, p.lstat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.name != LOCK_FILE
    }


def test_cold_start_never_writes_into_the_data_dir(small_data_dir: Path, tmp_path: Path) -> None:
    assert (small_data_dir / "aggregates.parquet").is_file()  # the cache it used to delete
    before = _files(small_data_dir)
    cache = tmp_path / "cache"
    options = ["--data-dir", str(small_data_dir), "--no-postgis", "--no-geopandas"]
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks.stats", *options, "--queries", "2"],
        cwd=ROOT,
        env={**os.environ, CACHE_ENV: str(cache)},
        capture_output=True,
        text=True,
        check=True,
    )
    embedded = json.loads(run.stdout)["embedded"]
    # the first cold start really rebuilt the cache (none in its data dir), the second read it
    assert embedded["cold_start_rebuilding_aggregates"]["cache_present"] is False
    assert embedded["cold_start_cached"]["cache_present"] is True
    assert _files(small_data_dir) == before
    assert list(cache.glob("stats-cold-start-*")) == []  # the stand-in is removed
