"""Users see what failed, not where: no DSN, host, port, user or path (issue 18.9)."""

from __future__ import annotations

import json
import logging
import shutil
import socket
from pathlib import Path

import pytest

from battlemap.app import create_app
from battlemap.settings import Settings


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _page_text(client) -> str:
    response = client.get("/_dash-layout", headers={"Referer": "http://localhost/?lang=en"})
    assert response.status_code == 200
    return json.dumps(json.loads(response.data), ensure_ascii=False)


def _assert_no_internals(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text, secret
    assert "Traceback" not in text


def test_postgis_down_names_no_host_port_user_or_db(caplog) -> None:
    port = _unused_port()
    dsn = f"postgresql://bm_reader:s3cret@127.0.0.1:{port}/battlemap_prod"
    app = create_app(Settings(store="postgis", dsn=dsn), warm=False)
    client = app.server.test_client()
    with caplog.at_level(logging.WARNING):
        text = _page_text(client)
        geo = client.get("/geo/520000000000.json")
    assert "The database is not answering" in text
    assert geo.status_code == 503 and "数据库暂时无法访问" in json.loads(geo.data)["error"]
    for shown in (text, geo.get_data(as_text=True)):
        _assert_no_internals(shown, str(port), "127.0.0.1", "bm_reader", "battlemap_prod", "s3cret")
    # the operator gets the details, one line per failure, without the password
    lines = [r.getMessage() for r in caplog.records if "store unavailable" in r.getMessage()]
    assert lines and all("\n" not in line and "s3cret" not in line for line in lines)
    assert any(f"127.0.0.1:{port}" in line for line in lines)


@pytest.mark.parametrize("damage", ["truncated regions", "garbage manifest"])
def test_corrupt_data_dir_names_no_path(small_data_dir: Path, tmp_path: Path, damage, caplog):
    data = tmp_path / "secret-location" / "data"
    shutil.copytree(small_data_dir, data)
    if damage == "truncated regions":
        target = data / "regions.parquet"
        target.write_bytes(target.read_bytes()[:100])
    else:
        (data / "manifest.json").write_text("{not json", encoding="utf-8")
    app = create_app(Settings(data_dir=data), warm=False)
    with caplog.at_level(logging.WARNING):
        text = _page_text(app.server.test_client())
    assert "The data files are missing or damaged" in text
    _assert_no_internals(text, "secret-location", str(tmp_path), "/tmp", ".parquet", ".json")
    assert any("secret-location" in r.getMessage() for r in caplog.records)  # logged for ops
