"""The offline check and the vendoring of folium/pydeck pages (no browser: see
test_html_offline.py for the pages drawn in Chromium with the network off)."""

from __future__ import annotations

import folium
import pydeck
import pytest
from folium.plugins import HeatMap, MarkerCluster

from battlemap.exports.offline import (
    LEAFLET,
    MARKERCLUSTER,
    OfflineError,
    deck_html,
    external_references,
    folium_html,
)


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<script src="https://cdn.example/x.js"></script>', ["https://cdn.example/x.js"]),
        ("<link rel=stylesheet href=//cdn.example/a.css>", ["//cdn.example/a.css"]),
        ("<img src='http://tiles.example/1/2/3.png'>", ["http://tiles.example/1/2/3.png"]),
        ("<style>@import 'https://fonts.example/f.css';</style>", ["https://fonts.example/f.css"]),
        ("<style>.a{background:url(https://x.example/i.png)}</style>", ["https://x.example/i.png"]),
        # URLs held by script text are not loads; local and data URIs are fine
        ('<script>var u = "https://api.example/"; /* <img src="http://x"> */</script>', []),
        ('<a href="#top">x</a><img src="data:image/png;base64,AA"><link href="a.css">', []),
    ],
)
def test_external_references(html: str, expected: list[str]) -> None:
    assert external_references(html) == expected


def _map(*, cluster: bool) -> folium.Map:
    fmap = folium.Map(tiles=None, location=[26.5, 106.7], zoom_start=7)
    folium.GeoJson(
        {"type": "Polygon", "coordinates": [[[106, 26], [107, 26], [107, 27], [106, 26]]]}
    ).add_to(fmap)
    if cluster:
        group = MarkerCluster().add_to(fmap)
        folium.CircleMarker([26.5, 106.5], radius=4).add_to(group)
    folium.LayerControl().add_to(fmap)
    return fmap


@pytest.mark.parametrize("cluster", [False, True])
def test_folium_page_inlines_vendored_leaflet(cluster: bool) -> None:
    plain = _map(cluster=cluster).get_root().render()
    assert external_references(plain)  # folium alone loads from CDNs: the check sees them
    html = folium_html(_map(cluster=cluster))
    assert external_references(html) == []
    assert "Leaflet 1.9.4" in html
    assert ("L.MarkerClusterGroup=" in html) is cluster
    assert "jquery" not in html.lower()
    # Leaflet's CSS images (the layer control icon) travel as data URIs
    assert "url(images/" not in html and "url(data:image/png;base64," in html
    for asset in (*LEAFLET, *MARKERCLUSTER):
        assert asset.path.is_file()
    licences = {a.path.parent for a in (*LEAFLET, *MARKERCLUSTER)}
    assert all(
        any(p.name.upper().startswith(("LICENSE", "MIT-LICENCE")) for p in d.iterdir())
        for d in licences
    )


def test_folium_plugin_without_vendored_library_is_refused() -> None:
    fmap = _map(cluster=False)
    HeatMap([[26.5, 106.5, 1.0]]).add_to(fmap)
    with pytest.raises(OfflineError, match="not vendored"):
        folium_html(fmap)


def test_deck_page_keeps_bundle_and_drops_cdn_tags() -> None:
    deck = pydeck.Deck(layers=[], map_style=None, map_provider=None)
    plain = deck.to_html(as_string=True, offline=True, notebook_display=False)
    assert external_references(plain)  # pydeck's template links mapbox-gl, bootstrap …
    html = deck_html(deck, head="<style>#s{}</style>", body='<div id="s">贵阳市</div>')
    assert external_references(html) == []
    assert "createDeck(" in html and len(html) > 1_000_000  # the inlined deck.gl bundle
    assert '<div id="s">贵阳市</div>' in html and "<style>#s{}</style>" in html
