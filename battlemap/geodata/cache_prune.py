"""Remove a data dir's superseded cache folders when it gets a new one.

The embedded store's caches live in the cache dir (:func:`~battlemap.geodata.embedded_cache.
cache_root`) as folders ``<name>-<digest>`` (``funds-…``, ``cadres-…``, the array bundles),
one per data version and rules. Each import makes a new data version, so without pruning
they pile up, one set per version. A cache dir may be shared by several data dirs (the
bench sets, the tests), so a folder is only removed as *superseded* when it was built from
the same data dir as the new one, which :func:`claim` records in it (``.source``).

Never one another process may still be using: a folder opened in the last :data:`GRACE_S`
seconds (its modification time, set by :func:`claim` and by an array bundle's opening) is
kept, as is any folder without a record (older caches; the array bundles' own rule removes
those unused for a day). Removing a folder a process has
already read or memory-mapped is safe: its arrays are in memory, or its unlinked files stay
mapped until the process lets go.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

__all__ = ["GRACE_S", "SOURCE_FILE", "claim", "prune_superseded"]

log = logging.getLogger(__name__)

SOURCE_FILE = ".source"  # the data dir a cache folder was built from, one line
GRACE_S = 600.0  # a folder opened this recently may still be in use: kept


def _source_of(data_dir: Path) -> str:
    return str(Path(data_dir).resolve())


def claim(folder: Path, data_dir: Path) -> None:
    """Record that ``folder`` holds a cache of ``data_dir`` (written once) and that it is
    in use now (the folder's modification time, as an opened array bundle marks it); a
    cache dir that cannot be written is left alone."""
    record = folder / SOURCE_FILE
    text = _source_of(data_dir) + "\n"
    try:
        if not record.is_file() or record.read_text(encoding="utf-8") != text:
            tmp = folder / f"{SOURCE_FILE}.{os.getpid()}.tmp"
            tmp.write_text(text, encoding="utf-8")
            tmp.chmod(0o600)
            os.replace(tmp, record)
        os.utime(folder)
    except OSError as exc:
        log.debug("%s: cannot record its source: %s", folder, exc)


def prune_superseded(
    current: Path, data_dir: Path, *, grace_s: float = GRACE_S, now: float | None = None
) -> list[Path]:
    """Claim ``current`` (a folder ``<name>-<digest>``) for ``data_dir`` and remove the
    other ``<name>-*`` folders beside it that were built from the same data dir and not
    opened for ``grace_s`` seconds; returns the folders removed."""
    if not current.is_dir():
        return []
    claim(current, data_dir)
    name = current.name.rpartition("-")[0]
    source = _source_of(data_dir) + "\n"
    cutoff = (time.time() if now is None else now) - grace_s
    removed: list[Path] = []
    try:
        siblings = sorted(current.parent.glob(f"{name}-*"))
    except OSError:  # an unreadable cache dir: nothing to prune
        return removed
    for path in siblings:
        try:
            if path == current or not path.is_dir() or path.name.rpartition("-")[0] != name:
                continue
            record = path / SOURCE_FILE
            if not record.is_file() or record.read_text(encoding="utf-8") != source:
                continue  # another data dir's, or unknown: not ours to remove
            if path.stat().st_mtime >= cutoff:
                continue  # opened recently: a process may still be reading it
        except OSError:
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            removed.append(path)
            log.info("%s: removed a superseded cache of %s", path, data_dir)
    return removed
