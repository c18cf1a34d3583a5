"""Every Flask route and every Dash callback passes through the access check.

The test lists them from the running app: a route that is neither public nor known to read
data through ``context.access()`` fails it, and so does a callback that lets anything of
another region out when fed that region in every input it takes (the store underneath is
watched: no read below the foreign region may reach it).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

import battlemap
from battlemap.auth.web import PUBLIC_ENDPOINTS
from battlemap.viewstate import LAYER_KEYS
from tests.auth.conftest import ROLE_USERS, SECRET, sign_in
from tests.auth.dash_calls import call, server_callbacks, view_state

# Served without sign-in (no data): the sign-in form and static files.
PUBLIC = {"battlemap_login", "static", "_dash_assets.static", "/_favicon.ico"}
# Routes that need a signed-in user; each one that reads region data does so through
# context.access() (the /geo/ scope test in test_http_roles covers battlemap_geo).
SIGNED_IN = {
    "battlemap_logout",
    "battlemap_geo",
    "battlemap_glyphs",
    "/",
    "/<path:path>",
    "/_dash-layout",
    "/_dash-dependencies",
    "/_dash-update-component",
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
    "/_reload-hash",
    "wall_deck",  # the wall's 3D panel: reads through context.access() (tests/wall/test_deck.py)
    "wall_deck_data",  # the 3D panel's view as JSON: through context.access() (test_deck.py)
    "wall_deck_lib",  # the vendored deck.gl bundle (no data), only for signed-in screens
}
DATA_METHODS = (
    "counts", "children_counts", "counts_many", "series", "unit_shapes", "households",
    "hexbins", "relocation_flows", "labour_flows", "assessment", "assessments",
)  # fmt: skip


class WatchedStore:
    """A store that records every data read's region code (``region`` itself is the check)."""

    def __init__(self, store) -> None:
        self._store = store
        self.reads: list[str] = []

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._store, name)
        if name not in DATA_METHODS:
            return value

        def watched(*args, **kwargs):
            first = args[0] if args else None
            codes = first if isinstance(first, list) else [first]
            self.reads += [str(c) for c in codes if c is not None]
            return value(*args, **kwargs)

        return watched


@pytest.fixture
def watched(embedded_store) -> WatchedStore:
    return WatchedStore(embedded_store)


@pytest.fixture
def watched_app(auth_dir, watched, accounts):
    from battlemap.app import create_app
    from battlemap.auth.config import AuthConfig
    from battlemap.settings import Settings

    return create_app(
        Settings(data_dir=auth_dir),
        store=watched,
        warm=False,
        auth=AuthConfig(production=True, secret_key=SECRET),
    )


def _url_for(rule, regions) -> str:
    url = rule.rule
    for arg in rule.arguments:
        value = regions.county_a if arg == "code" else "x"
        url = url.replace(f"<{arg}>", value)
    for conv in ("path:", "string:"):
        for arg in rule.arguments:
            url = url.replace(f"<{conv}{arg}>", "x")
    return url


def test_every_route_is_public_or_signed_in(app, regions) -> None:
    assert set(PUBLIC_ENDPOINTS) == PUBLIC
    endpoints = {rule.endpoint for rule in app.server.url_map.iter_rules()}
    unknown = endpoints - PUBLIC - SIGNED_IN
    assert not unknown, (
        f"new route(s) {sorted(unknown)}: make them read data only through "
        "context.access() and add them to SIGNED_IN (or PUBLIC if they serve no data)"
    )
    client = app.server.test_client()
    for rule in app.server.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        url = _url_for(rule, regions)
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(url, method=method)
        assert response.status_code in (401, 302), (rule.rule, response.status_code)
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login"), rule.rule


def _hostile(regions, embedded_store) -> dict[str, list[Any]]:
    """Values of each known callback input/state that point at county B."""
    b = regions.county_b
    every_layer = view_state(b, layers=list(LAYER_KEYS))
    return {
        "view-state.data": [every_layer, view_state(regions.village_b, layers=list(LAYER_KEYS))],
        "url.search": [f"?region={b}", f"?region={regions.village_b}&layers=households"],
        "map.clickData": [{"points": [{"location": b, "customdata": [b]}]}],
        "ranking-table.active_cell": [{"row": 0, "column": 0, "column_id": "name", "row_id": b}],
        "region-search.value": [embedded_store.region(b).name],
    }


BENIGN: dict[str, Any] = {
    "year-slider.value": 2016,
    "indicator.value": "incidence",
    "layers.value": list(LAYER_KEYS),
    "viewport.data": {"w": 800, "h": 600},
    "map-drawn.data": 1,
}


def _secrets(store, code: str) -> set[str]:
    names = {store.region(code).name}
    for child in store.regions.children(code):
        names.add(child.name)
        names.add(child.code)
    return names


def _problems(client, watched, regions, embedded_store) -> tuple[list[str], int]:
    """Feed every server callback county B in each input it takes; what came out or was
    read below B (and how many requests were tried)."""
    hostile = _hostile(regions, embedded_store)
    own = view_state(regions.county_a)
    secrets = _secrets(embedded_store, regions.county_b) | _secrets(
        embedded_store, regions.village_b
    )
    problems: list[str] = []
    tried = 0
    for dep in server_callbacks(client):
        keys = [f"{i['id']}.{i['property']}" for i in dep["inputs"] + dep["state"]]
        if any(k.startswith("{") for k in keys):
            problems.append(f"{dep['output']}: a pattern-matching input; teach this test")
            continue
        for key in keys:
            if key not in hostile and key not in BENIGN:
                # an input this test does not know: try the foreign region's code and view
                hostile[key] = [regions.county_b, view_state(regions.county_b), None]
        for trigger in [k for k in keys if k in hostile] or keys[:1]:
            for value in hostile.get(trigger, [None]):
                values = {k: BENIGN.get(k) for k in keys}
                values["view-state.data"] = own
                values[trigger] = value
                watched.reads.clear()
                response = call(client, dep, values, changed=[trigger])
                tried += 1
                body = response.get_data(as_text=True)
                leaked = sorted(s for s in secrets if s in body)
                if leaked:
                    problems.append(f"{dep['output']} via {trigger}: sent {leaked[:3]}")
                below_b = [
                    c for c in watched.reads
                    if c.startswith(regions.county_b[:6]) or c == regions.village_b
                ]  # fmt: skip
                if below_b:
                    problems.append(f"{dep['output']} via {trigger}: read {below_b[:3]}")
                if "Traceback" in body:
                    problems.append(f"{dep['output']} via {trigger}: a traceback")
    return problems, tried


def test_every_callback_refuses_another_region(
    watched_app, watched, regions, embedded_store, accounts
) -> None:
    client = watched_app.server.test_client()
    assert sign_in(client, ROLE_USERS["planner"]).status_code == 302
    assert len(server_callbacks(client)) >= 5
    problems, tried = _problems(client, watched, regions, embedded_store)
    assert not problems, problems
    assert tried >= 10
    refused = accounts.store.audit_entries(user="plan", refused=True)
    assert any(e.region == regions.county_b for e in refused)


def test_a_callback_around_the_check_is_caught(
    watched_app, watched, regions, embedded_store
) -> None:
    """A new callback that reads the raw store makes the enumeration above fail."""
    from dash import Input, Output

    context = watched_app.server.config["BATTLEMAP_CONTEXT"]

    @watched_app.callback(Output("kpis", "title"), Input("view-state", "data"))
    def rogue(data):
        raw = context._store  # around the check: what this test exists to catch
        return ", ".join(c.name for c in raw.regions.children(data["region"])) + str(
            raw.counts(data["region"], 2016)["poor_persons"]
        )

    client = watched_app.server.test_client()
    assert sign_in(client, ROLE_USERS["planner"]).status_code == 302
    problems, _ = _problems(client, watched, regions, embedded_store)
    assert any(p.startswith("kpis.title via view-state.data: sent") for p in problems)
    assert any(p.startswith("kpis.title via view-state.data: read") for p in problems)


CALLBACK_DIR = Path(battlemap.__file__).parent / "callbacks"


def test_callbacks_read_data_only_through_access() -> None:
    """No callback module reaches the raw store (``context.store``) or opens one."""
    offenders = []
    for path in sorted(CALLBACK_DIR.glob("*.py")):
        if path.name == "context.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "context"
                and node.attr in ("store", "_store")
            ):
                offenders.append(f"{path.name}:{node.lineno} context.{node.attr}")
            if isinstance(node, ast.Name) and node.id in (
                "open_store",
                "EmbeddedStore",
                "PostgisStore",
            ):
                offenders.append(f"{path.name}:{node.lineno} {node.id}")
    assert not offenders, offenders
