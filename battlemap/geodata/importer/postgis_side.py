"""The PostGIS half of a household import, on its own thread.

The data dir side merges the import store part by store part and hands each part's new and
changed rows over (:meth:`PostgisSide.put`); the database COPYs them meanwhile. At the end
it gets the expected counts, the manifest and the aggregate delta (:meth:`PostgisSide.finish`),
checks that both stores agree, and adds the delta. Nothing is committed until the data dir
swaps its files in (:meth:`PostgisSide.commit`, called just ahead of the swap).
"""

from __future__ import annotations

import contextlib
import queue
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from battlemap.geodata.errors import StoreUnavailableError
from battlemap.geodata.importer.aggregate_delta import AggregateDelta
from battlemap.geodata.importer.embedded_write import Changes, Upsert
from battlemap.geodata.importer.postgis_write import PostgisUpsert
from battlemap.geodata.importer.progress import Progress

__all__ = ["PostgisSide"]

_END = object()
_POLL_S = 0.2
_QUEUED_PARTS = 2  # parts waiting for the database: bounds the memory they hold


class PostgisSide:
    """One import's database transaction, fed part by part from the data dir side."""

    def __init__(
        self,
        dsn: str,
        data_dir: Path,
        stored: tuple[int, int],
        years: tuple[int, ...],
        progress: Progress,
    ) -> None:
        self.pg = PostgisUpsert(dsn)
        self._years = years
        self._progress = progress
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=_QUEUED_PARTS)
        self._final: Future[tuple[tuple[Changes, Changes], dict | None, AggregateDelta]] = Future()
        self._cancelled = False
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="battlemap-postgis")
        self._job = self._executor.submit(self._run, data_dir, stored)

    def put(self, households: Upsert, household_years: Upsert) -> None:
        """Hand one part's rows over (waits while the database is parts behind)."""
        if households.changes.changed or household_years.changes.changed:
            item = (households.inserts, households.updates)
            self._put((item, (household_years.inserts, household_years.updates)))

    def finish(
        self,
        changes: tuple[Changes, Changes],
        manifest: dict | None,
        delta: AggregateDelta | None,
    ) -> str | None:
        """Wait for the database to take every part; then, if anything changed, check that it
        counts the same ``changes`` and add ``delta``. Says how the aggregates were updated."""
        self._put(_END)
        self._final.set_result((changes, manifest, delta))
        return self._job.result()

    def commit(self, import_id: str | None = None) -> None:
        self.pg.commit(import_id)

    def cancel(self) -> None:
        """Stop the database work (after an error or Ctrl-C on the data dir side)."""
        self._cancelled = True
        if not self._final.done():
            self._final.set_exception(
                StoreUnavailableError("the data dir side of the import failed")
            )
        self.pg.cancel()
        with contextlib.suppress(BaseException):
            self._job.result()

    def close(self) -> None:
        """Roll back anything uncommitted; end the thread."""
        self._executor.shutdown(wait=True)
        self.pg.close()

    def _put(self, item: Any) -> None:
        while True:
            try:
                self._queue.put(item, timeout=_POLL_S)
                return
            except queue.Full:
                if self._job.done():  # the database side failed: its error, here
                    self._job.result()
                    raise StoreUnavailableError(
                        "the PostGIS side of the import stopped early"
                    ) from None

    def _get(self) -> Any:
        while True:
            if self._cancelled:
                raise StoreUnavailableError("import cancelled")
            try:
                return self._queue.get(timeout=_POLL_S)
            except queue.Empty:
                continue

    def _run(self, data_dir: Path, stored: tuple[int, int]) -> str | None:
        self.pg.check_in_sync(*stored, data_dir)
        self.pg.begin()
        self._progress.step("PostGIS: COPY new rows, stage changed rows, part by part")
        while (item := self._get()) is not _END:
            for name, (inserts, updates) in zip(
                ("households", "household_years"), item, strict=True
            ):
                self.pg.add(name, inserts, updates)
        got = self.pg.end()
        want, manifest, delta = self._final.result()
        if manifest is None:
            return None  # nothing changed
        counted = {name: (c.inserted, c.updated) for name, c in zip(got, want, strict=True)}
        if got != counted:
            raise StoreUnavailableError(
                f"PostGIS and {data_dir} disagree about this import (PostGIS: {got}, data "
                f"dir: {counted} rows inserted, updated): the stores differ; reload PostGIS "
                "with `battlemap db load` first"
            )
        self._progress.step("PostGIS: updating region_year_stats")
        return self.pg.finish(list(self._years), manifest, delta)
