"""Exit checks across a region for the wall: counts equal the exit report; reasons listed."""

from __future__ import annotations

from battlemap.geodata.access import ScopedStore
from battlemap.views.exit_report import exit_report
from battlemap.views.exit_status import exit_status, failing_panel, passing_tile


def test_counts_match_the_exit_report(embedded_store) -> None:
    access = ScopedStore(embedded_store)
    root = embedded_store.regions.roots()[0].code
    report = exit_report(embedded_store, root, 2017, 3)
    status = exit_status(access, root, 2017)
    assert status.level == 3 and status.total == len(report)
    assert status.passing == sum(a.passed for a in report)
    failing = {a.code for a in report if any(c.status == "fail" for c in a.checks)}
    assert {f.code for f in status.failing} == failing
    assert all(f.reasons for f in status.failing)
    panel = failing_panel(status, limit=3)
    assert len(panel.rows) == min(3, len(failing))
    assert panel.rows[0]["reasons"] == "；".join(status.failing[0].reasons)


def test_villages_under_a_county(embedded_store) -> None:
    access = ScopedStore(embedded_store)
    county = embedded_store.regions.level_codes(3)[0]
    status = exit_status(access, county, 2019, lang="en")
    assert status.level == 5
    assert status.total == len(exit_report(embedded_store, county, 2019, 5))
    for failing in status.failing:  # English reasons have no Chinese words but names
        assert all("高于" not in r and "低于" not in r for r in failing.reasons)


def test_passing_tile_change_vs_last_year(embedded_store) -> None:
    access = ScopedStore(embedded_store)
    root = embedded_store.regions.roots()[0].code
    now, before = exit_status(access, root, 2019), exit_status(access, root, 2018)
    tile = passing_tile(now, before, lang="en")
    assert tile.value == f"{now.passing:,} / {now.total:,}"
    change = now.passing - before.passing
    assert tile.delta.endswith(f"{abs(change):,}")
    assert tile.good is (None if change == 0 else change > 0)
