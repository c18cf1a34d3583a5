"""KPI tiles of a view: poor persons, incidence, exited, remaining, warnings, vs last year."""

from __future__ import annotations

from battlemap.geodata.access import ScopedStore
from battlemap.i18n import level_name, t
from battlemap.layers.kpi import kpi_tiles
from battlemap.layers.panelfigures import kpi_figure
from battlemap.views.panel import PanelView
from battlemap.viewstate import ViewState

__all__ = ["kpi_panel", "region_title"]


def region_title(access: ScopedStore, state: ViewState) -> str:
    """``贵州省 · 省 · 2019`` — the map's heading."""
    info = access.region(state.region)
    return f"{info.name} · {level_name(info.level, state.lang)} · {state.year}"


def kpi_panel(access: ScopedStore, state: ViewState) -> PanelView:
    """The tiles (``data["tiles"]``: layers.kpi.Tile), compared with the previous year when
    there is one; ``data["counts"]``/``data["previous"]`` are the raw counts."""
    counts = access.counts(state.region, state.year)
    years = access.years
    previous = None
    if state.year != years[0]:
        previous = access.counts(state.region, years[years.index(state.year) - 1])
    tiles = kpi_tiles(counts, previous, lang=state.lang)
    from battlemap.views.funds import funds_tiles  # issue 14: the fund anomalies tile

    tiles = [*tiles, *funds_tiles(access, state)]
    lang = state.lang
    return PanelView(
        panel="kpis",
        title=t("kpis", lang),
        figure=kpi_figure(tiles),
        rows=[{"key": x.key, "label": x.label, "value": x.value, "delta": x.delta} for x in tiles],
        columns=[
            {"name": t("name", lang), "id": "label"},
            {"name": t("value", lang), "id": "value"},
            {"name": t("vs_last_year", lang), "id": "delta"},
        ],
        data={"tiles": tiles, "counts": dict(counts), "previous": dict(previous or {}) or None},
    )
