"""The wall's server side: first frame in the layout, frames per step, stale on a lost store,
the probe of the embedded data dir (no browser: see test_wall_browser.py for the screen)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from dash import no_update

from battlemap.app import create_app
from battlemap.callbacks.context import AppContext
from battlemap.geodata.access import ScopedStore
from battlemap.geodata.embedded import EmbeddedStore
from battlemap.settings import Settings
from battlemap.views.mapview import MapUrls
from battlemap.views.summary import region_summary
from battlemap.viewstate import ViewState
from battlemap.wall.config import WallConfig
from battlemap.wall.deck import deck_spec, deck_width
from battlemap.wall.frame import CHARTS, DECK, LEGEND_LINE, WALL_FLOWS, build_frame
from battlemap.wall.health import probe
from battlemap.wall.layout import ID
from battlemap.wall.render import OUTPUT_IDS
from battlemap.wall.screen import WallScreen
from battlemap.wall.theme import LEGEND_Y
from battlemap.wall.tour import Stop

URLS = MapUrls(geo=lambda code: f"/geo/{code}.json", glyphs=None)


def _find(node, wanted: str):
    """The component with id ``wanted`` in a Dash layout's JSON."""
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == wanted:
            return node
        for value in node.values():
            hit = _find(value, wanted)
            if hit is not None:
                return hit
    elif isinstance(node, list):
        for value in node:
            hit = _find(value, wanted)
            if hit is not None:
                return hit
    return None


def _text(node) -> str:
    if isinstance(node, dict):
        return _text(node.get("props", {}).get("children"))
    if isinstance(node, list):
        return "".join(_text(n) for n in node)
    return "" if node is None else str(node)


@pytest.fixture(scope="module")
def client(embedded_store, small_data_dir):
    app = create_app(Settings(data_dir=small_data_dir), store=embedded_store, warm=False)
    return app.server.test_client()


def test_wall_layout_is_the_first_frame(client, embedded_store) -> None:
    response = client.get("/_dash-layout", headers={"Referer": "http://localhost/wall?year=2016"})
    assert response.status_code == 200
    layout = json.loads(response.data)
    root = embedded_store.regions.roots()[0].code
    summary = region_summary(embedded_store, root, 2016)
    assert _find(layout, ID.ROOT) is not None
    assert _text(_find(layout, "wall-kpi-kpi_poor")).find(f"{summary['poor_persons']:,}") > 0
    assert f"{summary['incidence_pct']:.2f}%" in _text(_find(layout, "wall-kpi-kpi_incidence"))
    beat = _text(_find(layout, ID.HEARTBEAT))
    assert beat.startswith("ok|") and beat.split("|")[2] == root
    figure = _find(layout, ID.MAP)["props"]["figure"]
    assert figure["layout"]["uirevision"] == root
    # the page itself is unchanged: / still gets the battle map, not the wall
    page = json.loads(client.get("/_dash-layout", headers={"Referer": "http://localhost/"}).data)
    assert _find(page, ID.ROOT) is None


def test_bad_url_parameters_are_named_not_fatal(client) -> None:
    referer = "http://localhost/wall?interval=0&lang=en&tour=999"
    layout = json.loads(client.get("/_dash-layout", headers={"Referer": referer}).data)
    notice = _text(_find(layout, ID.NOTICE))
    assert "interval" in notice and "tour" in notice
    assert _find(layout, ID.HEARTBEAT)["props"]["children"].startswith("ok|")


def test_each_step_draws_the_next_stop(embedded_store, small_data_dir) -> None:
    context = AppContext(Settings(data_dir=small_data_dir), store=embedded_store)
    wall = WallScreen(context, lambda: URLS, WallConfig(attention=2, year=2017))
    config = WallConfig(attention=2, year=2017).to_dict()
    beats = []
    for step in range(6):
        outputs = dict(
            zip(OUTPUT_IDS, wall.draw(step, {"h": 2160, "w": 3840}, config), strict=True)
        )
        beats.append(outputs[(ID.HEARTBEAT, "children")].split("|"))
        figure = outputs[(ID.MAP, "figure")]
        assert figure["layout"]["uirevision"] == beats[-1][2]
        labels = [t for t in figure["data"] if t.get("meta") == "labels"]
        assert labels and labels[0]["textfont"]["size"] >= 2160 / 60
    regions = [b[2] for b in beats]
    root = embedded_store.regions.roots()[0].code
    assert regions[0] == root and len(set(regions)) >= 3  # drilled in and out
    count = int(beats[0][3].split("/")[1])
    assert [int(b[3].split("/")[0]) for b in beats] == [s % count for s in range(6)]
    assert [int(b[4]) for b in beats] == list(range(6))  # the tour step on screen
    if count < 6:
        assert regions[count] == regions[0]  # the tour cycles


def test_prefetch_builds_the_3d_panels_deck_ahead(embedded_store, small_data_dir) -> None:
    """The step before the 3D panel's turn builds its frame and its deck in the background:
    the panel's data request is then answered from the cache (the same JSON)."""
    context = AppContext(Settings(data_dir=small_data_dir), store=embedded_store)
    config = WallConfig(attention=2, year=2017, interval=2)
    wall = WallScreen(context, lambda: URLS, config)
    access, viewport = context.access(), {"w": 1920, "h": 1080}
    before = CHARTS.index(DECK) - 1
    wall.frame(access, config, before, viewport)  # prefetches step `before + 1`
    deadline = time.monotonic() + 30
    while len(wall.deck) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(wall.deck) == 1  # the 3D panel's deck, built ahead
    outputs = wall.frame(access, config, before + 1, viewport, prefetch=False)
    view = parse_qs(outputs[ID.DECK].split("#")[1])
    state = ViewState(view["region"][0], int(view["year"][0]), lang=view["lang"][0])
    body = wall.deck.body(access, state, int(view["w"][0]), view["v"][0])
    assert len(wall.deck) == 1  # a cache hit: nothing new built
    assert json.loads(body) == deck_spec(access, state, deck_width(viewport))


@pytest.fixture
def live_dir(small_data_dir: Path, tmp_path: Path) -> Path:
    live = tmp_path / "data"
    shutil.copytree(small_data_dir, live)
    return live


def test_a_lost_data_dir_keeps_the_last_frame(live_dir: Path, tmp_path: Path) -> None:
    store = EmbeddedStore(live_dir)
    context = AppContext(Settings(data_dir=live_dir), store=store)
    wall = WallScreen(context, lambda: URLS, WallConfig())
    config = WallConfig().to_dict()
    assert probe(store) is None
    assert wall.draw(0, None, config)[-1].startswith("ok|")
    live_dir.rename(tmp_path / "away")  # the disk went away
    try:
        assert "manifest" in probe(store)
        outputs = wall.draw(1, None, config)
        assert outputs[:-1] == [no_update] * (len(OUTPUT_IDS) - 1)
        assert outputs[-1].startswith("fail|")
    finally:
        (tmp_path / "away").rename(live_dir)
    assert probe(store) is None and wall.draw(1, None, config)[-1].startswith("ok|")


def test_a_missing_data_file_is_seen(live_dir: Path) -> None:
    store = EmbeddedStore(live_dir)
    part = next((live_dir / "households.parquet").iterdir())
    part.rename(live_dir / "elsewhere")
    assert "households.parquet/" in probe(store)


@pytest.mark.postgis
def test_postgis_probe_answers(postgis_store) -> None:
    assert probe(postgis_store) is None


def _arcs(figure: dict, kind: str) -> int:
    """Arcs of one flow kind drawn on a map figure (each arc's line ends with a gap)."""
    return sum(
        t["lon"].count(None)
        for t in figure["data"]
        if t.get("meta") == "flows" and t.get("mode") == "lines" and t.get("legendgroup") == kind
    )


@pytest.mark.parametrize(
    ("level", "year", "flows", "shown"),
    [
        (1, 2017, None, True),  # default: the province has relocation and labour flows
        (1, 2017, False, False),  # the config turns them off
        (4, 2017, None, True),  # a township's relocations (no labour below the county)
        (4, 2014, None, False),  # a township before the first relocation: nothing to show
    ],
)
def test_flows_by_default_where_the_region_has_them(
    embedded_store, level: int, year: int, flows: bool | None, shown: bool
) -> None:
    access = ScopedStore(embedded_store)
    regions = embedded_store.regions
    code = next(  # the first region of the level with relocations by 2017
        c
        for c in regions.codes
        if regions.get(c).level == level and not access.relocation_flows(c, 2017).empty
    )
    moves = access.relocation_flows(code, year)
    has_flows = not moves.empty or not access.labour_flows(code, year).empty
    assert has_flows == (year >= 2016)  # relocation begins in 2016; labour above townships
    config = WallConfig() if flows is None else WallConfig(flows=flows)
    frame = build_frame(access, Stop(code, year), config, step=0, urls=URLS, viewport=None)
    metas = [t.get("meta") for t in frame.map["data"]]
    assert ("flows" in metas) == shown
    if shown:  # under the names, the largest arcs only
        assert max(i for i, m in enumerate(metas) if m == "flows") < metas.index("labels")
        assert _arcs(frame.map, "relocation") == min(len(moves), WALL_FLOWS)
        # their legend shows at every level (the province has no flagged borders, so its
        # own map had none) and sits below the attribution line, never beside it at the top
        legend = {
            t.get("legendgroup"): t["line"]["width"]
            for t in frame.map["data"]
            if t.get("showlegend")
        }
        assert frame.map["layout"]["showlegend"] is True
        assert legend["relocation"] == LEGEND_LINE  # a line wide enough to read its colour
        assert frame.map["layout"]["legend"]["y"] == LEGEND_Y
        assert all(n["y"] == 1 for n in frame.map["layout"]["annotations"])


def test_new_data_shows_at_the_next_refresh(tmp_path: Path) -> None:
    """An import (here: another data set swapped in) is on the wall at its next frame."""
    from battlemap.geodata.synthetic.generate import generate

    live, other = tmp_path / "data", tmp_path / "other"
    generate(live, households=1500, seed=3, quiet=True)
    generate(other, households=2500, seed=4, quiet=True)
    context = AppContext(Settings(data_dir=live, reload_check_s=0))
    config = WallConfig(year=2016)
    wall = WallScreen(context, lambda: URLS, config)
    kpi = (ID.KPIS, "children")

    def poor() -> str:
        outputs = dict(zip(OUTPUT_IDS, wall.draw(0, None, config.to_dict()), strict=True))
        return outputs[kpi][0].children[1].children  # the poor-persons tile's value

    before = poor()
    root = context.store.regions.roots()[0].code
    assert before == f"{region_summary(context.store, root, 2016)['poor_persons']:,}"
    live.rename(tmp_path / "old")
    other.rename(live)
    after = poor()
    assert after != before
    assert after == f"{region_summary(context.store, root, 2016)['poor_persons']:,}"


def _pixel_y(lat: float, view: dict, height: float) -> float:
    """Where latitude ``lat`` is drawn, in px from the top of a ``height`` px map."""
    import math

    def merc(value: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(value) / 2))

    scale = 512 * 2 ** view["zoom"] / (2 * math.pi)
    return height / 2 - (merc(lat) - merc(view["center"]["lat"])) * scale


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    ("width", "height", "box"), [(1920, 1080, (900, 890)), (3840, 2160, (1799, 1778))]
)
def test_map_fit_leaves_the_credit_and_colour_bar_free(
    embedded_store, lang: str, width: int, height: int, box: tuple[int, int]
) -> None:
    """The region fits between the credit line (top) and the colour bar (bottom): the
    colour bar covered the province's southern tip at both sizes. The colour bar's ticks
    start at its minimum and its box reaches past the end labels (plotly hid the "0")."""
    from battlemap.wall.theme import map_insets

    access = ScopedStore(embedded_store)
    root = embedded_store.regions.roots()[0].code
    port = {"w": width, "h": height, "mw": box[0], "mh": box[1]}
    config = WallConfig(lang=lang, flows=False)
    frame = build_frame(access, Stop(root, 2020), config, step=0, urls=URLS, viewport=port)
    view = frame.map["layout"]["map"]
    free = map_insets(height, box[1])
    assert free["bottom"] > 0.1 * box[1] and free["top"] > 0
    _, miny, _, maxy = access.unit_shapes(root).bounds
    north, south = _pixel_y(maxy, view, box[1]), _pixel_y(miny, view, box[1])
    assert north >= free["top"] and south <= box[1] - free["bottom"], (north, south, free)
    bar = frame.map["layout"]["coloraxis"]["colorbar"]
    assert bar["tick0"] == frame.map["layout"]["coloraxis"]["cmin"] == 0
    assert bar["xpad"] >= bar["tickfont"]["size"]
