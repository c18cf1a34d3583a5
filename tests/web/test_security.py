"""HTTP hardening through the Flask test client: Host check, body cap, security headers
(issue 18.8, 18.10)."""

from __future__ import annotations

import json

import pytest

from battlemap.app import create_app
from battlemap.settings import Settings
from battlemap.web.security import CONTENT_SECURITY_POLICY, allowed_hosts, host_name


def _client(store, data_dir, **settings):
    app = create_app(Settings(data_dir=data_dir, **settings), store=store, warm=False)
    return app.server.test_client()


@pytest.fixture(scope="module")
def client(embedded_store, small_data_dir):
    return _client(embedded_store, small_data_dir)


@pytest.mark.parametrize("path", ["/", "/_dash-layout", "/assets/battlemap.css", "/geo/x.json"])
def test_every_response_has_the_security_headers(client, path) -> None:
    response = client.get(path)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("localhost", 200),
        ("localhost:8050", 200),
        ("127.0.0.1:8050", 200),
        ("[::1]:8050", 200),
        ("LOCALHOST.", 200),
        ("evil.example", 400),
        ("evil.example:8050", 400),
        ("127.0.0.1.evil.example", 400),
        ("localhost@evil.example", 400),
    ],
)
def test_only_configured_host_names_are_served(client, host, status) -> None:
    response = client.get("/", headers={"Host": host})
    assert response.status_code == status
    if status == 400:
        assert b"unknown host" in response.data and b"<script" not in response.data


def test_allowed_hosts_option(embedded_store, small_data_dir) -> None:
    client = _client(embedded_store, small_data_dir, allowed_hosts=("map.example.org",))
    assert client.get("/", headers={"Host": "map.example.org"}).status_code == 200
    assert client.get("/", headers={"Host": "localhost"}).status_code == 400  # replaced
    wide = _client(embedded_store, small_data_dir, allowed_hosts=("*",))
    assert wide.get("/", headers={"Host": "anything.example"}).status_code == 200


def test_default_hosts_follow_the_bound_address() -> None:
    assert allowed_hosts(Settings(host="10.1.2.3")) == {"10.1.2.3", "localhost", "127.0.0.1", "::1"}
    assert host_name("[2001:db8::1]:80") == "2001:db8::1" and host_name("a.b:1") == "a.b"


def _callback_body(size: int) -> bytes:
    body = {"output": "x.children", "outputs": {"id": "x", "property": "children"}}
    body["inputs"] = [{"id": "x", "property": "value", "value": "*" * size}]
    return json.dumps(body).encode()


def test_request_bodies_are_capped(embedded_store, small_data_dir) -> None:
    client = _client(embedded_store, small_data_dir, max_body_bytes=64 * 1024)
    big = client.post(
        "/_dash-update-component", data=_callback_body(200_000), content_type="application/json"
    )
    assert big.status_code == 413 and b"65536 bytes" in big.data
    assert b"*****" not in big.data  # never echoed
    small = client.post(
        "/_dash-update-component", data=_callback_body(10), content_type="application/json"
    )
    assert small.status_code != 413


def test_default_cap_refuses_a_large_body(client) -> None:
    assert Settings().max_body_bytes == 1024 * 1024
    response = client.post(
        "/_dash-update-component", data=_callback_body(3_000_000), content_type="application/json"
    )
    assert response.status_code == 413


def test_chunked_bodies_are_capped_not_cut(embedded_store, small_data_dir) -> None:
    """Without a Content-Length Werkzeug would cut the body at the cap and hand Dash the
    truncated rest; here it is refused whole (413), and a small one arrives intact."""
    import io

    client = _client(embedded_store, small_data_dir, max_body_bytes=64 * 1024)
    chunked = {"Transfer-Encoding": "chunked", "Content-Type": "application/json"}
    terminated = {"wsgi.input_terminated": True, "CONTENT_LENGTH": ""}  # as a server gives it
    big = client.post(
        "/_dash-update-component",
        input_stream=io.BytesIO(_callback_body(200_000)),
        headers=chunked,
        environ_overrides=terminated,
    )
    assert big.status_code == 413 and big.headers["X-Frame-Options"] == "DENY"
    small = client.post(
        "/_dash-update-component",
        input_stream=io.BytesIO(_callback_body(10)),
        headers=chunked,
        environ_overrides=terminated,
    )
    # it reached Dash whole: the JSON parsed and Dash looked up its (unknown) output, which
    # is refused as a malformed callback; a cut body would fail JSON parsing (HTML 400)
    assert small.status_code == 400
    assert small.get_json(silent=True) == {"error": "malformed callback request"}
