"""SQL-injection strings in every text input, URL parameter and callback argument change
nothing on PostGIS (users, tokens and audit in the same database as the data)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from battlemap.auth.config import AuthConfig
from battlemap.auth.store import AuthStore
from tests.auth.conftest import PASSWORD, SECRET, sign_in
from tests.auth.dash_calls import call, server_callbacks, view_state

pytestmark = pytest.mark.postgis

INJECTIONS = (
    "' OR '1'='1",
    "520000000000' OR 1=1 --",
    "x'); DROP TABLE bm_users; --",
    "1; DELETE FROM regions; --",
    "%' UNION SELECT password_hash, name FROM bm_users --",
)
TABLES = ("regions", "households", "household_years", "region_year_stats", "bm_users", "bm_tokens")
FORBIDDEN_TEXT = ("Traceback", "psycopg2", "syntax error", "$argon2")


@pytest.fixture
def pg_auth(postgis_loaded_dsn, regions):
    store = AuthStore.open("postgis", dsn=postgis_loaded_dsn)
    store.backend.run(
        [("DELETE FROM bm_users", ()), ("DELETE FROM bm_tokens", ()), ("DELETE FROM bm_audit", ())]
    )
    store.add_user("plan", "planner", regions.county_a, PASSWORD)
    store.add_user("victim", "leader", regions.county_a, PASSWORD)
    store.add_token("hall", regions.county_a)
    yield store
    store.backend.run([("DELETE FROM bm_users", ()), ("DELETE FROM bm_tokens", ())])
    store.close()


@pytest.fixture
def pg_app(postgis_loaded_dsn, postgis_store, pg_auth):
    from battlemap.app import create_app
    from battlemap.settings import Settings

    return create_app(
        Settings(store="postgis", dsn=postgis_loaded_dsn),
        store=postgis_store,
        warm=False,
        auth=AuthConfig(production=True, secret_key=SECRET),
    )


def _snapshot(store: AuthStore) -> dict[str, object]:
    counts = {t: store.backend.query(f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}
    counts["users"] = store.backend.query(
        "SELECT name, role, scope, password_hash, disabled FROM bm_users ORDER BY name"
    )
    return counts


def _clean(response) -> None:
    assert response.status_code in (200, 204, 302, 400, 401, 403, 404), response.status_code
    body = response.get_data(as_text=True)
    assert not any(text in body for text in FORBIDDEN_TEXT), body[:300]


def test_injection_strings_change_nothing(pg_app, pg_auth, regions) -> None:
    before = _snapshot(pg_auth)
    anonymous = pg_app.server.test_client()
    for i, text in enumerate(INJECTIONS):  # (addresses vary: failed sign-ins are limited)
        response = sign_in(anonymous, text, text, address=f"10.1.0.{i}")
        assert response.status_code == 401
        assert sign_in(anonymous, "victim", text, address=f"10.2.0.{i}").status_code == 401
        _clean(anonymous.get(f"/?token={quote(text)}"))
    client = pg_app.server.test_client()
    assert sign_in(client, "plan").status_code == 302
    deps = server_callbacks(client)
    for text in INJECTIONS:
        q = quote(text)
        _clean(client.get(f"/geo/{q}.json"))
        _clean(client.get(f"/?region={q}&year={q}&indicator={q}&layers={q}&lang={q}"))
        layout = client.get(
            "/_dash-layout",
            headers={"Referer": f"http://localhost/?region={q}&year={q}&indicator={q}&lang={q}"},
        )
        _clean(layout)
        crafted = {
            "view-state.data": {**view_state(regions.county_a), "region": text},
            "url.search": f"?region={q}&year={q}",
            "map.clickData": {"points": [{"location": text, "customdata": [text]}]},
            "ranking-table.active_cell": {"row": 0, "column": 0, "row_id": text},
            "region-search.value": text,
            "indicator.value": text,
            "layers.value": [text],
            "year-slider.value": text,
        }
        for dep in deps:
            keys = [f"{i['id']}.{i['property']}" for i in dep["inputs"] + dep["state"]]
            for trigger in [k for k in keys if k in crafted]:
                values = {k: crafted.get(k) for k in keys}
                if trigger != "view-state.data":
                    values["view-state.data"] = view_state(regions.county_a)
                _clean(call(client, dep, values, changed=[trigger]))
    assert _snapshot(pg_auth) == before
    # the planner's scope is what it was: the other county is still refused
    assert client.get(f"/geo/{regions.county_b}.json").status_code == 403
    assert client.get(f"/geo/{regions.county_a}.json").status_code == 200
    refused = pg_auth.audit_entries(refused=True)
    assert {e.who for e in refused} >= set(INJECTIONS)
    assert json.dumps([e.detail for e in refused])  # stored as plain text


def test_postgis_users_drive_the_app(pg_app, pg_auth, regions) -> None:
    client = pg_app.server.test_client()
    assert client.get("/_dash-layout").status_code == 401
    assert sign_in(client, "plan").status_code == 302
    assert client.get(f"/geo/{regions.county_a}.json").status_code == 200
    assert client.get(f"/geo/{regions.county_b}.json").status_code == 403
    rows = pg_auth.audit_entries(user="plan")
    assert [e.action for e in rows][:1] == ["signin"]
    assert any(e.action == "geo" and not e.allowed and e.region == regions.county_b for e in rows)
