"""Exports go through the caller's scope: nothing of another region, no household rows
without the right, no export at all without the export right, names masked as on the page."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from battlemap.exports import ExportRequest, render
from battlemap.geodata.access import MissingRightError, OutOfScopeError, Scope, ScopedStore
from battlemap.viewstate import ViewState

# formats and the panel each renders; pictures are refused before the browser is asked
FORMATS = [
    ("csv", "indicators"),
    ("csv", "exit_checks"),
    ("xlsx", "map"),
    ("gpkg", "map"),
    ("geojson", "map"),
    ("png", "map"),
    ("svg", "causes"),
    ("pdf", "trend"),
]


@pytest.fixture(scope="module")
def siblings(embedded_store, prefecture) -> tuple[str, str]:
    a, b = embedded_store.regions.children(prefecture)[:2]
    return a.code, b.code


@pytest.mark.parametrize(("fmt", "panel"), FORMATS)
def test_another_region_is_refused(embedded_store, siblings, fmt, panel) -> None:
    own, other = siblings
    access = ScopedStore(embedded_store, Scope(roots=(own,)))
    with pytest.raises(OutOfScopeError):
        render(fmt, ExportRequest(access, ViewState(region=other, year=2018), panel))


@pytest.mark.parametrize(("fmt", "panel"), [("csv", "indicators"), ("png", "map")])
def test_no_export_right_is_refused(embedded_store, siblings, fmt, panel) -> None:
    access = ScopedStore(embedded_store, Scope(households=False, exports=False))
    with pytest.raises(MissingRightError):
        render(fmt, ExportRequest(access, ViewState(region=siblings[0], year=2018), panel))


def test_analyst_gets_aggregates_only(embedded_store, county) -> None:
    analyst = ScopedStore(embedded_store, Scope(roots=(county,), households=False))
    state = ViewState(region=county, year=2018)
    with pytest.raises(MissingRightError):
        render("csv", ExportRequest(analyst, state, "households"))
    sheets = pd.read_excel(
        io.BytesIO(render("xlsx", ExportRequest(analyst, state)).data), sheet_name=None
    )
    assert "households" not in sheets and len(sheets["indicators"]) > 0


@pytest.mark.parametrize(("pii", "masked"), [(False, True), (True, False)])
def test_household_names_follow_the_role(embedded_store, county, pii, masked) -> None:
    access = ScopedStore(embedded_store, Scope(roots=(county,), pii=pii))
    result = render("csv", ExportRequest(access, ViewState(region=county, year=2018), "households"))
    frame = pd.read_csv(io.BytesIO(result.data), comment="#", encoding="utf-8-sig")
    raw = set(embedded_store.households(county, 2018)["head_name"])
    assert len(frame) > 0
    if masked:
        assert frame["head_name"].str.fullmatch(r".\*+").all()
        assert not set(frame["head_name"]) & raw
    else:
        assert set(frame["head_name"]) == raw
