"""Shared fixtures: one small generated data set per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from battlemap.geodata.synthetic.generate import generate
from tests.pg import postgis_cluster, postgis_dsn  # noqa: F401 - session fixtures

SMALL_HOUSEHOLDS = 50_000
SMALL_SEED = 7
SMALL2K_HOUSEHOLDS = 2_000


@pytest.fixture(scope="session", autouse=True)
def array_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The embedded store's array cache in the session's tmp dir, not ~/.cache."""
    from battlemap.geodata.embedded_cache import CACHE_ENV

    path = tmp_path_factory.mktemp("array-cache")
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = str(path)
    yield path
    if before is None:
        os.environ.pop(CACHE_ENV, None)
    else:
        os.environ[CACHE_ENV] = before


@pytest.fixture(scope="session")
def small_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 50,000-household synthetic Guizhou (seed 7), generated once per session."""
    path = tmp_path_factory.mktemp("small-data")
    generate(path, households=SMALL_HOUSEHOLDS, seed=SMALL_SEED, quiet=True)
    return path


@pytest.fixture(scope="session")
def small2k_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2,000-household synthetic Guizhou (seed 7), generated once per session: for tests of
    the array caches' mechanics (mapping, rebuilding, one build per version), which need real
    tables of every kind but not the 50,000-household set's volume."""
    path = tmp_path_factory.mktemp("small2k-data")
    generate(path, households=SMALL2K_HOUSEHOLDS, seed=SMALL_SEED, quiet=True)
    return path


@pytest.fixture(scope="session")
def small2k_store(small2k_data_dir: Path):
    from battlemap.geodata.embedded import EmbeddedStore

    return EmbeddedStore(small2k_data_dir)


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
