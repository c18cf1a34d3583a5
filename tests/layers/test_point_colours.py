"""Household point colours: apart from every indicator's fills and from each other, also
for colour-blind viewers (simulated), and names drawn above the points."""

from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest

from battlemap.geodata.schema import CAUSES
from battlemap.layers.base import (
    BACKGROUND,
    CAUSE_COLOURS,
    POINTS_FILL_OPACITY,
    STATUS_COLOURS,
    colorscale,
)
from battlemap.layers.catalog import INDICATORS
from battlemap.layers.households import household_traces
from battlemap.layers.labels import label_traces
from battlemap.layers.mapfigure import map_figure

# Machado et al. (2009) simulation matrices, severity 1, on linear RGB.
CVD = {
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}  # fmt: skip


def _rgb(colour: str) -> tuple[float, ...]:
    if colour.startswith("#"):
        return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return tuple(float(x) / 255 for x in colour[colour.index("(") + 1 : -1].split(",")[:3])


def _linear(c):
    return [x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in c]


def _lab(c) -> tuple[float, float, float]:
    r, g, b = _linear(c)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def _simulate(c, kind: str):
    lin = _linear(c)
    out = [sum(m * v for m, v in zip(row, lin, strict=True)) for row in CVD[kind]]
    return [
        min(max(12.92 * x if x <= 0.0031308 else 1.055 * x ** (1 / 2.4) - 0.055, 0.0), 1.0)
        for x in out
    ]


def delta_e(a, b) -> float:
    """CIE76 colour difference (about 2.3 is just noticeable; 20+ is clearly apart)."""
    return math.dist(_lab(a), _lab(b))


def _faded(stop: str) -> tuple[float, ...]:
    """A fill as drawn under household points: faded over the map background."""
    a = POINTS_FILL_OPACITY
    return tuple(a * s + (1 - a) * g for s, g in zip(_rgb(stop), _rgb(BACKGROUND), strict=True))


@pytest.mark.parametrize("key", list(INDICATORS))
@pytest.mark.parametrize("status", list(STATUS_COLOURS))
def test_status_points_stand_out_on_every_fill(key, status) -> None:
    point = _rgb(STATUS_COLOURS[status])
    closest = min(delta_e(point, _faded(c)) for _, c in colorscale(INDICATORS[key].colorscale))
    assert closest >= 25, (status, key, closest)  # was 未脱贫 red on Reds: ΔE 4


@pytest.mark.parametrize("kind", [None, *CVD])
def test_point_colours_apart_for_colour_blind_viewers(kind) -> None:
    def seen(colour: str):
        return _rgb(colour) if kind is None else _simulate(_rgb(colour), kind)

    status = min(
        delta_e(seen(a), seen(b)) for a, b in itertools.combinations(STATUS_COLOURS.values(), 2)
    )
    assert status >= 20, (kind, status)
    causes = min(delta_e(seen(a), seen(b)) for a, b in itertools.combinations(CAUSE_COLOURS, 2))
    assert causes >= (20 if kind is None else 6), (kind, causes)


def test_causes_beyond_seven_share_one_grey_group() -> None:
    causes = [c for i, c in enumerate(CAUSES) for _ in range(3 if i < 7 else 1)]  # 7 × 3 + 5
    n = len(causes)
    frame = pd.DataFrame(
        {
            "hh_id": [f"h{i}" for i in range(n)],
            "village_code": ["520102100200"] * n,
            "lon": [106.0] * n,
            "lat": [26.0] * n,
            "size": [3] * n,
            "hh_type": ["一般户"] * n,
            "primary_cause": causes,
            "status": ["未脱贫"] * n,
            "head_name": ["张*"] * n,
        }
    )
    _, *traces = household_traces(frame, colour_by="cause", lang="en")
    colours = [t["marker"]["color"] for t in traces]
    assert len(traces) == 8 and len(set(colours)) == 8
    assert traces[0]["name"] == "Other causes (5)"  # the grey group, drawn first
    assert sum(len(t["lon"]) for t in traces) == n  # every household kept


def test_fills_fade_under_points_and_names_sit_on_top(frame_households) -> None:
    fills = [
        {"type": "choroplethmap", "meta": m, "marker": {"opacity": 0.85}}
        for m in ("outline", "values")
    ]
    labels = label_traces(["520102100200"], ["甲村"], [106.1], [26.1], values=[9], zmax=10)
    assert labels[1]["text"] == ["甲村"]  # white on a dark full-strength fill
    figure = map_figure(
        [*fills, *household_traces(frame_households), *labels], view={}, uirevision="x"
    )
    metas = [t.get("meta") for t in figure["data"]]
    assert [t["marker"]["opacity"] for t in figure["data"][:2]] == [POINTS_FILL_OPACITY] * 2
    assert metas.index("labels") > max(i for i, m in enumerate(metas) if m == "households")
    dark, light = figure["data"][-2:]
    assert dark["text"] == ["甲村"] and light["text"] == [""]  # dark on the faded fill
    plain = map_figure(fills, view={}, uirevision="x")
    assert plain["data"][0]["marker"]["opacity"] == 0.85
