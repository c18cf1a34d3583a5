"""A throwaway PostgreSQL 15 + PostGIS cluster for tests (temp dir, free port, no fsync).

As root, ``initdb`` and ``pg_ctl`` run as the ``postgres`` user (``initdb`` refuses root).
Missing binaries are a test *failure*, not a skip: the PostGIS tests must really run.
Run ``scripts/install-test-deps.sh`` to install them.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2

__all__ = ["PgCluster", "PgClusterError", "find_bindir"]

INSTALL_HINT = "run scripts/install-test-deps.sh (apt-get install postgresql-15-postgis-3)"


class PgClusterError(RuntimeError):
    """The throwaway cluster cannot be created or started."""


def find_bindir() -> Path:
    """Directory with initdb/pg_ctl: $BATTLEMAP_PG_BINDIR, Debian's layout (15 first), PATH."""
    candidates = []
    if os.environ.get("BATTLEMAP_PG_BINDIR"):
        candidates.append(os.environ["BATTLEMAP_PG_BINDIR"])
    candidates.append("/usr/lib/postgresql/15/bin")
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    which = shutil.which("initdb")
    if which:
        candidates.append(os.path.dirname(which))
    for cand in candidates:
        if os.access(os.path.join(cand, "initdb"), os.X_OK) and os.access(
            os.path.join(cand, "pg_ctl"), os.X_OK
        ):
            return Path(cand)
    raise PgClusterError(f"PostgreSQL server binaries (initdb, pg_ctl) not found; {INSTALL_HINT}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PgCluster:
    """One temporary cluster: ``start()``, ``dsn(db)``, ``create_database(name)``, ``stop()``."""

    def __init__(self, bindir: Path | None = None, *, replication: bool = False) -> None:
        self.bindir = bindir or find_bindir()
        self.root: Path | None = None
        self.port: int | None = None
        self._as_postgres = os.geteuid() == 0
        # WAL for streaming replicas (wal_level=replica, WAL senders) instead of the minimum
        self.replication = replication

    # -- lifecycle ------------------------------------------------------------------------
    def _run(self, *args: str) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        try:
            proc = subprocess.run(cmd, cwd=self.root, capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PgClusterError(f"{args[0]} could not run: {exc}; {INSTALL_HINT}") from None
        if proc.returncode != 0:
            log = self._log_tail()
            raise PgClusterError(
                f"{args[0]} failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout}"
                + (f"\nserver log:\n{log}" if log else "")
            )
        return proc

    def _log_tail(self) -> str:
        log = self.root / "server.log" if self.root else None
        if log and log.exists():
            return "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        return ""

    def start(self) -> PgCluster:
        """initdb + pg_ctl start + CREATE EXTENSION postgis in template1 (every new db has it)."""
        self.root = Path(tempfile.mkdtemp(prefix="bmpg-", dir="/tmp"))
        atexit.register(self.stop)
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._run(
            "initdb", "-D", "data", "-E", "UTF8", "--locale=C.UTF-8", "-A", "trust",
            "-U", "postgres", "--no-sync",
        )  # fmt: skip
        self._start_server()
        try:
            conn = self.connect("template1")
            try:
                with conn.cursor() as cur:
                    cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            finally:
                conn.close()
        except psycopg2.Error as exc:
            raise PgClusterError(
                f"CREATE EXTENSION postgis failed: {str(exc).strip()}; {INSTALL_HINT}"
            ) from None
        return self

    def _start_server(self) -> None:
        """pg_ctl start on a free port (a few tries: another process may take the port)."""
        if self.replication:
            wal = "-c wal_level=replica -c max_wal_senders=4 -c hot_standby=on"
        else:
            wal = "-c full_page_writes=off -c wal_level=minimal -c max_wal_senders=0"
        for attempt in range(5):
            self.port = _free_port()
            options = (
                f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c synchronous_commit=off -c jit=off {wal}"
            )
            try:
                self._run("pg_ctl", "-D", "data", "-l", "server.log", "-w", "-t", "60",
                          "-o", options, "start")  # fmt: skip
                return
            except PgClusterError:
                if attempt == 4:
                    raise
                time.sleep(0.2)

    def start_standby(self, primary: PgCluster) -> PgCluster:
        """Start as a hot standby of ``primary`` (a ``replication=True`` cluster, running):
        ``pg_basebackup -R`` into a temp dir, then streaming replication over loopback."""
        if not primary.replication or primary.port is None:
            raise PgClusterError("the primary must be a running PgCluster(replication=True)")
        self.replication = True
        self.root = Path(tempfile.mkdtemp(prefix="bmpg-", dir="/tmp"))
        atexit.register(self.stop)
        if self._as_postgres:
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._run(
            "pg_basebackup", "-D", "data", "-R", "-X", "stream", "-c", "fast", "--no-sync",
            "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
        )  # fmt: skip
        self._start_server()
        return self

    def stop(self) -> None:
        """Stop the server (immediate) and remove the directory; safe to call twice."""
        root, self.root = self.root, None
        if root is None:
            return
        try:
            if (root / "data" / "postmaster.pid").exists():
                cmd = [str(self.bindir / "pg_ctl"), "-D", "data", "-m", "immediate", "-w", "stop"]
                if self._as_postgres:
                    cmd = ["runuser", "-u", "postgres", "--", *cmd]
                subprocess.run(cmd, cwd=root, capture_output=True, timeout=60)
        finally:
            shutil.rmtree(root, ignore_errors=True)

    # -- access ---------------------------------------------------------------------------
    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = "postgres"):
        conn = psycopg2.connect(self.dsn(dbname))
        conn.autocommit = True
        return conn

    def create_database(self, name: str) -> str:
        """A new empty database (PostGIS enabled via template1); returns its DSN."""
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return self.dsn(name)

    def load_database(self, name: str, data_dir: Path) -> str:
        """A new database holding ``data_dir``, loaded like `battlemap db load`; its DSN."""
        from battlemap.geodata.postgis.load import load_data_dir

        dsn = self.create_database(name)
        load_data_dir(dsn, data_dir)
        return dsn

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- pytest fixtures (imported by tests/conftest.py) ----------------------------------------
try:
    import pytest
except ImportError:  # pragma: no cover - helper used outside pytest
    pytest = None

if pytest is not None:

    @pytest.fixture(scope="session")
    def postgis_cluster():
        """The session's throwaway cluster; fails (never skips) when PostgreSQL is missing."""
        cluster = None
        try:
            cluster = PgCluster()
            cluster.start()
        except PgClusterError as exc:
            if cluster is not None:
                cluster.stop()
            pytest.fail(f"cannot start the PostGIS test cluster: {exc}", pytrace=False)
        try:
            yield cluster
        finally:
            cluster.stop()

    @pytest.fixture(scope="session")
    def postgis_dsn(postgis_cluster) -> str:
        """DSN of an empty PostGIS-enabled database shared by the session."""
        return postgis_cluster.create_database("battlemap_test")
