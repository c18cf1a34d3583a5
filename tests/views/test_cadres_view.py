"""Cadre views (issue 15): names masked like household heads by the scope's rights, no
cadre or visit row for roles without household rights, scope refused, helper columns."""

from __future__ import annotations

import pytest

from battlemap.geodata.access import MissingRightError, OutOfScopeError, Scope, ScopedStore
from battlemap.geodata.datadir import read_manifest
from battlemap.views.cadres import cadres_panel, checkin_rows
from battlemap.views.tables import household_panel
from battlemap.viewstate import ViewState


@pytest.fixture(scope="module")
def village(small_data_dir) -> str:
    planted = read_manifest(small_data_dir)["cadre_problems"]["problems"]
    return next(p["cadre_id"] for p in planted if p["kind"] == "helper_over_limit")[:12]


def _names(panel) -> list[str]:
    return [row["name"] for row in panel.rows]


def test_names_masked_unless_the_role_may_see_them(embedded_store, village) -> None:
    state = ViewState(region=village, year=2018)
    masked = cadres_panel(ScopedStore(embedded_store, Scope(pii=False)), state)
    shown = cadres_panel(ScopedStore(embedded_store, Scope(pii=True)), state)
    assert len(masked.rows) == len(shown.rows) > 0
    for m, s in zip(_names(masked), _names(shown), strict=True):
        assert m == s[0] + "*" * max(len(s) - 1, 1)
    assert "帮扶户数超限 1 名" in masked.note
    table = household_panel(ScopedStore(embedded_store, Scope(pii=False)), state)
    named = household_panel(ScopedStore(embedded_store, Scope(pii=True)), state)
    assert [c["id"] for c in table.columns][-2:] == ["helper", "last_visit"]
    helpers = [r["helper"] for r in table.rows if r["helper"]]
    assert helpers and all(set(h[1:]) == {"*"} for h in helpers)
    assert set(r["helper"] for r in named.rows) & set(_names(shown))


def test_no_rows_without_household_rights(embedded_store, village) -> None:
    access = ScopedStore(embedded_store, Scope(households=False))
    panel = cadres_panel(access, ViewState(region=village, year=2018))
    assert panel.rows and "name" not in panel.rows[0] and "unit" in panel.rows[0]
    assert panel.figure is None
    with pytest.raises(MissingRightError):
        checkin_rows(access, village, 2018)


def test_out_of_scope_is_refused(embedded_store, village) -> None:
    other = "522700000000" if not village.startswith("5227") else "520100000000"
    access = ScopedStore(embedded_store, Scope(roots=(other,)))
    with pytest.raises(OutOfScopeError):
        cadres_panel(access, ViewState(region=village, year=2018))
    with pytest.raises(OutOfScopeError):
        checkin_rows(access, village, 2018)


def test_panel_only_in_county_and_village_views(embedded_store, village) -> None:
    access = ScopedStore(embedded_store)
    assert not cadres_panel(access, ViewState(region=village[:9] + "000", year=2018)).rows
    assert cadres_panel(access, ViewState(region=village[:6] + "000000", year=2018)).rows


def test_choropleth_choices(embedded_store, village) -> None:
    from battlemap.geodata.cadres_store import cadre_counts
    from battlemap.views.cadres import cadre_detail
    from battlemap.views.values import shown_values

    access = ScopedStore(embedded_store)
    province = embedded_store.regions.roots()[0].code
    got = shown_values(access, ViewState(region=province, year=2018, indicator="no_helper"))
    total = cadre_counts(embedded_store, province, 2018)["poor_households_without_helper"]
    assert sum(got.values.values()) == total > 0
    county = village[:6] + "000000"
    score = shown_values(access, ViewState(region=county, year=2018, indicator="cadre_score"))
    cadres = cadre_detail(access, county, 2018).cadres
    posted = cadres[cadres["in_post"]]
    town = village[:9] + "000"
    expected = posted[posted["village_code"].str.startswith(village[:9])]["score"].mean()
    assert score.values[town] == round(expected, 1)
    above = shown_values(access, ViewState(region=province, year=2018, indicator="cadre_score"))
    assert set(above.values.values()) == {None}


@pytest.mark.parametrize(("lang", "label"), [("zh", "预警户"), ("en", "Warnings")])
def test_panel_warnings_column(embedded_store, village, lang, label) -> None:
    from battlemap.views.cadres import cadre_detail

    county = village[:6] + "000000"
    state = ViewState(region=county, year=2018, lang=lang)
    panel = cadres_panel(ScopedStore(embedded_store), state)
    assert {"name": label, "id": "households_warning"} in panel.columns
    cadres = cadre_detail(ScopedStore(embedded_store), county, 2018).cadres
    posted = cadres[cadres["in_post"]]
    warned = sum(r["households_warning"] for r in panel.rows)
    assert warned == posted["households_warning"].sum() > 0
    units = cadres_panel(ScopedStore(embedded_store, Scope(households=False)), state)
    assert {"name": label, "id": "households_warning"} in units.columns
    assert sum(r["households_warning"] for r in units.rows) == warned


@pytest.mark.parametrize("level", [3, 4])
def test_wrong_exit_flags_sum_to_the_stores_count(embedded_store, level) -> None:
    """The cadre detail's 错退 flags (per household of the cadre frames) count what the
    store counts as ``wrong_exit_households`` for the region and year."""
    from battlemap.geodata.cadres_store import cadre_source
    from battlemap.views.cadres import _wrong_exits

    year = 2019
    source = cadre_source(embedded_store)
    counts = embedded_store.counts_many(embedded_store.regions.level_codes(level), year)
    some = [c for c, n in counts.items() if n["wrong_exit_households"]][:3]
    none = [c for c, n in counts.items() if not n["wrong_exit_households"]][:1]
    assert some
    for code in some + none:
        flags = _wrong_exits(embedded_store, code, year, source.frames(code, year))
        assert flags.dtype == bool
        assert flags.sum() == counts[code]["wrong_exit_households"]
