"""A data dir's superseded cache folders are removed when it gets a new one: never another
data dir's, never one opened within the grace period, never one without a record."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from battlemap.geodata.cache_prune import GRACE_S, SOURCE_FILE, claim, prune_superseded


def _folder(root: Path, name: str, data_dir: Path | None, age_s: float) -> Path:
    """A cache folder, claimed for ``data_dir`` (unless None) and last opened ``age_s`` ago."""
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "values.npy").write_bytes(b"x")
    if data_dir is not None:
        claim(folder, data_dir)
    when = time.time() - age_s
    for path in (folder, folder / SOURCE_FILE):
        if path.exists():
            os.utime(path, (when, when))
    return folder


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path, Path]:
    a, b = tmp_path / "data-a", tmp_path / "data-b"
    a.mkdir()
    b.mkdir()
    return tmp_path / "cache", a, b


def test_only_the_same_data_dirs_old_folders_are_removed(dirs) -> None:
    root, a, b = dirs
    old = _folder(root, "cadres-0000000000000001", a, GRACE_S + 60)
    recent = _folder(root, "cadres-0000000000000002", a, GRACE_S / 2)
    other = _folder(root, "cadres-0000000000000003", b, 10 * GRACE_S)
    unknown = _folder(root, "cadres-0000000000000004", None, 10 * GRACE_S)
    other_name = _folder(root, "cadre-warnings-0000000000000005", a, 10 * GRACE_S)
    current = _folder(root, "cadres-0000000000000006", a, 10 * GRACE_S)
    assert prune_superseded(current, a) == [old]
    assert not old.exists()
    for kept in (recent, other, unknown, other_name, current):
        assert (kept / "values.npy").is_file(), kept
    # the current one is claimed now: a later version's prune leaves it for the grace period
    newer = _folder(root, "cadres-0000000000000007", a, 0)
    assert prune_superseded(newer, a) == []
    later = time.time() + GRACE_S + 1
    assert sorted(prune_superseded(newer, a, now=later)) == [recent, current]
    assert (newer / "values.npy").is_file() and (other / "values.npy").is_file()


def test_names_with_dashes_and_data_dir_spelt_two_ways(dirs) -> None:
    root, a, _ = dirs
    old = _folder(root, "cadre-warnings-00000000000000aa", a / ".." / a.name, GRACE_S * 2)
    current = _folder(root, "cadre-warnings-00000000000000bb", a, 0)
    assert prune_superseded(current, a) == [old]


def test_a_missing_or_unwritable_folder_is_left_alone(dirs) -> None:
    root, a, _ = dirs
    assert prune_superseded(root / "funds-0000000000000001", a) == []
    assert not root.exists()


def test_a_new_data_version_prunes_the_old_caches(tmp_path: Path, monkeypatch) -> None:
    """The store, funds and cadre caches of the old version go once the data dir has a new
    one and they were not opened for the grace period; another data dir's stay."""
    from battlemap.geodata.cadres_store import EmbeddedCadres
    from battlemap.geodata.datadir import read_manifest, write_manifest
    from battlemap.geodata.embedded import EmbeddedStore
    from battlemap.geodata.embedded_cache import CACHE_ENV
    from battlemap.geodata.funds import EmbeddedFunds
    from battlemap.geodata.synthetic.generate import generate
    from battlemap.indicators.cadre_rules import default_cadre_rules
    from battlemap.indicators.funds_rules import funds_rules_of

    data_dir, cache = tmp_path / "data", tmp_path / "cache"
    generate(data_dir, households=2000, seed=7, quiet=True)
    monkeypatch.setenv(CACHE_ENV, str(cache))

    def open_all() -> set[str]:
        store = EmbeddedStore(data_dir)
        store.counts(store.regions.roots()[0].code, store.years[0])
        codes = list(store.regions.codes)
        rules = funds_rules_of(store.rules)
        EmbeddedFunds(data_dir, store.regions.codes, store.years, rules, store.manifest)._ensure()
        cadres = EmbeddedCadres(data_dir, codes, store.years, default_cadre_rules())
        cadres._counts_values()
        cadres.frames(codes[-1], store.years[-1])  # the cadre arrays
        return {p.name for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")}

    def kinds(names: set[str]) -> set[str]:
        return {name.rpartition("-")[0] for name in names}

    first = open_all()
    assert {"funds", "cadres", "cadre-arrays", "aggregates"} <= kinds(first), first
    foreign = _folder(cache, "cadres-00000000000000ff", tmp_path / "elsewhere", 10 * GRACE_S)
    manifest = read_manifest(data_dir)
    write_manifest(data_dir, {**manifest, "version": "0123456789abcdef"})  # as an import does
    second = open_all()
    new = second - first - {foreign.name}
    assert kinds(new) == kinds(first)  # one new folder of each kind ...
    assert first <= second  # ... and the old ones, opened just now, kept
    when = time.time() - GRACE_S - 60
    for name in first:  # the old version not opened for longer than the grace period
        os.utime(cache / name, (when, when))
    assert open_all() == new | {foreign.name}
