"""The /login flow over HTTP: the form, CSRF, the cookie's flags, redirects, brute force."""

from __future__ import annotations

import re

import pytest

from battlemap.auth.web import LIMIT_PER_ADDRESS, LIMIT_PER_USER
from tests.auth.conftest import PASSWORD, csrf_of, sign_in


def _per_minute(limit: str) -> int:
    return int(re.match(r"(\d+) per minute", limit).group(1))


def test_login_form_is_plain_html(app) -> None:
    page = app.server.test_client().get("/login")
    assert page.status_code == 200 and page.mimetype == "text/html"
    form = page.text
    assert re.search(r'<form method="post" action="/login"', form)
    for name in ("username", "password", "csrf_token"):
        assert f'name="{name}"' in form
    assert 'type="hidden" name="csrf_token"' in form and "<script" not in form
    assert "登录" in form
    assert "Sign in" in app.server.test_client().get("/login?lang=en").text


def test_success_sets_the_session_cookie_and_redirects(app) -> None:
    client = app.server.test_client()
    response = sign_in(client, "plan")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("battlemap_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/").status_code == 200


def test_cookie_is_secure_over_https(app) -> None:
    client = app.server.test_client()
    form = client.get("/login", base_url="https://localhost")
    response = client.post(
        "/login",
        base_url="https://localhost",
        data={"username": "plan", "password": PASSWORD, "csrf_token": csrf_of(form.text)},
    )
    assert response.status_code == 302
    assert "; Secure" in response.headers["Set-Cookie"]


def test_next_goes_back_to_the_deep_link_but_never_off_site(app, regions) -> None:
    client = app.server.test_client()
    bounce = client.get(f"/?region={regions.county_a}")
    target = bounce.headers["Location"]
    form = client.get(target)
    response = client.post(
        "/login",
        data={
            "username": "plan",
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": f"/?region={regions.county_a}",
        },
    )
    assert response.headers["Location"] == f"/?region={regions.county_a}"
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        other = app.server.test_client()
        form = other.get("/login")
        data = {"username": "plan", "password": PASSWORD, "csrf_token": csrf_of(form.text)}
        assert other.post("/login", data={**data, "next": evil}).headers["Location"] == "/"


def test_missing_or_forged_csrf_is_refused(app, accounts) -> None:
    client = app.server.test_client()
    client.get("/login")
    for token in (None, "forged"):
        data = {"username": "plan", "password": PASSWORD}
        if token:
            data["csrf_token"] = token
        response = client.post("/login", data=data)
        assert response.status_code == 400 and "页面已过期" in response.text
        assert client.get("/_dash-layout").status_code == 401
    refused = accounts.store.audit_entries(user="plan", refused=True)
    assert [e.detail for e in refused] == ["missing or expired CSRF token"] * 2


@pytest.mark.parametrize(
    ("name", "password", "why"),
    [
        ("plan", "wrong password!", "wrong password"),
        ("nobody", PASSWORD, "unknown or disabled user"),
        ("' OR '1'='1", "' OR '1'='1", "unknown or disabled user"),
    ],
)
def test_failed_sign_in_is_refused_and_audited(app, accounts, name, password, why) -> None:
    client = app.server.test_client()
    response = sign_in(client, name, password)
    assert response.status_code == 401 and "用户名或密码错误" in response.text
    assert client.get("/_dash-layout").status_code == 401
    rows = accounts.store.audit_entries(refused=True)
    assert [(e.who, e.action, e.detail) for e in rows] == [(name, "signin", why)]


def test_disabled_user_cannot_sign_in(app, accounts) -> None:
    accounts.store.set_disabled("plan")
    assert sign_in(app.server.test_client(), "plan").status_code == 401


def test_sign_out_ends_the_session(app) -> None:
    client = app.server.test_client()
    sign_in(client, "plan")
    confirm = client.get("/logout")
    assert confirm.status_code == 200 and 'name="csrf_token"' in confirm.text
    assert client.post("/logout", data={}).status_code == 400  # no CSRF token: still signed in
    assert client.get("/_dash-layout").status_code == 200
    out = client.post("/logout", data={"csrf_token": csrf_of(confirm.text)})
    assert out.status_code == 302 and out.headers["Location"] == "/login"
    assert client.get("/_dash-layout").status_code == 401


def test_brute_force_per_user_is_slowed(app, accounts) -> None:
    """After the allowed failures for one user, even the right password gets 429 (from any
    address), while another user still signs in."""
    allowed = _per_minute(LIMIT_PER_USER)
    for i in range(allowed):
        response = sign_in(app.server.test_client(), "plan", f"guess {i}", address=f"10.0.0.{i}")
        assert response.status_code == 401
    blocked = sign_in(app.server.test_client(), "plan", PASSWORD, address="10.0.1.1")
    assert blocked.status_code == 429 and "登录失败次数过多" in blocked.text
    assert blocked.headers["Retry-After"] == "60"
    assert sign_in(app.server.test_client(), "lead", address="10.0.1.1").status_code == 302
    throttled = [e for e in accounts.store.audit_entries(refused=True) if "throttled" in e.detail]
    assert throttled and throttled[0].who == "plan"


def test_brute_force_per_address_is_slowed(app) -> None:
    """One address guessing many names is stopped too; other addresses are not."""
    allowed = _per_minute(LIMIT_PER_ADDRESS)
    for i in range(allowed):
        response = sign_in(app.server.test_client(), f"user{i}", "nope nope", address="10.9.9.9")
        assert response.status_code == 401
    assert sign_in(app.server.test_client(), "plan", address="10.9.9.9").status_code == 429
    assert sign_in(app.server.test_client(), "plan", address="10.9.9.8").status_code == 302


def test_successful_sign_ins_do_not_count(app) -> None:
    for _ in range(_per_minute(LIMIT_PER_USER) + 2):
        assert sign_in(app.server.test_client(), "plan").status_code == 302
