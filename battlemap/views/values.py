"""The number each map unit (and ranking row) shows for a view: indicator, cross-filter and
the change since a comparison year, with the colour axis that goes with them.

One function for the map and the ranking, so they cannot disagree. Values come from the
store's additive counts through :mod:`battlemap.indicators.filters` (per cause, per household
type, per guarantee), the same at every level and for every role.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import plotly.colors

from battlemap.geodata.access import ScopedStore
from battlemap.geodata.metrics import cause_metric, hh_type_metric
from battlemap.geodata.schema import CAUSES, HH_TYPES
from battlemap.i18n import hh_type_label, t
from battlemap.indicators.filters import Filter, filtered_value, parse_filter
from battlemap.layers.catalog import INDICATORS, Indicator
from battlemap.layers.causes import cause_label
from battlemap.layers.choropleth import choropleth_coloraxis
from battlemap.layers.radar import DIMENSION_LABELS
from battlemap.viewstate import ViewState

__all__ = [
    "GOOD_WHEN_HIGHER",
    "ShownValues",
    "bubble_metric",
    "filter_label",
    "shown_values",
    "unit_values_for",
]

Values = dict[str, float | int | None]
# indicators where a rise is good news (a change is coloured blue when it rises)
GOOD_WHEN_HIGHER = frozenset({"exit_progress", "guarantee"})


def bubble_metric(state: ViewState) -> str:
    """The count behind the household bubbles: poor households, of the cause or household
    type under such a filter (``cause_households_NN``, ``hh_type_poor_households_N``)."""
    flt = parse_filter(state.filter)
    if flt is not None and flt.kind == "cause":
        return cause_metric(CAUSES.index(flt.value), unit="households")
    if flt is not None and flt.kind == "hh_type":
        return hh_type_metric(HH_TYPES.index(flt.value), "poor", "households")
    return "poor_households"


def filter_label(flt: Filter, lang: str) -> str:
    """``主要致贫原因：因病`` / ``Main cause: Illness`` … for the chip and the legend."""
    if flt.kind == "cause":
        return t("filter_cause", lang).format(name=cause_label(flt.value, lang))
    if flt.kind == "guarantee":
        pair = DIMENSION_LABELS.get(flt.value, (flt.value, flt.value))
        return t("filter_guarantee", lang).format(name=pair[1 if lang == "en" else 0])
    return t("filter_hh_type", lang).format(name=hh_type_label(flt.value, lang))


@dataclass(frozen=True)
class ShownValues:
    """What the map and the ranking show: the indicator (labels adjusted), unit values, the
    colour range, whether values are changes (diverging colours) and a notice."""

    indicator: Indicator
    values: Values
    zmax: float | None
    change: bool
    notice: str

    def label_values(self, codes: Sequence[str]) -> list[float | int | None]:
        """Values that decide a name's colour (white over dark fills): the size of a change,
        since both ends of a diverging scale are dark."""
        values = [self.values.get(c) for c in codes]
        if not self.change:
            return values
        return [None if v is None else abs(v) for v in values]

    def coloraxis(self, lang: str) -> dict[str, Any]:
        """The choropleth colour axis: sequential 0…max, or diverging ±max for a change."""
        axis = choropleth_coloraxis(self.indicator, self.zmax, lang=lang)
        if self.change:
            top = axis["cmax"]
            name = "RdBu" if self.indicator.key in GOOD_WHEN_HIGHER else "RdBu_r"
            axis["colorscale"] = [list(s) for s in plotly.colors.get_colorscale(name)]
            axis["cmin"] = -top
        return axis


def _counts_values(access: ScopedStore, region: str, year: int, indicator: Indicator) -> Values:
    shapes = access.unit_shapes(region)
    if indicator.source == "relocations":
        flows = access.relocation_flows(region, year)
        persons = flows.groupby("origin_code")["persons"].sum()
        return {c: int(persons.get(c, 0)) for c in shapes.codes}
    if indicator.source == "cadres":  # issue 15
        from battlemap.views.cadres import cadre_unit_values

        return cadre_unit_values(access, region, year, indicator, shapes.codes)
    if indicator.source == "funds":  # issue 14
        from battlemap.views.funds import funds_unit_values

        return funds_unit_values(access, region, year, indicator)
    if shapes.codes == (region,):
        counts = {region: access.counts(region, year)}
    else:
        counts = access.children_counts(region, year)
    return {c: indicator.value(counts[c]) if c in counts else None for c in shapes.codes}


def _indicator(state: ViewState, flt: Filter | None) -> tuple[Indicator, str]:
    """The indicator shown and a notice (when the filter replaced the indicator)."""
    base = INDICATORS[state.indicator]
    if flt is None:
        return base, ""
    key, value = filtered_value(state.indicator, flt)
    if key == "guarantee":
        pair = DIMENSION_LABELS.get(flt.value, (flt.value, flt.value))
        indicator = Indicator(
            "guarantee",
            (f"{pair[0]}达标率", f"{pair[1]}: households meeting it"),
            ("%", "%"),
            "Greens",
            2,
            value,
        )
        return indicator, ""
    notice = "" if key == state.indicator else t("filter_unavailable", state.lang)
    return replace(_relabel(INDICATORS[key], flt), value=value), notice


def _relabel(indicator: Indicator, flt: Filter) -> Indicator:
    label = tuple(
        t("filtered_by", lang).format(label=indicator.label[i], filter=filter_label(flt, lang))
        for i, lang in enumerate(("zh", "en"))
    )
    return replace(indicator, label=label)


def _changed(indicator: Indicator, since: int) -> Indicator:
    label = tuple(
        t("change_since", lang).format(label=indicator.label[i], year=since)
        for i, lang in enumerate(("zh", "en"))
    )
    unit = ("个百分点", "pp") if indicator.unit[0] == "%" else indicator.unit
    return replace(indicator, label=label, unit=unit)


def unit_values_for(
    access: ScopedStore, state: ViewState, year: int
) -> tuple[Indicator, Values, str]:
    """The shown indicator, each unit's value in ``year`` (no comparison) and a notice."""
    indicator, notice = _indicator(state, parse_filter(state.filter))
    code = access.region(state.region).code
    return indicator, _counts_values(access, code, year, indicator), notice


def _round(value: float) -> float:
    return round(value, 6)


def shown_values(
    access: ScopedStore, state: ViewState, *, colour_range: bool = True
) -> ShownValues:
    """Unit values of the view (changes since ``state.compare`` when set), with the colour
    range: the largest value (or change) over all years, so colours hold while years play
    (``colour_range`` False: this year's only, for the ranking, which needs no colours)."""
    indicator, values, notice = unit_values_for(access, state, state.year)
    # the year's own scale when asked for (layers "year_scale"), else one over every year
    own = not colour_range or "year_scale" in state.layers
    years = [state.year] if own else list(access.years)
    if indicator.source == "relocations" and not own:
        years = [access.years[-1]]
    by_year = {state.year: values}
    for year in years:
        if year not in by_year:
            by_year[year] = unit_values_for(access, state, year)[1]
    if state.compare is None:
        top = max(
            (float(v) for vs in by_year.values() for v in vs.values() if v is not None),
            default=None,
        )
        return ShownValues(indicator, values, top, False, notice)
    base = unit_values_for(access, state, state.compare)[1]

    def minus(now: Values) -> Values:
        return {
            c: None if v is None or base.get(c) is None else _round(v - base[c])
            for c, v in now.items()
        }

    change = minus(values)
    top = max(
        (abs(float(v)) for vs in by_year.values() for v in minus(vs).values() if v is not None),
        default=None,
    )
    return ShownValues(_changed(indicator, state.compare), change, top, True, notice)
