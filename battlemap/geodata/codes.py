"""12-digit statistical region codes (统计用区划代码): level, parent, prefix.

A code is 2 province + 2 prefecture + 2 county + 3 township + 3 village digits. The level is
the number of leading parts that are non-zero; every aggregation is a group-by on a prefix.
A national data set (several provinces) has a root above them, ``000000000000`` (全国), of
level 0 and prefix ``""``; a one-province data set has none (its province has no parent).
"""

from __future__ import annotations

import re

__all__ = [
    "LEVEL_NAMES",
    "NATIONAL_CODE",
    "NATIONAL_NAME",
    "PREFIX_LENGTHS",
    "InvalidCodeError",
    "child_level",
    "code_level",
    "code_prefix",
    "normalize_code",
    "parent_code",
]

NATIONAL_CODE = "000000000000"  # the root of a national (multi-province) data set
NATIONAL_NAME = "全国"
# Level 0..5 → number of leading digits that identify the region.
PREFIX_LENGTHS: dict[int, int] = {0: 0, 1: 2, 2: 4, 3: 6, 4: 9, 5: 12}
LEVEL_NAMES: dict[int, str] = {
    0: "country",
    1: "province",
    2: "city",
    3: "county",
    4: "township",
    5: "village",
}
_PART_ENDS = (2, 4, 6, 9, 12)
_DIGITS = re.compile(r"^\d+$")


class InvalidCodeError(ValueError):
    """A region code that is not a valid 12-digit statistical code."""


def normalize_code(code: str | int) -> str:
    """Return the 12-digit form of a 2/4/6/9/12-digit code (``'520102'`` → ``'520102000000'``)."""
    text = str(code).strip()
    if not _DIGITS.match(text) or len(text) not in (2, 4, 6, 9, 12):
        raise InvalidCodeError(
            f"region code {text!r} is not 2, 4, 6, 9 or 12 digits (e.g. 520102000000)"
        )
    text = text.ljust(12, "0")
    code_level(text)  # validates the zero pattern
    return text


def code_level(code: str) -> int:
    """Level 0..5 of a 12-digit code: how many leading parts are non-zero (0: the national
    root ``000000000000``).

    A zero part followed by a non-zero part (``'520000100000'``) is invalid.
    """
    if len(code) != 12 or not _DIGITS.match(code):
        raise InvalidCodeError(f"region code {code!r} is not 12 digits")
    level = 0
    start = 0
    seen_zero = False
    for end in _PART_ENDS:
        part = code[start:end]
        if int(part) == 0:
            seen_zero = True
        elif seen_zero:
            raise InvalidCodeError(f"region code {code!r} has a non-zero part after a zero part")
        else:
            level += 1
        start = end
    return level


def code_prefix(code: str, level: int | None = None) -> str:
    """The identifying prefix of a code (0/2/4/6/9/12 digits) at its own or a given level."""
    return code[: PREFIX_LENGTHS[code_level(code) if level is None else level]]


def parent_code(code: str) -> str | None:
    """The code of the parent region (last non-zero part zeroed); None for a province (a
    national data set records its provinces' parent in the regions table) and the root."""
    level = code_level(code)
    if level <= 1:
        return None
    return code_prefix(code, level - 1).ljust(12, "0")


def child_level(level: int) -> int | None:
    """Level of a region's children, None below villages."""
    return level + 1 if level < 5 else None
