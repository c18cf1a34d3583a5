"""Callback logic against the session's small embedded store (no browser, no Dash server)."""

from __future__ import annotations

import pytest

from battlemap.callbacks.context import AppContext
from battlemap.geodata.access import ScopedStore
from battlemap.settings import Settings
from battlemap.viewstate import ViewState


@pytest.fixture(scope="module")
def access(embedded_store) -> ScopedStore:
    return ScopedStore(embedded_store)


@pytest.fixture(scope="module")
def context(embedded_store, small_data_dir) -> AppContext:
    return AppContext(Settings(data_dir=small_data_dir), store=embedded_store)


@pytest.fixture(scope="module")
def chain(embedded_store) -> list[str]:
    """Province → village, each step the child with the most households in 2016."""
    codes = [embedded_store.regions.roots()[0].code]
    while len(codes) < 5:
        children = embedded_store.regions.children(codes[-1])
        codes.append(
            max(
                children, key=lambda c: embedded_store.counts(c.code, 2016)["registered_households"]
            ).code
        )
    return codes


@pytest.fixture
def state(chain) -> ViewState:
    return ViewState(region=chain[0], year=2016)
