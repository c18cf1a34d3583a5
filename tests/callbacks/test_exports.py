"""The page's export menu: a real file of the current view through the access check; other
regions, forbidden entries and roles without the export right are refused in the page."""

from __future__ import annotations

import base64
import io
import json

import pandas as pd
import pytest

from battlemap.app import create_app
from battlemap.exportmenu import export_choices, export_menu
from battlemap.geodata.access import Scope
from battlemap.settings import Settings
from tests.auth.dash_calls import call, server_callbacks, view_state


@pytest.fixture(scope="module")
def counties(embedded_store) -> tuple[str, str]:
    prefecture = embedded_store.regions.children(embedded_store.regions.roots()[0].code)[0]
    a, b = embedded_store.regions.children(prefecture.code)[:2]
    return a.code, b.code


def _client(embedded_store, small_data_dir, scope: Scope | None = None):
    app = create_app(
        Settings(data_dir=small_data_dir), store=embedded_store, scope=scope, warm=False
    )
    return app.server.test_client()


def _export(client, region: str, choice: str) -> dict:
    dep = next(d for d in server_callbacks(client) if "export-download.data" in d["output"])
    values = {
        "export-button.n_clicks": 1,
        "export-choice.value": choice,
        "view-state.data": view_state(region, year=2018),
    }
    response = call(client, dep, values, changed=["export-button.n_clicks"])
    assert response.status_code == 200
    return json.loads(response.data)


def test_csv_of_the_view_is_downloaded(embedded_store, small_data_dir, counties) -> None:
    answer = _export(_client(embedded_store, small_data_dir), counties[0], "csv:indicators")
    download = answer["response"]["export-download"]["data"]
    assert download["filename"] == f"{counties[0]}_2018_incidence.csv"
    data = base64.b64decode(download["content"])
    frame = pd.read_csv(io.BytesIO(data), comment="#", encoding="utf-8-sig", dtype={"code": str})
    assert set(frame["code"]) == {c.code for c in embedded_store.regions.children(counties[0])}
    assert download["filename"] in answer["response"]["export-note"]["children"]


@pytest.mark.parametrize(
    ("scope", "choice"),
    [
        (Scope(roots=("A",)), "csv:indicators"),  # another region
        (None, "exe:payload"),  # an entry the menu never offers
        (Scope(households=False), "csv:households"),  # analyst: aggregates only
        (Scope(households=False, exports=False), "csv:indicators"),  # display: no exports
    ],
)
def test_refused_in_the_page(embedded_store, small_data_dir, counties, scope, choice) -> None:
    if scope is not None and scope.roots == ("A",):
        scope = Scope(roots=(counties[0],))
    answer = _export(_client(embedded_store, small_data_dir, scope), counties[1], choice)
    assert "export-download" not in answer.get("response", {})
    banner = answer["sideUpdate"]["error-banner"]
    assert banner["hidden"] is False and banner["children"].startswith("无权访问")
    assert embedded_store.region(counties[1]).name not in json.dumps(answer, ensure_ascii=False)


def test_menu_entries_follow_the_role() -> None:
    everything = {c.key for c in export_choices(Scope())}
    assert {"png:map", "png:map:a4", "pdf:map:a4", "csv:households", "gpkg:polygons"} <= everything
    analyst = {c.key for c in export_choices(Scope(households=False))}
    assert "csv:households" not in analyst and "png:map" in analyst
    assert export_choices(Scope(households=False, exports=False)) == []
    assert export_menu(Scope(households=False, exports=False), "zh").hidden is True
