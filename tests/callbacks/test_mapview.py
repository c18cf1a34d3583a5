"""The map callback's logic: figure = stats, layers per level, patches, URLs."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

from battlemap.callbacks.mapview import map_key, static_digest, value_patch
from battlemap.layers.catalog import INDICATORS
from battlemap.layers.choropleth import FLAG_LEGEND_META, FLAG_TRACE_META, VALUE_TRACE
from battlemap.views.mapview import MapUrls, build_map, colour_max, unit_flags, unit_values
from battlemap.views.summary import region_summary
from battlemap.viewstate import LAYER_KEYS, ViewState

URLS = MapUrls(geo=lambda code: f"/geo/{code}.json?v=t", glyphs="/glyphs/{fontstack}/{range}.pbf")


def _values(figure) -> dict:
    trace = figure["data"][VALUE_TRACE]
    return dict(zip(trace["locations"], trace["z"], strict=True))


@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_map_values_equal_stats(embedded_store, access, chain, state, level) -> None:
    code = chain[level]
    for year in (2014, 2017):
        figure, _ = build_map(access, state.but(region=code, year=year), urls=URLS)
        stats = region_summary(embedded_store, code, year)["children"]
        assert _values(figure) == {c: v for c, v in stats.items() if v is not None}
        assert figure["data"][0]["geojson"] == f"/geo/{code}.json?v=t"
        assert figure["layout"]["uirevision"] == code
        go.Figure(figure)  # valid plotly


def test_village_shows_households(access, chain, state) -> None:
    figure, notice = build_map(access, state.but(region=chain[4]), urls=URLS)
    points = [t for t in figure["data"] if t.get("meta") == "households"]
    assert (
        sum(len(t["lon"]) for t in points) == access.counts(chain[4], 2016)["registered_households"]
    )
    assert all("*</b>" in text for t in points for text in t["text"])
    assert notice == ""


def test_high_levels_aggregate_households(access, chain, state) -> None:
    figure, notice = build_map(access, state, urls=URLS)
    bubbles = [t for t in figure["data"] if t.get("legendgroup") == "households"]
    assert len(bubbles) == 1 and len(bubbles[0]["lon"]) == 9
    assert notice  # says points show at township/village level


def test_every_layer_builds(access, chain, state) -> None:
    for code in (chain[0], chain[3], chain[4]):
        figure, _ = build_map(
            access,
            state.but(region=code, layers=LAYER_KEYS),
            urls=URLS,
            viewport={"w": 390, "h": 500},
        )
        fig = go.Figure(figure)
        types = {t.type for t in fig.data}
        assert {"choroplethmap", "densitymap", "scattermap"} <= types
        assert len(json.dumps(figure)) < 1_500_000


def test_relocation_indicator_sums_flows(access, chain) -> None:
    values = unit_values(access, chain[0], 2019, INDICATORS["relocations"])
    flows = access.relocation_flows(chain[0], 2019)
    assert sum(values.values()) == int(flows["persons"].sum())
    assert colour_max(access, chain[0], INDICATORS["relocations"]) == max(values.values())


def test_patch_matches_full_figure(access, chain, state) -> None:
    later = state.but(year=2018, indicator="poor_persons")
    full, _ = build_map(access, later, urls=URLS)
    patch = value_patch(full)
    metas = [t.get("meta") for t in full["data"]]
    assert metas == ["outline", "values", "bubbles", "labels", "labels-light"]
    assert set(patch["traces"]) == {0, 1, 2, 3, 4}
    assert patch["traces"][VALUE_TRACE]["z"] == full["data"][VALUE_TRACE]["z"]
    assert "geojson" not in patch["traces"][VALUE_TRACE]
    assert patch["coloraxis"] == full["layout"]["coloraxis"]
    assert len(json.dumps(patch)) < len(json.dumps(full))
    assert map_key(state, None) == map_key(later, None)  # same key → a Patch is sent
    assert map_key(state, None) != map_key(state.but(region=chain[1]), None)


def test_colours_stable_over_years(access, chain) -> None:
    top = colour_max(access, chain[0], INDICATORS["incidence"])
    for year in access.years:
        values = unit_values(access, chain[0], year, INDICATORS["incidence"])
        assert all(v is None or v <= top for v in values.values())


def test_village_points_by_cause(access, chain, state) -> None:
    figure, _ = build_map(
        access, state.but(region=chain[4], layers=("households", "by_cause")), urls=URLS
    )
    names = [t["name"].split(" (")[0] for t in figure["data"] if t.get("meta") == "households"]
    causes = set(access.households(chain[4], 2016)["primary_cause"])
    assert names and set(names) - {"其余原因"} <= causes  # beyond seven causes: one grey group
    assert len(names) == min(len(causes), 7) + (len(causes) > 7)


def test_colour_scale_of_the_year_in_view(access, chain, state) -> None:
    """Default: one scale over 2014–2020 (late years look pale); "year_scale": the year's."""
    view = state.but(region=chain[0], year=2019)
    fixed, _ = build_map(access, view, urls=URLS)
    own, _ = build_map(access, view.but(layers=(*view.layers, "year_scale")), urls=URLS)
    top_2019 = max(fixed["data"][VALUE_TRACE]["z"])
    assert own["layout"]["coloraxis"]["cmax"] == pytest.approx(top_2019)
    assert fixed["layout"]["coloraxis"]["cmax"] > 1.5 * top_2019  # 2014's top, far higher
    assert own["data"][VALUE_TRACE]["z"] == fixed["data"][VALUE_TRACE]["z"]  # same values


def test_value_patch_whenever_points_are_unchanged(access, chain, state) -> None:
    """At a township with household points, an indicator change keeps every trace but the
    values: equal static digests, so the callback sends a small Patch (not 100+ KB)."""
    township = state.but(region=chain[3], layers=("choropleth", "labels", "households"))
    a, _ = build_map(access, township, urls=URLS)
    b, _ = build_map(access, township.but(indicator="poor_persons"), urls=URLS)
    assert static_digest(a) == static_digest(b)
    assert len(json.dumps(value_patch(b), default=str)) < len(json.dumps(b)) / 4
    c, _ = build_map(access, township.but(layers=("choropleth", "labels")), urls=URLS)
    assert static_digest(c) != static_digest(a)


def _flag_traces(figure) -> list[dict]:
    return [t for t in figure["data"] if t.get("meta") == FLAG_TRACE_META]


def test_flagged_units_outlined_and_patched_around(embedded_store, access, state) -> None:
    """A city's 贫困县 get the indigo border (with a legend entry in the page's language);
    it stays the same over the years, so a year change is still a value Patch."""
    regions = embedded_store.regions
    city = next(
        c for c in regions.level_codes(2) if any(k.poverty_flag for k in regions.children(c))
    )
    flagged = [k.code for k in regions.children(city) if k.poverty_flag]
    assert 0 < len(flagged) < len(regions.children(city))
    view = state.but(region=city, year=2016)
    figure, _ = build_map(access, view, urls=URLS)
    (outline,) = _flag_traces(figure)
    assert outline["locations"] == flagged and outline["geojson"] == URLS.geo(city)
    assert outline["hoverinfo"] == "skip"
    (legend,) = [t for t in figure["data"] if t.get("meta") == FLAG_LEGEND_META]
    assert legend["name"] == "贫困县（深蓝边框）" and legend["showlegend"]
    assert figure["data"].index(outline) > VALUE_TRACE and figure["layout"]["showlegend"]
    english, _ = build_map(access, view.but(lang="en"), urls=URLS)
    names = [t["name"] for t in english["data"] if t.get("meta") == FLAG_LEGEND_META]
    assert names == ["Poverty county, indigo border"]
    later, _ = build_map(access, view.but(year=2019, indicator="poor_persons"), urls=URLS)
    assert static_digest(later) == static_digest(figure)  # → the callback sends a Patch
    assert figure["data"].index(outline) not in value_patch(later)["traces"]
    go.Figure(figure)


def test_unit_flags_by_level(embedded_store, access, chain) -> None:
    regions = embedded_store.regions
    assert not any(unit_flags(access, chain[0], access.unit_shapes(chain[0]).codes))  # cities
    for code in chain[2:]:
        codes = access.unit_shapes(code).codes
        expected = (
            [regions.get(code).poverty_flag]
            if codes == (code,)
            else [regions.get(c).poverty_flag for c in codes]
        )
        assert unit_flags(access, code, codes) == expected
        figure, _ = build_map(access, ViewState(region=code, year=2016), urls=URLS)
        flagged = [c for c, f in zip(codes, expected, strict=True) if f]
        assert [t["locations"] for t in _flag_traces(figure)] == ([flagged] if flagged else [])
