"""Shared fixtures: one small generated data set per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from battlemap.geodata.synthetic.generate import generate
from tests.pg import postgis_cluster, postgis_dsn  # noqa: F401 - session fixtures

SMALL_HOUSEHOLDS = 50_000
SMALL_SEED = 7


@pytest.fixture(scope="session")
def small_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 50,000-household synthetic Guizhou (seed 7), generated once per session."""
    path = tmp_path_factory.mktemp("small-data")
    generate(path, households=SMALL_HOUSEHOLDS, seed=SMALL_SEED, quiet=True)
    return path


@pytest.fixture(scope="session")
def embedded_store(small_data_dir: Path):
    from battlemap.geodata.embedded import EmbeddedStore

    return EmbeddedStore(small_data_dir)


@pytest.fixture(scope="session")
def postgis_loaded_dsn(postgis_cluster, small_data_dir: Path) -> str:  # noqa: F811
    """A database holding the small data set, loaded once per session with `db load`."""
    return postgis_cluster.load_database("battlemap_small", small_data_dir)


@pytest.fixture(scope="session")
def postgis_store(postgis_loaded_dsn: str):
    from battlemap.geodata.postgis.store import PostgisStore

    store = PostgisStore(postgis_loaded_dsn)
    yield store
    store.close()
