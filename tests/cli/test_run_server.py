"""``battlemap run`` over real HTTP (issue 18.10): gunicorn, not Werkzeug; security headers;
Host names checked; bodies capped; ``--debug`` never starts the interactive debugger outside
development."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from battlemap.cli import main
from battlemap.web.server import DEV_ENV, development_mode

REPO = Path(__file__).resolve().parents[2]
START_S = 120.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(data_dir: Path, log: Path, *extra: str) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != DEV_ENV and not k.startswith("BATTLEMAP_")}
    env["PYTHONPATH"] = str(REPO)
    code = "import sys; from battlemap.cli import main; sys.exit(main())"
    argv = ["run", "--data-dir", str(data_dir), "--port", str(port), *extra]
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *argv],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        start_new_session=True,
    )
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError(f"battlemap run did not listen within {START_S} s: {log.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@pytest.fixture(scope="module")
def server(small_data_dir: Path, tmp_path_factory) -> Iterator[tuple[int, Path, int]]:
    log = tmp_path_factory.mktemp("run") / "stderr.log"
    proc, port = _start(small_data_dir, log)
    try:
        yield port, log, proc.pid
    finally:
        _stop(proc)


def _rss_kb(master: int) -> int:
    """Resident memory of the gunicorn worker(s) under the master process."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    assert children and total
    return total


def _request(port: int, path: str = "/", *, host: str | None = None, method="GET", body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Host": host or f"127.0.0.1:{port}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


def test_served_by_gunicorn_with_security_headers(server) -> None:
    port, log, _pid = server
    response, data = _request(port)
    assert response.status == 200 and b"DashRenderer" in data
    assert "gunicorn" in response.getheader("Server", "").lower()
    assert "werkzeug" not in response.getheader("Server", "").lower()
    assert "default-src 'self'" in response.getheader("Content-Security-Policy")
    assert response.getheader("X-Frame-Options") == "DENY"
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Referrer-Policy") == "same-origin"
    text = log.read_text()
    assert "Werkzeug" not in text and "development server" not in text and "Debugger" not in text


def test_foreign_host_names_are_refused(server) -> None:
    port, _log, _pid = server
    assert _request(port, host="evil.example")[0].status == 400
    assert _request(port, host=f"localhost:{port}")[0].status == 200


def test_large_bodies_are_refused(server) -> None:
    port, _log, _pid = server
    body = b'{"inputs": "' + b"*" * (2 * 1024 * 1024) + b'"}'
    response, data = _request(port, "/_dash-update-component", method="POST", body=body)
    assert response.status == 413 and b"*****" not in data
    # the same without a Content-Length (chunked): cut off at the cap, not read to the end
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    chunks = (b"*" * 65536 for _ in range(64))  # 4 MiB
    # the server may answer and close before the upload ends: then read its answer
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        conn.request(
            "POST",
            "/_dash-update-component",
            body=chunks,
            headers={"Host": f"127.0.0.1:{port}", "Content-Type": "application/json"},
            encode_chunked=True,
        )
    chunked = conn.getresponse()
    assert chunked.status == 413 and b"*****" not in chunked.read()
    conn.close()


def test_debug_flag_does_not_start_the_debugger(small_data_dir: Path, tmp_path: Path) -> None:
    log = tmp_path / "stderr.log"
    proc, port = _start(small_data_dir, log, "--debug")
    try:
        response, data = _request(port, "/?__debugger__=yes&cmd=resource&f=debugger.js")
        assert "gunicorn" in response.getheader("Server", "").lower()
        assert b"Werkzeug" not in data and "javascript" not in response.getheader("Content-Type")
    finally:
        _stop(proc)
    assert f"needs {DEV_ENV}=1" in log.read_text()


def test_debugger_only_in_development(monkeypatch) -> None:
    monkeypatch.delenv(DEV_ENV, raising=False)
    assert not development_mode(debug=True, production=False)
    monkeypatch.setenv(DEV_ENV, "1")
    assert development_mode(debug=True, production=False)
    assert not development_mode(debug=True, production=True)  # never in production
    assert not development_mode(debug=False, production=False)


def test_port_in_use_is_one_line(small_data_dir: Path, capsys) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["run", "--data-dir", str(small_data_dir), "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 2 and f"cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err


def test_query_strings_do_not_grow_the_server(server) -> None:
    """Issue 18.1 as reported: 400 requests for the plotly bundle with ?x=<i> took the server
    from 450 to 847 MB. Each compressed copy is ~1 MB; the cache must not keep them."""
    port, _log, master = server
    asset = "/assets/plotly-battlemap.min.js"

    def fetch(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", f"{asset}?x={i}", headers={"Accept-Encoding": "gzip"})
        response = conn.getresponse()
        assert response.status == 200 and response.getheader("Content-Encoding") == "gzip"
        response.read()
        conn.close()

    for i in range(50):
        fetch(i)
    before = _rss_kb(master)
    for i in range(50, 400):
        fetch(i)
    grown_mb = (_rss_kb(master) - before) / 1024
    assert grown_mb < 100, f"the server grew by {grown_mb:.0f} MB over 350 requests"
