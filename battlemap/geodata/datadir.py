"""The data directory: GeoParquet/Parquet per DESIGN.md table plus manifest.json.

``manifest.json`` lists every *data file* with its size and sha256 digest under ``"files"``
(relative names: ``regions.parquet``, ``households.parquet/part-03.parquet``, …,
``aggregates.parquet``). Data files are the DESIGN tables (each household table's part
files, one by one), ``county_assessments.parquet`` and the ``aggregates.parquet`` cache;
nothing else in the data dir is checked (``users.sqlite``, lock files, rejects lists or any
other file may live beside them). Opening a store calls :func:`check_files`: a table file
that is missing, changed (size, then digest) or not listed (a stray part file) is refused by
name; a changed or missing cache is only rebuilt from the (checked) tables.

Two fields are stable for other readers (e.g. a running app looking for a new data version):
``"version"`` (16 hex digits over the listed table files' digests, the cache excluded: it
changes exactly when the data changes) and ``"import_id"`` (the import that wrote it, also
recorded by PostGIS in ``battlemap_imports``). A data dir written before the file list
existed (no ``"files"``) is accepted with a warning, and its list is recorded on first open.

Files and directories are created owner-only (0600/0700): they hold personal data.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq

from battlemap.geodata.errors import DataDirError
from battlemap.geodata.parquet_file import unreadable_parquet
from battlemap.geodata.partitions import PARTITIONED_TABLES, PARTITIONS, write_parts
from battlemap.geodata.schema import OPTIONAL_TABLE_FILES, TABLE_FILES

__all__ = [
    "AGGREGATES_FILE",
    "MANIFEST_FILE",
    "FileCheck",
    "check_files",
    "data_file_names",
    "data_version",
    "file_entry",
    "holds_data",
    "list_files",
    "owner_only",
    "read_manifest",
    "read_table",
    "record_files",
    "require_data_dir",
    "seal_manifest",
    "write_manifest",
    "write_table",
]

MANIFEST_FILE = "manifest.json"
AGGREGATES_FILE = "aggregates.parquet"
MANIFEST_FORMAT = 2  # 2: "files", "version" (1: no file list)
_CHUNK = 1 << 20
_PART_NAME = re.compile(r"part-\d{2}\.parquet")
log = logging.getLogger(__name__)


@contextlib.contextmanager
def owner_only() -> Iterator[None]:
    """Create files 0600 and directories 0700 inside the block (process umask 077)."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def _checked_names() -> list[str]:
    """Data-dir file names (non-partitioned) that the manifest lists when present."""
    names = [f for t, f in TABLE_FILES.items() if t not in PARTITIONED_TABLES]
    return [*names, *OPTIONAL_TABLE_FILES.values(), AGGREGATES_FILE]


def data_file_names(data_dir: Path) -> list[str]:
    """The data files present in ``data_dir`` (relative names, sorted): the DESIGN tables,
    every visible file inside a partitioned table's directory, the assessments, the cache."""
    names = [n for n in _checked_names() if (data_dir / n).is_file()]
    for table in PARTITIONED_TABLES:
        path = data_dir / TABLE_FILES[table]
        if path.is_dir():
            names += [
                f"{TABLE_FILES[table]}/{p.name}"
                for p in path.iterdir()
                if not p.name.startswith((".", "_"))
            ]
        elif path.is_file():
            names.append(TABLE_FILES[table])
    return sorted(names)


def file_entry(path: Path) -> dict[str, Any]:
    """``{"size": bytes, "sha256": hex}`` of one file (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return {"size": size, "sha256": digest.hexdigest()}


def data_version(files: dict[str, dict[str, Any]]) -> str:
    """16 hex digits naming the data: the listed table files and their digests (the
    aggregates cache excluded, so a cache rebuild is not a new version)."""
    text = json.dumps(
        sorted((n, e["sha256"]) for n, e in files.items() if n != AGGREGATES_FILE),
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def seal_manifest(manifest: dict[str, Any], files: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``manifest`` with ``files`` (name -> size and digest), ``version`` and ``format``."""
    files = dict(sorted(files.items()))
    return {**manifest, "format": MANIFEST_FORMAT, "files": files, "version": data_version(files)}


def list_files(data_dir: Path) -> dict[str, dict[str, Any]]:
    """Size and digest of every data file in ``data_dir`` (what the manifest lists)."""
    return {name: file_entry(data_dir / name) for name in data_file_names(data_dir)}


def record_files(data_dir: Path) -> dict[str, Any]:
    """List the data files as they are now in ``data_dir``'s manifest (for a data dir
    assembled by other means, e.g. a test's hand-made subset); returns the manifest."""
    manifest = seal_manifest(read_manifest(data_dir), list_files(data_dir))
    write_manifest(data_dir, manifest)
    return manifest


def holds_data(path: Path) -> list[str]:
    """What makes ``path`` a data dir with data in it (table files, cache, manifest, an
    interrupted import); empty when it is missing or holds none of them."""
    if not path.is_dir():
        return []
    found = [*data_file_names(path), *[n for n in (MANIFEST_FILE,) if (path / n).exists()]]
    found += [p.name for p in path.glob(".import-journal.json")]
    return sorted(set(found))


@dataclass
class FileCheck:
    """The result of :func:`check_files`: problems with table files, and the cache's state."""

    problems: list[str]
    cache_ok: bool
    listed: bool  # the manifest has a file list (else: an older data dir)

    def raise_problems(self, data_dir: Path) -> None:
        if self.problems:
            shown = "; ".join(self.problems[:6])
            more = f" (and {len(self.problems) - 6} more)" if len(self.problems) > 6 else ""
            raise DataDirError(
                f"data dir {data_dir} does not match its manifest.json: {shown}{more}. "
                "Restore the files from a backup, or import/generate the data dir again"
            )


def check_files(data_dir: Path, manifest: dict[str, Any], *, digests: bool = True) -> FileCheck:
    """Compare the data files with the manifest's list: sizes always, digests when asked.

    A missing, changed or unlisted table file is a problem; the cache is only marked stale.
    Without a list (an older data dir), only part-file names are checked.
    """
    files = manifest.get("files")
    present = data_file_names(data_dir)
    problems: list[str] = []
    if not isinstance(files, dict):
        for name in present:
            table_dir, _, part = name.partition("/")
            if part and not (_PART_NAME.fullmatch(part) and int(part[5:7]) < PARTITIONS):
                problems.append(f"{name} is not a part file of {table_dir}")
        return FileCheck(problems, cache_ok=True, listed=False)
    cache_ok = True
    for name in present:
        if name not in files and name != AGGREGATES_FILE:
            problems.append(f"{name} is not listed (a stray or extra file)")
    if AGGREGATES_FILE not in files and AGGREGATES_FILE in present:
        cache_ok = False
    for name, entry in files.items():
        path = data_dir / name
        problem = _entry_problem(path, name, entry, digests)
        if problem is None:
            continue
        if name == AGGREGATES_FILE:
            cache_ok = False
        else:
            problems.append(problem)
    return FileCheck(problems, cache_ok, listed=True)


def _entry_problem(path: Path, name: str, entry: Any, digests: bool) -> str | None:
    try:
        size = path.stat().st_size
    except OSError:
        return f"{name} is missing"
    if not isinstance(entry, dict) or "size" not in entry or "sha256" not in entry:
        return f"{name} has no size and digest in the manifest"
    if size != entry["size"]:
        return f"{name} changed (size {size:,} bytes, manifest says {entry['size']:,})"
    if digests and file_entry(path)["sha256"] != entry["sha256"]:
        return f"{name} changed (its sha256 digest differs from the manifest's)"
    return None


def require_data_dir(data_dir: str | Path) -> Path:
    """The data dir as a Path, after checking every table file and the manifest exist."""
    path = Path(data_dir)
    if not path.is_dir():
        raise DataDirError(
            f"data dir {path} does not exist: run `battlemap generate --data-dir {path}`"
        )
    missing = [f for f in [*TABLE_FILES.values(), MANIFEST_FILE] if not (path / f).exists()]
    if missing:
        raise DataDirError(f"data dir {path} is incomplete: missing {', '.join(missing)}")
    return path


def read_manifest(data_dir: Path) -> dict[str, Any]:
    """manifest.json as a dict; DataDirError when unreadable or without a valid year list."""
    try:
        manifest = json.loads((data_dir / MANIFEST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataDirError(f"{data_dir / MANIFEST_FILE} is unreadable: {exc}") from None
    if not isinstance(manifest, dict):
        raise DataDirError(f"{data_dir / MANIFEST_FILE} is not a JSON object")
    years = manifest.get("years")
    if not isinstance(years, list) or not years or not all(_is_year(y) for y in years):
        raise DataDirError(
            f"{data_dir / MANIFEST_FILE}: 'years' must be a non-empty list of years "
            f"(1900–2100), not {json.dumps(years, ensure_ascii=False)[:60]}"
        )
    return manifest


def _is_year(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 2100


def write_manifest(data_dir: Path, manifest: dict[str, Any]) -> None:
    """Write manifest.json atomically (owner-only)."""
    _atomic_write_text(data_dir / MANIFEST_FILE, json.dumps(manifest, ensure_ascii=False, indent=2))


def read_table(
    data_dir: Path, table: str, columns: list[str] | None = None, *, geo: bool = False
) -> pd.DataFrame:
    """One table as a (Geo)DataFrame; a corrupt file raises DataDirError naming it.

    Columns renamed since a data dir was written (:data:`RENAMED_COLUMNS`) are read under
    their old name and returned under the new one.
    """
    path = data_dir / _file_name(table)
    with unreadable_parquet(path):
        columns, renames = _renamed(path, table, columns)
        if geo:
            frame = gpd.read_parquet(path, columns=columns)
        else:
            frame = pq.read_table(path, columns=columns).to_pandas()
        return frame.rename(columns=renames) if renames else frame


# Per table, columns renamed since older data dirs were written: new name -> old name.
RENAMED_COLUMNS: dict[str, dict[str, str]] = {"regions": {"poverty_flag": "is_poverty_county"}}


def _renamed(
    path: Path, table: str, columns: list[str] | None
) -> tuple[list[str] | None, dict[str, str]]:
    """The columns to read from an older file and the renames (old -> new) to apply."""
    old_names = RENAMED_COLUMNS.get(table)
    if not old_names or not path.is_file():
        return columns, {}
    present = set(pq.read_schema(path).names)
    renames = {old: new for new, old in old_names.items() if new not in present and old in present}
    if not renames or columns is None:
        return columns, renames
    back = {new: old for old, new in renames.items()}
    return [back.get(c, c) for c in columns], renames


def _file_name(table: str) -> str:
    return TABLE_FILES.get(table) or OPTIONAL_TABLE_FILES.get(table, table)


def write_table(data_dir: Path, table: str, frame: pd.DataFrame) -> None:
    """Write a table atomically (temp file + rename), GeoParquet when it has geometry;
    household tables as their part files (:mod:`~battlemap.geodata.partitions`). A
    manifest with a file list gets the new files' sizes and digests."""
    path = data_dir / _file_name(table)
    with owner_only():
        if table in PARTITIONED_TABLES:
            _write_parts(data_dir, table, frame)
        else:
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")  # no collisions
            frame.to_parquet(tmp, index=False, compression="zstd")
            os.replace(tmp, path)
        _record_table(data_dir, _file_name(table))


def _record_table(data_dir: Path, name: str) -> None:
    """Keep a listed manifest in step with a table this code wrote (its files' entries)."""
    path = data_dir / MANIFEST_FILE
    if not path.is_file():
        return
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict):
        return
    files = {n: e for n, e in files.items() if n != name and not n.startswith(f"{name}/")}
    files |= {
        n: file_entry(data_dir / n)
        for n in data_file_names(data_dir)
        if n == name or n.startswith(f"{name}/")
    }
    write_manifest(data_dir, seal_manifest(manifest, files))


def _write_parts(data_dir: Path, table: str, frame: pd.DataFrame) -> None:
    """The parts go to a temporary directory that then replaces the table."""
    path = data_dir / _file_name(table)
    tmp = data_dir / f".{path.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    write_parts(tmp, table, frame)
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    os.replace(tmp / _file_name(table), path)
    tmp.rmdir()


def _atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with owner_only():
        tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
