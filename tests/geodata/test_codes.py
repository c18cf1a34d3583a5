import pytest

from battlemap.geodata.codes import (
    InvalidCodeError,
    code_level,
    code_prefix,
    normalize_code,
    parent_code,
)


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("000000000000", 0, None),  # the national root (全国) of a multi-province data set
        ("520000000000", 1, None),
        ("520100000000", 2, "520000000000"),
        ("520102000000", 3, "520100000000"),
        ("520102100000", 4, "520102000000"),
        ("520102100201", 5, "520102100000"),
    ],
)
def test_level_and_parent(code: str, level: int, parent: str | None) -> None:
    assert code_level(code) == level
    assert parent_code(code) == parent
    assert code_prefix(code) == code[: {0: 0, 1: 2, 2: 4, 3: 6, 4: 9, 5: 12}[level]]


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("52", "520000000000"),
        ("000000000000", "000000000000"),
        ("5201", "520100000000"),
        ("520102", "520102000000"),
        ("520102100", "520102100000"),
        (520102, "520102000000"),
    ],
)
def test_normalize_pads_short_codes(short: str | int, full: str) -> None:
    assert normalize_code(short) == full


@pytest.mark.parametrize(
    "bad", ["", "5", "52010", "52a100000000", "000000100000", "520000100000", "5201021002011"]
)
def test_invalid_codes_are_refused(bad: str) -> None:
    with pytest.raises(InvalidCodeError):
        normalize_code(bad)
