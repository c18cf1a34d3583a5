"""A real ``battlemap run`` in a subprocess, and which worker process holds a connection."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
START_S = 120.0


@dataclass
class Served:
    """A running ``battlemap run``: its port, master pid and stderr log."""

    proc: subprocess.Popen
    port: int
    log: Path

    @property
    def master(self) -> int:
        return self.proc.pid

    def workers(self) -> list[int]:
        """The gunicorn worker pids (children of the master)."""
        path = Path(f"/proc/{self.master}/task/{self.master}/children")
        return sorted(int(p) for p in path.read_text().split())

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(
    data_dir: Path,
    log: Path,
    *extra: str,
    env: dict[str, str] | None = None,
    gunicorn: bool = False,
) -> Served:
    """``battlemap run --data-dir DIR`` on a free port, once it listens (and, with
    ``--workers N``, once its N workers are up); with ``gunicorn``, the README's
    ``gunicorn -w N battlemap.app:server`` entry instead."""
    port = free_port()
    keep = ("BATTLEMAP_CACHE_DIR",)  # the session's array cache (tests/conftest.py)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BATTLEMAP_") or k in keep}
    clean["PYTHONPATH"] = str(REPO)
    wanted = int(extra[extra.index("--workers") + 1]) if "--workers" in extra else 1
    if gunicorn:
        clean["BATTLEMAP_DATA_DIR"] = str(data_dir)
        command = [sys.executable, "-m", "gunicorn", "-w", str(wanted), "-k", "gthread"]
        command += ["--threads", "8", "--keep-alive", "5", "-b", f"127.0.0.1:{port}"]
        command += ["battlemap.app:server"]
    else:
        code = "import sys; from battlemap.cli import main; sys.exit(main())"
        argv = ["run", "--data-dir", str(data_dir), "--port", str(port), *extra]
        command = [sys.executable, "-c", code, *argv]
    proc = subprocess.Popen(
        command,
        cwd=REPO,
        env={**clean, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        start_new_session=True,
    )
    served = Served(proc, port, log)
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            if len(served.workers()) >= wanted:
                return served
        except OSError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise AssertionError(f"battlemap run did not listen within {START_S} s: {log.read_text()}")


def _socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server side of the loopback connection from ``client_port``."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            if (
                int(local.rsplit(":", 1)[1], 16) == server_port
                and int(remote.rsplit(":", 1)[1], 16) == client_port
            ):
                return inode
    return None


def worker_of(served: Served, conn: http.client.HTTPConnection) -> int | None:
    """The worker pid holding ``conn`` (after a request on it was answered, keep-alive)."""
    assert conn.sock is not None
    inode = _socket_inode(served.port, conn.sock.getsockname()[1])
    if inode is None:
        return None
    for pid in served.workers():
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


def connection_per_worker(
    served: Served, path: str = "/_favicon.ico", tries: int = 200, wanted: set[int] | None = None
) -> dict[int, http.client.HTTPConnection]:
    """One open keep-alive connection held by each worker (new connections until every
    worker, or every one of ``wanted``, has one), so a test can send a request to the worker
    it chooses."""
    held: dict[int, http.client.HTTPConnection] = {}
    wanted = wanted or set(served.workers())
    for _ in range(tries):
        conn = served.connect()
        conn.request("GET", path)
        conn.getresponse().read()
        pid = worker_of(served, conn)
        if pid is not None and pid not in held:
            held[pid] = conn
        else:
            conn.close()
        if set(held) == wanted:
            return held
    raise AssertionError(f"connections reached workers {sorted(held)} of {sorted(wanted)}")


class ToWorker:
    """Requests sent to the worker a test picks (by index): one keep-alive connection per
    worker, opened again to the same worker when the server closed an idle one (after 5 s;
    slow on a loaded machine). A request that failed that way never reached the app."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.pids = served.workers()
        self.held = connection_per_worker(served)

    def request(
        self, index: int, method: str, path: str, body=None, headers=None
    ) -> tuple[http.client.HTTPResponse, bytes]:
        pid = self.pids[index]
        for _ in range(5):
            if pid not in self.held:
                self.held.update(connection_per_worker(self.served, wanted={pid}))
            conn = self.held[pid]
            try:
                conn.request(method, path, body=body, headers=headers or {})
                response = conn.getresponse()
                return response, response.read()
            except (http.client.HTTPException, ConnectionError):
                conn.close()
                del self.held[pid]
        raise AssertionError(f"worker {pid} did not answer {method} {path}")

    def close(self) -> None:
        for conn in self.held.values():
            conn.close()
