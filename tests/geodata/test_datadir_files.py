"""The manifest lists every data file (parts one by one) and opening checks them by name."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest

from battlemap.geodata.datadir import (
    AGGREGATES_FILE,
    MANIFEST_FILE,
    check_files,
    data_file_names,
    file_entry,
    read_manifest,
)
from battlemap.geodata.embedded import EmbeddedStore
from battlemap.geodata.errors import DataDirError
from battlemap.geodata.partitions import PARTITIONS
from tests.clirun import run_cli

PROVINCE = "520000000000"


@pytest.fixture
def data_copy(small_data_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(small_data_dir, target)
    return target


def test_the_manifest_lists_every_data_file_with_size_and_digest(small_data_dir: Path) -> None:
    manifest = read_manifest(small_data_dir)
    files = manifest["files"]
    assert sorted(files) == data_file_names(small_data_dir)
    parts = [n for n in files if n.startswith("households.parquet/")]
    assert len(parts) == PARTITIONS
    for name in ("regions.parquet", "households.parquet/part-07.parquet", AGGREGATES_FILE):
        assert files[name] == file_entry(small_data_dir / name)
    assert len(manifest["version"]) == 16


def _stray_part(path: Path) -> str:
    shutil.copy(
        path / "households.parquet/part-01.parquet", path / "households.parquet/part-16.parquet"
    )
    return "households.parquet/part-16.parquet"


def _missing_pair(path: Path) -> str:
    (path / "households.parquet/part-03.parquet").unlink()
    (path / "household_years.parquet/part-03.parquet").unlink()
    return "households.parquet/part-03.parquet"


def _same_size_change(path: Path) -> str:
    """One byte changed in place: the size matches, only the digest tells."""
    target = path / "household_years.parquet/part-05.parquet"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    return "household_years.parquet/part-05.parquet"


def _swapped_table(path: Path) -> str:
    shutil.copy(path / "labour_flows.parquet", path / "relocations.parquet")
    return "relocations.parquet"


@pytest.mark.parametrize(
    "damage",
    [_stray_part, _missing_pair, _same_size_change, _swapped_table],
    ids=lambda f: f.__name__,
)
def test_a_damaged_data_dir_is_refused_by_name(damage, data_copy: Path) -> None:
    name = damage(data_copy)
    with pytest.raises(DataDirError, match=name.replace(".", r"\.")):
        EmbeddedStore(data_copy)


def test_the_cli_refuses_a_stray_part_in_one_line(data_copy: Path) -> None:
    name = _stray_part(data_copy)
    result = run_cli("stats", "--region", PROVINCE, "--year", "2016", "--data-dir", str(data_copy))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and name in result.stderr
    assert "Traceback" not in result.stderr


def test_a_changed_cache_is_rebuilt_from_the_checked_tables(
    data_copy: Path, small_data_dir: Path, embedded_store
) -> None:
    """aggregates.parquet is derived: a different one is not trusted, it is rebuilt and
    recorded (its numbers then equal the untouched store's)."""
    shutil.copy(data_copy / "rural_population.parquet", data_copy / AGGREGATES_FILE)
    store = EmbeddedStore(data_copy)
    assert store.counts(PROVINCE, 2016) == embedded_store.counts(PROVINCE, 2016)
    manifest = read_manifest(data_copy)
    assert manifest["files"][AGGREGATES_FILE] == file_entry(data_copy / AGGREGATES_FILE)
    assert manifest["version"] == read_manifest(small_data_dir)["version"]
    assert check_files(data_copy, manifest).problems == []


def test_other_files_in_the_data_dir_are_not_checked(data_copy: Path) -> None:
    """users.sqlite (sign-in), rejects lists or notes may live beside the data files."""
    (data_copy / "users.sqlite").write_bytes(b"SQLite format 3\x00")
    (data_copy / "notes.txt").write_text("hello", encoding="utf-8")
    EmbeddedStore(data_copy)


def test_an_older_data_dir_is_accepted_and_its_files_recorded(data_copy: Path, caplog) -> None:
    manifest = json.loads((data_copy / MANIFEST_FILE).read_text(encoding="utf-8"))
    for key in ("files", "version", "format"):
        manifest.pop(key)
    (data_copy / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    EmbeddedStore(data_copy)
    assert "no file list" in caplog.text
    recorded = read_manifest(data_copy)
    assert sorted(recorded["files"]) == data_file_names(data_copy)
    _missing_pair(data_copy)  # from now on it is protected
    with pytest.raises(DataDirError, match="part-03"):
        EmbeddedStore(data_copy)


def test_an_older_data_dir_with_a_stray_part_is_refused(data_copy: Path) -> None:
    manifest = json.loads((data_copy / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest.pop("files")
    (data_copy / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    name = _stray_part(data_copy)
    with pytest.raises(DataDirError, match=name):
        EmbeddedStore(data_copy)


@pytest.mark.parametrize("years", [[], None, ["x"], [True]])
def test_a_manifest_without_valid_years_is_one_clear_error(data_copy: Path, years) -> None:
    manifest = json.loads((data_copy / MANIFEST_FILE).read_text(encoding="utf-8"))
    manifest["years"] = years
    (data_copy / MANIFEST_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(DataDirError, match="'years' must be a non-empty list"):
        EmbeddedStore(data_copy)


def test_generated_files_are_owner_only(small_data_dir: Path) -> None:
    assert stat.S_IMODE(small_data_dir.stat().st_mode) == 0o700
    for path in [
        small_data_dir / MANIFEST_FILE,
        *(small_data_dir / n for n in data_file_names(small_data_dir)),
    ]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE((small_data_dir / "households.parquet").stat().st_mode) == 0o700
