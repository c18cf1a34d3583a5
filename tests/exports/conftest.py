"""Export tests: one kaleido Chromium for the whole session, the small store, and where the
pictures are kept for a look (``tests/artifacts/exports`` or ``$BATTLEMAP_ARTIFACTS``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from battlemap.geodata.access import ScopedStore

ARTIFACTS = Path(
    os.environ.get("BATTLEMAP_ARTIFACTS", Path(__file__).parents[1] / "artifacts" / "exports")
)


@pytest.fixture(scope="session")
def kaleido_browser() -> Iterator[None]:
    """The one Chromium every picture of the session is drawn by (stopped at the end)."""
    from battlemap.exports.browser import kaleido_session

    with kaleido_session():
        yield


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def open_access(embedded_store) -> ScopedStore:
    """The open demo's scope (every region, names masked, exports allowed)."""
    return ScopedStore(embedded_store)


@pytest.fixture(scope="session")
def prefecture(embedded_store) -> str:
    """The first prefecture (贵阳市 in the synthetic Guizhou)."""
    root = embedded_store.regions.roots()[0].code
    return embedded_store.regions.children(root)[0].code


@pytest.fixture(scope="session")
def county(embedded_store, prefecture) -> str:
    """The prefecture's county with the most registered households in 2018."""
    children = embedded_store.regions.children(prefecture)
    return max(
        children, key=lambda c: embedded_store.counts(c.code, 2018)["registered_households"]
    ).code
