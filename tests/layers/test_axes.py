"""Count axes of the side charts: whole, non-negative ticks, 万 for large counts, no SI."""

from __future__ import annotations

import re

import pytest

from battlemap.layers.base import count_axis, count_label
from battlemap.layers.causes import cause_bars
from battlemap.layers.trend import trend_figure
from tests.layers.conftest import assert_valid

YEARS = range(2014, 2021)
SI = re.compile(r"\d[munpfkMGT]$|[−-]")  # a suffix like 500m / 18.9f / 20k, or a minus


def _check_counts(axis, lang: str) -> None:
    values, texts = list(axis.tickvals), list(axis.ticktext)
    assert values == sorted(values) and values[0] == 0 and axis.range[0] == 0
    assert all(float(v).is_integer() and v >= 0 for v in values)
    assert not any(SI.search(t) for t in texts), texts
    if lang == "zh" and values[-1] >= 10_000:
        assert all(t.endswith("万") for t in texts[1:]), texts
    if lang == "en":
        assert texts == [f"{int(v):,}" for v in values]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(
    "persons",
    [
        dict.fromkeys(YEARS, 0),  # a region with no poor left at all: was -1 … 1, "500m"
        {y: 3 - (y - 2014) // 3 for y in YEARS},  # a village: 3, 3, 3, 2, 2, 2, 1
        {y: 1_517_985 - 210_000 * (y - 2014) for y in YEARS},  # the 2.3 M province
    ],
    ids=["zero", "small", "large"],
)
def test_trend_count_axes(persons, lang) -> None:
    incidence = {y: (p / 1000 if p else 0.0) for y, p in persons.items()}
    parent = {y: 10 * p for y, p in persons.items()}
    fig = assert_valid(
        trend_figure(
            incidence,
            persons,
            parent_incidence=incidence,
            parent_persons=parent,
            year=2016,
            lang=lang,
        )
    )
    _check_counts(fig.layout.yaxis2, lang)
    _check_counts(fig.layout.yaxis3, lang)
    assert fig.layout.yaxis2.range[1] >= max(persons.values())
    assert fig.layout.yaxis3.range[1] >= max(parent.values())
    assert fig.layout.yaxis.range[0] == 0 and fig.layout.yaxis.range[1] > 0
    assert fig.layout.yaxis.range[1] >= max(incidence.values())
    for axis in (fig.layout.yaxis, fig.layout.yaxis2, fig.layout.yaxis3):
        assert axis.tickformat is None  # no d3 SI format left anywhere


@pytest.mark.parametrize("top", [1, 7, 60_000, 2_000_000])
def test_cause_bar_axis(top) -> None:
    fig = assert_valid(cause_bars({"因病": top, "因学": 1}))
    _check_counts(fig.layout.xaxis, "zh")
    assert fig.layout.xaxis.range[1] >= top


def test_count_labels() -> None:
    assert count_axis(151_798, "zh")["ticktext"] == ["0", "5万", "10万", "15万", "20万"]
    assert count_axis(18_000, "zh")["ticktext"] == ["0", "0.5万", "1.0万", "1.5万", "2.0万"]
    assert count_axis(18_000, "en")["ticktext"] == ["0", "5,000", "10,000", "15,000", "20,000"]
    assert count_axis(7, "zh")["ticktext"] == ["0", "2", "4", "6", "8"]
    assert count_label(9_999) == "9,999"
    assert count_label(2_000_000, "en") == "2,000,000"
