"""Files appear whole or not at all (temporary name, then rename)."""

from __future__ import annotations

import pytest

from battlemap.exports import ExportPathError, write_atomic


def test_written_whole_with_no_temporary_left(tmp_path) -> None:
    path = write_atomic(tmp_path / "a.csv", b"x" * 100_000)
    assert path.read_bytes() == b"x" * 100_000
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]


def test_a_failed_write_leaves_nothing_and_keeps_the_old_file(tmp_path) -> None:
    target = tmp_path / "a.csv"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # fails mid-write
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]


@pytest.mark.parametrize("where", ["missing/a.csv", "."])
def test_bad_paths_are_refused_before_writing(tmp_path, where) -> None:
    with pytest.raises(ExportPathError):
        write_atomic(tmp_path / where, b"x")
