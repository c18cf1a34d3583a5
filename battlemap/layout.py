"""The page: header, controls, map, side panels, footer — rendered per request from the URL.

The layout function reads the request's query string, so the first paint already shows the
linked view in the linked language; callbacks then fill figures and tables.
"""

from __future__ import annotations

from typing import Any

from dash import dash_table, dcc, html

from battlemap import ids
from battlemap.exportmenu import export_menu
from battlemap.geodata.access import ScopedStore
from battlemap.i18n import t
from battlemap.layers.base import FONT_FAMILY, graph_config
from battlemap.layers.catalog import INDICATORS
from battlemap.viewstate import LAYER_KEYS, ViewState

__all__ = [
    "chart",
    "compare_options",
    "error_page",
    "filter_chip",
    "indicator_options",
    "layer_options",
    "page",
    "search_box",
    "table_style",
]

GRAPH_CONFIG: dict[str, Any] = graph_config(
    remove=("select2d", "lasso2d"), scrollZoom=True, responsive=True
)


def indicator_options(keys: list[str], lang: str) -> list[dict[str, str]]:
    """Dropdown options for the indicators the store provides."""
    return [{"label": INDICATORS[k].name(lang), "value": k} for k in keys]


def layer_options(lang: str) -> list[dict[str, str]]:
    """Checklist options of every switchable layer."""
    return [{"label": t(f"layer_{k}", lang), "value": k} for k in LAYER_KEYS]


def table_style(*, compact: bool = False) -> dict[str, Any]:
    """Shared DataTable styling: CJK font, wrapping cells, compact rows (``compact``: a
    smaller font and padding, for a many-column table such as the cadres panel's)."""
    return {
        "style_table": {"overflowX": "auto"},
        "style_cell": {
            "fontFamily": FONT_FAMILY,
            "fontSize": "12px" if compact else "13px",
            "padding": "3px 4px" if compact else "4px 6px",
            "whiteSpace": "normal",
            "height": "auto",
            "textAlign": "left",
            "maxWidth": "220px",
        },
        "style_header": {"fontWeight": "600", "backgroundColor": "#f3f5f7"},
        "css": [{"selector": ".dash-spreadsheet td div", "rule": "line-height: 1.3;"}],
    }


def search_box(lang: str) -> html.Div:
    """The region search: a text box and the list of matches under it."""
    return html.Div(
        className="bm-search",
        role="search",
        title=t("search", lang),
        children=[
            dcc.Input(
                id=ids.SEARCH,
                type="search",
                value="",
                debounce=False,
                autoComplete="off",
                placeholder=t("search_placeholder", lang),
            ),
            html.Ul(id=ids.SEARCH_RESULTS, className="bm-search-results"),
        ],
    )


def filter_chip(state: ViewState, lang: str) -> html.Div:
    """The cross-filter in force, with a button that removes it (hidden without one)."""
    return html.Div(
        className="bm-chips",
        id=ids.FILTER_CHIP,
        hidden=not state.filter,
        children=html.Span(
            className="bm-chip",
            children=[
                html.Span(id=ids.FILTER_LABEL),
                html.Button(
                    "×",
                    id=ids.FILTER_REMOVE,
                    n_clicks=0,
                    title=t("filter_remove", lang),
                    **{"aria-label": t("filter_remove", lang)},
                ),
            ],
        ),
    )


def compare_options(years: tuple[int, ...] | list[int], lang: str) -> list[dict[str, Any]]:
    """``No comparison`` and each year: the map shows the change since the chosen year."""
    return [{"label": t("compare_none", lang), "value": ""}] + [
        {"label": str(y), "value": str(y)} for y in years
    ]


def _panel(title: str, *children: Any, panel_id: str | None = None) -> html.Section:
    return html.Section(
        [html.H2(title), *children], className="bm-panel", **({"id": panel_id} if panel_id else {})
    )


def chart(graph_id: str, figure: dict[str, Any]) -> dcc.Graph:
    """A side-panel chart sized by its figure's height (mounted with its first figure)."""
    height = figure.get("layout", {}).get("height", 260)
    return dcc.Graph(
        id=graph_id,
        figure=figure,
        config=graph_config(displayModeBar=False, responsive=True),
        style={"height": f"{height}px"},
        className="bm-chart",
    )


def _chart_box(box_id: str, height: int) -> html.Div:
    """Where a chart appears once the map has drawn (no empty plot on page load)."""
    return html.Div(id=box_id, className="bm-chart-box", style={"minHeight": f"{height}px"})


def page(
    access: ScopedStore,
    state: ViewState,
    *,
    indicators: list[str],
    problems: list[str],
    map_figure: dict[str, Any] | None = None,
) -> html.Div:
    """The whole page for ``state``; ``problems`` (bad link parameters) show in the banner.

    ``map_figure`` is the map's first figure (style and view, no data yet).
    """
    lang = state.lang
    years = access.years
    synthetic = bool(access.manifest.get("synthetic", True))
    badge = html.Span(t("synthetic_badge", lang), className="bm-badge", id="synthetic-badge")
    problem_text = f"{t('bad_link', lang)}: {'; '.join(problems)}" if problems else ""
    return html.Div(
        className="bm-app",
        lang=lang,
        children=[
            dcc.Location(id=ids.URL, refresh=False),
            dcc.Store(id=ids.STATE, data=state.to_dict()),
            dcc.Store(id=ids.MAP_KEY),
            dcc.Store(id=ids.MAP_DRAWN),
            dcc.Store(id=ids.CHART_KEY),
            dcc.Store(id=ids.VIEWPORT),
            dcc.Store(id=ids.PAGE_TITLE, data=t("title", lang)),
            dcc.Store(id=ids.MAP_VIEW, data=state.view),
            dcc.Store(id=ids.FILTER_PICK),
            dcc.Interval(id=ids.TICKER, interval=1400, disabled=True),
            html.Header(
                className="bm-header",
                children=[
                    html.H1(t("title", lang)),
                    badge if synthetic else None,
                    search_box(lang),
                    html.Nav(
                        className="bm-lang",
                        children=[
                            html.A(
                                "中文",
                                lang="zh",  # the language's own name, in every language
                                id=ids.LANG_ZH,
                                href=state.query(lang="zh"),
                                className="active" if lang == "zh" else "",
                            ),
                            html.A(
                                "English",
                                id=ids.LANG_EN,
                                href=state.query(lang="en"),
                                className="active" if lang == "en" else "",
                            ),
                        ],
                    ),
                ],
            ),
            html.Div(
                problem_text, id=ids.ERROR, className="bm-error", role="alert", hidden=not problems
            ),
            html.Section(
                className="bm-controls",
                children=[
                    html.Nav(
                        className="bm-crumbs",
                        children=[
                            dcc.Link(
                                "↑ " + t("back", lang), id=ids.BACK, href="", className="bm-back"
                            ),
                            html.Ol(id=ids.BREADCRUMB, className="bm-breadcrumb"),
                        ],
                    ),
                    html.Div(
                        className="bm-year",
                        children=[
                            html.Button(
                                t("play", lang),
                                id=ids.PLAY,
                                n_clicks=0,
                                className="bm-play",
                                **{"data-play": t("play", lang), "data-pause": t("pause", lang)},
                            ),
                            html.Div(
                                dcc.Slider(
                                    id=ids.YEAR,
                                    min=years[0],
                                    max=years[-1],
                                    step=1,
                                    value=state.year,
                                    marks={y: {"label": str(y)} for y in years},
                                    included=False,
                                    updatemode="mouseup",
                                    allow_direct_input=False,
                                ),
                                className="bm-slider",
                            ),
                        ],
                    ),
                    html.Div(
                        className="bm-pickers",
                        children=[
                            html.Label(
                                [
                                    html.Span(t("indicator", lang)),
                                    dcc.Dropdown(
                                        id=ids.INDICATOR,
                                        options=indicator_options(indicators, lang),
                                        value=state.indicator,
                                        clearable=False,
                                        searchable=False,
                                    ),
                                ],
                                className="bm-indicator",
                            ),
                            html.Label(
                                [
                                    html.Span(t("compare", lang)),
                                    dcc.Dropdown(
                                        id=ids.COMPARE,
                                        options=compare_options(years, lang),
                                        value="" if state.compare is None else str(state.compare),
                                        clearable=False,
                                        searchable=False,
                                    ),
                                ],
                                className="bm-compare",
                            ),
                            html.Fieldset(
                                [
                                    html.Legend(t("layers", lang)),
                                    dcc.Checklist(
                                        id=ids.LAYERS,
                                        options=layer_options(lang),
                                        value=list(state.layers),
                                        inline=True,
                                    ),
                                ],
                                className="bm-layers",
                            ),
                        ],
                    ),
                ],
            ),
            html.Main(
                className="bm-main",
                children=[
                    html.Section(
                        className="bm-map-panel",
                        children=[
                            html.H2(id=ids.REGION_TITLE, className="bm-region-title"),
                            filter_chip(state, lang),
                            # own fixed-size box: dcc.Graph watches its parent's size,
                            # and the notice below appearing must not redraw the map
                            html.Div(
                                dcc.Graph(
                                    id=ids.MAP,
                                    config=GRAPH_CONFIG,
                                    className="bm-map",
                                    figure=map_figure
                                    or {"data": [], "layout": {"map": {"style": "white-bg"}}},
                                ),
                                className="bm-map-box",
                            ),
                            html.Div(id=ids.NOTICE, className="bm-notice"),
                            export_menu(access.scope, lang),
                        ],
                    ),
                    html.Aside(
                        className="bm-side",
                        children=[
                            html.Div(
                                id=ids.KPIS, className="bm-kpis", **{"aria-label": t("kpis", lang)}
                            ),
                            _panel(
                                t("causes", lang),
                                html.P(t("filter_click_hint", lang), className="bm-note"),
                                _chart_box(ids.CAUSES_BOX, 160),
                            ),
                            _panel(t("trend", lang), _chart_box(ids.TREND_BOX, 330)),
                            _panel(t("radar", lang), _chart_box(ids.RADAR_BOX, 300)),
                            _panel(
                                t("ranking", lang),
                                dash_table.DataTable(
                                    id=ids.RANKING,
                                    sort_action="native",
                                    page_size=12,
                                    cell_selectable=True,
                                    **table_style(),
                                ),
                            ),
                            _panel(
                                t("exit_checks", lang),
                                html.P(id=ids.EXIT_NOTE, className="bm-note"),
                                dash_table.DataTable(id=ids.EXIT_CHECKS, **table_style()),
                            ),
                            _panel(
                                t("cadres_panel", lang),
                                html.P(id=ids.CADRES_NOTE, className="bm-note"),
                                _chart_box(ids.CADRES_BOX, 0),
                                dash_table.DataTable(
                                    id=ids.CADRES_TABLE,
                                    page_size=10,
                                    sort_action="native",
                                    **table_style(compact=True),  # 9 columns at 1440 px
                                ),
                                panel_id="cadres-panel",
                            ),
                            _panel(
                                t("funds_title", lang),
                                html.P(id=ids.FUNDS_NOTE, className="bm-note"),
                                _chart_box(ids.FUNDS_BOX, 0),
                                dash_table.DataTable(
                                    id=ids.FUNDS_TABLE, page_size=8, **table_style()
                                ),
                                dash_table.DataTable(
                                    id=ids.FUNDS_PAYMENTS, page_size=8, **table_style()
                                ),
                                panel_id="funds-panel",
                            ),
                            _panel(
                                t(
                                    "household_table_named"
                                    if access.scope.pii
                                    else "household_table",
                                    lang,
                                ),
                                html.P(id=ids.HOUSEHOLD_NOTE, className="bm-note"),
                                dash_table.DataTable(
                                    id=ids.HOUSEHOLDS,
                                    page_size=10,
                                    sort_action="native",
                                    **table_style(),
                                ),
                            ),
                        ],
                    ),
                ],
            ),
            html.Footer(
                className="bm-footer",
                children=[
                    html.Span(
                        t("synthetic_badge", lang) if synthetic else "", className="bm-synthetic"
                    ),
                    _as_of(access, lang),
                    html.Span(t("attribution", lang), className="bm-attribution"),
                ],
            ),
        ],
    )


def _as_of(access: ScopedStore, lang: str) -> html.Span | None:
    """When the data shown were made or last loaded (on PostGIS, as the server the page
    reads from knows it: a replica shows its own replayed time)."""
    from battlemap.exports.stamp import data_as_of

    when = data_as_of(access)
    if not when:
        return None
    return html.Span(
        f"{t('data_as_of_page', lang)} {when.replace('T', ' ').replace('Z', ' UTC')}",
        id="data-as-of",
        className="bm-as-of",
    )


def error_page(message: str, lang: str = "zh") -> html.Div:
    """Shown instead of the page when the store cannot be opened (never a traceback)."""
    return html.Div(
        className="bm-app",
        children=[
            html.Header(className="bm-header", children=[html.H1(t("title", lang))]),
            html.Div(
                [html.Strong(t("error", lang) + ": "), message], className="bm-error", role="alert"
            ),
            html.Footer(
                html.Span(t("attribution", lang), className="bm-attribution"),
                className="bm-footer",
            ),
        ],
    )
