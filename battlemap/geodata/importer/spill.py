"""Validated rows kept on disk between reading and merging, read back one part at a time.

Reading validates a chunk at a time; merging goes store part by store part
(:mod:`~battlemap.geodata.partitions`). In between, each chunk's good rows are written to a
scratch Arrow file (a "run"), ordered by bucket: the part of the row's household, subdivided
into :data:`BUCKETS_PER_PART` buckets by the same hash. :meth:`Spill.groups` reads one part's
buckets back from every run (memory-mapped), packed into groups of at most
:data:`GROUP_ROWS` rows, so memory holds a group, never the whole file. All rows of a
household share a bucket, so checks across a household's rows see them all in one group.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from battlemap.geodata.partitions import PARTITIONS, partition_of

__all__ = ["BUCKETS_PER_PART", "GROUP_ROWS", "Spill"]

BUCKETS_PER_PART = 8
GROUP_ROWS = 250_000


class Spill:
    """Runs of validated rows in ``directory``, each sorted by (part, bucket)."""

    def __init__(self, directory: Path, schema: pa.Schema, group_rows: int | None = None) -> None:
        self.directory = directory
        self.schema = schema
        self.group_rows = group_rows or GROUP_ROWS
        self.buckets = PARTITIONS * BUCKETS_PER_PART
        self._runs: list[tuple[Path, np.ndarray]] = []  # file, start of each bucket in it
        directory.mkdir(parents=True, exist_ok=True)

    @property
    def rows(self) -> int:
        return int(sum(bounds[-1] for _, bounds in self._runs))

    def add(self, rows: pa.Table) -> None:
        """Write one chunk's rows as a run (nothing for an empty chunk)."""
        if rows.num_rows == 0:
            return
        bucket = partition_of(rows["hh_id"], self.buckets)
        # part-major: a part's buckets are adjacent in the run (bucket % PARTITIONS is the part)
        key = (bucket % PARTITIONS) * BUCKETS_PER_PART + bucket // PARTITIONS
        order = np.argsort(key, kind="stable")
        bounds = np.searchsorted(key[order], np.arange(self.buckets + 1))
        path = self.directory / f"run-{len(self._runs):05d}.arrow"
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, self.schema) as writer:
            writer.write_table(rows.take(pa.array(order)).cast(self.schema))
        self._runs.append((path, bounds))

    def part_rows(self, part: int) -> int:
        first, last = part * BUCKETS_PER_PART, (part + 1) * BUCKETS_PER_PART
        return int(sum(bounds[last] - bounds[first] for _, bounds in self._runs))

    def groups(self, part: int) -> Iterator[pa.Table]:
        """The rows of ``part``: its buckets packed into tables of at most ``group_rows``
        rows (a bucket larger than that is one group on its own)."""
        first = part * BUCKETS_PER_PART
        sizes = [
            sum(int(bounds[b + 1] - bounds[b]) for _, bounds in self._runs)
            for b in range(first, first + BUCKETS_PER_PART)
        ]
        start, total = first, 0
        for b, size in enumerate(sizes, start=first):
            if total and total + size > self.group_rows:
                yield self._read(start, b)
                start, total = b, 0
            total += size
        if total:
            yield self._read(start, first + BUCKETS_PER_PART)

    def _read(self, start: int, stop: int) -> pa.Table:
        """Buckets ``start`` … ``stop`` − 1 of every run, as one table (memory-mapped pages
        are released with it)."""
        pieces = []
        for path, bounds in self._runs:
            if bounds[stop] == bounds[start]:
                continue
            with pa.memory_map(str(path)) as source:
                table = pa.ipc.open_file(source).read_all()
                pieces.append(table.slice(bounds[start], bounds[stop] - bounds[start]))
        if not pieces:
            return self.schema.empty_table()
        return pa.concat_tables(pieces).combine_chunks()
