"""The page's real requests as one cadre's session (shared by the load benchmark and the
in-process replay, ``benchmarks.replay``): open the page, drill province → village by map
clicks, change the year, switch the indicator, go back up to the county.

Callback bodies are built from ``/_dash-dependencies`` as Dash's renderer builds them; an
answer with the page's error banner counts as an error. No locust here (it monkey-patches
the standard library): the user classes bring the HTTP client.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

__all__ = ["INDICATORS", "Page", "SessionSteps", "callback_body", "chains"]

STATE_INPUTS = ("view-state.data", "viewport.data", "map-drawn.data")
INDICATORS = ("poor_persons", "exit_progress", "incidence")


def _outputs(spec: str) -> list[dict[str, str]]:
    parts = spec[2:-2].split("...") if spec.startswith("..") else [spec]
    return [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True)) for p in parts]


def _key(item: dict) -> str:
    return f"{item['id']}.{item['property']}"


def callback_body(dep: dict, values: dict[str, Any], changed: list[str]) -> dict:
    """The JSON Dash's renderer posts to ``/_dash-update-component`` for ``dep``."""

    def items(specs: list[dict]) -> list[dict]:
        return [{**s, "value": values.get(_key(s))} for s in specs]

    outputs = _outputs(dep["output"])
    return {
        "output": dep["output"],
        "outputs": outputs if dep["output"].startswith("..") else outputs[0],
        "inputs": items(dep["inputs"]),
        "state": items(dep["state"]),
        "changedPropIds": changed,
    }


def _find(node: Any, wanted: set[str], found: dict[str, Any]) -> None:
    """Component ``data`` props by id in a Dash layout JSON."""
    if isinstance(node, dict):
        props = node.get("props")
        if isinstance(props, dict) and props.get("id") in wanted and "data" in props:
            found[f"{props['id']}.data"] = props["data"]
        for value in node.values():
            _find(value, wanted, found)
    elif isinstance(node, list):
        for value in node:
            _find(value, wanted, found)


class Page:
    """The app's callbacks, sorted by what triggers them (read once per run)."""

    def __init__(self, deps: list[dict]) -> None:
        server = [d for d in deps if not d.get("clientside_function")]
        self.state = next(
            d
            for d in server
            if "view-state.data" in d["output"]
            and "map.clickData" in {_key(i) for i in d["inputs"]}
        )
        # on load: what listens to the view, the viewport (the map) or the drawn map
        listening = [
            d for d in server if {_key(i) for i in d["inputs"]} <= set(STATE_INPUTS)
            and d is not self.state
        ]  # fmt: skip
        self.on_load = [d for d in listening if not d.get("prevent_initial_call")]
        # after a state change (its answer carries the map): the panels and the charts
        self.followers = [
            d for d in listening if "viewport.data" not in {_key(i) for i in d["inputs"]}
        ]


class SessionSteps:
    """One cadre's visit (see the module docstring); the user class gives ``client``
    (locust's, or an in-process one), ``host`` and ``wait()``."""

    page: Page
    chains: list[list[str]]  # root → village codes
    client: Any
    host: str

    def wait(self) -> None:  # pragma: no cover - given by the user class
        raise NotImplementedError

    def _callback(self, dep: dict, values: dict, changed: list[str], name: str) -> dict:
        body = callback_body(dep, values, changed)
        with self.client.post(
            "/_dash-update-component",
            json=body,
            headers={"Referer": f"{self.host}/?{values.get('url.search', '')[1:]}"},
            name=name,
            catch_response=True,
        ) as response:
            if response.status_code == 204:  # PreventUpdate: nothing to do
                response.success()
                return {}
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return {}
            try:
                answer = response.json()
            except ValueError:
                response.failure("not JSON")
                return {}
            banner = (answer.get("sideUpdate") or {}).get("error-banner") or {}
            if banner.get("hidden") is False:  # the page would show an error
                response.failure(f"error banner: {banner.get('children')}")
                return {}
            response.success()
            return answer.get("response") or {}

    def _view(self, values: dict, name: str) -> None:
        """The panels for the view in ``values`` (as after a state change)."""
        for dep in self.page.followers:
            inputs = {_key(i) for i in dep["inputs"]}
            self._callback(dep, values, sorted(inputs), name=f"{name}: panels")

    def _change(self, values: dict, prop: str, value: Any, name: str) -> None:
        """One interaction through the state callback, then the panels of the new view."""
        values[prop] = value
        answer = self._callback(self.page.state, values, [prop], name=name)
        state = answer.get("view-state", {}).get("data")
        if state:
            values["view-state.data"] = state
            values["url.search"] = answer.get("url", {}).get("search", values["url.search"])
            if "map-key" in answer:
                values["map-key.data"] = answer["map-key"].get("data")
        values["map-drawn.data"] = (values.get("map-drawn.data") or 0) + 1
        self._view(values, name)
        values["map.clickData"] = None

    def visit_once(self) -> None:
        """One whole session: open, drill to a village, year, indicator, back up."""
        chain = random.choice(self.chains)
        self.client.get("/", name="page /")
        layout = self.client.get("/_dash-layout", name="page layout").json()
        self.client.get("/_dash-dependencies", name="page dependencies")
        values: dict[str, Any] = {}
        _find(layout, {"view-state", "map-key", "chart-key", "map-view"}, values)
        state = values.get("view-state.data") or {}
        query = {"region": state.get("region", chain[0]), "year": state.get("year", 2016)}
        values.update(
            {
                "url.search": "?" + urlencode(query),
                "year-slider.value": state.get("year", 2016),
                "indicator.value": state.get("indicator", "incidence"),
                "layers.value": state.get("layers", ["choropleth", "labels", "households"]),
                "viewport.data": {"w": 1000, "h": 700},
                "map-drawn.data": 1,
                "compare-year.value": "",
            }
        )
        for dep in self.page.on_load:
            self._callback(dep, values, [_key(i) for i in dep["inputs"]], name="open: panels")
        for depth, code in enumerate(chain[1:], start=2):
            self.wait()
            self.client.get(f"/geo/{code}.json", name=f"drill {depth}: geo")
            click = {"points": [{"location": code}]}
            self._change(values, "map.clickData", click, name=f"drill {depth}: click")
        self.wait()
        self._change(values, "year-slider.value", random.choice([2015, 2017, 2018]), "year")
        self.wait()
        indicator = random.choice(INDICATORS)
        self._change(values, "indicator.value", indicator, name="indicator")
        self.wait()  # back up to the county (the breadcrumb: a new URL)
        state = values.get("view-state.data") or {}
        back = {"region": chain[3], "year": state.get("year", 2016), "indicator": indicator}
        self._change(values, "url.search", "?" + urlencode(back), name="back up")


def chains(data_dir: Path, count: int = 2000, seed: int = 19) -> list[list[str]]:
    """Root → village paths to ``count`` random villages (each session picks one: with
    many, a village's panels are rarely in the server's view cache, as with real users)."""
    from battlemap.geodata.datadir import read_table
    from battlemap.geodata.regions import REGION_COLUMNS, RegionTree

    tree = RegionTree(read_table(data_dir, "regions", list(REGION_COLUMNS)))
    villages = tree.level_codes(5)
    rng = random.Random(seed)
    picked = rng.sample(villages, min(count, len(villages)))
    return [[r.code for r in tree.ancestors(v)] for v in picked]
