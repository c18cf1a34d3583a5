"""Encoding detection and names (transcoding is tested with the CSV reader)."""

from __future__ import annotations

import pytest

from battlemap.geodata.importer.encoding import (
    detect_bytes,
    normalize_encoding,
)
from battlemap.geodata.importer.errors import ImportFileError

TEXT = "户编号,户主姓名,主要致贫原因\n5201,张三,因病\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gbk"), "gbk"),
        # 䶮 (U+4DAE, in 刘䶮) exists in GB18030 but not in GBK
        ((TEXT + "5202,刘䶮,因残\n").encode("gb18030"), "gb18030"),
        (b"hh_id,size\n1,2\n", "utf-8"),
        (b"", "utf-8"),
    ],
)
def test_detect_bytes(data: bytes, expected: str) -> None:
    assert detect_bytes(data) == expected


def test_a_character_cut_at_the_sample_end_is_not_an_error() -> None:
    data = TEXT.encode("gbk")
    assert detect_bytes(data[:-2] + "贫".encode("gbk")[:1]) == "gbk"
    utf = TEXT.encode("utf-8")
    assert detect_bytes(utf + "贫".encode()[:2]) == "utf-8"


def test_utf16_and_binary_are_refused() -> None:
    with pytest.raises(ImportFileError, match="UTF-16"):
        detect_bytes("户".encode("utf-16"))
    with pytest.raises(ImportFileError, match="neither UTF-8 nor GBK"):
        detect_bytes(bytes([0x81, 0x30, 0x81]) * 3 + b"\xff\xff")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("GBK", "gbk"),
        ("cp936", "gbk"),
        ("UTF8", "utf-8"),
        ("gb18030", "gb18030"),
        ("GB2312", "gbk"),
        ("latin-1", "iso8859-1"),
    ],
)
def test_normalize_encoding(name: str, expected: str) -> None:
    assert normalize_encoding(name) == expected


def test_unknown_encoding_is_a_clear_error() -> None:
    with pytest.raises(ImportFileError, match="unknown text encoding"):
        normalize_encoding("klingon")
