"""The shared Chromium draws pictures asked for from several threads at once (the
``--children`` batch draws two at a time), each answer going back to its own caller; its
page paints a map once it has loaded (static_maps.js), with the same pixels."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
from PIL import Image

from battlemap.exports.browser import TABS, evaluate_in_tabs, to_image


def _bar(n: int) -> dict:
    return {"data": [{"type": "bar", "x": list(range(n)), "y": list(range(n))}], "layout": {}}


def test_threads_draw_at_once_each_gets_its_picture(kaleido_browser) -> None:
    sizes = [(300 + 20 * i, 200 + 10 * i) for i in range(2 * TABS + 1)]
    with ThreadPoolExecutor(max_workers=TABS + 1) as pool:
        pictures = list(
            pool.map(lambda wh: to_image(_bar(wh[0] // 50), "png", width=wh[0], height=wh[1]),
                     sizes)
        )  # fmt: skip
    assert [Image.open(io.BytesIO(p)).size for p in pictures] == sizes


STATE = "window.battlemapStaticMaps"


def _county_map(open_access, county: str):
    from battlemap.exports import ExportRequest
    from battlemap.exports.images import plan_picture
    from battlemap.viewstate import ViewState

    return plan_picture(ExportRequest(open_access, ViewState(region=county, year=2018)), "png")


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def test_maps_are_painted_once_loaded_in_every_tab(kaleido_browser, open_access, county) -> None:
    """static_maps.js is in each tab's page and took MapLibre's class: a map picture paints
    only frames of the loaded map, far fewer than it runs (no fade-in train)."""
    plan = _county_map(open_access, county)
    before = evaluate_in_tabs(STATE)
    for _ in range(TABS):
        plan.draw()
    after = evaluate_in_tabs(STATE)
    assert all(s["patched"] and not s["error"] and s["enabled"] for s in after), after
    painted = sum(a["painted"] - b["painted"] for a, b in zip(after, before, strict=True))
    frames = sum(a["frames"] - b["frames"] for a, b in zip(after, before, strict=True))
    assert 1 <= painted < frames


def _differ(a: bytes, b: bytes) -> float:
    """Share of pixels whose colour differs by more than 16 in a channel."""
    pa, pb = _pixels(a), _pixels(b)
    assert pa.shape == pb.shape
    return float((np.abs(pa - pb).max(axis=2) > 16).mean())


def test_map_painted_once_is_the_picture_maplibre_paints_unpatched(
    kaleido_browser, open_access, county, artifacts
) -> None:
    """The patch changes how often a map is painted, not what: the county map drawn with it
    and with it turned off (every loading and fade-in frame painted, as on the page) has the
    same fills, borders, bubbles and legend. Names are the only difference allowed: unpatched,
    the picture may catch them half faded in (MapLibre's 300 ms fade), patched they are at
    their end state, and the same every time."""
    plan = _county_map(open_access, county)
    unlabelled = replace(
        plan, figure={**plan.figure, "data": [tr for tr in plan.figure["data"]
                                              if tr.get("meta") not in ("labels", "labels-light")]}
    )  # fmt: skip
    patched = [p.draw().data for p in (plan, unlabelled, plan)]
    evaluate_in_tabs(f"{STATE}.enabled = false")
    try:
        unpatched = [p.draw().data for p in (plan, unlabelled)]
    finally:
        evaluate_in_tabs(f"{STATE}.enabled = true")
    (artifacts / "map-painted-once.png").write_bytes(patched[0])
    assert _pixels(patched[0]).std() > 20  # a drawn map, not a blank picture
    assert _differ(patched[1], unpatched[1]) < 0.0005  # no names: the same picture
    assert _differ(patched[0], patched[2]) < 0.0005  # names at their end state every time
    assert _differ(patched[0], unpatched[0]) < 0.01  # only the fading names may differ
