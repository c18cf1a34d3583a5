"""Vectorized parsing of text columns (pyarrow in, numpy out): trim, numbers, vocabularies.

Every parser returns the parsed values plus a mask of cells that were present but could
not be parsed, so the caller can name the problem. Empty or whitespace-only cells are null.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "Mapped",
    "clean",
    "int_or_none",
    "is_null",
    "map_values",
    "parse_float",
    "parse_int",
]

_INT = r"^[+-]?\d{1,9}(\.0*)?$"
_FLOAT = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$"
_NULL = pa.scalar(None, pa.string())


def clean(array: pa.Array | None) -> pa.Array | None:
    """Trimmed text with empty cells as null (None passes through)."""
    if array is None:
        return None
    if pa.types.is_null(array.type):
        array = array.cast(pa.string())
    trimmed = pc.utf8_trim_whitespace(array)
    return pc.if_else(pc.equal(trimmed, ""), _NULL, trimmed)


def is_null(array: pa.Array) -> np.ndarray:
    return pc.is_null(array).to_numpy(zero_copy_only=False)


def parse_int(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Whole numbers (``2014`` or ``2014.0``) as int64; (values, bad mask). Nulls → 0, not bad."""
    ok = pc.fill_null(pc.match_substring_regex(array, _INT), False)
    stripped = pc.replace_substring_regex(array, r"\.0*$", "")
    values = pc.cast(pc.if_else(ok, stripped, _NULL), pa.int64())
    present = ~is_null(array)
    return (
        pc.fill_null(values, 0).to_numpy(zero_copy_only=False),
        present & ~ok.to_numpy(zero_copy_only=False),
    )


def parse_float(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Decimal numbers as float64; (values with NaN for null or bad, bad mask).

    Clean columns take one cast; only a column with a bad cell is checked cell by cell.
    """
    try:
        values = pc.cast(array, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        values = None
    if values is not None and pc.all(pc.is_finite(values)).as_py() is not False:
        out = pc.fill_null(values, np.nan).to_numpy(zero_copy_only=False)
        return out, np.zeros(len(array), dtype=bool)
    ok = pc.fill_null(pc.match_substring_regex(array, _FLOAT), False)
    values = pc.cast(pc.if_else(ok, array, _NULL), pa.float64())
    out = pc.fill_null(values, np.nan).to_numpy(zero_copy_only=False)
    present = ~is_null(array)
    return out, present & ~ok.to_numpy(zero_copy_only=False)


@dataclass
class Mapped:
    """A column mapped once per distinct value: ``results[indices]`` is the mapped column."""

    indices: np.ndarray  # per row, index into ``results`` (the last entry is the empty cell)
    results: np.ndarray  # object array, one per distinct value + one for empty
    empty_by_value: np.ndarray
    unknown_by_value: np.ndarray

    @property
    def values(self) -> np.ndarray:
        return self.results[self.indices]

    @property
    def empty(self) -> np.ndarray:
        return self.empty_by_value[self.indices]

    @property
    def unknown(self) -> np.ndarray:
        return self.unknown_by_value[self.indices]

    @classmethod
    def constant(cls, n: int, value: Any) -> Mapped:
        """A column absent from the file: every row empty, mapped to ``value``."""
        results = np.empty(1, dtype=object)
        results[0] = value
        return cls(np.zeros(n, dtype=np.intp), results, np.ones(1, bool), np.zeros(1, bool))

    def numpy(self, dtype: type | np.dtype) -> np.ndarray:
        """The mapped column as a numpy array of ``dtype`` (built per distinct value)."""
        return np.asarray(self.results.tolist(), dtype=dtype)[self.indices]

    def arrow(self, type_: pa.DataType) -> pa.Array:
        """The mapped column as an Arrow array (built per distinct value, then taken)."""
        return pa.array(self.results.tolist(), type_).take(pa.array(self.indices))


def map_values(
    array: pa.Array,
    mapper: Callable[[str], Any],
    missing: Any = None,
    unknown_as: Any = None,
    *,
    many: Callable[[list[str]], list[Any]] | None = None,
) -> Mapped:
    """Apply ``mapper`` once per distinct trimmed value.

    For low-cardinality columns (codes, years, vocabularies) this is far cheaper than
    vectorized text functions. ``mapper`` gets the trimmed text and returns None for an
    unknown value (replaced by ``unknown_as`` in the results); empty cells get ``missing``.
    ``many``, when given, maps the list of all distinct non-empty values in one call.
    """
    encoded = array.dictionary_encode()
    uniques = [u.strip() if u is not None else "" for u in encoded.dictionary.to_pylist()]
    k = len(uniques)
    results = np.empty(k + 1, dtype=object)
    if many is not None:
        filled = [i for i, u in enumerate(uniques) if u]
        for i, value in zip(filled, many([uniques[i] for i in filled]), strict=True):
            results[i] = value
        for i, u in enumerate(uniques):
            if not u:
                results[i] = missing
    else:
        for i, u in enumerate(uniques):  # element-wise: results may be tuples
            results[i] = missing if not u else mapper(u)
    results[k] = missing
    empty = np.append(np.fromiter((not u for u in uniques), dtype=bool, count=k), True)
    unknown = np.fromiter((m is None for m in results), dtype=bool, count=k + 1) & ~empty
    for i in np.flatnonzero(unknown).tolist():
        results[i] = unknown_as
    indices = pc.fill_null(encoded.indices, k).to_numpy(zero_copy_only=False)
    return Mapped(indices, results, empty, unknown)


def int_or_none(text: str) -> int | None:
    """``'2014'`` / ``'2014.0'`` → 2014; anything else None."""
    head, _, tail = text.partition(".")
    digits = head.lstrip("+-")
    if tail.strip("0") or not (digits.isascii() and digits.isdigit()) or len(head) > 10:
        return None
    return int(head)
