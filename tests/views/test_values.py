"""What the map and the ranking show under a cross-filter or a comparison year, checked
against a plain pandas recomputation from the parquet files (both stores)."""

from __future__ import annotations

from pathlib import Path

import pytest

from battlemap.geodata.access import ScopedStore
from battlemap.geodata.schema import CAUSES, HH_TYPES
from battlemap.indicators.filters import Filter, parse_filter
from battlemap.indicators.incidence import incidence_pct, percent
from battlemap.views.values import shown_values, unit_values_for
from battlemap.viewstate import ViewState
from tests.geodata.recompute import PandasReference

YEAR = 2016


@pytest.fixture(scope="module")
def reference(small_data_dir: Path) -> PandasReference:
    return PandasReference(small_data_dir)


@pytest.fixture(params=["embedded", "postgis"])
def access(request) -> ScopedStore:
    return ScopedStore(request.getfixturevalue(f"{request.param}_store"))


def _county(access: ScopedStore) -> str:
    store = access.store
    return max(
        store.regions.level_codes(3), key=lambda c: store.counts(c, YEAR)["registered_households"]
    )


@pytest.mark.parametrize("cause", [0, 1, 7])
def test_cause_filter_is_the_causes_share_of_incidence(access, reference, cause) -> None:
    county = _county(access)
    token = Filter("cause", CAUSES[cause]).token
    state = ViewState(region=county, year=YEAR, indicator="incidence", filter=token)
    shown = shown_values(access, state)
    persons = shown_values(access, state.but(indicator="poor_persons"))
    assert shown.notice == "" and CAUSES[cause] in shown.indicator.title("zh")
    checked = 0
    for child in access.children(county):
        ref = reference.counts(child.code, YEAR)
        name = f"cause_persons_{cause + 1:02d}"
        assert persons.values[child.code] == ref[name]
        assert shown.values[child.code] == percent(ref[name], ref["rural_population"])
        checked += ref[name] > 0
    assert checked > 0  # some units have poor persons of that cause


def test_cause_filter_without_per_cause_counts_says_so(access) -> None:
    county = _county(access)
    state = ViewState(region=county, year=YEAR, indicator="exit_progress", filter="cause:01")
    shown = shown_values(access, state)
    assert shown.indicator.key == "poor_persons" and shown.notice
    direct = shown_values(access, state.but(indicator="poor_persons"))
    assert shown.values == direct.values


def test_guarantee_filter_is_the_radar_share(access) -> None:
    from battlemap.indicators.radar import radar_shares

    county = _county(access)
    state = ViewState(region=county, year=YEAR, filter="guarantee:housing")
    shown = shown_values(access, state)
    for code, counts in access.children_counts(county, YEAR).items():
        assert shown.values[code] == radar_shares(counts)["housing"]


def _largest(access: ScopedStore, level: int) -> str:
    store = access.store
    return max(
        store.regions.level_codes(level),
        key=lambda c: store.counts(c, YEAR)["registered_households"],
    )


@pytest.mark.parametrize("level", [1, 2, 3, 4])
def test_household_type_filter_at_every_level(access, reference, level) -> None:
    """Province, prefecture, county, township: poor persons, incidence and exit progress of
    one household type per unit = a pandas groupby of the parquet rows, without a notice."""
    region = _largest(access, level)
    children = access.children(region)
    refs = {c.code: reference.counts(c.code, YEAR) for c in children}
    checked = 0
    for i, hh_type in enumerate(HH_TYPES):
        token = Filter("hh_type", hh_type).token
        n = i + 1
        for indicator in ("poor_persons", "incidence", "exit_progress"):
            state = ViewState(region=region, year=YEAR, indicator=indicator, filter=token)
            shown = shown_values(access, state)
            assert shown.notice == "" and shown.indicator.key == indicator
            assert hh_type in shown.indicator.title("zh")
            for code, ref in refs.items():
                expected = {
                    "poor_persons": ref[f"hh_type_poor_persons_{n}"],
                    "incidence": percent(ref[f"hh_type_poor_persons_{n}"], ref["rural_population"]),
                    "exit_progress": percent(
                        ref[f"hh_type_exited_persons_{n}"], ref[f"hh_type_registered_persons_{n}"]
                    ),
                }[indicator]
                assert shown.values[code] == expected, (code, hh_type, indicator)
                checked += bool(expected)
    assert checked > len(refs)  # the types have poor and exited persons here


def test_household_type_filter_of_another_indicator_says_so(access) -> None:
    county = _county(access)
    state = ViewState(region=county, year=YEAR, indicator="wrong_exits", filter="hh_type:2")
    shown = shown_values(access, state)
    assert shown.indicator.key == "poor_persons" and shown.notice
    assert shown.values == shown_values(access, state.but(indicator="poor_persons")).values


def test_change_since_a_year(access, reference) -> None:
    county = _county(access)
    state = ViewState(region=county, year=2018, indicator="incidence", compare=2014)
    shown = shown_values(access, state)
    assert shown.change and "2014" in shown.indicator.title("en")
    assert shown.indicator.unit == ("个百分点", "pp")
    for child in access.children(county):
        now = incidence_pct(reference.counts(child.code, 2018))
        then = incidence_pct(reference.counts(child.code, 2014))
        assert shown.values[child.code] == pytest.approx(now - then, abs=1e-6)
    axis = shown.coloraxis("en")
    assert axis["cmin"] == -axis["cmax"] and axis["cmax"] >= max(
        abs(v) for v in shown.values.values() if v is not None
    )
    # the colours of a change that fell are blue for incidence (a fall is good news)
    assert "33,102,172" in str(axis["colorscale"][0]) or "5,48,97" in str(axis["colorscale"][0])


def test_change_of_a_cause_filtered_count(access, reference) -> None:
    county = _county(access)
    state = ViewState(
        region=county, year=2019, indicator="poor_persons", compare=2015, filter="cause:01"
    )
    shown = shown_values(access, state)
    for child in access.children(county):
        now = reference.counts(child.code, 2019)["cause_persons_01"]
        then = reference.counts(child.code, 2015)["cause_persons_01"]
        assert shown.values[child.code] == now - then
    # one year's values without the comparison are the plain filtered counts
    assert unit_values_for(access, state, 2019)[1][child.code] == now


def test_filter_tokens_round_trip() -> None:
    for flt in [Filter("cause", c) for c in CAUSES] + [Filter("hh_type", h) for h in HH_TYPES]:
        assert parse_filter(flt.token) == flt
    assert parse_filter("cause:13") is None and parse_filter("guarantee:x") is None


def test_bubbles_count_the_filtered_causes_households(reference) -> None:
    from battlemap.views.values import bubble_metric

    assert bubble_metric(ViewState("520000000000", YEAR)) == "poor_households"
    assert bubble_metric(ViewState("520000000000", YEAR, filter="cause:02")) == (
        "cause_households_02"
    )
    assert bubble_metric(ViewState("520000000000", YEAR, filter="hh_type:3")) == (
        "hh_type_poor_households_3"
    )
    assert bubble_metric(ViewState("520000000000", YEAR, filter="guarantee:water")) == (
        "poor_households"
    )


def test_household_type_filter_needs_no_rows(embedded_store) -> None:
    """A role without household rights sees the same per-type map (counts, not rows)."""
    from battlemap.geodata.access import Scope

    closed = ScopedStore(embedded_store, Scope(households=False))
    open_ = ScopedStore(embedded_store)
    for level in (2, 4):
        region = _largest(closed, level)
        state = ViewState(region=region, year=YEAR, filter="hh_type:3")
        shown = shown_values(closed, state)
        assert shown.notice == ""
        assert shown.values == shown_values(open_, state).values
        assert shown.values != shown_values(closed, state.but(filter=None)).values


def test_names_over_a_change_take_its_size(access) -> None:
    county = _county(access)
    shown = shown_values(access, ViewState(region=county, year=2019, compare=2014))
    codes = list(shown.values)
    assert any(v is not None and v < 0 for v in shown.values.values())
    assert shown.label_values(codes) == [
        None if shown.values[c] is None else abs(shown.values[c]) for c in codes
    ]
