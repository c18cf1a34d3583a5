"""Crafted Dash callback requests: every server callback of an app, any input values."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["call", "parse_outputs", "server_callbacks", "view_state"]


def view_state(
    region: str, *, layers: list[str] | None = None, year: int = 2016, lang: str = "zh"
) -> dict:
    return {
        "region": region,
        "year": year,
        "indicator": "incidence",
        "layers": layers if layers is not None else ["choropleth", "labels"],
        "lang": lang,
    }


def server_callbacks(client) -> list[dict[str, Any]]:
    """The app's server-side callbacks (``/_dash-dependencies`` minus clientside ones)."""
    response = client.get("/_dash-dependencies")
    assert response.status_code == 200, response.status_code
    return [d for d in json.loads(response.data) if not d.get("clientside_function")]


def parse_outputs(spec: str) -> list[dict[str, str]]:
    parts = spec[2:-2].split("...") if spec.startswith("..") else [spec]
    return [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]


def call(
    client,
    dep: dict[str, Any],
    values: dict[str, Any],
    changed: list[str] | None = None,
    *,
    page: str = "/",
):
    """POST one callback with ``values`` keyed ``"id.property"`` (missing ones: None), as
    sent from ``page`` (its query picks the language of messages)."""

    def items(specs: list[dict[str, str]]) -> list[dict[str, Any]]:
        return [
            {
                "id": s["id"],
                "property": s["property"],
                "value": values.get(f"{s['id']}.{s['property']}"),
            }
            for s in specs
        ]

    inputs = items(dep["inputs"])
    body = {
        "output": dep["output"],
        "outputs": parse_outputs(dep["output"])
        if dep["output"].startswith("..")
        else parse_outputs(dep["output"])[0],
        "inputs": inputs,
        "state": items(dep["state"]),
        "changedPropIds": changed or [f"{i['id']}.{i['property']}" for i in inputs[:1]],
    }
    return client.post(
        "/_dash-update-component", json=body, headers={"Referer": f"http://localhost{page}"}
    )
