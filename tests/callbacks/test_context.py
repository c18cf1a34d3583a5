"""The app context's indicator choices are the view's (one rule for the page's selector and
the HTML exports' tooltips)."""

from __future__ import annotations

from battlemap.geodata.access import ScopedStore
from battlemap.views.indicator_choices import indicator_choices


def test_indicators_are_the_views_choices_with_funds_and_cadres(context, embedded_store) -> None:
    choices = context.indicators
    assert choices == indicator_choices(ScopedStore(embedded_store))
    # the small set holds the funds and cadre tables: their choropleth choices are offered
    assert {"payment_rate", "fund_anomalies"} <= set(choices)
    assert {"no_helper", "not_visited", "cadre_score"} <= set(choices)
