"""``battlemap run --workers 2`` (issue 19): two processes serve one app. A session, a sign-in
form and the sign-in limits hold whichever worker a request lands on (each request below is
sent to the worker the test picks), and each worker follows a new data version."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from battlemap.auth.web import LIMIT_PER_USER
from tests.auth.conftest import link_farm
from tests.web.served import Served, ToWorker, start, worker_of

LIMIT = int(LIMIT_PER_USER.split()[0])  # failed sign-ins per user and minute


@pytest.fixture(scope="module", params=["battlemap run", "gunicorn"])
def served(request, small_data_dir: Path, tmp_path_factory) -> Iterator[Served]:
    """``battlemap run --workers 2``, and the README's ``gunicorn -w 2`` entry (the open
    demo's secret then comes from the cache directory)."""
    root = tmp_path_factory.mktemp("workers")
    data = link_farm(root / "data", small_data_dir)
    gunicorn = request.param == "gunicorn"
    env = {"XDG_CACHE_HOME": str(root / "xdg")}  # gunicorn's open-demo key is kept there
    server = start(data, root / "stderr.log", "--workers", "2", gunicorn=gunicorn, env=env)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def to(served: Served) -> Iterator[ToWorker]:
    sender = ToWorker(served)
    yield sender
    sender.close()


def _get_form(to: ToWorker, worker: int) -> tuple[str, str]:
    """GET /login from one worker: the session cookie and the form's CSRF token."""
    response, data = to.request(worker, "GET", "/login")
    page = data.decode()
    assert response.status == 200
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    token = token or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
    assert token, page[:500]
    return cookie, token.group(1)


def _post(to: ToWorker, worker: int, cookie: str, token: str, user: str) -> int:
    body = urlencode({"username": user, "password": "wrong password 1", "csrf_token": token})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie}
    return to.request(worker, "POST", "/login", body=body, headers=headers)[0].status


def test_two_worker_processes_serve(served: Served, to: ToWorker) -> None:
    workers = served.workers()
    assert len(workers) == 2 and served.master not in workers
    assert sorted(to.held) == workers
    assert all(worker_of(served, conn) == pid for pid, conn in to.held.items())
    for worker in (0, 1):  # both answer the page
        response, data = to.request(worker, "GET", "/")
        assert response.status == 200 and b"DashRenderer" in data


def test_a_form_from_one_worker_is_accepted_by_the_other(to: ToWorker) -> None:
    """The session cookie and CSRF token one worker signed are valid on the other (one
    secret for all workers; a key per process answered 400 "expired")."""
    cookie, token = _get_form(to, 0)
    assert _post(to, 1, cookie, token, "nobody-a") == 401  # a checked form: wrong password
    cookie, token = _get_form(to, 1)
    assert _post(to, 0, cookie, token, "nobody-a") == 401


def test_failed_sign_ins_are_limited_across_workers(to: ToWorker) -> None:
    """The per-user limit counts failures on every worker together: alternating workers,
    the (LIMIT + 1)th attempt is refused (per-process counters allowed 2 × LIMIT)."""
    forms = [_get_form(to, w) for w in (0, 1)]  # each worker's own form: only the limit
    answers = [_post(to, i % 2, *forms[i % 2], "nobody-b") for i in range(LIMIT + 1)]
    assert answers == [401] * LIMIT + [429]


def _data_version(to: ToWorker, worker: int) -> str:
    """The data version a worker serves (the ``?v=`` of the page's boundary URLs)."""
    headers = {"Referer": "http://localhost/?year=2016"}
    response, data = to.request(worker, "GET", "/_dash-layout", headers=headers)
    assert response.status == 200
    versions = set(re.findall(r"\.json\?v=(\w+)", data.decode()))
    assert len(versions) == 1, versions
    return versions.pop()


def test_each_worker_serves_a_new_data_version(served: Served, to: ToWorker) -> None:
    """A new manifest (as an import swaps one in) is served by both workers."""
    before = {_data_version(to, w) for w in (0, 1)}
    assert len(before) == 1
    manifest = served.log.parent / "data" / "manifest.json"
    content = json.loads(manifest.read_text())
    content["note"] = "a new data version"
    new = manifest.with_name("manifest.json.new")
    new.write_text(json.dumps(content))
    new.replace(manifest)  # a new inode, as every import and generate writes it
    time.sleep(1.2)  # the version is checked at most once a second
    after = {_data_version(to, w) for w in (0, 1)}
    assert len(after) == 1 and after != before
