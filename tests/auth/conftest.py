"""Signed-in apps over HTTP: a users file beside a link farm of the session's data set.

Every role has one user scoped to county A (the admin: the province); county B is
"another region". The app runs in production mode, so nothing is served unsigned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from battlemap.auth.config import AuthConfig
from battlemap.auth.store import AuthStore

SECRET = "test-secret-0123456789abcdef"
PASSWORD = "correct horse 42"
ROLE_USERS = {"admin": "boss", "leader": "lead", "planner": "plan", "analyst": "ana"}


@dataclass(frozen=True)
class Regions:
    province: str
    county_a: str
    county_b: str
    township_a: str
    village_a: str
    village_b: str


def _busiest(store, code: str) -> str:
    return max(
        store.regions.children(code),
        key=lambda c: store.counts(c.code, 2016)["registered_households"],
    ).code


@pytest.fixture(scope="session")
def regions(embedded_store) -> Regions:
    """County A and B under different prefectures, each with a busy village."""
    province = embedded_store.regions.roots()[0].code
    prefectures = sorted(
        embedded_store.regions.children(province),
        key=lambda c: -embedded_store.counts(c.code, 2016)["registered_households"],
    )
    county_a = _busiest(embedded_store, prefectures[0].code)
    county_b = _busiest(embedded_store, prefectures[1].code)
    township_a = _busiest(embedded_store, county_a)
    return Regions(
        province,
        county_a,
        county_b,
        township_a,
        _busiest(embedded_store, township_a),
        _busiest(embedded_store, _busiest(embedded_store, county_b)),
    )


def link_farm(target: Path, data_dir: Path) -> Path:
    """A data dir of symlinks to ``data_dir``'s files (its own users.sqlite)."""
    target.mkdir(parents=True, exist_ok=True)
    for item in data_dir.iterdir():
        if item.name != "users.sqlite" and not item.name.startswith("users.sqlite"):
            (target / item.name).symlink_to(item)
    return target


@pytest.fixture
def auth_dir(tmp_path: Path, small_data_dir: Path) -> Path:
    return link_farm(tmp_path / "data", small_data_dir)


@dataclass
class Accounts:
    store: AuthStore
    display_token: str
    revoked_token: str


@pytest.fixture
def accounts(auth_dir: Path, regions: Regions) -> Accounts:
    store = AuthStore.open("embedded", data_dir=auth_dir)
    for role, name in ROLE_USERS.items():
        scope = regions.province if role == "admin" else regions.county_a
        store.add_user(name, role, scope, PASSWORD)
    _, display = store.add_token("hall", regions.county_a)
    revoked, revoked_secret = store.add_token("old-hall", regions.county_a)
    store.revoke_token(revoked.id)
    return Accounts(store, display, revoked_secret)


@pytest.fixture
def app(auth_dir, embedded_store, accounts):
    """The app in production mode on the session's store, users in ``auth_dir``."""
    from battlemap.app import create_app
    from battlemap.settings import Settings

    return create_app(
        Settings(data_dir=auth_dir),
        store=embedded_store,
        warm=False,
        auth=AuthConfig(production=True, secret_key=SECRET),
    )


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the form carries no csrf_token"
    return match.group(1)


def sign_in(client, name: str, password: str = PASSWORD, *, address: str = "127.0.0.1"):
    """GET /login for the CSRF token, POST the form; the POST's response."""
    env = {"REMOTE_ADDR": address}
    form = client.get("/login", environ_base=env)
    assert form.status_code == 200
    return client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": csrf_of(form.text)},
        environ_base=env,
    )


@pytest.fixture
def signed_in(app):
    """``signed_in(role)``: a test client signed in as that role's user."""

    def make(role: str):
        client = app.server.test_client()
        response = sign_in(client, ROLE_USERS[role])
        assert response.status_code == 302, response.text
        return client

    return make
