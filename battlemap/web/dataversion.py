"""Which version of the data a running app serves: a cheap stamp, compared at most once a
second, so an import (or a regenerated data dir swapped in) shows without a restart.

Embedded store: the manifest's inode, mtime and size (every import and generate rewrites
``manifest.json`` by rename); no stamp while an import's journal says a commit is under way.
PostGIS: :meth:`PostgisStore.data_stamp` (a hash of the manifest row every load or import
updates).
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path

from battlemap.geodata.datadir import MANIFEST_FILE
from battlemap.geodata.importer.atomic import JOURNAL_FILE
from battlemap.geodata.store import Store

__all__ = ["data_stamp", "dir_stamp"]


def dir_stamp(data_dir: Path) -> Hashable | None:
    """The stamp of a data dir's manifest; None while a commit is in progress or no
    manifest exists (keep serving what is open)."""
    if (data_dir / JOURNAL_FILE).exists():
        return None
    try:
        stat = (data_dir / MANIFEST_FILE).stat()
    except OSError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def data_stamp(store: Store) -> Hashable | None:
    """The data version stamp of an open store (None: unknown right now)."""
    stamp = getattr(store, "data_stamp", None)
    if stamp is not None:
        return stamp()
    data_dir = getattr(store, "data_dir", None)
    return dir_stamp(Path(data_dir)) if data_dir is not None else None
