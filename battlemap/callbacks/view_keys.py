"""What the panels' cached callback answers are keyed by, so a view is computed once.

Many cadres open the same province, city and county views, and a year or indicator change
re-fires panels that do not depend on what changed (the funds and cadres panels do not read
the indicator). :class:`ViewCache` keeps each panel's answer keyed by

    (panel, data version, the request's scope, the view fields the panel reads)

so one user never gets an answer computed under another scope (the scope, with its
``pii``/``households`` rights, is in the key) and a new data version never serves an old
answer (the version is in the key, and :class:`~battlemap.callbacks.context.AppContext`
clears the cache when it reopens the store). The region's scope check still runs on every
request before the lookup (``AppContext.cached_view``), so refusals and the audit are as
without the cache. Only a context that opened its store itself (and so watches its data
version) caches; one given a store (tests, embedding) computes every answer.

The cache itself (bounded, each key computed once across threads) is
:class:`~battlemap.views.cache.ViewCache`; this module holds only the callbacks' keys.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NOT_MAP", "REGION_YEAR", "VIEW_FIELDS", "view_key"]

# The view fields each panel's answer depends on (what its view functions read).
VIEW_FIELDS = ("region", "year", "indicator", "layers", "lang", "compare", "filter", "view")
REGION_YEAR = ("region", "year", "lang")
NOT_MAP = ("region", "year", "indicator", "lang", "compare", "filter")


def view_key(state: Any, fields: tuple[str, ...]) -> tuple:
    """The ``fields`` of a :class:`~battlemap.viewstate.ViewState` as a hashable key."""
    return tuple(getattr(state, name) for name in fields)
