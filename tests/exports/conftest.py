"""Export tests: one kaleido Chromium for the whole session, the small store, and where the
pictures are kept for a look: ``$BATTLEMAP_ARTIFACTS`` or a temporary directory whose path
the run prints (samples from a run are committed under ``tests/artifacts/exports``)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from battlemap.geodata.access import ScopedStore


@pytest.fixture(scope="session")
def kaleido_browser() -> Iterator[None]:
    """The one Chromium every picture of the session is drawn by (stopped at the end)."""
    from battlemap.exports.browser import kaleido_session

    with kaleido_session():
        yield


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory, pytestconfig) -> Path:
    configured = os.environ.get("BATTLEMAP_ARTIFACTS")
    path = Path(configured) if configured else tmp_path_factory.mktemp("export-artifacts")
    path.mkdir(parents=True, exist_ok=True)
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nexport pictures kept in {path}")
    return path


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
