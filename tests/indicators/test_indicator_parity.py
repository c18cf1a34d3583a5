"""Both stores agree on every indicator of this issue, on the generated small set.

Counts of every metric and the ``stats`` summary of levels 1–4 are compared in
tests/geodata/test_store_parity.py; here: village summaries, exit reports, rankings and
counts under non-default rules.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from battlemap.geodata.embedded import EmbeddedStore
from battlemap.indicators.rules import parse_rules
from battlemap.views.exit_report import exit_report
from battlemap.views.ranking import rank_children
from battlemap.views.summary import region_summary
from tests.indicators.common import mutated


def sample(store, level: int, k: int = 3) -> list[str]:
    codes = store.regions.level_codes(level)
    return random.Random(7 * level).sample(codes, min(k, len(codes)))


def test_village_summaries_agree(embedded_store, postgis_store) -> None:
    for code in sample(embedded_store, 5):
        for year in embedded_store.years:
            assert region_summary(embedded_store, code, year) == region_summary(
                postgis_store, code, year
            ), (code, year)


@pytest.mark.parametrize("year", [2014, 2016, 2019])
def test_exit_reports_agree(embedded_store, postgis_store, year: int) -> None:
    for code, level in [("52", None), (sample(embedded_store, 2, 1)[0], 5)]:
        ours = [a.as_dict() for a in exit_report(embedded_store, code, year, level)]
        assert ours == [a.as_dict() for a in exit_report(postgis_store, code, year, level)]


@pytest.mark.parametrize(
    "indicator", ["incidence_pct", "wrong_exit_rate_pct", "warning_households",
                  "guarantee_water_pct", "new_exit_persons"])  # fmt: skip
def test_rankings_agree(embedded_store, postgis_store, indicator: str) -> None:
    for code in ["52", sample(embedded_store, 3, 1)[0]]:
        assert rank_children(embedded_store, code, 2018, indicator) == rank_children(
            postgis_store, code, 2018, indicator
        )


def test_other_rules_agree(
    small_data_dir: Path, postgis_loaded_dsn: str, tmp_path: Path, embedded_store
) -> None:
    """Stricter warnings, a moved weight, a higher threshold: both stores recompute, agree."""
    from battlemap.geodata.postgis.store import PostgisStore

    rules = parse_rules(mutated(lambda d: (
        d["household"]["weights"].update(income=25, pension=15),
        d["household"].update(threshold=90),
        d["warning"].update(unstable_income_multiple=2.0, edge_income_multiple=2.5,
                            income_drop_pct=5))))  # fmt: skip
    copy = tmp_path / "data"
    shutil.copytree(small_data_dir, copy)
    embedded = EmbeddedStore(copy, rules=rules)
    postgis = PostgisStore(postgis_loaded_dsn, rules=rules)
    try:
        for level in (1, 3, 5):
            for code in sample(embedded, level, 2):
                for year in (2016, 2019):
                    counts = embedded.counts(code, year)
                    assert counts == postgis.counts(code, year), (code, year)
        default = embedded_store.counts("52", 2019)
        changed = embedded.counts("52", 2019)
        assert changed["warning_households_sudden"] > default["warning_households_sudden"]
        assert changed["wrong_exit_households"] > default["wrong_exit_households"]
        assert changed["poor_persons"] == default["poor_persons"]
    finally:
        postgis.close()
