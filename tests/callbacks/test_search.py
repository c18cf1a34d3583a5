"""The search callback over HTTP: matches as links to their view, only within the scope."""

from __future__ import annotations

import json
import re

import pytest

from battlemap.geodata.access import Scope
from battlemap.settings import Settings
from battlemap.viewstate import ViewState


def _keystroke(client, query: str, state: ViewState) -> list[str]:
    """The region codes the result links of one keystroke point at."""
    body = {
        "output": "search-results.children",
        "outputs": {"id": "search-results", "property": "children"},
        "inputs": [{"id": "region-search", "property": "value", "value": query}],
        "changedPropIds": ["region-search.value"],
        "state": [{"id": "view-state", "property": "data", "value": state.to_dict()}],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    text = json.dumps(response.get_json(), ensure_ascii=False)
    links = re.findall(r"region=(\d{12})[^\"]*", text)
    assert all("indicator=poor_persons" in m for m in re.findall(r"\?region=[^\"]*", text))
    return links


@pytest.fixture(scope="module")
def scoped(embedded_store, small_data_dir, chain):
    from battlemap.app import create_app

    app = create_app(
        Settings(data_dir=small_data_dir),
        store=embedded_store,
        scope=Scope(roots=(chain[2],)),
        warm=False,
    )
    return app.server.test_client()


def test_results_stay_inside_the_scope(scoped, embedded_store, small_data_dir, chain) -> None:
    from battlemap.app import create_app

    county = chain[2]
    state = ViewState(region=county, year=2016, indicator="poor_persons")
    inside = embedded_store.region(chain[4]).name  # the county's busiest village
    codes = _keystroke(scoped, inside, state)
    assert chain[4] in codes and all(c.startswith(county[:6]) for c in codes)
    # a village elsewhere: the open app finds it, the scoped one does not
    outside = next(c for c in embedded_store.regions.level_codes(5) if c[:6] != county[:6])
    name = embedded_store.region(outside).name
    open_app = create_app(Settings(data_dir=small_data_dir), store=embedded_store, warm=False)
    assert outside in _keystroke(open_app.server.test_client(), name, state)
    assert all(c.startswith(county[:6]) for c in _keystroke(scoped, name, state))
    assert _keystroke(scoped, outside[:9], state) == []  # nor by code
