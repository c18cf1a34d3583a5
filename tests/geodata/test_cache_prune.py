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
