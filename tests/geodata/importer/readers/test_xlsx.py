"""XLSX reader: sheets, cell values as the user typed them, row numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from battlemap.geodata.importer.errors import ImportFileError
from battlemap.geodata.importer.readers import open_reader
from battlemap.geodata.importer.readers.xlsx import cell_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, None),
        ("  ", None),
        ("张三", "张三"),
        (2014, "2014"),
        (2014.0, "2014"),
        (5201021012000001.0, "5201021012000001"),
        (106.660303, "106.660303"),
        (5.201021012000001e17, "5.201021012000001e+17"),
        (True, "true"),
        (dt.datetime(2016, 12, 31), "2016-12-31"),
        (dt.date(2017, 1, 2), "2017-01-02"),
    ],
)
def test_cell_text(value: object, text: str | None) -> None:
    assert cell_text(value) == text


def test_sheets_header_row_and_numbers(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["readme"])
    sheet = book.create_sheet("建档立卡")
    sheet.append([])
    sheet.append(["户编号", "家庭人口数", None])
    sheet.append(["5201", 3])
    sheet.append([5202, 4.0, "extra"])
    path = tmp_path / "book.xlsx"
    book.save(path)
    assert open_reader(path).headers == ["readme"]
    reader = open_reader(path, sheet="建档立卡")
    assert reader.headers == ["户编号", "家庭人口数"]
    chunks = list(reader.chunks())
    assert chunks[0].rows.tolist() == [3, 4]
    assert chunks[0].original(np.arange(2)) == [["5201", "3"], ["5202", "4"]]
    assert len(list(reader.chunks())) == 1  # can be read twice (rejects are re-read)
    with pytest.raises(ImportFileError, match="no sheet 'x'; sheets: 说明, 建档立卡"):
        open_reader(path, sheet="x")


def test_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match=r"not a readable \.xlsx"):
        open_reader(path)
