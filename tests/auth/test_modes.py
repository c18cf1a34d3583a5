"""Open demo vs production: the demo needs no set-up and says so; production needs both a
secret and an admin before it serves."""

from __future__ import annotations

import json

import pytest

from battlemap.auth.config import AuthConfig
from battlemap.auth.production import check_production
from battlemap.auth.store import AuthStore
from battlemap.geodata.errors import BattlemapError
from tests.auth.conftest import SECRET


@pytest.fixture
def demo(auth_dir, embedded_store, monkeypatch):
    from battlemap.app import create_app
    from battlemap.settings import Settings

    for name in ("BATTLEMAP_PRODUCTION", "BATTLEMAP_SECRET_KEY", "BATTLEMAP_SECRET_FILE"):
        monkeypatch.delenv(name, raising=False)
    return create_app(Settings(data_dir=auth_dir), store=embedded_store, warm=False)


def test_open_demo_needs_no_sign_in_and_says_so(demo, regions, auth_dir) -> None:
    client = demo.server.test_client()
    assert client.get("/").status_code == 200
    layout = client.get("/_dash-layout", headers={"Referer": "http://localhost/"})
    text = layout.get_data(as_text=True)
    assert layout.status_code == 200 and "开放演示：合成数据，无需登录" in text
    assert client.get(f"/geo/{regions.county_b}.json").status_code == 200
    english = client.get("/_dash-layout", headers={"Referer": "http://localhost/?lang=en"})
    assert "Open demo on synthetic data, no sign-in" in english.get_data(as_text=True)
    assert not (auth_dir / "users.sqlite").exists()  # nothing written for a visit


def test_open_demo_masks_names(demo, embedded_store, regions) -> None:
    from tests.auth.dash_calls import call, server_callbacks, view_state

    client = demo.server.test_client()
    dep = next(d for d in server_callbacks(client) if "household-table.data" in d["output"])
    rows = json.loads(call(client, dep, {"view-state.data": view_state(regions.village_a)}).data)
    names = [r["head_name"] for r in rows["response"]["household-table"]["data"]]
    raw = set(embedded_store.households(regions.village_a, 2016)["head_name"])
    assert names and not set(names) & raw


def test_signed_in_bar_names_user_role_and_scope(signed_in, embedded_store, regions) -> None:
    client = signed_in("planner")
    text = client.get("/_dash-layout", headers={"Referer": "http://localhost/"}).get_data(
        as_text=True
    )
    county = embedded_store.region(regions.county_a).name
    assert f"plan（规划人员）· 范围 {county}" in text and "开放演示" not in text
    assert '"href":"\\u002flogout"' in text and "退出登录" in text  # the layout escapes "/"
    assert json.loads(text)["props"]["children"][0]["props"]["children"][1]["props"] == {
        "children": "退出登录",
        "id": "signout",
        "href": "/logout",
    }


def test_production_needs_secret_and_admin(auth_dir, regions) -> None:
    where = {"kind": "embedded", "data_dir": auth_dir}
    check_production(AuthConfig(production=False), **where)  # the demo needs nothing
    with pytest.raises(BattlemapError, match="needs a session secret"):
        check_production(AuthConfig(production=True), **where)
    with pytest.raises(BattlemapError, match="at least one active admin"):
        check_production(AuthConfig(True, SECRET), **where)
    AuthStore.open("embedded", data_dir=auth_dir).add_user(
        "boss", "admin", regions.province, "password1"
    )
    check_production(AuthConfig(True, SECRET), **where)


def test_create_app_refuses_production_without_secret(auth_dir, embedded_store) -> None:
    from battlemap.app import create_app
    from battlemap.settings import Settings

    with pytest.raises(BattlemapError, match="needs a session secret"):
        create_app(
            Settings(data_dir=auth_dir), store=embedded_store, warm=False,
            auth=AuthConfig(production=True),
        )  # fmt: skip


def test_secret_from_environment(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("BATTLEMAP_PRODUCTION", "1")
    monkeypatch.setenv("BATTLEMAP_SECRET_KEY", SECRET)
    monkeypatch.delenv("BATTLEMAP_SECRET_FILE", raising=False)
    assert AuthConfig.from_env() == AuthConfig(True, SECRET)
    secret_file = tmp_path / "secret"
    secret_file.write_text("f" * 40 + "\n")
    monkeypatch.setenv("BATTLEMAP_SECRET_FILE", str(secret_file))
    assert AuthConfig.from_env() == AuthConfig(True, "f" * 40)


def test_gunicorn_server_refuses_production_without_secret_or_admin(
    monkeypatch, auth_dir, regions
) -> None:
    import battlemap.app as module

    monkeypatch.setattr(module, "_server", None)
    monkeypatch.setenv("BATTLEMAP_DATA_DIR", str(auth_dir))
    monkeypatch.setenv("BATTLEMAP_PRODUCTION", "1")
    monkeypatch.delenv("BATTLEMAP_SECRET_KEY", raising=False)
    monkeypatch.delenv("BATTLEMAP_SECRET_FILE", raising=False)
    with pytest.raises(BattlemapError, match="needs a session secret"):
        module.server  # noqa: B018 - the attribute builds the app
    monkeypatch.setenv("BATTLEMAP_SECRET_KEY", SECRET)
    with pytest.raises(BattlemapError, match="at least one active admin"):
        module.server  # noqa: B018
    assert module._server is None
