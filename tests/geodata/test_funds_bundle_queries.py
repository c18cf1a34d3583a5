"""A region's projects and payments come from what the funds bundle computed once (issue 19):
few-valued text as codes into a vocabulary, each project's totals, the orders by project ID
and by (date, payment ID); the answers equal those computed from the parquet tables, for
empty regions, unknown, missing and repeated IDs too."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from battlemap.geodata.features import code_range
from battlemap.geodata.funds import (
    EmbeddedFunds,
    _text_parts,
    _words_of,
    funds_source,
    read_funds_tables,
    with_totals,
)


@pytest.fixture(scope="module")
def engine(embedded_store) -> EmbeddedFunds:
    source = funds_source(embedded_store)  # the session's bundle (built once for the suite)
    source._ensure()
    return source


@pytest.fixture(scope="module")
def tables(small_data_dir):
    return read_funds_tables(small_data_dir)


def test_bundle_holds_codes_totals_and_orders_mapped(engine):
    bundle = engine._bundle
    # few distinct values: int32 codes (mapped) into a small vocabulary, no strings per row
    assert "projects.type" not in bundle and "fund_payments.payee_type" not in bundle
    codes = bundle["projects.type.codes"]
    assert isinstance(codes, np.memmap) and codes.dtype == np.int32
    assert len(bundle["projects.type.words"]) <= 9 < len(codes)
    # many distinct values: Arrow strings, mapped
    assert isinstance(bundle["fund_payments.payment_id"], pa.Array)
    # what the queries used to compute per call from every matching row
    for key in (
        "projects.allocated", "projects.paid", "projects.beneficiaries", "projects.by_id",
        "fund_payments.by_date",
    ):  # fmt: skip
        assert isinstance(bundle[key], np.memmap), key
    assert sorted(np.asarray(bundle["fund_payments.by_date"])) == list(
        range(len(bundle["fund_payments.by_date"]))
    )


@pytest.mark.parametrize(
    "values",
    [
        ["产业", None, "教育", "产业"] * 8,  # few distinct: codes, null kept
        [f"P{i}" if i % 3 else None for i in range(40)],  # many distinct: Arrow strings
        [],
    ],
)
def test_text_parts_give_back_the_values(values):
    column = np.asarray(values, dtype=object)
    parts = _text_parts("t.c", column)
    if "t.c" in parts:
        back = parts["t.c"].to_numpy(zero_copy_only=False)
    else:
        back = _words_of(parts)["t.c"][parts["t.c.codes"]]
    assert back.dtype == object and back.tolist() == column.tolist()


def test_regions_equal_the_parquet_answers(engine, embedded_store, tables):
    tree = embedded_store.regions
    projects = tables["projects"].sort_values("code", kind="stable")
    pay = tables["fund_payments"]
    villages = tree.level_codes(5)
    empty = next(v for v in villages if not projects.code.eq(v).any())
    rng = random.Random(19)
    for code in [empty, tree.level_codes(4)[2], *rng.sample(villages, 5)]:
        lo, hi = code_range(code)
        expected = with_totals(projects[(projects.code >= lo) & (projects.code <= hi)], tables)
        got = engine.projects(code)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        ids = got.project_id.tolist()
        asked = [*ids[::-1], "no-such-project", None, *ids[:2]]  # any order, repeats
        wanted = pay[pay.project_id.isin(ids)].sort_values(["date", "payment_id"], kind="stable")
        pd.testing.assert_frame_equal(
            engine.payments(asked), wanted.reset_index(drop=True), check_exact=True
        )
    assert engine.projects(empty).empty and engine.payments([]).empty
