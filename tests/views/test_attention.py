"""Regions that most need attention (the wall's tour): picked from the counts and the exit
report, one of each list in turn, no repeats, at most K."""

from __future__ import annotations

import pytest

from battlemap.geodata.access import Scope, ScopedStore
from battlemap.indicators.incidence import incidence_pct
from battlemap.layers.catalog import warning_total
from battlemap.views.attention import attention_regions, candidate_codes
from battlemap.views.exit_report import exit_report

YEAR = 2017


@pytest.fixture(scope="module")
def access(embedded_store) -> ScopedStore:
    return ScopedStore(embedded_store)


def test_province_candidates_are_its_counties(access, embedded_store) -> None:
    root = embedded_store.regions.roots()[0].code
    assert candidate_codes(access, root) == sorted(embedded_store.regions.level_codes(3))


def test_attention_heads_each_list(access, embedded_store) -> None:
    root = embedded_store.regions.roots()[0].code
    chosen = attention_regions(access, root, YEAR, 6)
    codes = [a.code for a in chosen]
    assert len(chosen) == 6 and len(set(codes)) == 6
    counts = embedded_store.counts_many(candidate_codes(access, root), YEAR)
    worst = max(counts, key=lambda c: (incidence_pct(counts[c]) or 0, -int(c)))
    most = max(counts, key=lambda c: (warning_total(counts[c]) or 0, -int(c)))
    assert chosen[0].code == worst and chosen[0].reason == "incidence"
    assert chosen[0].value == incidence_pct(counts[worst])
    second = chosen[1]
    assert second.reason == "warnings"
    assert second.code == most or most == worst  # the top one may already be taken
    failing = {
        a.code
        for a in exit_report(embedded_store, root, YEAR, 3)
        if any(c.status == "fail" for c in a.checks)
    }
    assert all(a.code in failing for a in chosen if a.reason == "exit_checks")


def test_attention_stays_inside_a_scope(embedded_store) -> None:
    root = embedded_store.regions.roots()[0].code
    prefecture = embedded_store.regions.children(root)[0].code
    scoped = ScopedStore(embedded_store, Scope(roots=(prefecture,)))
    chosen = attention_regions(scoped, prefecture, YEAR, 5)
    assert chosen and all(a.code.startswith(prefecture[:4]) for a in chosen)


def test_k_bounds_the_list(access, embedded_store) -> None:
    root = embedded_store.regions.roots()[0].code
    assert attention_regions(access, root, YEAR, 0) == []
    assert len(attention_regions(access, root, YEAR, 2)) == 2
