"""Text encoding of CSV extracts and DBF files: UTF-8 (with or without BOM), GBK or GB18030.

Chinese government extracts are UTF-8 or GBK/GB18030. Trying the codecs strictly in the order
UTF-8 → GBK → GB18030 is exact for these: GBK text is almost never valid UTF-8, and GB18030 is
a superset of GBK (it adds rare characters such as 䶮). No statistical guessing is needed.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from battlemap.geodata.importer.errors import ImportFileError

__all__ = ["ENCODINGS", "detect_bytes", "detect_encoding", "normalize_encoding"]

ENCODINGS: tuple[str, ...] = ("utf-8", "gbk", "gb18030")
_ALIASES = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "gbk": "gbk",
    "cp936": "gbk",
    "936": "gbk",
    "gb2312": "gbk",
    "gb18030": "gb18030",
}
_SAMPLE_BYTES = 4 << 20


def normalize_encoding(name: str) -> str:
    """Canonical codec name for a user-given or .cpg encoding (``CP936`` → ``gbk``)."""
    key = name.strip().lower().replace("_", "-")
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        return codecs.lookup(key).name
    except LookupError:
        raise ImportFileError(
            f"unknown text encoding {name!r}: use utf-8, gbk or gb18030"
        ) from None


def _decodes(data: bytes, encoding: str) -> bool:
    """True if ``data`` decodes strictly, allowing a multi-byte character cut at the end."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        decoder.decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def detect_bytes(data: bytes) -> str:
    """The first of utf-8-sig / utf-8 / gbk / gb18030 that decodes ``data``.

    >>> detect_bytes("户编号".encode("gbk"))
    'gbk'
    >>> detect_bytes(b"hh_id,size")
    'utf-8'
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ImportFileError("the file is UTF-16: save it as UTF-8 or GBK")
    for encoding in ENCODINGS:
        if _decodes(data, encoding):
            return encoding
    raise ImportFileError("the text is neither UTF-8 nor GBK/GB18030: pass --encoding")


def detect_encoding(path: Path) -> str:
    """Encoding of a text file from its first few megabytes (see :func:`detect_bytes`)."""
    with open(path, "rb") as fh:
        return detect_bytes(fh.read(_SAMPLE_BYTES))
