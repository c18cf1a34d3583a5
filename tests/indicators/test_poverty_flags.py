"""Exit checks apply to flagged regions: 摘帽 to 贫困县, 出列 to 贫困村 (issue 16)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from battlemap.geodata.embedded import EmbeddedStore
from battlemap.views.exit_report import assess_region, exit_report
from battlemap.views.summary import region_summary
from tests.indicators.tiny import A1A, A1B, COUNTY_A, PROVINCE


@pytest.fixture
def unflagged_store(tiny_data_dir: Path):
    """The tiny set with village 甲二村 (A1B) no longer a 贫困村 (its region row changed in
    the loaded tree; the data dir stays sealed)."""
    store = EmbeddedStore(tiny_data_dir)
    info = store.regions.get(A1B)
    store.regions._info[A1B] = dataclasses.replace(info, poverty_flag=False)
    return store


def test_exit_report_lists_flagged_villages_only(unflagged_store) -> None:
    assert [a.code for a in exit_report(unflagged_store, COUNTY_A, 2019)] == [A1A]
    every = exit_report(unflagged_store, COUNTY_A, 2019, flagged_only=False)
    assert [(a.code, a.poverty_flag) for a in every] == [(A1A, True), (A1B, False)]


def test_an_unflagged_village_has_no_exit_check(unflagged_store) -> None:
    assert assess_region(unflagged_store, A1B, 2019) is None
    summary = region_summary(unflagged_store, A1B, 2019)
    assert summary["poverty_flag"] is False
    assert summary["exit_standard"] is None and summary["exit_checks"] == []
    flagged = region_summary(unflagged_store, A1A, 2019)
    assert flagged["poverty_flag"] is True and flagged["exit_standard"] == "贫困村出列"


def test_stats_reports_the_flag(tiny_store) -> None:
    assert region_summary(tiny_store, COUNTY_A, 2019)["poverty_flag"] is True
    assert region_summary(tiny_store, PROVINCE, 2019)["poverty_flag"] is False
