"""A bounded per-process cache that computes each key once across threads (issue 19).

:class:`ViewCache` keeps values under keys the caller builds (the callbacks key the panels'
answers by panel, data version, scope and view, :mod:`battlemap.callbacks.view_keys`; the cadres
view keys a region's detail by store, region and year). Bounded (issue 18): at most
``max_entries`` values whose sizes sum to at most ``max_bytes``; oldest dropped first. A
value's size is the memory its Python objects hold (:func:`held_bytes`: containers, strings,
numbers, frames and arrays), not its JSON: an answer's objects weigh about 4x its JSON
(measured with ``benchmarks.replay`` on the 2.3 M set), so a bound in JSON bytes let the
cache hold four times what it said. Concurrent requests for one key compute it once (the
others wait for it): the panels of one step arrive together.
"""

from __future__ import annotations

import mmap
import sys
import threading
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import pandas as pd

from battlemap.lru import BoundedCache

__all__ = ["VIEW_CACHE_BYTES", "VIEW_CACHE_ENTRIES", "ViewCache", "held_bytes"]

VIEW_CACHE_ENTRIES = 4096
VIEW_CACHE_BYTES = 128 * 2**20  # of memory held by the answers, per worker process
_SHARED_ATTRIBUTES = ("_prop_names", "_valid_wildcard", "available_")
_SAMPLE = 16  # items weighed of a long list or dict (the rest scaled from them)


def _sampled(items: list[Any], weigh: Callable[[Any], int]) -> int:
    """The summed weight of ``items``: all of them when few, else a sample scaled up."""
    sample = items if len(items) <= 2 * _SAMPLE else items[:: len(items) // _SAMPLE]
    return sum(weigh(item) for item in sample) * len(items) // max(len(sample), 1)


def held_bytes(value: Any, _depth: int = 0) -> int:
    """About the bytes of memory ``value`` holds (what a cache of it costs): the objects'
    own sizes (``sys.getsizeof``) and what they contain; frames and arrays by their data.
    Long lists and dicts are weighed from a sample of their items, so a 600 kB table costs
    microseconds; objects shared between values are counted in each."""
    if _depth > 40:
        return VIEW_CACHE_BYTES  # absurdly deep: never kept
    if value is None or isinstance(value, bool):
        return 0  # singletons
    if isinstance(value, int) and -5 <= value <= 256:
        return 0  # Python's shared small ints
    if isinstance(value, int | float | str | bytes):
        return sys.getsizeof(value)
    if isinstance(value, pd.DataFrame | pd.Series | pd.Index):
        return frame_bytes(value)
    if isinstance(value, np.ndarray):
        return array_bytes(value)
    if isinstance(value, dict):
        # text keys are mostly shared (property names, interned): only their slot counts
        def item_bytes(item: tuple[Any, Any]) -> int:
            key, held = item
            key_bytes = 0 if isinstance(key, str) else held_bytes(key, _depth + 1)
            return key_bytes + held_bytes(held, _depth + 1)

        return sys.getsizeof(value) + _sampled(list(value.items()), item_bytes)
    if isinstance(value, list | tuple | set | frozenset):
        return sys.getsizeof(value) + _sampled(list(value), lambda v: held_bytes(v, _depth + 1))
    attributes = getattr(value, "__dict__", None)
    if isinstance(attributes, dict):  # Dash components, figures, dataclasses
        # a Dash component's property-name lists are shared by every instance of its type
        own = {k: v for k, v in attributes.items() if not k.startswith(_SHARED_ATTRIBUTES)}
        return sys.getsizeof(value) + sys.getsizeof(attributes) + held_bytes(own, _depth + 1)
    return sys.getsizeof(value)


def array_bytes(array: np.ndarray) -> int:
    """An array's memory: its data unless it is a view of a memory-mapped file (shared
    pages, not this cache's), and for object arrays a sample of the objects."""
    base: Any = array
    while base is not None:
        if isinstance(base, np.memmap | mmap.mmap):
            return sys.getsizeof(np.empty(0))
        base = getattr(base, "base", None)
    total = sys.getsizeof(np.empty(0)) + array.nbytes
    if array.dtype == object and array.size:
        flat = array.reshape(-1)
        sample = flat[:: max(len(flat) // _SAMPLE, 1)][: 2 * _SAMPLE]
        total += int(sum(sys.getsizeof(v) for v in sample) / len(sample) * len(flat))
    return total


def frame_bytes(frame: pd.DataFrame | pd.Series | pd.Index) -> int:
    """A frame's memory: its numbers as they are, text columns from a sample of their
    strings (``memory_usage(deep=True)`` reads every string: 100 ms for a province)."""
    if isinstance(frame, pd.Index):
        frame = frame.to_series()
    columns = [frame] if isinstance(frame, pd.Series) else [frame[c] for c in frame.columns]
    total = int(frame.index.memory_usage()) if not isinstance(frame.index, pd.RangeIndex) else 0
    for column in columns:
        if isinstance(column, pd.DataFrame):  # a repeated column name: weigh each
            total += frame_bytes(column)
            continue
        total += int(column.memory_usage(index=False, deep=False))
        if column.dtype == object and len(column):
            values = column.to_numpy()
            sample = values[:: max(len(values) // _SAMPLE, 1)][: 2 * _SAMPLE]
            each = sum(sys.getsizeof(v) for v in sample) / len(sample)
            total += int(each * len(values))
    return total + 128


class ViewCache:
    """Bounded LRU of callback answers with single-flight computation (see module doc)."""

    def __init__(
        self, max_entries: int = VIEW_CACHE_ENTRIES, max_bytes: int = VIEW_CACHE_BYTES
    ) -> None:
        self._cache: BoundedCache[Any] = BoundedCache(max_entries, max_bytes, held_bytes)
        self._lock = threading.Lock()
        self._pending: dict[Hashable, threading.Event] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached answer for ``key``, else ``compute()`` (once across threads) kept."""
        while True:
            value = self._cache.get(key)
            if value is not None:
                self.hits += 1
                return value
            with self._lock:
                waiting = self._pending.get(key)
                if waiting is None:
                    done = self._pending[key] = threading.Event()
                    break
            waiting.wait()  # another thread computes it; an error there: we try ourselves
        try:
            self.misses += 1
            value = compute()
            self._cache.put(key, value)
            return value
        finally:
            with self._lock:
                del self._pending[key]
            done.set()

    def clear(self) -> None:
        """Forget every answer (a new data version)."""
        self._cache.clear()

    @property
    def stats(self) -> dict[str, int]:
        """Entries, the bytes they hold, hits and misses (for the benchmarks' reports)."""
        return {
            "entries": len(self._cache),
            "bytes": self._cache.weight,
            "hits": self.hits,
            "misses": self.misses,
        }
