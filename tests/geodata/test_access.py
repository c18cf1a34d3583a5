"""The access layer: region scope on every call, names masked unless the scope has PII."""

from __future__ import annotations

import pytest

from battlemap.geodata.access import OutOfScopeError, Scope, ScopedStore, mask_name


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
        lambda: access.summary(other, 2015),
    ):
        with pytest.raises(OutOfScopeError):
            call()
    assert access.parent(county) is None  # the top of this user's map
    assert [i.code for i in access.ancestors(township)] == [county, township]


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
