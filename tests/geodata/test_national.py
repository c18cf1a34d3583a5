"""A national data set (issue 19): three provinces under the root 000000000000 (全国); stats
and drill work from the root down, and a one-province data set is as before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from battlemap.app import create_app
from battlemap.cli import main
from battlemap.geodata.codes import NATIONAL_CODE
from battlemap.geodata.embedded import EmbeddedStore
from battlemap.geodata.metrics import METRIC_NAMES
from battlemap.settings import Settings
from tests.auth.dash_calls import call, server_callbacks, view_state

PROVINCES = ["45", "52", "53"]


@pytest.fixture(scope="module")
def national_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("national")
    argv = ["generate", "--data-dir", str(path), "--provinces", "52,45,53"]
    assert main([*argv, "--households", "6000", "--seed", "7", "--quiet"]) == 0
    return path


@pytest.fixture(scope="module")
def store(national_dir: Path) -> EmbeddedStore:
    return EmbeddedStore(national_dir)


def test_the_root_holds_the_provinces(store: EmbeddedStore) -> None:
    (root,) = store.regions.roots()
    assert (root.code, root.level, root.name) == (NATIONAL_CODE, 0, "全国")
    provinces = store.regions.children(NATIONAL_CODE)
    assert [p.code[:2] for p in provinces] == PROVINCES
    assert all(p.parent_code == NATIONAL_CODE and p.level == 1 for p in provinces)
    village = store.regions.level_codes(5)[-1]
    chain = [r.level for r in store.regions.ancestors(village)]
    assert chain == [0, 1, 2, 3, 4, 5]  # the breadcrumb starts at 全国
    assert store.manifest["counts"]["households"] == 6000


@pytest.mark.parametrize("year", [2014, 2017, 2020])
def test_national_counts_are_the_provinces_summed(store: EmbeddedStore, year: int) -> None:
    root = store.counts(NATIONAL_CODE, year)
    provinces = [store.counts(p.code, year) for p in store.regions.children(NATIONAL_CODE)]
    for name in METRIC_NAMES:
        assert root[name] == sum(p[name] for p in provinces), name
    assert root["registered_households"] > 0
    assert len(store.households(NATIONAL_CODE, year)) == sum(
        len(store.households(p.code, year)) for p in store.regions.children(NATIONAL_CODE)
    )


def test_stats_from_the_root(national_dir: Path, capsys) -> None:
    argv = ["stats", "--data-dir", str(national_dir), "--region", NATIONAL_CODE]
    assert main([*argv, "--year", "2016"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["name"] == "全国" and stats["poor_persons"] > 0


def test_the_page_drills_from_the_root_to_a_village(store, national_dir: Path) -> None:
    app = create_app(Settings(data_dir=national_dir), warm=False)
    client = app.server.test_client()
    layout = client.get("/_dash-layout")
    page = json.dumps(layout.get_json(), ensure_ascii=False)
    assert layout.status_code == 200 and f'"region": "{NATIONAL_CODE}"' in page
    deps = server_callbacks(client)
    state = next(d for d in deps if "view-state.data" in d["output"] and "map" in str(d["inputs"]))
    village = store.regions.level_codes(5)[0]
    current = view_state(NATIONAL_CODE)
    for region in store.regions.ancestors(village)[1:]:
        values = {
            "view-state.data": current,
            "map.clickData": {"points": [{"location": region.code}]},
        }
        response = call(client, state, values, ["map.clickData"])
        assert response.status_code == 200, response.status_code
        current = response.get_json()["response"]["view-state"]["data"]
        assert current["region"] == region.code  # one level down per click
    panels = next(d for d in deps if "breadcrumb.children" in d["output"])
    answer = call(client, panels, {"view-state.data": current}).get_json()["response"]
    assert "全国" in json.dumps(answer["breadcrumb"], ensure_ascii=False)


def test_one_province_has_no_national_root(embedded_store, capsys, small_data_dir) -> None:
    (root,) = embedded_store.regions.roots()
    assert root.level == 1 and root.parent_code is None
    argv = ["stats", "--data-dir", str(small_data_dir), "--region", NATIONAL_CODE]
    assert main([*argv, "--year", "2016"]) == 2
    assert "not in this data set" in capsys.readouterr().err


def test_every_layer_draws_at_the_root(national_dir: Path) -> None:
    """The national root's page with every map layer (hexbins had no resolution for it)."""
    from battlemap.viewstate import LAYER_KEYS

    app = create_app(Settings(data_dir=national_dir), warm=False)
    client = app.server.test_client()
    page = f"http://localhost/?year=2016&layers={','.join(LAYER_KEYS)}"
    response = client.get("/_dash-layout", headers={"Referer": page})
    assert response.status_code == 200
    assert '"hexbins"' in json.dumps(response.get_json())


def test_postgis_gives_the_same_national_answers(store, national_dir, postgis_cluster) -> None:
    """``db load`` takes the national root (level 0) and PostGIS answers as the embedded
    store does, from the root down."""
    from battlemap.geodata.postgis.store import PostgisStore
    from battlemap.views.summary import region_summary

    postgis = PostgisStore(postgis_cluster.load_database("battlemap_national", national_dir))
    try:
        assert [c.code for c in postgis.regions.children(NATIONAL_CODE)] == [
            c.code for c in store.regions.children(NATIONAL_CODE)
        ]
        codes = [NATIONAL_CODE, *(c.code for c in store.regions.children(NATIONAL_CODE))]
        for code in codes:
            assert region_summary(postgis, code, 2017) == region_summary(store, code, 2017)
        assert len(postgis.households(NATIONAL_CODE, 2017)) == len(
            store.households(NATIONAL_CODE, 2017)
        )
    finally:
        postgis.close()
