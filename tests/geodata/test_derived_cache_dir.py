"""The embedded funds and cadre caches live in the cache dir (``$BATTLEMAP_CACHE_DIR``),
keyed by the data version, never in the data dir (issue 19): a read-only data dir works.

Root ignores file permissions, so instead of a chmod the test lists the data dir before
and after (names, sizes, times) and sees nothing written into it."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from battlemap.geodata.cadres_store import EmbeddedCadres
from battlemap.geodata.embedded_cache import CACHE_ENV
from battlemap.geodata.funds import EmbeddedFunds
from battlemap.indicators.cadre_rules import default_cadre_rules
from battlemap.indicators.funds_rules import funds_rules_of


def _listing(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
    }


def _files(root: Path) -> dict[str, tuple[int, int]]:
    """The files only: opening a bundle marks its folder as in use (its mtime: bundles
    unused for a day are pruned), which is not a rewrite."""
    return {k: v for k, v in _listing(root).items() if (root / k).is_file()}


def _funds(store):
    engine = EmbeddedFunds(
        store.data_dir, store.regions.codes, store.years, funds_rules_of(store.rules),
        store.manifest,
    )  # fmt: skip
    engine._ensure()
    return engine._values


def _cadres(store):
    engine = EmbeddedCadres(
        store.data_dir, list(store.regions.codes), store.years, default_cadre_rules()
    )
    return engine._counts_values()


@pytest.mark.parametrize(("build", "prefix"), [(_funds, "funds-"), (_cadres, "cadres-")])
def test_caches_go_to_the_cache_dir_not_the_data_dir(
    embedded_store, tmp_path, monkeypatch, build, prefix
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(cache))
    before = _listing(embedded_store.data_dir)
    first = build(embedded_store)
    assert _listing(embedded_store.data_dir) == before  # nothing written into the data dir
    written = [p for p in cache.iterdir() if p.name.startswith(prefix)]
    assert len(written) == 1 and any(written[0].iterdir())
    if os.geteuid() != 0:  # owner-only, like the array bundles
        assert written[0].stat().st_mode & 0o077 == 0
    # a second engine reads the cache: the same values, nothing rebuilt or rewritten
    stamp = _files(cache)
    assert np.array_equal(build(embedded_store), first)
    assert _files(cache) == stamp


@pytest.mark.parametrize("build", [_funds, _cadres])
def test_an_unwritable_cache_dir_serves_from_memory(
    embedded_store, tmp_path, monkeypatch, build
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")  # even root cannot make a dir under a file
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))
    before = _listing(embedded_store.data_dir)
    assert build(embedded_store).any()
    assert _listing(embedded_store.data_dir) == before
