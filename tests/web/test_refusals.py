"""Junk callback payloads get 400 and one log line each, never a traceback (issue 18.7)."""

from __future__ import annotations

import json
import logging

import pytest

from battlemap.app import create_app
from battlemap.settings import Settings
from tests.auth.dash_calls import call, server_callbacks, view_state


@pytest.fixture(scope="module")
def client(embedded_store, small_data_dir):
    app = create_app(Settings(data_dir=small_data_dir), store=embedded_store, warm=False)
    return app.server.test_client()


JUNK = {
    "unknown output": {"output": "nope.children", "outputs": {"id": "nope", "property": "x"},
                       "inputs": [], "changedPropIds": []},
    "no output key": {"garbage": 1},
    "a list": [1, 2, 3],
    "outputs of the wrong shape": {"output": "kpis.children", "outputs": 7, "inputs": "x",
                                   "changedPropIds": []},
}  # fmt: skip


@pytest.mark.parametrize("body", JUNK.values(), ids=JUNK.keys())
def test_junk_callback_is_refused_in_one_line(client, caplog, body) -> None:
    caplog.set_level(logging.INFO)
    response = client.post(
        "/_dash-update-component", data=json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    assert b"Traceback" not in response.data and b"Error" not in response.data
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert errors[0].exc_info is None and "\n" not in errors[0].getMessage()
    assert "refused callback request" in errors[0].getMessage()


def test_a_real_callback_still_answers(client, embedded_store, caplog) -> None:
    caplog.set_level(logging.INFO)
    dep = next(d for d in server_callbacks(client) if "kpis.children" in d["output"])
    root = embedded_store.regions.roots()[0].code
    response = call(client, dep, {"view-state.data": view_state(root)})
    assert response.status_code == 200 and "kpis" in json.loads(response.data)["response"]
    assert not [r for r in caplog.records if "refused" in r.getMessage()]
