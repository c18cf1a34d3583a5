"""What every callback needs: the scoped store for this request, settings, small caches.

:meth:`AppContext.access` is the one place a request gets data: the scope and rights of the
request's user or token (from ``policy``, the sign-in layer), else the app's default scope
(the open demo: every region, names masked).
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import math
import os
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

import pandas as pd

from battlemap.callbacks.view_keys import view_key
from battlemap.geodata.access import Scope, ScopedStore
from battlemap.geodata.cadres_store import cadre_source
from battlemap.geodata.embedded_cache import cache_root
from battlemap.geodata.errors import BattlemapError
from battlemap.geodata.funds import funds_source
from battlemap.geodata.mapped_pages import populate_mapped
from battlemap.geodata.store import Store, open_store
from battlemap.lru import BoundedCache
from battlemap.settings import Settings
from battlemap.views.cache import ViewCache, frame_bytes, held_bytes
from battlemap.views.indicator_choices import indicator_choices
from battlemap.views.summary import scoped_summary
from battlemap.web.dataversion import data_stamp, dir_stamp

__all__ = ["AppContext"]

log = logging.getLogger(__name__)
# Bounded by the memory their values hold (views/cache.held_bytes), so a worker's memory
# stops growing once they are full (issue 19: the 30-minute soak)
HOUSEHOLD_CACHE_BYTES = 64 * 2**20  # household frames (a county's is a few MB)
HOUSEHOLD_CACHE_FRAMES = 32
SUMMARY_CACHE_BYTES = 16 * 2**20  # region_summary answers (~12 kB each)
SUMMARY_CACHE_ENTRIES = 512
# a version check this much older than reload_check_s still counts: the one this request made
VERIFIED_GRACE_S = 0.1


class AccessPolicy(Protocol):
    """Where a request's scope comes from (battlemap.auth.web.WebAuth)."""

    def scope(self, default: Scope) -> Scope:
        """The current request's scope (``default`` for an anonymous open demo)."""

    def observe(self, code: str, allowed: bool, why: str = "") -> None:
        """Told about every scope check (the audit log)."""


class AppContext:
    """The store (opened lazily, retried after a failure), the scope and per-app caches."""

    def __init__(
        self, settings: Settings, *, store: Store | None = None, scope: Scope | None = None
    ) -> None:
        self.settings = settings
        self.scope = scope or Scope()
        self.policy: AccessPolicy | None = None  # set by create_app (sign-in, audit)
        self._store = store
        self._lock = threading.Lock()
        # data version (issue 18.14): stores opened here are reopened when it changes
        self._owned = store is None
        self._stamp: object = None
        self._next_check = 0.0
        # when the store last answered its version check: cached panel answers are served
        # only while that is recent, so an outage shows its banner instead of old answers
        self._verified_at = -math.inf
        self._reload_lock = threading.Lock()
        self._version: tuple[int, str] | None = None
        self._summaries: BoundedCache[dict[str, Any]] = BoundedCache(
            SUMMARY_CACHE_ENTRIES, SUMMARY_CACHE_BYTES, held_bytes
        )
        # a province's frame is millions of rows (hundreds of MB): bounded by bytes, so it is
        # never kept, and a county's are
        self._households: BoundedCache[pd.DataFrame] = BoundedCache(
            HOUSEHOLD_CACHE_FRAMES, HOUSEHOLD_CACHE_BYTES, frame_bytes
        )
        self.views = ViewCache()  # the panels' answers (issue 19; callbacks/view_keys.py)

    @property
    def store(self) -> Store:
        """The store, opened on first use (a BattlemapError names why it cannot be), and
        reopened when the data version changes (checked at most once a second)."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store, self._stamp = self._open()
                    self._next_check = time.monotonic() + self.settings.reload_check_s
                    self._verified_at = time.monotonic()
        elif self._owned and time.monotonic() >= self._next_check:
            self._check_version()
        return self._store

    def _open(self) -> tuple[Store, object]:
        """A newly opened store and the data stamp it was opened at."""
        before = dir_stamp(self.settings.data_dir) if self.settings.store == "embedded" else None
        store = open_store(
            self.settings.store,
            data_dir=self.settings.data_dir,
            dsn=self.settings.dsn,
            rules=self.settings.rules,
            db_timeout_s=self.settings.db_timeout_s,
            read_dsns=self.settings.read_dsns,
        )
        try:
            return store, before if before is not None else data_stamp(store)
        except BattlemapError:
            return store, None

    def _check_version(self) -> None:
        """Reopen the store if the data changed (one thread checks; others keep serving)."""
        if not self._reload_lock.acquire(blocking=False):
            return
        try:
            self._next_check = time.monotonic() + self.settings.reload_check_s
            try:
                stamp = data_stamp(self._store)
            except BattlemapError as exc:
                self._verified_at = -math.inf
                log.warning("data version check failed: %s", exc)
                return
            self._verified_at = time.monotonic()
            if stamp is None or stamp == self._stamp:
                return
            try:
                new, opened_at = self._open()
            except BattlemapError as exc:
                log.warning("new data version not served yet: %s", exc)
                return
            with self._lock:
                old, self._store, self._stamp = self._store, new, opened_at
                self._summaries.clear()
                self._households.clear()
                self.views.clear()
                self._version = None
            log.info("data version changed: store reopened")
            old.close()
        finally:
            self._reload_lock.release()

    @property
    def version(self) -> str:
        """Short hash of the data set's manifest, for cache-busting boundary URLs."""
        store = self.store
        cached = self._version
        if cached is not None and cached[0] == id(store):
            return cached[1]
        manifest = getattr(store, "manifest", {}) or {}
        text = json.dumps(manifest, sort_keys=True, ensure_ascii=False, default=str)
        value = hashlib.sha256(text.encode()).hexdigest()[:12]
        self._version = (id(store), value)
        return value

    def access(self) -> ScopedStore:
        """The data access of the current request (scope check + masking inside)."""
        if self.policy is None:
            return ScopedStore(self.store, self.scope)
        return ScopedStore(self.store, self.policy.scope(self.scope), observer=self.policy.observe)

    @property
    def indicators(self) -> list[str]:
        """Indicator keys the store supports (the selector's choices; see the view)."""
        return indicator_choices(ScopedStore(self.store))

    def summary(self, code: str, year: int) -> dict[str, Any]:
        """``region_summary`` memoised per (region, year): several panels share one call."""
        access = self.access()
        key = (access.region(code).code, int(year))
        value = self._summaries.get(key)
        if value is None:
            value = scoped_summary(access, *key)
            self._summaries.put(key, value)
        return value

    def cached_view(
        self, panel: str, state: Any, fields: tuple[str, ...], compute: Callable[[], Any]
    ) -> Any:
        """A panel's answer for ``state`` from the view cache, else ``compute()``; the scope
        check of the region (and its audit) runs first on every request, and the scope is
        part of the key, so an answer is only ever served to the scope it was computed for.
        Answers come from the cache only while the store's last version check (at most
        ``reload_check_s`` ago) succeeded: a store that stops answering is asked, and the
        page shows its outage banner rather than old answers."""
        access = self.access()
        access.region(state.region)  # refused here, cached or not
        if not self._owned:  # a store given as is: its data version is not watched
            return compute()
        age = time.monotonic() - self._verified_at
        if age > self.settings.reload_check_s + VERIFIED_GRACE_S:  # not known to be current
            return compute()
        store = self.store
        key = (panel, self.version, id(store), access.scope, view_key(state, fields))
        return self.views.get(key, compute)

    def households(self, code: str, year: int) -> pd.DataFrame:
        """Masked household points of a region-year, memoised: the map and the table of one
        click share one fetch (the frame must not be modified). The rights are checked before
        the cache, and masked and unmasked frames are cached apart."""
        access = self.access()
        key = (access.require_households(code).code, int(year), access.scope.pii)
        value = self._households.get(key)
        if value is None:
            value = access.households(key[0], key[1])
            self._households.put(key, value)
        return value

    def warm(self) -> None:
        """Open the store and load what the map needs (run in a background thread)."""
        started = time.monotonic()
        try:
            store = self.store
            root = store.regions.roots()[0].code
            store.unit_shapes(root)
            for child in store.regions.children(root):
                store.unit_shapes(child.code)
            warm = getattr(store, "warm", None)
            if warm is not None:
                warm()
            cadres = cadre_source(store)  # issue 15: arrays and counts built once, here
            if cadres.has_data:
                cadres.counts(root, store.years[-1])
                cadres.frames(store.regions.children(root)[0].code, store.years[-1])
            funds = funds_source(store)  # issue 14: values and anomaly hits built once, here
            if funds.available:
                funds.counts([root], store.years[-1])
                # the tables and their index by project (a village's payments), read once
                village = store.regions.level_codes(5)[0]
                funds.payments(funds.projects(village).project_id.tolist())
            # the shared arrays' pages faulted in now, not as villages are first visited:
            # requests never wait on them and memory after warm-up holds them (issue 19)
            mapped = populate_mapped(cache_root())
            # The loaded arrays live for the process: keep the cyclic GC from re-scanning
            # them on every full collection (pauses of tens of ms per request otherwise).
            gc.collect()
            gc.freeze()
            # a load balancer's readiness check or the load benchmark waits for this line
            log.info(
                "warm-up done in %.1f s (pid %d; %d MB of shared arrays mapped)",
                time.monotonic() - started,
                os.getpid(),
                mapped // 2**20,
            )
        except BattlemapError as exc:
            log.warning("warm-up skipped: %s", exc)
        except Exception:  # warm-up is an optimisation; the request path reports errors
            log.exception("warm-up failed")

    def warm_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.warm, name="battlemap-warm", daemon=True)
        thread.start()
        return thread
