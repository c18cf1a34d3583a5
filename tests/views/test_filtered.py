"""Household rows under a cross-filter (the table and the points), both stores: a radar
axis keeps the households not meeting that guarantee, with a note saying so."""

from __future__ import annotations

import pytest

from battlemap.geodata.access import Scope, ScopedStore
from battlemap.geodata.features import met_column
from battlemap.geodata.metrics import guarantee_metric
from battlemap.indicators.filters import Filter
from battlemap.indicators.rules import GUARANTEES
from battlemap.views.filtered import filtered_loader
from battlemap.views.tables import household_view
from battlemap.viewstate import ViewState

YEAR = 2016


@pytest.fixture(params=["embedded", "postgis"])
def access(request) -> ScopedStore:
    return ScopedStore(request.getfixturevalue(f"{request.param}_store"))


def _village(access: ScopedStore) -> str:
    store = access.store
    return max(
        store.regions.level_codes(5), key=lambda c: store.counts(c, YEAR)["registered_households"]
    )


@pytest.mark.parametrize("guarantee", GUARANTEES)
def test_a_guarantee_keeps_the_households_not_meeting_it(access, guarantee) -> None:
    village = _village(access)
    county = village[:6].ljust(12, "0")
    state = ViewState(region=county, year=YEAR, filter=Filter("guarantee", guarantee).token)
    rows = filtered_loader(access.households, state)(county, YEAR)
    counts = access.counts(county, YEAR)
    gaps = counts["registered_households"] - counts[guarantee_metric(guarantee)]
    assert len(rows) == gaps > 0
    assert not rows[met_column(guarantee)].any()
    everyone = access.households(county, YEAR)
    assert set(rows["hh_id"]) == set(everyone.loc[~everyone[met_column(guarantee)], "hh_id"])


def test_the_household_table_follows_a_radar_axis(access) -> None:
    village = _village(access)
    state = ViewState(region=village, year=YEAR, filter="guarantee:housing")
    rows, _columns, note = household_view(access, state)
    everyone = access.households(village, YEAR)
    gaps = everyone.loc[~everyone["met_housing"], "hh_id"]
    assert 0 < len(gaps) < len(everyone)
    assert [r["id"] for r in rows] == gaps.tolist()
    assert "住房安全" in note and str(len(gaps)) in note
    english = household_view(access, state.but(lang="en"))[2]
    assert "not meeting Safe housing" in english
    # other filters and none: no such note
    assert household_view(access, state.but(filter=None))[2] == ""
    assert len(household_view(access, state.but(filter=None))[0]) == len(everyone)


def test_a_role_without_household_rights_gets_no_rows(embedded_store) -> None:
    closed = ScopedStore(embedded_store, Scope(households=False))
    village = _village(closed)
    state = ViewState(region=village, year=YEAR, filter="guarantee:water")
    rows, _columns, note = household_view(closed, state)
    assert rows == [] and note  # says the role may not see households
