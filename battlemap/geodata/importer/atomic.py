"""All-or-nothing changes to a data dir: stage new files, then swap them in under a journal.

New versions of files are written to ``DIR/.import-<pid>-<token>/``. Commit seals the staged
manifest (the list of data files with their sizes and digests, :mod:`..datadir`), writes the
list of files to ``DIR/.import-journal.json`` (atomically), renames each staged file over its
target, then deletes the journal. Ctrl-C, an error or a kill before the journal exists
leaves the data dir as it was (the staging dir is removed, or cleaned by the next open);
after it, :func:`recover` (run by every open of the data dir, read or write) finishes the
renames. With a PostGIS side, the journal is first written as ``prepared`` (before the
database commit, which records the transaction's ``import_id``) and the recovery asks the
database which state won (:mod:`battlemap.geodata.journal`). SIGINT/SIGTERM/SIGHUP are held
back during the commit, so an interrupt there takes effect only after it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from battlemap.geodata.datadir import (
    MANIFEST_FILE,
    data_file_names,
    file_entry,
    read_manifest,
    seal_manifest,
)
from battlemap.geodata.errors import DataDirError
from battlemap.geodata.journal import (
    JOURNAL_FILE,
    LOCK_FILE,
    STAGING_PREFIX,
    DatabaseCheck,
    fault_point,
    recover,
    roll_forward,
)
from battlemap.geodata.partitions import PARTITIONED_TABLES, PARTITIONS, part_name
from battlemap.geodata.schema import TABLE_FILES

__all__ = [
    "JOURNAL_FILE",
    "LOCK_FILE",
    "STAGING_PREFIX",
    "DataDirTransaction",
    "database_check",
    "recover",
    "recover_data_dir",
]

_HELD_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def database_check(dsn: str | None) -> DatabaseCheck | None:
    """The check recovery asks "did PostGIS commit import X?" (None without a database)."""
    if not dsn:
        return None
    from battlemap.geodata.postgis.load import import_committed

    return import_committed(dsn)


def recover_data_dir(data_dir: str | Path, dsn: str | None) -> bool:
    """``battlemap import recover``: finish or roll back an interrupted commit, asking the
    database at ``dsn`` which state won. True when a commit was completed."""
    path = Path(data_dir)
    if not path.is_dir():
        raise DataDirError(f"data dir {path} does not exist")
    with DataDirTransaction(path, committed_in_database=database_check(dsn)) as txn:
        return txn.recovered


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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

    ``committed_in_database`` (given when the import also writes PostGIS) tells whether the
    database committed an import id: recovery of an interrupted commit needs it.

    >>> with DataDirTransaction(path) as txn:          # doctest: +SKIP
    ...     write(txn.path("households.parquet"))
    ...     txn.commit()
    """

    def __init__(
        self,
        data_dir: str | Path,
        *,
        create: bool = False,
        committed_in_database: DatabaseCheck | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.create = create
        self.committed_in_database = committed_in_database
        self.import_id = uuid.uuid4().hex  # PostGIS records it in the same transaction
        self.staging: Path | None = None
        self.staged: list[str] = []
        self.prepared = False  # a "prepared" journal exists: the database decides
        self.journaled = False  # the "committed" journal exists: the new state wins
        self.committed = False
        self._lock_fd: int | None = None
        self._umask: int | None = None
        self.recovered = False  # entering finished an interrupted commit

    def __enter__(self) -> DataDirTransaction:
        self._umask = os.umask(0o077)  # data dir, staged files, lock: owner-only
        try:
            return self._enter()
        except BaseException:
            self._release()
            raise

    def _enter(self) -> DataDirTransaction:
        if not self.data_dir.is_dir():
            if not self.create:
                raise DataDirError(f"data dir {self.data_dir} does not exist")
            self.data_dir.mkdir(parents=True)
        self._lock_fd = os.open(self.data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            self._lock_fd = None
            raise DataDirError(f"another import into {self.data_dir} is running") from None
        self.recovered = recover(self.data_dir, self.committed_in_database)
        token = f"{os.getpid()}-{secrets.token_hex(4)}"
        self.staging = self.data_dir / f"{STAGING_PREFIX}{token}"
        self.staging.mkdir()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.prepared and not self.journaled:
                self._settle_prepared()
            elif self.journaled and not self.committed:
                # the swap broke off half way: finish it now, or leave it to the next run
                with contextlib.suppress(OSError):
                    recover(self.data_dir)
            elif self.staging is not None:
                shutil.rmtree(self.staging, ignore_errors=True)
        finally:
            self._release()

    def _settle_prepared(self) -> None:
        """The database commit failed or was interrupted: ask the database which state won
        (without one to ask, it failed before committing: roll back)."""
        check = self.committed_in_database or (lambda _id: False)
        with contextlib.suppress(OSError, DataDirError):
            recover(self.data_dir, check)

    def _release(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None
        if self._umask is not None:
            os.umask(self._umask)
            self._umask = None

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

    def seal(self) -> dict:
        """Stage the manifest with every data file's size and digest as they will be after
        the swap (staged files are hashed; unchanged ones keep their listed entries)."""
        assert self.staging is not None, "use the transaction as a context manager"
        staged_manifest = self.staging / MANIFEST_FILE
        if MANIFEST_FILE in self.staged or staged_manifest.exists():
            manifest = json.loads(staged_manifest.read_text(encoding="utf-8"))
        else:
            manifest = read_manifest(self.data_dir)
        current: dict = {}
        if (self.data_dir / MANIFEST_FILE).exists():
            with contextlib.suppress(DataDirError):
                current = read_manifest(self.data_dir).get("files") or {}
        staged = set(self.staged)
        files = {  # unchanged files as listed (hashed when unlisted: an older data dir)
            name: current.get(name) or file_entry(self.data_dir / name)
            for name in data_file_names(self.data_dir)
            if name not in staged
        }
        files |= {
            name: file_entry(self.staging / name)
            for name in data_file_names(self.staging)
            if name in staged
        }
        sealed = seal_manifest({**manifest, "import_id": self.import_id}, files)
        self.path(MANIFEST_FILE).write_text(
            json.dumps(sealed, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        return sealed

    def _write_journal(self, state: str) -> None:
        assert self.staging is not None
        journal = {
            "staging": self.staging.name,
            "files": self.staged,
            "import_id": self.import_id,
            "state": state,
        }
        tmp = self.data_dir / f"{JOURNAL_FILE}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(journal), encoding="utf-8")
        _fsync(tmp)
        os.replace(tmp, self.data_dir / JOURNAL_FILE)
        _fsync(self.data_dir)

    def prepare(self) -> None:
        """Seal the manifest and write a ``prepared`` journal: call just before a database
        commit of the same import (which must record :attr:`import_id`)."""
        assert self.staging is not None, "use the transaction as a context manager"
        if self.prepared:
            return
        self.seal()
        for name in self.staged:
            _fsync(self.staging / name)
        self._write_journal("prepared")
        self.prepared = True
        fault_point("after-prepare")

    def commit(self, before: Callable[[], None] | None = None) -> None:
        """Swap the staged files in; ``before`` (the database commit) runs just ahead.

        Both run with interrupts held back, so they happen together or not at all. A kill
        between them leaves a ``prepared`` journal: the next open asks the database.
        """
        assert self.staging is not None, "use the transaction as a context manager"
        if not self.prepared:
            self.seal()
            for name in self.staged:
                _fsync(self.staging / name)
        with held_signals():
            if before is not None:
                if not self.prepared:
                    self._write_journal("prepared")
                    self.prepared = True
                    fault_point("after-prepare")
                before()
                fault_point("after-database-commit")
            self._write_journal("committed")
            self.journaled = True
            fault_point("after-journal")
            journal = {"staging": self.staging.name, "files": self.staged}
            for index, name in enumerate(self.staged):
                roll_forward(self.data_dir, {**journal, "files": [name]})
                if index == len(self.staged) // 2:
                    fault_point("mid-swap")
            for directory in {(self.data_dir / name).parent for name in self.staged}:
                _fsync(directory)
            (self.data_dir / JOURNAL_FILE).unlink()
            self.committed = True
