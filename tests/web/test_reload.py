"""A running app serves a new data version without a restart (issue 18.14)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from battlemap.app import create_app
from battlemap.geodata.importer.atomic import JOURNAL_FILE
from battlemap.geodata.synthetic.generate import generate
from battlemap.settings import Settings


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two small data sets of the same province with different households."""
    root = tmp_path_factory.mktemp("versions")
    generate(root / "a", households=2000, seed=7, quiet=True)
    generate(root / "b", households=3000, seed=8, quiet=True)
    return root / "a", root / "b"


def _layout(client) -> str:
    """The page for the default view: its map carries the province's numbers."""
    response = client.get("/_dash-layout", headers={"Referer": "http://localhost/?lang=en"})
    assert response.status_code == 200
    return json.dumps(json.loads(response.data), sort_keys=True, ensure_ascii=False)


def _client(data_dir: Path, **settings):
    return create_app(Settings(data_dir=data_dir, **settings), warm=False).server.test_client()


def test_swapped_in_data_is_served_by_the_next_request(versions, tmp_path: Path) -> None:
    a, b = versions
    live = tmp_path / "data"
    shutil.copytree(a, live)
    client = _client(live, reload_check_s=0)
    before = _layout(client)
    assert before == _layout(_client(a))
    # regenerate into a copy and swap it in, the way an operator would
    shutil.copytree(b, tmp_path / "new")
    os.rename(live, tmp_path / "old")
    os.rename(tmp_path / "new", live)
    after = _layout(client)
    assert after != before and after == _layout(_client(b))
    context = client.application.config["BATTLEMAP_CONTEXT"]
    root = context.store.regions.roots()[0].code
    assert context.summary(root, 2016) == _client(b).application.config[
        "BATTLEMAP_CONTEXT"
    ].summary(root, 2016)


def test_no_reload_while_an_import_commits(versions, tmp_path: Path) -> None:
    a, b = versions
    live = tmp_path / "data"
    shutil.copytree(a, live)
    client = _client(live, reload_check_s=0)
    before = _layout(client)
    (live / JOURNAL_FILE).write_text("{}", encoding="utf-8")  # a commit is under way
    shutil.copytree(b, live, dirs_exist_ok=True)  # its files being swapped in
    assert _layout(client) == before  # keeps serving the version it has
    (live / JOURNAL_FILE).unlink()  # the commit is done
    assert _layout(client) == _layout(_client(b))


def test_checks_are_throttled(versions, tmp_path: Path) -> None:
    a, b = versions
    live = tmp_path / "data"
    shutil.copytree(a, live)
    client = _client(live, reload_check_s=3600)
    before = _layout(client)
    shutil.rmtree(live)
    shutil.copytree(b, live)
    assert _layout(client) == before  # next check in an hour: no stat per request


@pytest.mark.postgis
def test_a_reloaded_database_is_served(versions, postgis_cluster) -> None:
    from battlemap.geodata.postgis import load_data_dir

    a, b = versions
    dsn = postgis_cluster.load_database("reload_live", a)
    settings = {"store": "postgis", "dsn": dsn}
    client = create_app(Settings(**settings, reload_check_s=0), warm=False).server.test_client()
    before = _layout(client)
    load_data_dir(dsn, b)  # `battlemap db load` of other data into the same database
    after = _layout(client)
    fresh = create_app(Settings(**settings), warm=False).server.test_client()
    assert after != before and after == _layout(fresh)


def test_cached_panels_follow_a_new_data_version(versions, tmp_path: Path) -> None:
    """The panels' answer cache (issue 19) never serves the old version's numbers."""
    from tests.auth.dash_calls import call, server_callbacks, view_state

    a, b = versions
    live = tmp_path / "data"
    shutil.copytree(a, live)
    client = _client(live, reload_check_s=0)
    dep = next(d for d in server_callbacks(client) if d["output"].startswith("..kpis.children"))
    root = client.application.config["BATTLEMAP_CONTEXT"].store.regions.roots()[0].code

    def kpis(app) -> str:
        response = call(app, dep, {"view-state.data": view_state(root)})
        assert response.status_code == 200
        return json.dumps(json.loads(response.data)["response"]["kpis"], ensure_ascii=False)

    before = kpis(client)
    assert kpis(client) == before  # served from the cache
    context = client.application.config["BATTLEMAP_CONTEXT"]
    assert context.views.hits >= 1
    shutil.copytree(b, tmp_path / "new")
    os.rename(live, tmp_path / "old")
    os.rename(tmp_path / "new", live)
    after = kpis(client)
    assert after != before and after == kpis(_client(b))
