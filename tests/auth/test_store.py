"""Users, tokens and the audit log in both stores (SQLite file, PostGIS tables)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from battlemap.auth.backends import USERS_FILE
from battlemap.auth.passwords import verify_password
from battlemap.auth.store import AuthStore, parse_since
from battlemap.geodata.errors import BattlemapError, StoreUnavailableError
from tests.auth.conftest import link_farm

INJECTIONS = (
    "' OR '1'='1",
    "x'; DROP TABLE bm_users; --",
    'x"; DELETE FROM bm_audit; --',
    "1) UNION SELECT name, password_hash FROM bm_users --",
)


@pytest.fixture(params=["sqlite", "postgis"])
def kind(request) -> str:
    return request.param


@pytest.fixture
def store(kind, request, tmp_path, small_data_dir, regions):
    if kind == "sqlite":
        auth = AuthStore.open("embedded", data_dir=link_farm(tmp_path / "d", small_data_dir))
    else:
        cluster = request.getfixturevalue("postgis_cluster")
        dsn = cluster.create_database("bm_auth_test")
        conn = cluster.connect("bm_auth_test")
        with conn.cursor() as cur:  # the scope check reads region codes only
            cur.execute("CREATE TABLE regions (code char(12) PRIMARY KEY)")
            for code in (regions.province, regions.county_a, regions.county_b):
                cur.execute("INSERT INTO regions VALUES (%s)", (code,))
        conn.close()
        auth = AuthStore.open("postgis", dsn=dsn)
    yield auth
    auth.close()


def test_users_round_trip(store, regions) -> None:
    user = store.add_user("plan", "planner", regions.county_a[:6], "a long password")
    assert (user.name, user.role, user.scope, user.disabled) == (
        "plan", "planner", regions.county_a, False,
    )  # fmt: skip
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, "a long password")
    assert not verify_password(user.password_hash, "a long passwore")
    store.add_user("boss", "admin", regions.province, "another password")
    assert [u.name for u in store.users()] == ["boss", "plan"]
    assert store.admin_count() == 1
    assert store.set_role("plan", "analyst").role == "analyst"
    assert store.set_scope("plan", regions.county_b).scope == regions.county_b
    assert store.set_disabled("boss").disabled and store.admin_count() == 0
    assert not store.set_disabled("boss", False).disabled
    changed = store.set_password("plan", "a new password")
    assert verify_password(changed.password_hash, "a new password")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("x y", "planner", "52", "password1"), "user name 'x y'"),
        (("plan", "root", "52", "password1"), "unknown role 'root'"),
        (("plan", "display", "52", "password1"), "signs in with a token"),
        (("plan", "planner", "52", "short"), "at least 8 characters"),
        (("plan", "planner", "12345", "password1"), "not 2, 4, 6, 9 or 12 digits"),
        (("plan", "planner", "990000000000", "password1"), "no such region"),
    ],
)
def test_bad_users_are_refused(store, args, message) -> None:
    with pytest.raises(BattlemapError, match=message.replace("(", r"\(")):
        store.add_user(*args)
    assert store.users() == []


def test_duplicate_and_missing_users(store, regions) -> None:
    store.add_user("plan", "planner", regions.county_a, "password1")
    with pytest.raises(BattlemapError, match="already exists"):
        store.add_user("plan", "leader", regions.county_a, "password2")
    with pytest.raises(BattlemapError, match="no user 'ghost'"):
        store.set_role("ghost", "leader")


def test_tokens(store, regions) -> None:
    token, secret = store.add_token("hall", regions.county_a)
    assert token.role == "display" and token.scope == regions.county_a and token.valid()
    assert secret.startswith(token.id + ".") and len(secret) > 40
    assert store.token_for_secret(secret) == token
    assert store.token_for_secret(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    assert store.token_for_secret(token.id) is None
    revoked = store.revoke_token(token.id)
    assert revoked.revoked and not revoked.valid() and store.token_for_secret(secret) is None
    short, short_secret = store.add_token("brief", regions.county_a, days=1e-7)  # ~9 ms
    time.sleep(0.05)
    assert store.token_for_secret(short_secret) is None and not store.token(short.id).valid()
    assert [t.name for t in store.tokens()] == ["hall", "brief"]
    with pytest.raises(BattlemapError, match="no token"):
        store.revoke_token("nope")


def test_audit_filters(store) -> None:
    store.audit(who="plan", address="10.0.0.1", region="520100000000", action="page", allowed=True)
    store.audit(
        who="ana", address="10.0.0.2", region="520300000000", action="geo",
        detail="outside", allowed=False,
    )  # fmt: skip
    rows = store.audit_entries()
    assert [(e.who, e.allowed) for e in rows] == [("plan", True), ("ana", False)]
    assert [e.who for e in store.audit_entries(refused=True)] == ["ana"]
    assert [e.who for e in store.audit_entries(user="plan")] == ["plan"]
    assert store.audit_entries(since=parse_since("1h")) == rows
    assert store.audit_entries(since="2999-01-01") == []
    assert [e.who for e in store.audit_entries(limit=1)] == ["ana"]


def test_injection_strings_are_only_data(store, regions) -> None:
    store.add_user("plan", "planner", regions.county_a, "password1")
    for text in INJECTIONS:
        with pytest.raises(BattlemapError):
            store.add_user(text, "planner", regions.county_a, "password1")
        with pytest.raises(BattlemapError):
            store.set_scope("plan", text)
        assert store.user(text) is None
        assert store.token_for_secret(text) is None and store.token_for_secret(f"{text}.x") is None
        store.audit(who=text, address=text, region=text, action=text, detail=text, allowed=False)
        assert [e.who for e in store.audit_entries(user=text)] == [text]
    assert [u.name for u in store.users()] == ["plan"]
    assert store.user("plan").scope == regions.county_a
    assert len(store.audit_entries()) == len(INJECTIONS)


def test_a_failed_statement_changes_nothing(store, regions) -> None:
    store.add_user("plan", "planner", regions.county_a, "password1")
    bad = "INSERT INTO bm_users (name) VALUES (?)"  # NOT NULL columns missing: fails
    with pytest.raises(StoreUnavailableError):
        store.backend.run(
            [("UPDATE bm_users SET role = 'admin' WHERE name = ?", ("plan",)), (bad, ("x",))]
        )
    assert store.user("plan").role == "planner" and store.admin_count() == 0


def test_sqlite_survives_a_kill(tmp_path, small_data_dir, regions) -> None:
    data = link_farm(tmp_path / "d", small_data_dir)
    script = (
        "import os, signal\n"
        "from battlemap.auth.store import AuthStore\n"
        f"s = AuthStore.open('embedded', data_dir={str(data)!r})\n"
        f"s.add_user('plan', 'planner', {regions.county_a!r}, 'password1')\n"
        "s.audit(who='plan', address='-', region='', action='x', allowed=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=os.getcwd(), timeout=60)
    assert proc.returncode == -signal.SIGKILL
    conn = sqlite3.connect(data / USERS_FILE)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    store = AuthStore.open("embedded", data_dir=data)
    assert store.user("plan").role == "planner" and len(store.audit_entries()) == 1


def test_parse_since() -> None:
    assert parse_since("2026-12-01") == "2026-12-01T00:00:00.000000Z"
    assert parse_since("2026-12-01T08:30+08:00") == "2026-12-01T00:30:00.000000Z"
    with pytest.raises(BattlemapError, match="--since 'yesterday'"):
        parse_since("yesterday")
