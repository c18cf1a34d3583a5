"""A bounded per-process cache that computes each key once across threads (issue 19).

:class:`ViewCache` keeps values under keys the caller builds (the callbacks key the panels'
answers by panel, data version, scope and view, :mod:`battlemap.callbacks.cache`; the cadres
view keys a region's detail by store, region and year). Bounded (issue 18): at most
``max_entries`` values whose sizes (:func:`json_size`, about their JSON bytes) sum to at most
``max_bytes``; oldest dropped first. Concurrent requests for one key compute it once (the
others wait for it): the panels of one step arrive together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

from battlemap.lru import BoundedCache

__all__ = ["VIEW_CACHE_BYTES", "VIEW_CACHE_ENTRIES", "ViewCache", "json_size"]

VIEW_CACHE_ENTRIES = 4096
VIEW_CACHE_BYTES = 64 * 2**20  # of JSON answers, per worker process


def json_size(value: Any, _depth: int = 0) -> int:
    """About the bytes of ``value`` as Dash sends it (its weight in the cache): long lists
    are weighed from a sample of their items, so a 600 kB table costs microseconds, not the
    100 ms of serialising it."""
    if _depth > 40:
        return VIEW_CACHE_BYTES  # absurdly deep: never kept
    if value is None or isinstance(value, bool | int | float):
        return 8
    if isinstance(value, str):
        return len(value) + 2
    if isinstance(value, dict):
        return sum(len(str(k)) + 4 + json_size(v, _depth + 1) for k, v in value.items()) + 2
    if isinstance(value, list | tuple):
        if len(value) > 32:
            step = len(value) // 16
            sample = value[::step][:16]
            return sum(json_size(v, _depth + 1) for v in sample) * len(value) // len(sample)
        return sum(json_size(v, _depth + 1) + 1 for v in value) + 2
    if hasattr(value, "to_plotly_json"):  # Dash components, plotly figures
        return json_size(value.to_plotly_json(), _depth + 1)
    nbytes = getattr(value, "nbytes", None)  # numpy arrays: numbers as text
    if isinstance(nbytes, int):
        return 3 * nbytes
    return 64


class ViewCache:
    """Bounded LRU of callback answers with single-flight computation (see module doc)."""

    def __init__(
        self, max_entries: int = VIEW_CACHE_ENTRIES, max_bytes: int = VIEW_CACHE_BYTES
    ) -> None:
        self._cache: BoundedCache[Any] = BoundedCache(max_entries, max_bytes, json_size)
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
        """Entries, their JSON bytes, hits and misses (for the load benchmark's report)."""
        return {
            "entries": len(self._cache),
            "bytes": self._cache.weight,
            "hits": self.hits,
            "misses": self.misses,
        }
