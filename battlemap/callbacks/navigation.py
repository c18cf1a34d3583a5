"""Breadcrumb (省 › 市 › 县 › 乡 › 村), the back link and the language links, as plain links.

Links carry the full view in their ``href``; ``dcc.Link`` changes the URL without a reload
and the state callback picks it up, so a breadcrumb click is just another URL. Wired by
:mod:`battlemap.callbacks.panels` (one request per click for the whole header).
"""

from __future__ import annotations

from dash import dcc, html

from battlemap.geodata.access import ScopedStore
from battlemap.i18n import level_name
from battlemap.viewstate import ViewState

__all__ = ["crumbs", "navigation"]


def crumbs(access: ScopedStore, state: ViewState) -> list[tuple[str, str, str | None]]:
    """(level name, region name, href) from the top down: href None for the current region,
    "" for a parent above the user's scope (shown as a name, not a link)."""
    chain = access.ancestors(state.region)
    return [
        (
            level_name(info.level, state.lang),
            info.name,
            None
            if info.code == state.region
            else (state.query(region=info.code) if access.allows(info.code) else ""),
        )
        for info in chain
    ]


def navigation(access: ScopedStore, state: ViewState) -> tuple[list, str, str, str, str]:
    """Breadcrumb items, back-link href and class, and the two language links' hrefs."""
    items = []
    for level, name, href in crumbs(access, state):
        label = [html.Small(level), " ", name]
        if href is None:
            items.append(html.Li(html.Span(label, **{"aria-current": "page"}), className="current"))
        elif not href:  # above the user's scope: its name only
            items.append(html.Li(html.Span(label), className="above-scope"))
        else:
            items.append(html.Li(dcc.Link(label, href=href)))
    parent = access.parent(state.region)
    back = state.query(region=parent.code) if parent else state.query()
    return (
        items,
        back,
        "bm-back" if parent else "bm-back hidden",
        state.query(lang="zh"),
        state.query(lang="en"),
    )
