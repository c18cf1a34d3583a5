"""Warm-up faults in the pages of the memory-mapped bundles (issue 19): afterwards a worker's
RSS already holds them, so its memory does not creep up as new villages are visited."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from battlemap.geodata.embedded_cache import CACHE_ENV, cached_bundle
from battlemap.geodata.mapped_pages import mapped_ranges, populate_mapped

SIZE = 16 * 2**20


def _resident_kb(start: int) -> int:
    """Rss of this process's mapping that begins at ``start`` (/proc/self/smaps)."""
    lines = Path("/proc/self/smaps").read_text().splitlines()
    for i, line in enumerate(lines):
        if line.split(maxsplit=1)[0].split("-")[0] == f"{start:x}":
            for follow in lines[i + 1 : i + 30]:
                if follow.startswith("Rss:"):
                    return int(follow.split()[1])
    raise AssertionError("mapping not found")


def test_populate_faults_in_every_mapped_page(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    bundle = cached_bundle("pages-test", ("v1",), lambda: {"a": np.ones(SIZE // 8)})
    assert isinstance(bundle["a"], np.memmap)
    ranges = [r for r in mapped_ranges(cache) if r[1] - r[0] >= SIZE]
    assert len(ranges) == 1  # found by the cache dir's path in /proc/self/maps
    start, _end = ranges[0]
    assert _resident_kb(start) < SIZE // 1024 // 2  # untouched: not in this process's RSS
    populated = populate_mapped(cache)
    if populated == 0:
        pytest.skip("kernel without MADV_POPULATE_READ (Linux < 5.14)")
    assert populated >= SIZE
    assert _resident_kb(start) >= SIZE // 1024  # every page now resident
    assert float(bundle["a"][-1]) == 1.0  # still the same read-only data


def test_nothing_outside_the_cache_dir_is_touched(tmp_path):
    assert mapped_ranges(tmp_path / "nowhere") == []
    assert populate_mapped(tmp_path / "nowhere") == 0
