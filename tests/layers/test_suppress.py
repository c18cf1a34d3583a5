"""Per-area household bubbles with 1–2 households read "<3" and do not show the number."""

from __future__ import annotations

from battlemap.layers.households import household_bubbles
from battlemap.layers.suppress import suppress_small_bubbles


def test_small_counts_read_less_than_three() -> None:
    counts = [0, 1, 2, 3, 40]
    codes = [f"52010200000{i}" for i in range(5)]
    trace = household_bubbles(codes, list("abcde"), [106.0] * 5, [26.0] * 5, counts)
    shown = suppress_small_bubbles(trace, counts)
    texts = [row[2] for row in shown["customdata"]]
    assert texts == ["0 户", "<3 户", "<3 户", "3 户", "40 户"]
    sizes = shown["marker"]["size"]
    assert sizes[1] == sizes[2] == sizes[3] and sizes[0] < sizes[1] < sizes[4]
    assert trace["customdata"][1][2] == "1 户"  # the input is not modified
    assert [row[:2] for row in shown["customdata"]] == [row[:2] for row in trace["customdata"]]
