"""Fixtures of the indicator tests: the tiny hand-made data set in both stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from battlemap.geodata.embedded import EmbeddedStore
from battlemap.geodata.store import Store
from tests.indicators.tiny import write_tiny_data_dir


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_data_dir(tmp_path_factory.mktemp("tiny-data"))


@pytest.fixture(scope="session")
def tiny_embedded(tiny_data_dir: Path) -> EmbeddedStore:
    return EmbeddedStore(tiny_data_dir)


@pytest.fixture(scope="session")
def tiny_postgis_dsn(postgis_cluster, tiny_data_dir: Path) -> str:
    return postgis_cluster.load_database("battlemap_tiny", tiny_data_dir)


@pytest.fixture(scope="session")
def tiny_postgis(tiny_postgis_dsn: str):
    from battlemap.geodata.postgis.store import PostgisStore

    store = PostgisStore(tiny_postgis_dsn)
    yield store
    store.close()


@pytest.fixture(params=["embedded", "postgis"])
def tiny_store(request: pytest.FixtureRequest) -> Store:
    """The tiny data set in each engine (tests run once per store)."""
    return request.getfixturevalue(f"tiny_{request.param}")
