"""The export menu under the map: which files of the current view a role may ask for.

Wired by :mod:`battlemap.callbacks.exports`; rendered by :mod:`battlemap.exports`.
"""

from __future__ import annotations

from dataclasses import dataclass

from dash import dcc, html

from battlemap import ids
from battlemap.exports import load_formats
from battlemap.geodata.access import Scope
from battlemap.i18n import t

__all__ = ["CHOICES", "ExportChoice", "choice_by_key", "export_choices", "export_menu"]


@dataclass(frozen=True)
class ExportChoice:
    """One menu entry: format, panel/table, picture size, label keys, household rows."""

    key: str
    fmt: str
    panel: str
    size: str = "1x"
    households: bool = False

    def label(self, lang: str) -> str:
        what = {
            "map": t("export_map", lang),
            "indicators": t("export_indicators", lang),
            "households": t("export_households", lang),
            "workbook": t("export_workbook", lang),
            "polygons": t("export_polygons", lang),
        }.get(self.panel) or t(self.panel, lang)
        if self.fmt.startswith("html-"):
            return t(f"export_{self.fmt.replace('-', '_')}", lang) + " · HTML"
        size = {"2x": " 2×", "a4": " " + t("export_a4", lang)}.get(self.size, "")
        name = {"gpkg": "GeoPackage", "geojson": "GeoJSON"}.get(self.fmt, self.fmt.upper())
        return f"{what} · {name}{size}"


def _c(fmt: str, panel: str, size: str = "1x", households: bool = False) -> ExportChoice:
    key = ":".join(x for x in (fmt, panel, "" if size == "1x" else size) if x)
    return ExportChoice(key, fmt, panel, size, households)


CHOICES: tuple[ExportChoice, ...] = (
    _c("png", "map"),
    _c("png", "map", "2x"),
    _c("png", "map", "a4"),
    _c("svg", "map"),
    _c("pdf", "map", "a4"),
    _c("html-folium", "map"),
    _c("html-deck", "map"),
    *(_c("png", p) for p in ("kpis", "causes", "trend", "radar", "warnings", "ranking")),
    _c("png", "exit_checks"),
    _c("svg", "trend"),
    _c("pdf", "trend"),
    _c("csv", "indicators"),
    _c("csv", "exit_checks"),
    _c("csv", "households", households=True),
    _c("xlsx", "workbook"),
    _c("gpkg", "polygons"),
    _c("geojson", "polygons"),
)
_BY_KEY = {c.key: c for c in CHOICES}


def choice_by_key(key: object) -> ExportChoice | None:
    """The menu entry of ``key`` (None for an unknown one)."""
    return _BY_KEY.get(str(key))


def export_choices(scope: Scope) -> list[ExportChoice]:
    """The entries a scope may use (none without the export right; household rows only
    with the household right; HTML maps only once their renderers are installed)."""
    if not scope.exports:
        return []
    formats = load_formats()
    return [c for c in CHOICES if (scope.households or not c.households) and c.fmt in formats]


def export_menu(scope: Scope, lang: str) -> html.Div:
    """The menu under the map (hidden, with no entries, for a scope without the right)."""
    choices = export_choices(scope)
    return html.Div(
        id="export-menu",
        className="bm-export",
        hidden=not choices,
        children=[
            html.Label(t("export_choose", lang), htmlFor=ids.EXPORT_CHOICE),
            dcc.Dropdown(
                id=ids.EXPORT_CHOICE,
                options=[{"label": c.label(lang), "value": c.key} for c in choices],
                value=choices[0].key if choices else None,
                clearable=False,
                searchable=False,
                maxHeight=240,
                className="bm-export-choice",
            ),
            html.Button(t("export", lang), id=ids.EXPORT_BUTTON, className="bm-export-button"),
            html.Span(id=ids.EXPORT_NOTE, className="bm-note", role="status"),
            dcc.Download(id=ids.EXPORT_DOWNLOAD),
        ],
    )
