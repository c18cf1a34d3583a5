"""Per role over real HTTP (Flask test client, production mode): allowed views work, every
forbidden combination is refused (403 / 无权访问) and audited, nothing of another region
comes back."""

from __future__ import annotations

import json

import pytest

from tests.auth.conftest import ROLE_USERS
from tests.auth.dash_calls import call, server_callbacks, view_state

ROLES = tuple(ROLE_USERS)
SCOPED = ("leader", "planner", "analyst")


def _find(node, component_id: str):
    """The props of the component with ``component_id`` in a layout's JSON."""
    if isinstance(node, dict):
        props = node.get("props", {})
        if props.get("id") == component_id:
            return props
        node = list(props.values())
    if isinstance(node, list):
        for item in node:
            found = _find(item, component_id)
            if found is not None:
                return found
    return None


def _dep(client, output: str) -> dict:
    """The server callback whose outputs include ``output`` (``"id.property"``)."""
    return next(
        d for d in server_callbacks(client) if output in d["output"].strip(".").split("...")
    )


def _names_under(store, code: str) -> set[str]:
    """Names of a region and its children (what a leak of it would show)."""
    return {store.region(code).name} | {c.name for c in store.regions.children(code)}


def _refusals(accounts, who: str) -> list:
    return [e for e in accounts.store.audit_entries(user=who, refused=True)]


def test_unsigned_requests_get_nothing(app, regions) -> None:
    client = app.server.test_client()
    page = client.get("/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    deep = client.get(f"/?region={regions.county_a}")
    assert deep.status_code == 302 and "/login?next=" in deep.headers["Location"]
    for path in ("/_dash-layout", "/_dash-dependencies", f"/geo/{regions.county_a}.json"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert json.loads(response.data) == {"error": "sign in first"}
    post = client.post("/_dash-update-component", json={"output": "kpis.children"})
    assert post.status_code == 401


@pytest.mark.parametrize("role", ROLES)
def test_own_region_works(signed_in, regions, embedded_store, role) -> None:
    client = signed_in(role)
    home = regions.province if role == "admin" else regions.county_a
    layout = client.get("/_dash-layout", headers={"Referer": "http://localhost/"})
    assert layout.status_code == 200
    text = layout.get_data(as_text=True)
    assert _find(json.loads(text), "view-state")["data"]["region"] == home
    assert "无权访问" not in text
    geo = client.get(f"/geo/{regions.county_a}.json")
    assert geo.status_code == 200
    features = json.loads(geo.data)["features"]
    assert {f["id"] for f in features} == {
        c.code for c in embedded_store.regions.children(regions.county_a)
    }
    response = call(
        client, _dep(client, "kpis.children"), {"view-state.data": view_state(regions.county_a)}
    )
    assert response.status_code == 200 and "kpi-" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", SCOPED)
def test_other_region_refused_everywhere(
    signed_in, accounts, regions, embedded_store, role
) -> None:
    client = signed_in(role)
    secrets = _names_under(embedded_store, regions.county_b)
    # /geo/ of another region: 403
    geo = client.get(f"/geo/{regions.county_b}.json")
    assert geo.status_code == 403
    assert not any(name in geo.get_data(as_text=True) for name in secrets)
    # a deep link: the page says 无权访问, it does not fall back to another view
    deep = client.get(
        "/_dash-layout", headers={"Referer": f"http://localhost/?region={regions.village_b}"}
    )
    text = deep.get_data(as_text=True)
    assert "无权访问" in text and "view-state" not in text
    assert embedded_store.region(regions.village_b).name not in text
    # a crafted callback POST for each data callback
    for output in ("kpis.children", "map.figure", "ranking-table.data", "cause-chart-box.children"):
        dep = _dep(client, output)
        values = {
            "view-state.data": view_state(regions.county_b, layers=["choropleth", "households"]),
            "map-drawn.data": 1,
        }
        response = call(client, dep, values)
        body = response.get_data(as_text=True)
        assert not any(name in body for name in secrets), output
        banner = json.loads(body)["sideUpdate"]["error-banner"]
        assert banner["hidden"] is False and banner["children"].startswith("无权访问"), output
    # the parent is no way out either
    parent = embedded_store.region(regions.county_a).parent_code
    assert client.get(f"/geo/{parent}.json").status_code == 403
    refused = _refusals(accounts, ROLE_USERS[role])
    assert {e.region for e in refused} >= {regions.county_b, regions.village_b, parent}
    assert {e.action for e in refused} >= {"geo", "page"}
    assert any(e.action.startswith("view ") for e in refused)
    assert all(e.address == "127.0.0.1" and not e.allowed for e in refused)


def test_admin_sees_every_region(signed_in, regions) -> None:
    client = signed_in("admin")
    assert client.get(f"/geo/{regions.county_b}.json").status_code == 200
    assert client.get(f"/geo/{regions.province}.json").status_code == 200


def _household_rows(client, village: str) -> list[dict]:
    dep = _dep(client, "household-table.data")
    response = call(client, dep, {"view-state.data": view_state(village)})
    data = json.loads(response.data)["response"]
    return data["household-table"]["data"]


@pytest.mark.parametrize(("role", "masked"), [("leader", True), ("planner", False)])
def test_names_masked_by_role(signed_in, embedded_store, regions, role, masked) -> None:
    rows = _household_rows(signed_in(role), regions.village_a)
    raw = embedded_store.households(regions.village_a, 2016)["head_name"].tolist()
    assert rows and len(rows) == len(raw)
    names = {r["head_name"] for r in rows}
    if masked:
        assert all(n[1:] == "*" * (len(n) - 1) for n in names)
        assert not names & set(raw)
    else:
        assert names == set(raw)


def _map_traces(client, village: str, layers: list[str]) -> list[dict]:
    dep = _dep(client, "map.figure")
    values = {"view-state.data": view_state(village, layers=layers), "viewport.data": None}
    response = call(client, dep, values)
    assert response.status_code == 200
    return json.loads(response.data)["response"]["map"]["figure"]["data"]


def test_analyst_gets_no_points_or_rows(signed_in, embedded_store, regions, accounts) -> None:
    client = signed_in("analyst")
    raw = embedded_store.households(regions.village_a, 2016)
    # the household table: no rows, a note saying why
    dep = _dep(client, "household-table.data")
    response = call(client, dep, {"view-state.data": view_state(regions.village_a)})
    tables = json.loads(response.data)["response"]
    assert tables["household-table"]["data"] == []
    assert "汇总" in tables["household-note"]["children"]
    # the map with every point layer asked for: no household coordinates, no names
    traces = _map_traces(client, regions.township_a, ["choropleth", "households", "heat"])
    body = json.dumps(traces, ensure_ascii=False)
    lons = {round(x, 5) for x in raw["lon"].tolist()}
    drawn = {round(x, 5) for t in traces for x in (t.get("lon") or []) if isinstance(x, float)}
    assert not lons & drawn
    assert not any(name and name in body for name in raw["head_name"].tolist())
    # a planner gets the points at the same view (the test can tell the difference)
    planner = _map_traces(signed_in("planner"), regions.township_a, ["households"])
    planner_drawn = {
        round(x, 5) for t in planner for x in (t.get("lon") or []) if isinstance(x, float)
    }
    assert lons & planner_drawn


def test_analyst_hexbins_suppress_small_cells(app, embedded_store, regions) -> None:
    from battlemap.auth.principal import Principal, scope_of
    from battlemap.geodata.access import SMALL_COUNT, ScopedStore

    analyst = Principal("user", "ana", "analyst", regions.county_a, "u:x:ana")
    scoped = ScopedStore(embedded_store, scope_of(analyst))
    full = embedded_store.hexbins(regions.village_a, 2016, 9)
    shown = scoped.hexbins(regions.village_a, 2016, 9)
    assert (full["poor_households"] < SMALL_COUNT).any()  # the data has small cells to hide
    assert (shown["poor_households"] >= SMALL_COUNT).all()
    assert len(shown) == int((full["poor_households"] >= SMALL_COUNT).sum())


def test_display_token_and_revocation(app, accounts, regions, embedded_store) -> None:
    client = app.server.test_client()
    first = client.get(f"/_dash-layout?token={accounts.display_token}")
    assert first.status_code == 200
    assert embedded_store.region(regions.county_a).name in first.get_data(as_text=True)
    # the token's session carries the following XHRs (no token in their URL)
    assert client.get(f"/geo/{regions.county_a}.json").status_code == 200
    assert client.get(f"/geo/{regions.county_b}.json").status_code == 403
    # display: aggregates only (no household rows)
    dep = _dep(client, "household-table.data")
    tables = json.loads(call(client, dep, {"view-state.data": view_state(regions.village_a)}).data)
    assert tables["response"]["household-table"]["data"] == []
    # revoked: the next request of the same session is refused, and so is the URL
    token_id = accounts.display_token.split(".")[0]
    accounts.store.revoke_token(token_id)
    assert client.get(f"/geo/{regions.county_a}.json").status_code == 401
    again = app.server.test_client().get(f"/?token={accounts.display_token}")
    assert again.status_code == 401
    old = app.server.test_client().get(f"/_dash-layout?token={accounts.revoked_token}")
    assert old.status_code == 401
    refused = accounts.store.audit_entries(refused=True)
    assert any(e.who.startswith(f"token:{token_id}") and e.action == "token" for e in refused)
    assert any(f"token {token_id}" in e.detail for e in refused)


def test_disabled_user_and_new_password_end_sessions(signed_in, accounts, regions) -> None:
    lead = signed_in("leader")
    plan = signed_in("planner")
    accounts.store.set_disabled("lead")
    assert lead.get(f"/geo/{regions.county_a}.json").status_code == 401
    accounts.store.set_password("plan", "another password 7")
    assert plan.get(f"/geo/{regions.county_a}.json").status_code == 401


def test_scope_change_applies_to_the_next_request(signed_in, accounts, regions) -> None:
    client = signed_in("planner")
    assert client.get(f"/geo/{regions.county_b}.json").status_code == 403
    accounts.store.set_scope("plan", regions.county_b)
    assert client.get(f"/geo/{regions.county_b}.json").status_code == 200
    assert client.get(f"/geo/{regions.county_a}.json").status_code == 403


def test_allowed_views_are_audited(signed_in, accounts, regions) -> None:
    client = signed_in("planner")
    client.get(f"/geo/{regions.county_a}.json")
    rows = accounts.store.audit_entries(user="plan")
    assert [e.action for e in rows[:1]] == ["signin"] and rows[0].allowed
    assert any(e.action == "geo" and e.region == regions.county_a and e.allowed for e in rows)


def test_breadcrumb_names_parents_but_links_only_the_scope(
    signed_in, embedded_store, regions
) -> None:
    client = signed_in("planner")
    dep = _dep(client, "breadcrumb.children")
    response = call(client, dep, {"view-state.data": view_state(regions.township_a)})
    items = json.loads(response.data)["response"]["breadcrumb"]["children"]
    kinds = [(item["props"].get("className"), item["props"]["children"]["type"]) for item in items]
    assert kinds == [
        ("above-scope", "Span"), ("above-scope", "Span"), (None, "Link"), ("current", "Span"),
    ]  # fmt: skip
    province = embedded_store.region(regions.province).name
    assert province in json.dumps(items[0], ensure_ascii=False)
    assert regions.province not in json.dumps(items[:2])  # a name, no link to it


def test_analyst_bubbles_suppress_small_villages(signed_in, embedded_store, regions) -> None:
    """Per-village bubbles: a village with 1–2 poor households reads "<3" for an analyst."""
    found = None
    for year in (2019, 2020, 2018):
        for township in embedded_store.regions.children(regions.county_a):
            kids = embedded_store.children_counts(township.code, year)
            small = [c for c, v in kids.items() if 0 < v["poor_households"] < 3]
            if small:
                found = (township.code, year, small)
                break
        if found:
            break
    assert found, "the data set has no village with 1–2 poor households"
    township, year, small = found
    dep = _dep(signed_in("analyst"), "map.figure")
    client = signed_in("analyst")
    values = {"view-state.data": view_state(township, layers=["households"], year=year)}
    traces = json.loads(call(client, dep, values).data)["response"]["map"]["figure"]["data"]
    bubbles = next(t for t in traces if t.get("meta") == "bubbles")
    text = {row[0]: row[2] for row in bubbles["customdata"]}
    assert all(text[code] == "<3 户" for code in small)
    assert not any(v in ("1 户", "2 户") for v in text.values())


def test_expired_token_is_refused_and_audited(app, accounts, regions) -> None:
    import time

    token, secret = accounts.store.add_token("brief", regions.county_a, days=1e-7)  # ~9 ms
    time.sleep(0.05)
    client = app.server.test_client()
    assert client.get(f"/wall?token={secret}").status_code == 401
    assert client.get(f"/geo/{regions.county_a}.json").status_code == 401
    refused = accounts.store.audit_entries(refused=True)
    assert [(e.who, e.action) for e in refused] == [(f"token:{token.id}", "token")]


def test_wall_url_with_a_valid_token_serves_the_page(app, accounts) -> None:
    response = app.server.test_client().get(f"/wall?token={accounts.display_token}")
    assert response.status_code == 200 and "<html" in response.get_data(as_text=True).lower()


@pytest.mark.parametrize(
    ("role", "title"), [("leader", "贫困户名单（姓名已脱敏）"), ("planner", "贫困户名单")]
)
def test_household_table_title_says_whether_names_are_masked(signed_in, role, title) -> None:
    layout = signed_in(role).get("/_dash-layout", headers={"Referer": "http://localhost/"})
    text = layout.get_data(as_text=True)
    assert json.dumps(title, ensure_ascii=False) in text
