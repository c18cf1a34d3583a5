"""The embedded store's memory-mapped array cache (issue 19): built once, mapped read-only by
every process, the same answers as arrays built in memory; a damaged, stale or unwritable
cache never changes an answer."""

from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import fields
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from battlemap.geodata.embedded import EmbeddedStore, build_aggregates
from battlemap.geodata.embedded_cache import CACHE_ENV, UNUSED_S, cached_bundle
from battlemap.geodata.embedded_features import load_household_arrays
from tests.auth.conftest import link_farm


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(path))
    return path


def _same(a, b) -> bool:
    if isinstance(a, pa.Array):
        return a.equals(b)
    return np.array_equal(np.asarray(a), np.asarray(b))


def test_mapped_arrays_equal_the_built_ones(small2k_data_dir: Path, cache_dir: Path) -> None:
    first = EmbeddedStore(small2k_data_dir)
    first.household_arrays()
    second = EmbeddedStore(small2k_data_dir)  # maps what the first wrote
    mapped = second.household_arrays()
    built = load_household_arrays(small2k_data_dir, second.years, second.metrics.rules)
    for field in fields(built):
        assert _same(getattr(mapped, field.name), getattr(built, field.name)), field.name
    assert isinstance(mapped.status, np.memmap) and not mapped.status.flags.writeable
    assert isinstance(second._values, np.memmap)
    rebuilt = build_aggregates(small2k_data_dir, second.regions, second.years, write=False)
    assert np.array_equal(second._values, rebuilt)
    assert sorted(p.name.split("-")[0] for p in cache_dir.iterdir() if p.is_dir()) == [
        "aggregates",
        "households",
    ]
    assert all(p.stat().st_mode & 0o077 == 0 for p in cache_dir.rglob("*"))  # owner-only


def test_the_cache_is_never_in_the_data_dir(small2k_data_dir, tmp_path, monkeypatch) -> None:
    """By default the cache goes to $XDG_CACHE_HOME/battlemap, not into the data dir (which
    may be read-only or shared); copies of one data set share it (named by content)."""
    monkeypatch.delenv(CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    data = link_farm(tmp_path / "data", small2k_data_dir)
    before = sorted(p.name for p in data.iterdir())
    EmbeddedStore(data).household_arrays()
    assert sorted(p.name for p in data.iterdir()) == before
    bundles = sorted(p.name for p in (tmp_path / "xdg" / "battlemap").iterdir() if p.is_dir())
    assert [b.split("-")[0] for b in bundles] == ["aggregates", "households"]
    other = link_farm(tmp_path / "copy", small2k_data_dir)
    assert isinstance(EmbeddedStore(other).household_arrays().village, np.memmap)
    assert sorted(p.name for p in (tmp_path / "xdg" / "battlemap").iterdir() if p.is_dir()) == (
        bundles
    )  # the copy mapped the same bundles


def test_answers_do_not_depend_on_the_cache(small2k_data_dir, tmp_path, monkeypatch) -> None:
    """Built in memory (the cache dir cannot be made), then mapped, then rebuilt over a
    damaged file: the same counts, households and hexbins every time."""
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))
    memory = EmbeddedStore(small2k_data_dir)
    assert not isinstance(memory.household_arrays().village, np.memmap)
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    EmbeddedStore(small2k_data_dir).household_arrays()
    status = next(cache.glob("households-*/status.npy"))
    status.write_bytes(status.read_bytes()[:200])  # damaged: truncated
    repaired = EmbeddedStore(small2k_data_dir)
    assert isinstance(repaired.household_arrays().status, np.memmap)
    mapped = EmbeddedStore(small2k_data_dir)
    county = next(c for c in memory.regions.level_codes(3))
    township = memory.regions.children(county)[0].code
    for store in (repaired, mapped):
        assert store.counts(county, 2016) == memory.counts(county, 2016)
        assert store.households(township, 2016).equals(memory.households(township, 2016))
        assert store.hexbins(county, 2016).equals(memory.hexbins(county, 2016))


def _build_in_child(root: str, log: str) -> None:
    def build() -> dict:
        with open(log, "a") as handle:
            handle.write("built\n")
        time.sleep(0.5)  # the other process asks meanwhile
        return {"x": np.arange(10)}

    os.environ[CACHE_ENV] = root
    bundle = cached_bundle("demo", ("v1",), build)
    assert isinstance(bundle["x"], np.memmap) and bundle["x"].sum() == 45


def test_one_process_builds_while_the_others_wait(tmp_path: Path) -> None:
    log = tmp_path / "builds.log"
    context = multiprocessing.get_context("fork")
    procs = [
        context.Process(target=_build_in_child, args=(str(tmp_path / "c"), str(log)))
        for _ in range(3)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(30)
        assert proc.exitcode == 0
    assert log.read_text().count("built") == 1


def test_unused_bundles_are_removed(cache_dir: Path) -> None:
    cached_bundle("demo", ("v1",), lambda: {"x": np.arange(3)})
    cached_bundle("demo", ("v2",), lambda: {"x": np.arange(4)})
    assert len([p for p in cache_dir.iterdir() if p.is_dir()]) == 2  # both in use
    day_ago = time.time() - UNUSED_S - 60
    for path in cache_dir.iterdir():
        os.utime(path, (day_ago, day_ago))
    newer = cached_bundle("demo", ("v3",), lambda: {"x": np.arange(5)})
    assert len(newer["x"]) == 5
    assert len([p for p in cache_dir.iterdir() if p.is_dir()]) == 1  # v1, v2 removed
    # no data version: never cached (a stale bundle could not be told apart)
    assert not isinstance(cached_bundle("demo", ("",), lambda: {"x": np.arange(2)})["x"], np.memmap)
