"""Memory-mapped array bundles of the embedded store, shared by every worker process.

The embedded store keeps its counts ([region, year, metric]) and household columns in numpy
and Arrow arrays. Each worker of ``battlemap run --workers N`` used to build and hold its own
copy (about 350 MB for the 2.3 M-household province). A bundle writes those arrays once, as
uncompressed ``.npy`` files and Arrow IPC files, and every process maps them read-only
(``np.load(mmap_mode="r")``, ``pa.memory_map``): the pages live once in the page cache and
are shared, so a worker's own memory is what it computes per request.

A bundle is a rebuildable cache, not data: it lives in a cache directory, never in the data
dir (which may be read-only or shared): ``$BATTLEMAP_CACHE_DIR``, else
``$XDG_CACHE_HOME/battlemap`` or ``~/.cache/battlemap`` (owner-only). It is named after
what it was built from (the manifest's data version, a digest of the tables, and the exit
rules' digest, plus :data:`FORMAT`), so copies of one data set share it; it is written to a
temporary directory and renamed into place, one process builds it while the others wait on
a lock, and bundles unused for a day are removed. A data dir without a version, or a cache
dir that cannot be written, falls back to arrays in memory.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from battlemap.geodata.cache_prune import prune_superseded

__all__ = ["CACHE_ENV", "FORMAT", "cache_root", "cached_bundle"]

log = logging.getLogger(__name__)

CACHE_ENV = "BATTLEMAP_CACHE_DIR"
FORMAT = 1  # bump when what a bundle holds or how it is built changes
UNUSED_S = 24 * 3600.0  # bundles not opened for this long are removed
_META = "bundle.json"

Bundle = dict[str, Any]  # name -> numpy array, Arrow array, or a JSON-able value


def cache_root() -> Path:
    """Where bundles live: ``$BATTLEMAP_CACHE_DIR``, else ``$XDG_CACHE_HOME/battlemap``,
    else ``~/.cache/battlemap``."""
    configured = os.environ.get(CACHE_ENV, "").strip()
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    try:
        return (Path(xdg) if xdg else Path.home() / ".cache") / "battlemap"
    except RuntimeError:  # no home directory
        return Path(tempfile.gettempdir()) / f"battlemap-cache-{os.getuid()}"


def _key(parts: tuple[str, ...]) -> str:
    return hashlib.sha256("\0".join((str(FORMAT), *parts)).encode()).hexdigest()[:16]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _write(directory: Path, bundle: Bundle) -> None:
    """Each array as ``NAME.npy`` or ``NAME.arrow``; other values and the list in the meta."""
    meta: dict[str, Any] = {"arrays": {}, "values": {}}
    for name, value in bundle.items():
        if isinstance(value, np.ndarray) and value.dtype != object:
            np.save(directory / f"{name}.npy", np.ascontiguousarray(value), allow_pickle=False)
            meta["arrays"][name] = "npy"
        elif isinstance(value, pa.Array | pa.ChunkedArray | np.ndarray):
            array = pa.array(value) if isinstance(value, np.ndarray) else value
            if isinstance(array, pa.ChunkedArray):
                array = array.combine_chunks()
            table = pa.table({name: array})
            path = str(directory / f"{name}.arrow")
            # uncompressed, so it can be mapped
            with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
            meta["arrays"][name] = "arrow-numpy" if isinstance(value, np.ndarray) else "arrow"
        else:
            meta["values"][name] = value
    (directory / _META).write_text(json.dumps(meta))
    for path in directory.iterdir():
        path.chmod(0o600)  # household names: owner-only, like the data dir


def _map(directory: Path) -> Bundle:
    """The bundle with every array memory-mapped read-only."""
    meta = json.loads((directory / _META).read_text())
    bundle: Bundle = dict(meta["values"])
    for name, kind in meta["arrays"].items():
        if kind == "npy":
            bundle[name] = np.load(directory / f"{name}.npy", mmap_mode="r", allow_pickle=False)
            continue
        source = pa.memory_map(str(directory / f"{name}.arrow"), "r")
        column = pa.ipc.open_file(source).read_all().column(0)
        array = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
        # small vocabularies come back as numpy object arrays, as they were built
        bundle[name] = array.to_numpy(zero_copy_only=False) if kind == "arrow-numpy" else array
    return bundle


def _prune(root: Path, name: str, keep: str) -> None:
    """Remove the bundles of ``name`` unused for :data:`UNUSED_S` (older data versions); a
    process still mapping one keeps its pages until it lets go (unlinked files stay
    mapped)."""
    old = time.time() - UNUSED_S
    for path in root.glob(f"{name}-*"):
        try:
            if path.is_dir() and path.name != keep and path.stat().st_mtime < old:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue


def _mapped(final: Path) -> Bundle | None:
    """The mapped bundle, or None when it is missing or damaged (then it is removed)."""
    if not (final / _META).is_file():
        return None
    try:
        bundle = _map(final)
        os.utime(final)  # in use: kept by _prune
        return bundle
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
        log.warning("%s: damaged array cache removed (%s)", final, exc)
        shutil.rmtree(final, ignore_errors=True)
        return None


def cached_bundle(
    name: str,
    parts: tuple[str, ...],
    build: Callable[[], Bundle],
    *,
    source: Path | None = None,
) -> Bundle:
    """The bundle ``name`` built from ``parts`` (e.g. data version and rules digest):
    mapped from the cache, or built by ``build`` (by one process at a time), written and
    mapped; ``build()``'s own arrays when it cannot be cached. With ``source`` (the data
    dir it is built from), that data dir's superseded ``name`` bundles are removed
    (:func:`~battlemap.geodata.cache_prune.prune_superseded`)."""
    bundle = _cached_bundle(name, parts, build)
    if source is not None and all(parts):
        prune_superseded(cache_root() / f"{name}-{_key(parts)}", source)
    return bundle


def _cached_bundle(name: str, parts: tuple[str, ...], build: Callable[[], Bundle]) -> Bundle:
    if not all(parts):
        return build()  # no data version to name it by: never serve a stale bundle
    root = cache_root()
    final = root / f"{name}-{_key(parts)}"
    built: Bundle | None = None
    try:
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        found = _mapped(final)
        if found is not None:
            return found
        with _locked(root / f"{name}.lock"):
            found = _mapped(final)  # another worker may have built it while we waited
            if found is not None:
                return found
            built = build()
            temp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
            try:
                _write(temp, built)
                temp.rename(final)
            except BaseException:
                shutil.rmtree(temp, ignore_errors=True)
                raise
            _prune(root, name, final.name)
        found = _mapped(final)
        if found is not None:
            return found  # serve the mapped copy: the built one is freed
    except OSError as exc:  # read-only or full disk: serve from memory
        log.warning(
            "%s: cannot cache the %s arrays (%s); each process holds its own copy "
            "(set %s to a writable directory)",
            root,
            name,
            exc.strerror or exc,
            CACHE_ENV,
        )
    return built if built is not None else build()
