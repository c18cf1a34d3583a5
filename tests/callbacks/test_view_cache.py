"""The panels' answer cache (issue 19): an answer is served again only to the same scope,
the scope check runs on every request, one view is computed once, and the cache is bounded."""

from __future__ import annotations

import json
import threading

import pytest

from battlemap.app import create_app
from battlemap.geodata.access import Scope
from battlemap.settings import Settings
from battlemap.views.cache import ViewCache
from tests.auth.dash_calls import call, server_callbacks, view_state

TABLES = "ranking-table.data"


class Switch:
    """The access policy of a signed-in user whose scope the test sets (as WebAuth does)."""

    def __init__(self) -> None:
        self.current = Scope()
        self.checks: list[tuple[str, bool]] = []

    def scope(self, default: Scope) -> Scope:
        return self.current

    def observe(self, code: str, allowed: bool, why: str = "") -> None:
        self.checks.append((code, allowed))


def _app(small_data_dir):
    # the app opens the store itself (so it watches the data version and caches)
    app = create_app(Settings(data_dir=small_data_dir), warm=False)
    context = app.server.config["BATTLEMAP_CONTEXT"]
    context.policy = Switch()
    return app.server.test_client(), context


@pytest.fixture(scope="module")
def served(small_data_dir):
    client, context = _app(small_data_dir)
    tables = next(d for d in server_callbacks(client) if d["output"].startswith(f"..{TABLES}"))
    return client, context, tables


def _tables(client, dep, village: str) -> dict:
    response = call(client, dep, {"view-state.data": view_state(village, year=2018)})
    assert response.status_code == 200, response.data[:200]
    return json.loads(response.data)


def _names(answer: dict) -> list[str]:
    return [row["head_name"] for row in answer["response"]["household-table"]["data"]]


def test_an_answer_is_served_only_to_the_scope_it_was_computed_for(served, chain):
    client, context, dep = served
    village = chain[4]
    policy = context.policy
    policy.current = Scope(pii=True)
    named = _tables(client, dep, village)
    hits = context.views.hits
    assert _tables(client, dep, village) == named  # the same scope: from the cache
    assert context.views.hits == hits + 1
    policy.current = Scope(pii=False)  # the same view for a user without personal data
    masked = _tables(client, dep, village)
    assert _names(masked) and _names(masked) != _names(named)
    assert all(name.endswith("*") for name in _names(masked) if len(name) > 1)
    # a user of another county: refused although the view is cached
    other = next(c for c in context.store.regions.level_codes(3) if not village.startswith(c[:6]))
    policy.current = Scope(roots=(other,), pii=True)
    policy.checks.clear()
    refused = _tables(client, dep, village)
    assert "household-table" not in refused.get("response", {})
    assert refused["sideUpdate"]["error-banner"]["hidden"] is False
    assert (village, False) in policy.checks  # the refusal is audited


def test_households_right_is_part_of_the_key(served, chain):
    client, context, dep = served
    context.policy.current = Scope(households=True)
    assert _tables(client, dep, chain[4])["response"]["household-table"]["data"]
    context.policy.current = Scope(households=False)
    answer = _tables(client, dep, chain[4])
    assert not answer.get("response", {}).get("household-table", {}).get("data")


def test_one_view_is_computed_once_for_requests_arriving_together():
    cache = ViewCache()
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def compute():
        calls.append(1)
        started.set()
        release.wait(10)
        return ("answer",)

    first = threading.Thread(target=cache.get, args=("k", compute))
    first.start()
    started.wait(10)  # the first request is computing
    results = []
    second = threading.Thread(target=lambda: results.append(cache.get("k", compute)))
    second.start()
    release.set()
    first.join(10)
    second.join(10)
    assert calls == [1] and results == [("answer",)]


def test_bounded_by_entries_and_by_bytes():
    cache = ViewCache(max_entries=3, max_bytes=10_000)
    for i in range(5):
        cache.get(i, lambda i=i: (f"v{i}",))
    assert cache.stats["entries"] == 3
    big = ("x" * 4_000,)
    for i in range(5, 10):
        cache.get(i, lambda: big)
    assert cache.stats["bytes"] <= 10_000
    cache.get("huge", lambda: ("y" * 20_000,))  # heavier than the bound on its own
    assert cache.get("huge", lambda: ("recomputed",)) == ("recomputed",)
