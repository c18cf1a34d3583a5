"""Household rows carry the year's guarantees (``met_<guarantee>``) in both stores: the same
as a pandas reading of household_years, and adding up to the radar's counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from battlemap.geodata.access import MissingRightError, Scope, ScopedStore
from battlemap.geodata.features import MET_COLUMNS, met_column
from battlemap.geodata.metrics import guarantee_metric
from battlemap.indicators.household import FLAG_COLUMNS
from battlemap.indicators.rules import GUARANTEES, default_rules

YEARS = (2014, 2017, 2020)


@pytest.fixture(params=["embedded", "postgis"])
def store(request):
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture(scope="module")
def flags(small_data_dir: Path) -> pd.DataFrame:
    """Each household-year's guarantees from the parquet file, by hand: a flag column as
    stored (missing = not met), income strictly above the year's line."""
    rows = pd.read_parquet(
        small_data_dir / "household_years.parquet",
        columns=["hh_id", "year", "income_per_capita", *FLAG_COLUMNS.values()],
    )
    lines = default_rules().household.income_lines
    out = pd.DataFrame({"hh_id": rows["hh_id"].astype(str), "year": rows["year"]})
    line = rows["year"].map(lines).astype(float)
    out[met_column("income")] = (rows["income_per_capita"].astype(float) > line).fillna(False)
    for name, column in FLAG_COLUMNS.items():
        out[met_column(name)] = rows[column].astype("boolean").fillna(False).astype(bool)
    return out.set_index(["hh_id", "year"])


def _county(store) -> str:
    return max(
        store.regions.level_codes(3), key=lambda c: store.counts(c, 2017)["registered_households"]
    )


def test_rows_carry_the_years_guarantees(store, flags) -> None:
    county = _county(store)
    for year in YEARS:
        frame = store.households(county, year)
        assert [c for c in frame.columns if c.startswith("met_")] == list(MET_COLUMNS)
        assert all(frame[c].dtype == bool for c in MET_COLUMNS)
        expected = flags.loc[list(zip(frame["hh_id"], [year] * len(frame), strict=True))]
        for column in MET_COLUMNS:
            assert np.array_equal(frame[column].to_numpy(), expected[column].to_numpy()), column
        counts = store.counts(county, year)
        for name in GUARANTEES:
            met = int(frame[met_column(name)].sum())
            assert met == counts[guarantee_metric(name)], (year, name)
            assert met > 0, (year, name)  # the synthetic households meet every guarantee
        assert not frame[list(MET_COLUMNS)].all(axis=None)  # and some miss one


def test_both_stores_give_the_same_guarantees(embedded_store, postgis_store) -> None:
    county = _county(embedded_store)
    embedded = embedded_store.households(county, 2016)
    postgis = postgis_store.households(county, 2016)
    pd.testing.assert_frame_equal(embedded[list(MET_COLUMNS)], postgis[list(MET_COLUMNS)])


def test_rows_without_the_right_are_refused_with_their_guarantees(store) -> None:
    county = _county(store)
    with pytest.raises(MissingRightError):
        ScopedStore(store, Scope(households=False)).households(county, 2016)
    masked = ScopedStore(store).households(county, 2016)  # names masked, guarantees kept
    assert list(masked.columns) == list(store.households(county, 2016).columns)
    assert masked["head_name"].str.contains(r"\*").all()


def test_income_is_met_under_the_stores_rules(small_data_dir: Path, flags) -> None:
    """A store opened with higher income lines marks fewer rows as meeting income, by its
    own lines, and its rows still add up to its radar count."""
    import dataclasses

    from battlemap.geodata.embedded import EmbeddedStore

    base = default_rules()
    lines = {y: line * 1.5 for y, line in base.household.income_lines.items()}
    rules = dataclasses.replace(
        base, household=dataclasses.replace(base.household, income_lines=lines)
    )
    strict = EmbeddedStore(small_data_dir, rules=rules)
    county = _county(strict)
    frame = strict.households(county, 2018)
    income = pd.read_parquet(
        small_data_dir / "household_years.parquet", columns=["hh_id", "year", "income_per_capita"]
    )
    income = income[income["year"] == 2018].set_index("hh_id")["income_per_capita"]
    expected = (income.loc[frame["hh_id"]].astype(float) > lines[2018]).fillna(False)
    assert np.array_equal(frame[met_column("income")].to_numpy(), expected.to_numpy())
    assert (
        int(frame[met_column("income")].sum())
        == strict.counts(county, 2018)[guarantee_metric("income")]
    )
    keys = list(zip(frame["hh_id"], [2018] * len(frame), strict=True))
    assert frame[met_column("income")].sum() < flags.loc[keys, met_column("income")].sum()
