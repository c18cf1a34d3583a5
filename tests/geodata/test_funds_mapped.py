"""The embedded funds data are memory-mapped from one bundle in the cache dir (issue 19):
the workers share its pages; answers equal those computed from the parquet tables; the
bundle is rebuilt for a new data version and when a file of it is damaged."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from battlemap.geodata.embedded_cache import CACHE_ENV
from battlemap.geodata.features import code_range
from battlemap.geodata.funds import EmbeddedFunds, read_funds_tables, with_totals
from battlemap.geodata.funds_schema import FUNDS_TABLES
from battlemap.geodata.mapped_pages import mapped_ranges, populate_mapped
from battlemap.indicators.funds_rules import funds_rules_of


def _engine(store, manifest=None) -> EmbeddedFunds:
    engine = EmbeddedFunds(
        store.data_dir, store.regions.codes, store.years, funds_rules_of(store.rules),
        manifest if manifest is not None else store.manifest,
    )  # fmt: skip
    engine._ensure()
    return engine


@pytest.fixture
def cache(tmp_path, monkeypatch):
    path = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(path))
    return path


@pytest.fixture(scope="module")
def tables(small2k_data_dir):
    return read_funds_tables(small2k_data_dir)


def _bundle_dir(cache):
    (found,) = [p for p in cache.iterdir() if p.name.startswith("funds-")]
    return found


def test_values_and_columns_are_memory_mapped_not_frames(small2k_store, cache, tables):
    engine = _engine(small2k_store)
    bundle = engine._bundle
    assert isinstance(engine._values, np.memmap)
    assert isinstance(bundle["fund_payments.amount"], np.memmap)
    assert isinstance(bundle["fund_payments.project_order"], np.memmap)
    assert isinstance(bundle["projects.planned_start"], np.memmap)
    text = bundle["fund_payments.payee_hh_id"]
    assert isinstance(text, pa.Array) and len(text) == len(tables["fund_payments"]) > 100
    # no table is held as a pandas frame by the engine: only the hits (a few rows)
    frames = [k for k, v in vars(engine).items() if isinstance(v, pd.DataFrame)]
    assert frames == ["_hits"] and len(engine._hits) < 10_000
    # the bundle's files are mapped in this process: their pages can be shared and faulted in
    ranges = mapped_ranges(cache)
    assert sum(end - start for start, end in ranges) > 1_000_000
    populate_mapped(cache)  # no error; the pages are read-only


def test_answers_equal_the_tables_read_from_parquet(small2k_store, cache, tables):
    engine = _engine(small2k_store)
    tree = small2k_store.regions
    projects = tables["projects"].sort_values("code", kind="stable")
    for code in [tree.roots()[0].code, tree.level_codes(3)[1], *tree.level_codes(5)[:40:7]]:
        lo, hi = code_range(code)
        mine = projects[(projects.code >= lo) & (projects.code <= hi)]
        expected = with_totals(mine, tables)
        got = engine.projects(code)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        ids = got.project_id.tolist()
        pay = tables["fund_payments"]
        wanted = pay[pay.project_id.isin(ids)].sort_values(["date", "payment_id"], kind="stable")
        pd.testing.assert_frame_equal(
            engine.payments(ids), wanted.reset_index(drop=True), check_exact=True
        )
    for name in FUNDS_TABLES:
        column = engine._rows(name, np.arange(len(tables[name])))
        pd.testing.assert_frame_equal(column, tables[name], check_exact=True)


def test_rebuilt_for_a_new_data_version(small2k_store, cache):
    first = _engine(small2k_store)
    before = {p.name for p in cache.iterdir()}
    other = _engine(small2k_store, {**small2k_store.manifest, "version": "another-version"})
    after = {p.name for p in cache.iterdir() if p.name.startswith("funds-")}
    assert len(after - before) == 1  # its own bundle, the old one untouched
    assert np.array_equal(first._values, other._values)


@pytest.mark.parametrize("damaged", ["values.npy", "fund_payments.payee_hh_id.arrow"])
def test_a_damaged_bundle_is_rebuilt(small2k_store, cache, damaged):
    first = _engine(small2k_store)
    village = small2k_store.regions.level_codes(5)[5]
    expected, values = first.projects(village), np.array(first._values)
    path = _bundle_dir(cache) / damaged
    # a new truncated file in its place (the first engine keeps mapping the old one, as a
    # running worker would: bundle files are never changed in place)
    spare = path.with_name("spare")
    spare.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    os.replace(spare, path)
    again = _engine(small2k_store)
    assert np.array_equal(again._values, values)
    pd.testing.assert_frame_equal(again.projects(village), expected)
    rebuilt = _bundle_dir(cache) / damaged
    assert rebuilt.stat().st_size > 0 and rebuilt.read_bytes() != b""


def test_a_data_dir_without_version_is_not_cached(small2k_store, cache):
    engine = _engine(small2k_store, {**small2k_store.manifest, "version": None})
    assert engine.counts([small2k_store.regions.roots()[0].code], small2k_store.years[-1])
    assert not cache.exists() or not any(p.name.startswith("funds-") for p in cache.iterdir())
