"""Cause breakdown by primary and any cause, and the mix against the parent region."""

from __future__ import annotations

from battlemap.geodata.metrics import METRIC_NAMES, cause_metric
from battlemap.indicators.causes import cause_mix_vs_parent, cause_table


def counts(poor: int, primary: dict[int, int], any_cause: dict[int, int]) -> dict[str, int]:
    out = dict.fromkeys(METRIC_NAMES, 0)
    out["poor_persons"] = poor
    for i, n in primary.items():
        out[cause_metric(i)] = n
        out[cause_metric(i, unit="households")] = n // 2
    for i, n in any_cause.items():
        out[cause_metric(i, any_cause=True)] = n
        out[cause_metric(i, unit="households", any_cause=True)] = n // 2
    return out


def test_cause_table() -> None:
    rows = cause_table(counts(100, {0: 60, 3: 40}, {0: 70, 3: 40, 6: 30}))
    assert len(rows) == 12 and rows[0].code == "01" and rows[0].name == "因病"
    assert (rows[0].persons, rows[0].households, rows[0].any_persons) == (60, 30, 70)
    assert (rows[0].share_pct, rows[0].any_share_pct) == (60.0, 70.0)
    assert rows[6].persons == 0 and rows[6].any_share_pct == 30.0
    assert sum(r.share_pct for r in rows) == 100.0
    assert rows[11].as_dict()["name"] == "其他"


def test_mix_vs_parent() -> None:
    here = counts(100, {0: 60, 3: 40}, {0: 60, 3: 40})
    parent = counts(1000, {0: 400, 3: 600}, {0: 500, 3: 600})
    mix = cause_mix_vs_parent(here, parent)
    assert (mix[0].share_pct, mix[0].parent_share_pct, mix[0].diff_pp) == (60.0, 40.0, 20.0)
    assert mix[3].diff_pp == -20.0 and mix[0].any_diff_pp == 10.0


def test_no_poor_and_no_parent() -> None:
    mix = cause_mix_vs_parent(counts(0, {}, {}), None)
    assert all(m.share_pct is None and m.parent_share_pct is None and m.diff_pp is None
               for m in mix)  # fmt: skip
