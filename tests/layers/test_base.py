from __future__ import annotations

import itertools
import json

from battlemap.layers.base import colorscale, map_style, map_view, message_figure
from tests.layers.conftest import assert_valid


def test_map_style_is_offline() -> None:
    style = map_style()
    assert "glyphs" not in style and "sprite" not in style
    assert style["sources"] and all(
        "url" not in s and "tiles" not in s for s in style["sources"].values()
    )
    assert "http" not in json.dumps(style)
    assert map_style("/glyphs/{fontstack}/{range}.pbf")["glyphs"].startswith("/glyphs/")


def test_map_view_fits_bounds() -> None:
    small = map_view((106.0, 26.0, 106.1, 26.1))
    large = map_view((103.6, 24.6, 109.6, 29.2))
    assert small["zoom"] > large["zoom"]
    assert 106.5 < large["center"]["lon"] < 106.7
    assert 24.6 < large["center"]["lat"] < 29.2
    assert map_view((106.0, 26.0, 106.0, 26.0))["zoom"] == 14.0
    phone = map_view((103.6, 24.6, 109.6, 29.2), width=390, height=480)
    assert phone["zoom"] < large["zoom"]  # narrower map, wider view


def test_map_view_keeps_top_and_bottom_free() -> None:
    """``top``/``bottom`` px stay free of the region (the wall's credit and colour bar):
    the fit is for the band between them and its centre moves with the band's."""
    bounds = (103.6, 24.6, 109.6, 29.2)
    whole = map_view(bounds, width=900, height=890)
    band = map_view(bounds, width=900, height=890, top=85, bottom=138)
    assert band["zoom"] < whole["zoom"]  # the region fits 667 px, not 890
    assert band["center"]["lat"] < whole["center"]["lat"]  # drawn higher: more free below
    assert band["center"]["lon"] == whole["center"]["lon"]


def test_colorscale_is_explicit_and_normalised() -> None:
    for name in ("Reds", "OrRd", "Greens", "Purples", "YlOrBr", "Blues", "YlOrRd"):
        stops = colorscale(name)
        assert stops[0][0] == 0.0 and stops[-1][0] == 1.0
        assert all(a[0] < b[0] for a, b in itertools.pairwise(stops))
        assert all(c.startswith("rgb") for _, c in stops)


def test_message_figure() -> None:
    fig = assert_valid(message_figure("暂无数据"))
    assert fig.layout.annotations[0].text == "暂无数据"
