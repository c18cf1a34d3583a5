"""The commit journal of a data dir, and recovery from an interrupted commit.

An import (:class:`~battlemap.geodata.importer.atomic.DataDirTransaction`) stages new files
in ``DIR/.import-<pid>-<token>/`` and swaps them in under ``DIR/.import-journal.json``::

    {"staging": ".import-…", "files": [...], "import_id": "…", "state": "prepared"|"committed"}

``committed`` (or a journal without a state, from older versions): the new files win; the
renames are finished by :func:`recover`. ``prepared``: written just before a PostGIS commit
of the same import; no file has been renamed yet. Whether the new files win depends on
whether PostGIS committed the import: it records ``import_id`` in ``battlemap_imports`` in
the same transaction, and :func:`recover` asks (``committed_in_database``). Without a
database to ask it refuses to guess (DataDirError naming ``battlemap import recover``).

Every open of a data dir, read or write, runs :func:`recover_on_open` first, so nobody
reads a half-swapped data dir.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from battlemap.geodata.errors import DataDirError

__all__ = [
    "FAULT_ENV",
    "JOURNAL_FILE",
    "LOCK_FILE",
    "STAGING_PREFIX",
    "DatabaseCheck",
    "data_dir_lock",
    "discard_pending",
    "fault_point",
    "recover",
    "recover_on_open",
]

JOURNAL_FILE = ".import-journal.json"
LOCK_FILE = ".import.lock"
STAGING_PREFIX = ".import-"
FAULT_ENV = "BATTLEMAP_FAULT"  # tests: SIGKILL this process at the named commit step
_WAIT_FOR_COMMIT_S = 60.0

# import_id -> did the database commit it? (None: the import used no database)
DatabaseCheck = Callable[[str], bool]


def fault_point(step: str) -> None:
    """Kill this process with SIGKILL when ``$BATTLEMAP_FAULT`` names ``step`` (tests of
    crash recovery: a real kill at an exact step of the commit)."""
    if os.environ.get(FAULT_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


def roll_forward(data_dir: Path, journal: dict) -> None:
    """Rename the journal's staged files over their targets (those not yet moved)."""
    staging = data_dir / journal["staging"]
    for name in journal["files"]:
        source = staging / name
        if source.exists():
            target = data_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)  # a table's part directory
            os.replace(source, target)


def _read_journal(path: Path) -> dict | None:
    try:
        journal = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # a torn journal is never renamed into place: nothing started
    if not isinstance(journal, dict) or "staging" not in journal or "files" not in journal:
        return None
    return journal


def recover(data_dir: Path, committed_in_database: DatabaseCheck | None = None) -> bool:
    """Finish or roll back a commit that was interrupted; drop stale staging dirs.

    Returns True if a commit was completed. Call with the data dir lock held.
    """
    completed = False
    journal_path = data_dir / JOURNAL_FILE
    if journal_path.exists():
        journal = _read_journal(journal_path)
        if journal and journal.get("state", "committed") == "prepared":
            if committed_in_database is None:
                raise DataDirError(
                    f"an import into {data_dir} and PostGIS was interrupted while committing "
                    "(import " + str(journal.get("import_id")) + "); only the database knows "
                    f"which state wins: run `battlemap import recover --data-dir {data_dir} "
                    "--dsn DSN`"
                )
            if committed_in_database(str(journal.get("import_id"))):
                roll_forward(data_dir, journal)
                completed = True
        elif journal:
            roll_forward(data_dir, journal)
            completed = True
        journal_path.unlink(missing_ok=True)
    for stale in data_dir.glob(f"{STAGING_PREFIX}*"):
        if stale.is_dir() and stale.name != LOCK_FILE:
            shutil.rmtree(stale, ignore_errors=True)
    for tmp in data_dir.glob(f"{JOURNAL_FILE}.*.tmp"):
        tmp.unlink(missing_ok=True)
    return completed


def discard_pending(data_dir: Path) -> None:
    """Drop an interrupted commit's journal and staging dirs (before replacing the data
    wholesale, e.g. ``generate --force``: an old commit must not be finished over it)."""
    (data_dir / JOURNAL_FILE).unlink(missing_ok=True)
    for stale in data_dir.glob(f"{STAGING_PREFIX}*"):
        if stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


@contextlib.contextmanager
def data_dir_lock(data_dir: Path, *, wait_s: float = 0.0) -> Iterator[bool]:
    """The data dir's import lock: yields True when held, False when another process
    (an import) holds it beyond ``wait_s`` seconds."""
    try:
        fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:  # a read-only data dir: nobody can be importing into it
        yield True
        return
    deadline = time.monotonic() + wait_s
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.1)
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def recover_on_open(data_dir: Path, committed_in_database: DatabaseCheck | None = None) -> None:
    """Before reading a data dir: finish or roll back an interrupted commit.

    When an import holds the lock and is not committing, the files are consistent and the
    open goes on; when it is committing (a journal exists), wait for it.
    """
    with data_dir_lock(data_dir) as held:
        if held:
            recover(data_dir, committed_in_database)
    if not held and (data_dir / JOURNAL_FILE).exists():
        with data_dir_lock(data_dir, wait_s=_WAIT_FOR_COMMIT_S) as held:
            if not held:
                raise DataDirError(
                    f"an import into {data_dir} is committing; try again in a moment"
                )
            recover(data_dir, committed_in_database)
