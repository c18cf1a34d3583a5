"""Fault in the pages of this process's memory-mapped array bundles (issue 19).

The embedded store's bundles (:mod:`.embedded_cache`) are mapped read-only and shared by
every worker through the page cache, but a page counts in a process's RSS and PSS only once
the process has touched it: left alone, a worker's memory creeps up for as long as new
villages are visited (the 30-minute soak saw this as growth). :func:`populate_mapped`
touches every page of the mappings under the cache dir once, at warm-up, so requests never
wait on page faults and a worker's memory after warm-up already holds its share of the
data. The pages are clean file pages: shared by the workers and reclaimable by the kernel.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from pathlib import Path

__all__ = ["mapped_ranges", "populate_mapped"]

log = logging.getLogger(__name__)
_MADV_POPULATE_READ = 22  # Linux 5.14+: fault the range in, read-only


def mapped_ranges(root: Path, maps: Path = Path("/proc/self/maps")) -> list[tuple[int, int]]:
    """(start, end) addresses of this process's mappings of files under ``root``."""
    prefix = str(Path(root).resolve()) + "/"
    out = []
    try:
        lines = maps.read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        parts = line.split(maxsplit=5)
        if len(parts) == 6 and parts[5].startswith(prefix):
            start, end = (int(x, 16) for x in parts[0].split("-"))
            out.append((start, end))
    return out


def populate_mapped(root: Path) -> int:
    """Fault in every page mapped from files under ``root`` (``madvise(MADV_POPULATE_READ)``,
    Linux 5.14+; elsewhere nothing happens: the pages come in as requests touch them);
    returns the bytes populated. A range unmapped meanwhile only fails its call."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    total = 0
    for start, end in mapped_ranges(root):
        if libc.madvise(start, end - start, _MADV_POPULATE_READ) == 0:
            total += end - start
        else:
            log.debug("%s: pages not populated (errno %d)", root, ctypes.get_errno())
    return total
