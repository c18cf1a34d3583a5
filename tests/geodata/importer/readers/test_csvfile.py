"""CSV reader: encodings, delimiters, row numbers, ragged rows, quoted newlines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.readers import open_reader


def _rows(path: Path, **kwargs) -> tuple[list[int], list[list[str]], list[tuple[int, str]]]:
    reader = open_reader(path, **kwargs)
    rows, values, bad = [], [], []
    for chunk in reader.chunks():
        rows += chunk.rows.tolist()
        values += chunk.original(np.arange(len(chunk)))
        bad += [(b.row, b.detail) for b in chunk.bad]
    return rows, values, bad


def test_gbk_with_bom_free_chinese_header(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("户编号,姓名\n1001,张三\n1002,李四\n".encode("gbk"))
    reader = open_reader(path)
    assert (reader.encoding, reader.headers) == ("gbk", ["户编号", "姓名"])
    assert _rows(path)[:2] == ([2, 3], [["1001", "张三"], ["1002", "李四"]])


@pytest.fixture(params=["iconv", "python-codec"])
def transcoder(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """GBK is streamed through iconv, or (where iconv is missing) via a Python-codec copy."""
    from battlemap.geodata.importer.readers import csvfile

    if request.param == "python-codec":
        monkeypatch.setattr(csvfile.shutil, "which", lambda name: None)
    else:
        assert csvfile.shutil.which("iconv"), "glibc's iconv is part of every Debian system"
    return request.param


def test_gbk_and_gb18030_read_the_same_either_way(tmp_path: Path, transcoder: str) -> None:
    path = tmp_path / "gb18030.csv"
    text = "户编号,姓名,备注\n" + "".join(f'{i},刘䶮{i},"含,逗号\n和换行"\n' for i in range(3000))
    path.write_bytes(text.encode("gb18030"))
    rows, values, bad = _rows(path, chunk_rows=500)
    assert bad == [] and rows == list(range(2, 3002))  # records, as a spreadsheet counts
    assert values[2999] == ["2999", "刘䶮2999", "含,逗号\n和换行"]


def test_a_bad_gbk_byte_is_named_either_way(tmp_path: Path, transcoder: str) -> None:
    path = tmp_path / "bad.csv"
    head = "户编号,姓名\n1001,张三\n".encode("gbk")
    path.write_bytes(head + b"1002,\xff\xfe\n" + "1003,李四\n".encode("gbk"))
    with pytest.raises(ImportFileError, match=f"byte {len(head) + 5} of .* is not valid gbk"):
        _rows(path, encoding="gbk")


def test_a_bad_byte_after_a_ragged_row_is_named_too(tmp_path: Path, transcoder: str) -> None:
    """A wrong-width row switches to the exact reader; it names a later bad byte the same way."""
    path = tmp_path / "ragged-then-bad.csv"
    head = "户编号,姓名\n1001,张三\n1002,李四,多余\n".encode("gbk") + b"1003,"
    path.write_bytes(head + b"\xff\xfe\n" + "1004,王五\n".encode("gbk"))
    with pytest.raises(ImportFileError, match=f"byte {len(head)} of .* is not valid gbk"):
        _rows(path, encoding="gbk")


def test_utf8_bom_semicolons_and_blank_lines_keep_spreadsheet_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "semi.csv"
    path.write_bytes("\ufeffa;b\n1;x\n\n2;y\n".encode())
    reader = open_reader(path)
    assert (reader.encoding, reader.delimiter, reader.headers) == ("utf-8-sig", ";", ["a", "b"])
    assert _rows(path)[:2] == ([2, 3, 4], [["1", "x"], ["", ""], ["2", "y"]])


def test_ragged_rows_switch_to_the_exact_reader_without_losing_numbering(tmp_path: Path) -> None:
    lines = ["a,b,c"] + [f"{i},{i},{i}" for i in range(2, 3000)]
    lines[1500] = "short,row"  # row 1501
    lines.append("x,y,z,extra")
    lines.append('"multi\nline",q,r')
    lines.append("7,8,9,,")  # trailing empty fields are tolerated
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows, values, bad = _rows(path, chunk_rows=500)
    assert bad == [
        (1501, "row has 2 fields, the header has 3"),
        (3000, "row has 4 fields, the header has 3"),
    ]
    assert len(rows) == len(set(rows)) == 2997 + 2
    assert rows[:3] == [2, 3, 4] and 1501 not in rows
    assert values[rows.index(1502)] == ["1502", "1502", "1502"]
    assert values[rows.index(3001)] == ["multi\nline", "q", "r"]
    assert values[rows.index(3002)] == ["7", "8", "9"]


def test_invalid_utf8_names_the_option(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"a,b\n" + b"1,x\n" * 10 + "2,张三".encode("gbk") + b"\n")
    with pytest.raises(ImportFileError, match="--encoding"):
        _rows(path, encoding="utf-8")


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="empty"):
        open_reader(path)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.csv", "does not exist"),
        ("data.xls", "save as .xlsx"),
        ("data.dbf", "unknown file"),
    ],
)
def test_unsupported_or_missing_files(tmp_path: Path, name: str, message: str) -> None:
    if name != "missing.csv":
        (tmp_path / name).write_bytes(b"x")
    with pytest.raises(ImportFileError, match=message):
        open_reader(tmp_path / name)
