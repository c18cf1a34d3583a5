"""Cadre, unit and region rankings by exit outcomes (issue 15) on a hand-made cadre table:
exited, then fewest wrong exits, fewest early warnings, fewest returned, then score."""

from __future__ import annotations

import pandas as pd

from battlemap.indicators.cadre_report import _rank_within, region_ranking, unit_ranking


def _cadres(rows: list[tuple]) -> pd.DataFrame:
    columns = ["cadre_id", "unit", "village_code", "in_post", "households_exited",
               "households_wrong_exit", "households_warning", "households_returned",
               "score"]  # fmt: skip
    frame = pd.DataFrame(rows, columns=columns)
    return frame.assign(unit_level="县直", households=5, visits=10, problems="")


def test_fewer_warnings_rank_first_when_exits_tie() -> None:
    # A and B tie on exits and wrong exits; B has more warnings, fewer returned, more score
    cadres = _cadres([
        ("a", "A", "520102001001", True, 3, 0, 1, 2, 10.0),
        ("b", "B", "520103001001", True, 3, 0, 2, 0, 50.0),
        ("c", "C", "520104001001", True, 1, 0, 0, 0, 90.0),
        ("d", "D", "520105001001", True, 3, 1, 0, 0, 90.0),
        ("x", "A", "520102001001", False, 9, 0, 0, 0, 99.0),  # not in post: not counted
    ])  # fmt: skip
    units = unit_ranking(cadres)
    assert units["unit"].tolist() == ["A", "B", "D", "C"]
    assert units["rank"].tolist() == [1, 2, 3, 4]
    assert units.loc[0, "households_warning"] == 1 and units.loc[0, "cadres"] == 1
    regions = region_ranking(cadres, 6)
    assert regions["code"].tolist() == ["520102000000", "520103000000", "520105000000",
                                        "520104000000"]  # fmt: skip


def test_rank_in_county_by_outcomes_then_score_ties_share() -> None:
    cadres = _cadres([
        ("a", "A", "520102001001", True, 2, 0, 0, 0, 10.0),
        ("b", "A", "520102001002", True, 2, 0, 1, 0, 80.0),
        ("c", "A", "520102001003", True, 2, 0, 0, 0, 10.0),
        ("d", "A", "520102001004", True, 2, 0, 0, 0, 20.0),
        ("e", "A", "520103001001", True, 0, 0, 0, 0, 5.0),  # another county
    ])  # fmt: skip
    ranks = _rank_within(cadres, cadres["village_code"].str[:6])
    assert ranks.tolist() == [2, 4, 2, 1, 1]
