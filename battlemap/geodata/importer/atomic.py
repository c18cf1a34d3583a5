"""All-or-nothing changes to a data dir: stage new files, then swap them in under a journal.

New versions of files are written to ``DIR/.import-<pid>-<token>/``. Commit writes the list
of files to ``DIR/.import-journal.json`` (atomically), renames each staged file over its
target, then deletes the journal. Ctrl-C, an error or a kill before the journal exists
leaves the data dir as it was (the staging dir is removed, or cleaned by the next import);
after it, :func:`recover` (run by every import) finishes the renames. SIGINT/SIGTERM/SIGHUP
are held back during the commit, so an interrupt there takes effect only after it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

from battlemap.geodata.datadir import MANIFEST_FILE
from battlemap.geodata.errors import DataDirError
from battlemap.geodata.partitions import PARTITIONED_TABLES, PARTITIONS, part_name
from battlemap.geodata.schema import TABLE_FILES

__all__ = ["JOURNAL_FILE", "LOCK_FILE", "STAGING_PREFIX", "DataDirTransaction", "recover"]

JOURNAL_FILE = ".import-journal.json"
LOCK_FILE = ".import.lock"
STAGING_PREFIX = ".import-"
_HELD_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _roll_forward(data_dir: Path, journal: dict) -> None:
    staging = data_dir / journal["staging"]
    for name in journal["files"]:
        source = staging / name
        if source.exists():
            target = data_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)  # a table's part directory
            os.replace(source, target)


def recover(data_dir: Path) -> bool:
    """Finish a commit interrupted after its journal was written; drop stale staging dirs.

    Returns True if a commit was completed. Call with the data dir lock held.
    """
    completed = False
    journal_path = data_dir / JOURNAL_FILE
    if journal_path.exists():
        try:
            journal = json.loads(journal_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            journal = None  # a torn journal is never renamed into place: nothing started
        if journal:
            _roll_forward(data_dir, journal)
            completed = True
        journal_path.unlink(missing_ok=True)
    for stale in data_dir.glob(f"{STAGING_PREFIX}*"):
        if stale.is_dir() and stale.name != LOCK_FILE:
            shutil.rmtree(stale, ignore_errors=True)
    for tmp in data_dir.glob(f"{JOURNAL_FILE}.*.tmp"):
        tmp.unlink(missing_ok=True)
    return completed


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP until the block ends (main thread only)."""
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD_SIGNALS)
    except (ValueError, OSError):  # pragma: no cover - not the main thread / platform
        old = None
    try:
        yield
    finally:
        if old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


class DataDirTransaction:
    """Stage files for a data dir and swap them in at :meth:`commit`; discard otherwise.

    >>> with DataDirTransaction(path) as txn:          # doctest: +SKIP
    ...     write(txn.path("households.parquet"))
    ...     txn.commit()
    """

    def __init__(self, data_dir: str | Path, *, create: bool = False) -> None:
        self.data_dir = Path(data_dir)
        self.create = create
        self.staging: Path | None = None
        self.staged: list[str] = []
        self.journaled = False  # the journal exists: from now on the new state wins
        self.committed = False
        self._lock_fd: int | None = None

    def __enter__(self) -> DataDirTransaction:
        if not self.data_dir.is_dir():
            if not self.create:
                raise DataDirError(f"data dir {self.data_dir} does not exist")
            self.data_dir.mkdir(parents=True)
        self._lock_fd = os.open(self.data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            self._lock_fd = None
            raise DataDirError(f"another import into {self.data_dir} is running") from None
        recover(self.data_dir)
        token = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.staging = self.data_dir / f"{STAGING_PREFIX}{token}"
        self.staging.mkdir()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.journaled and not self.committed:
                # the swap broke off half way: finish it now, or leave it to the next run
                with contextlib.suppress(OSError):
                    recover(self.data_dir)
            elif self.staging is not None:
                shutil.rmtree(self.staging, ignore_errors=True)
        finally:
            if self._lock_fd is not None:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                os.close(self._lock_fd)
                self._lock_fd = None

    def path(self, name: str) -> Path:
        """Where to write the new version of data-dir file ``name`` (it will be swapped in)."""
        assert self.staging is not None, "use the transaction as a context manager"
        target = self.staging / name
        if name not in self.staged:
            self.staged.append(name)
            if target.exists() and target.stat().st_nlink > 1:
                target.unlink()  # a link made by complete_dir(): never write through it
            target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def scratch(self, name: str) -> Path:
        """A staging-dir path for a temporary file that is never swapped in."""
        assert self.staging is not None, "use the transaction as a context manager"
        return self.staging / "scratch" / name

    def complete_dir(self) -> Path:
        """The staging dir as a whole data dir: staged files plus links to unchanged ones."""
        assert self.staging is not None, "use the transaction as a context manager"
        names = [f for t, f in TABLE_FILES.items() if t not in PARTITIONED_TABLES]
        for table in PARTITIONED_TABLES:
            names += [part_name(table, p) for p in range(PARTITIONS)]
        for name in [*names, MANIFEST_FILE]:
            target = self.staging / name
            source = self.data_dir / name
            if target.exists() or not source.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)
        return self.staging

    def commit(self, before: Callable[[], None] | None = None) -> None:
        """Swap the staged files in; ``before`` (e.g. a database commit) runs just ahead.

        Both run with interrupts held back, so they happen together or not at all (short of
        a power cut or SIGKILL between them, after which :func:`recover` completes ours).
        """
        assert self.staging is not None, "use the transaction as a context manager"
        for name in self.staged:
            _fsync(self.staging / name)
        journal = {"staging": self.staging.name, "files": self.staged}
        tmp = self.data_dir / f"{JOURNAL_FILE}.{os.getpid()}.tmp"
        with held_signals():
            if before is not None:
                before()
            tmp.write_text(json.dumps(journal), encoding="utf-8")
            _fsync(tmp)
            os.replace(tmp, self.data_dir / JOURNAL_FILE)
            self.journaled = True
            _roll_forward(self.data_dir, journal)
            for directory in {(self.data_dir / name).parent for name in self.staged}:
                _fsync(directory)
            (self.data_dir / JOURNAL_FILE).unlink()
            self.committed = True
