"""The embedded cadre engine's arrays are memory-mapped from one bundle per data version in
the cache dir (issue 19): workers share the pages, a second engine maps what the first
built, a changed data dir gets its own bundle, a damaged bundle is rebuilt, and the frames
are the same whether the arrays are mapped or built in memory."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from battlemap.geodata import cadres_store
from battlemap.geodata.cadre_arrays import ARRAY_NAMES, ARRAYS_BUNDLE
from battlemap.geodata.cadres_store import CadreFrames, EmbeddedCadres
from battlemap.geodata.datadir import record_files
from battlemap.geodata.embedded import EmbeddedStore
from battlemap.geodata.embedded_cache import CACHE_ENV
from battlemap.indicators.cadre_rules import default_cadre_rules
from tests.auth.conftest import link_farm

YEAR = 2018


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(path))
    return path


def _engine(store) -> EmbeddedCadres:
    return EmbeddedCadres(store.data_dir, store.regions.codes, store.years,
                          default_cadre_rules(), store.metrics)  # fmt: skip


@functools.cache
def _busiest_county(data_dir: Path) -> str:
    households = pd.read_parquet(data_dir / "households.parquet", columns=["hh_id", "village_code"])
    visits = pd.read_parquet(data_dir / "visits.parquet", columns=["hh_id", "date"])
    visits = visits[pd.to_datetime(visits["date"]).dt.year == YEAR].merge(households, on="hh_id")
    return visits["village_code"].str[:6].value_counts().index[0] + "000000"


def _county(store) -> str:
    """The county with the most visits in YEAR: its frames hold rows of every kind (the
    small test set leaves some counties without visits)."""
    return _busiest_county(Path(store.data_dir))


def _assert_same(a: CadreFrames, b: CadreFrames) -> None:
    for name in ("households", "cadres", "assignments", "visits"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
        assert len(getattr(a, name)), name
    for name, pair in a.positions.items():
        for mine, theirs in zip(pair, b.positions[name], strict=True):
            assert np.array_equal(mine, theirs), name


def _mapped_files() -> dict[str, tuple[int, int]]:
    """Address ranges of the files this process maps, by file name."""
    found = {}
    for line in Path("/proc/self/maps").read_text().splitlines():
        fields = line.split()
        if len(fields) >= 6:
            lo, hi = (int(x, 16) for x in fields[0].split("-"))
            found.setdefault(Path(fields[5]).name, []).append((lo, hi))
    return found


def _bundle(cache_dir: Path) -> Path:
    (bundle,) = cache_dir.glob(f"{ARRAYS_BUNDLE}-*")
    return bundle


def test_arrays_are_mapped_and_a_second_engine_reuses_them(
    small2k_store, cache_dir, tmp_path, monkeypatch
) -> None:
    first = _engine(small2k_store)
    built = first.frames(_county(small2k_store), YEAR)
    bundle = _bundle(cache_dir)
    for name in ARRAY_NAMES:
        if name != "villages":  # the small vocabulary is materialised
            array = getattr(first, name)
            assert isinstance(array, np.memmap) and not array.flags.writeable, name
    # the IDs and names stay Arrow strings inside the mapped file: no copy per process
    maps = _mapped_files()
    for name, array in (("hh_id", first.hh_id), ("c_name", first.c_text["name"].array)):
        address = array.buffers()[2].address
        assert any(lo <= address < hi for lo, hi in maps[f"{name}.arrow"]), name
    stamp = {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in bundle.iterdir()}

    def no_build(*args):
        raise AssertionError("the second engine rebuilt the arrays")

    monkeypatch.setattr(cadres_store, "build_cadre_arrays", no_build)
    second = _engine(EmbeddedStore(small2k_store.data_dir))
    _assert_same(second.frames(_county(small2k_store), YEAR), built)
    assert {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in bundle.iterdir()} == stamp
    monkeypatch.undo()
    # built in memory (the cache dir cannot be made): the same frames
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))
    memory = _engine(small2k_store)
    _assert_same(memory.frames(_county(small2k_store), YEAR), built)
    assert not isinstance(memory.v_hh, np.memmap)


def test_a_changed_data_dir_does_not_use_the_other_versions_arrays(
    small2k_store, small2k_data_dir, cache_dir, tmp_path
) -> None:
    """A copy of the data with one cadre moved to another county (a new data version)
    sees the move; the original, sharing the cache dir, does not."""
    original = _engine(small2k_store)
    original._load()
    changed = link_farm(tmp_path / "changed", small2k_data_dir)
    for name in ("manifest.json", "cadres.parquet"):
        (changed / name).unlink()
        shutil.copy(small2k_data_dir / name, changed / name)
    cadres = pd.read_parquet(changed / "cadres.parquet")
    cadre, old = cadres.cadre_id.iloc[0], cadres.village_code.iloc[0]
    target = next(v for v in sorted(cadres.village_code) if v[:6] != old[:6])
    cadres.loc[cadres.cadre_id == cadre, "village_code"] = target
    cadres.to_parquet(changed / "cadres.parquet", index=False)
    record_files(changed)
    moved = _engine(EmbeddedStore(changed))
    assert cadre in set(moved.frames(target, YEAR).cadres.cadre_id)
    assert cadre not in set(original.frames(target, YEAR).cadres.cadre_id)
    assert len(list(cache_dir.glob(f"{ARRAYS_BUNDLE}-*"))) == 2


@pytest.mark.parametrize(
    ("damaged", "how"),
    [
        ("v_hh.npy", "truncate"),
        ("hh_id.arrow", "truncate"),
        ("bundle.json", "garble"),
        ("c_name.arrow", "delete"),
    ],
)
def test_a_damaged_bundle_is_rebuilt(small2k_store, cache_dir, damaged, how) -> None:
    county = _county(small2k_store)
    want = _engine(small2k_store).frames(county, YEAR)
    path = _bundle(cache_dir) / damaged
    size = path.stat().st_size
    if how == "truncate":
        path.write_bytes(path.read_bytes()[: size // 2])
    elif how == "garble":
        path.write_text("{not json")
    else:
        path.unlink()
    again = _engine(small2k_store)
    _assert_same(again.frames(county, YEAR), want)
    assert isinstance(again.v_hh, np.memmap)
    assert (_bundle(cache_dir) / damaged).stat().st_size == size  # written again, whole


def _load_in_child(data_dir: str, root: str, log: str) -> None:
    import os

    from battlemap.geodata import cadre_arrays

    build = cadres_store.build_cadre_arrays

    def logged(*args):
        with open(log, "a") as handle:
            handle.write("built\n")
        return build(*args)

    cadres_store.build_cadre_arrays = logged
    os.environ[CACHE_ENV] = root
    engine = _engine(EmbeddedStore(data_dir))
    engine._load()
    assert isinstance(engine.v_hh, np.memmap)
    assert cadre_arrays.ARRAYS_BUNDLE in str(_bundle(Path(root)))


def test_two_workers_starting_at_once_build_the_arrays_once(small2k_data_dir, tmp_path) -> None:
    import multiprocessing

    log = tmp_path / "builds.log"
    context = multiprocessing.get_context("fork")
    args = (str(small2k_data_dir), str(tmp_path / "cache"), str(log))
    procs = [context.Process(target=_load_in_child, args=args) for _ in range(2)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    assert log.read_text().count("built") == 1
