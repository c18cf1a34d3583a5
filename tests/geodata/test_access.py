"""The access layer: region scope on every call, names masked unless the scope has PII."""

from __future__ import annotations

import pytest

from battlemap.geodata.access import (
    SMALL_COUNT,
    AccessRefusedError,
    MissingRightError,
    OutOfScopeError,
    Scope,
    ScopedStore,
    mask_name,
)
from battlemap.views.summary import scoped_summary


def test_mask_name() -> None:
    assert mask_name("张三丰") == "张**"
    assert mask_name("李四") == "李*"
    assert mask_name("王") == "王*"
    assert mask_name("") == "" and mask_name(None) == ""


@pytest.fixture(scope="module")
def county(embedded_store) -> str:
    return embedded_store.regions.level_codes(3)[0]


def test_scope_allows_only_its_subtree(embedded_store, county) -> None:
    access = ScopedStore(embedded_store, Scope(roots=(county,)))
    assert access.home().code == county
    township = embedded_store.regions.children(county)[0].code
    assert access.region(township).code == township
    other = next(c for c in embedded_store.regions.level_codes(3) if c != county)
    root = embedded_store.regions.roots()[0].code
    for call in (
        lambda: access.region(other),
        lambda: access.counts(root, 2015),
        lambda: access.children_counts(other, 2015),
        lambda: access.unit_shapes(root),
        lambda: access.households(other, 2015),
        lambda: access.hexbins(other, 2015),
        lambda: access.relocation_flows(root, 2015),
        lambda: access.labour_flows(other, 2015),
        lambda: scoped_summary(access, other, 2015),
    ):
        with pytest.raises(OutOfScopeError):
            call()
    assert access.parent(county) is None  # the top of this user's map
    # parents above the scope come as names for the breadcrumb, and nothing else of them
    chain = [i.code for i in access.ancestors(township)]
    assert chain == [root, embedded_store.region(county).parent_code, county, township]
    assert [access.allows(c) for c in chain] == [False, False, True, True]


def test_names_masked_unless_pii(embedded_store) -> None:
    village = max(
        embedded_store.regions.level_codes(5),
        key=lambda v: embedded_store.counts(v, 2016)["registered_households"],
    )
    masked = ScopedStore(embedded_store).households(village, 2016)
    raw = ScopedStore(embedded_store, Scope(pii=True)).households(village, 2016)
    assert len(masked) and len(masked) == len(raw)
    assert all(
        m == r[0] + "*" * max(len(r) - 1, 1)
        for m, r in zip(masked["head_name"], raw["head_name"], strict=True)
    )
    assert not set(masked["head_name"]) & set(raw["head_name"])


@pytest.fixture(scope="module")
def village(embedded_store) -> str:
    return max(
        embedded_store.regions.level_codes(5),
        key=lambda v: embedded_store.counts(v, 2016)["registered_households"],
    )


def test_no_household_rows_without_the_right(embedded_store, village) -> None:
    aggregates = ScopedStore(embedded_store, Scope(households=False))
    with pytest.raises(MissingRightError, match="household rows"):
        aggregates.households(village, 2016)
    with pytest.raises(MissingRightError):
        aggregates.require_households(village)
    assert aggregates.counts(village, 2016) == embedded_store.counts(village, 2016)


def test_small_hexbin_cells_suppressed_without_household_rights(embedded_store, village) -> None:
    county = embedded_store.region(embedded_store.region(village).parent_code).parent_code
    for res in (9, 8, 7, 6, 5):  # the finest resolution with both small and large cells
        full = ScopedStore(embedded_store).hexbins(county, 2016, res)
        small = full["poor_households"] < SMALL_COUNT
        if small.any() and (~small).any():
            break
    shown = ScopedStore(embedded_store, Scope(households=False)).hexbins(county, 2016, res)
    assert small.any() and (~small).any()  # both kinds present: the test can tell
    assert shown["cell"].tolist() == full.loc[~small, "cell"].tolist()


@pytest.mark.parametrize(
    ("scope", "aggregate", "households"),
    [
        (Scope(), True, True),
        (Scope(households=False), True, False),
        (Scope(households=False, exports=False), False, False),
    ],
)
def test_exports_follow_the_rights(embedded_store, county, scope, aggregate, households) -> None:
    access = ScopedStore(embedded_store, scope)
    for wanted, kind in ((aggregate, {}), (households, {"households": True})):
        if wanted:
            assert access.check_export(county, **kind).code == county
        else:
            with pytest.raises(MissingRightError):
                access.check_export(county, **kind)


def test_every_check_is_observed(embedded_store, county) -> None:
    seen: list[tuple[str, bool, str]] = []
    access = ScopedStore(
        embedded_store, Scope(roots=(county,), households=False), observer=lambda *a: seen.append(a)
    )
    access.counts(county, 2016)
    other = next(c for c in embedded_store.regions.level_codes(3) if c != county)
    with pytest.raises(OutOfScopeError):
        access.unit_shapes(other)
    with pytest.raises(AccessRefusedError):
        access.households(county, 2016)
    assert [(c, ok) for c, ok, _ in seen] == [
        (county, True), (other, False), (county, True), (county, False),
    ]  # fmt: skip
    assert "outside your access scope" in seen[1][2] and "household" in seen[3][2]
