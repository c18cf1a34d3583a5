"""The region brief (报表自动生成): a printable multi-page report of one region and year.

Title page with a one-paragraph summary written from the numbers, then the KPI table with
the change vs last year, the map, the trend, causes, the guarantee radar vs the parent, the
ranking of the children, the exit checks with every failing reason, and the early warnings.
Every number comes from :mod:`battlemap.views` (the page's own panels), so the brief, the
page, the exports and the wall agree. Rendered as HTML (Jinja2 template), printed to PDF by
headless Chromium (:mod:`battlemap.exports.brief_print`), or written as a Word file
(python-docx). The brief holds aggregates only: no household rows or points.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from battlemap.exports.brief_docx import brief_docx
from battlemap.exports.brief_print import FigureJob, PrintOptions, render_with_browser
from battlemap.exports.brief_summary import summary_text
from battlemap.exports.offline import assert_offline
from battlemap.exports.pictures import scale_note
from battlemap.exports.request import ExportResult
from battlemap.exports.stamp import SYNTHETIC_MARK, Stamp, file_name, make_stamp
from battlemap.geodata.access import ScopedStore
from battlemap.geodata.errors import BattlemapError
from battlemap.i18n import level_name, t
from battlemap.layers.base import FONT_FAMILY
from battlemap.views import (
    PanelView,
    causes_panel,
    exit_check_panel,
    kpi_panel,
    map_panel,
    radar_panel,
    ranking_panel,
    trend_panel,
    warnings_panel,
)
from battlemap.views.brief import ExitOverview, exit_overview
from battlemap.views.exit_status import failing_panel
from battlemap.views.summary import summary_of
from battlemap.viewstate import ViewState

__all__ = [
    "BRIEF_FORMATS",
    "Brief",
    "BriefError",
    "brief_docx",
    "brief_html",
    "build_brief",
    "render_brief",
    "render_briefs",
    "summary_text",
]

BRIEF_FORMATS = ("pdf", "html", "docx")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
TEMPLATES = Path(__file__).parent / "templates"
MAP_SIZE = (720, 600)  # CSS px of the map picture (drawn at 2× for print)
CHART_WIDTH = 720
BRIEF_LAYERS = ("choropleth", "labels")  # aggregates only: no household points in a brief

_TEXT: dict[str, tuple[str, str]] = {
    "title": ("{name}脱贫攻坚简报", "Poverty alleviation brief: {name}"),
    "subtitle": ("{level} · 区划代码 {code} · {year} 年度", "{level} · code {code} · {year}"),
    "summary": ("摘要", "Summary"),
    "map": ("地图：{label}", "Map: {label}"),
    "exit_own": ("本级退出核查", "This region's exit checks"),
    "exit_children": (
        "辖区{kind}退出核查：未达标及原因",
        "{kind} under this region: failing checks and reasons",
    ),
    "data_as_of": ("数据截至", "Data as of"),
    "rules": ("退出规则摘要", "Exit rules digest"),
    "generated": ("生成时间", "Generated"),
    "source": ("数据来源", "Source"),
    "kind_3": ("贫困县", "Poverty counties"),
    "kind_5": ("贫困村", "Poverty villages"),
    "none_failing": ("全部达标", "all pass"),
    "trend_table": ("逐年数据", "By year"),
    "radar_table": ("各项保障达标率（%）", "Share meeting each guarantee (%)"),
}


def _text(key: str, lang: str) -> str:
    return _TEXT[key][1 if lang == "en" else 0]


class BriefError(BattlemapError):
    """A brief that cannot be made as asked (unknown format)."""


# -- the content ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    header: str
    numeric: bool = False


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    css: str = ""


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    title: str = ""
    note: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    heading: str
    figures: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    note: str = ""
    caption: str = ""
    new_page: bool = False


@dataclass(frozen=True)
class Brief:
    """Everything the brief shows, in its language, before rendering."""

    lang: str
    stamp: Stamp
    title: str
    subtitle: str
    summary: str
    stamp_rows: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...]
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> plotly figure
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)  # key -> CSS px


def _cell(value: Any, column: Mapping[str, Any]) -> str:
    """A table cell as text: the column's number format (DataTable specifier) or plain."""
    if value is None or value == "":
        return "—" if value is None else ""
    if column.get("id") in ("year", "rank"):
        return str(value)
    spec = (column.get("format") or {}).get("specifier")
    if spec and isinstance(value, int | float):
        return format(value, spec)
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _numeric(column: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> bool:
    if column.get("type") == "numeric":
        return True
    values = [r.get(column["id"]) for r in rows if r.get(column["id"]) is not None]
    return bool(values) and all(isinstance(v, int | float) for v in values)


def panel_table(view: PanelView, *, title: str = "", skip: Sequence[str] = ()) -> Table:
    """A panel's rows and columns as a printable table (its note under it)."""
    columns = [c for c in view.columns if c["id"] not in skip]
    return Table(
        columns=tuple(Column(str(c["name"]), _numeric(c, view.rows)) for c in columns),
        rows=tuple(
            Row(
                tuple(_cell(r.get(c["id"]), c) for c in columns),
                "fail" if r.get("status") == "fail" else "",
            )
            for r in view.rows
        ),
        title=title,
        note=view.note,
    )


def _chart_size(figure: Mapping[str, Any] | None, default: int = 340) -> tuple[int, int]:
    height = int((figure or {}).get("layout", {}).get("height") or default)
    return CHART_WIDTH, max(height, 200)


def _exit_table(overview: ExitOverview, lang: str) -> Table:
    status = overview.status
    view = failing_panel(status, lang=lang, limit=len(status.failing))
    table = panel_table(view)
    rows = tuple(replace(r, css="fail") for r in table.rows)
    note = view.note
    if status.total and not status.failing:
        note = f"{note} · {_text('none_failing', lang)}"
    return replace(table, rows=rows, note=note)


# -- building -------------------------------------------------------------------------------
def build_brief(access: ScopedStore, state: ViewState, generated_at: datetime) -> Brief:
    """The brief of ``state``'s region and year (scope and export right checked first)."""
    info = access.check_export(state.region)  # aggregates only: no household right needed
    state = replace(state, region=info.code, layers=BRIEF_LAYERS, compare=None, filter=None)
    lang = state.lang
    stamp = make_stamp(access, state, generated_at)
    summary = summary_of(access, state)
    kpis = kpi_panel(access, state)
    width, height = MAP_SIZE
    mapped = map_panel(access, state, viewport={"w": width, "h": height})
    trend = trend_panel(access, state)
    causes = causes_panel(access, state, summary=summary)
    radar = radar_panel(access, state, summary=summary)
    ranking = ranking_panel(access, state)
    own = exit_check_panel(access, state, summary=summary)
    overview = exit_overview(access, info.code, state.year, lang=lang)
    warnings = warnings_panel(access, state)
    tiles = {tile.key: tile for tile in kpis.data["tiles"]}
    text = summary_text(
        lang=lang,
        name=info.name,
        level=info.level,
        year=state.year,
        incidence=trend.data["incidence"],
        persons=trend.data["persons"],
        own_exit={  # the failing checks' reasons as the table words them (in the language)
            **own.data,
            "reasons": [row["reason"] for row in own.rows if row.get("status") == "fail"],
        },
        overview=overview,
        causes=causes.data["causes"],
        warnings=tiles["kpi_warnings"].value if "kpi_warnings" in tiles else "",
    )
    kpi_table = Table(
        columns=(
            Column(t("name", lang)),
            Column(t("value", lang), True),
            Column(t("vs_last_year", lang), True),
        ),
        rows=tuple(
            Row(
                (tile.label, tile.value, tile.delta.replace(t("vs_last_year", lang), "").strip()),
                "" if tile.good is None else ("good" if tile.good else "bad"),
            )
            for tile in kpis.data["tiles"]
        ),
    )
    exit_tables = [panel_table(own, title=_text("exit_own", lang))] if own.rows else []
    if overview.status.total and overview.status.level != info.level:
        kind = _text(f"kind_{overview.status.level}", lang)
        exit_tables.append(
            replace(
                _exit_table(overview, lang),
                title=_text("exit_children", lang).format(kind=kind),
            )
        )
    exit_note = "" if exit_tables else own.note
    sections = (
        Section("kpis", kpis.title, tables=(kpi_table,), new_page=True),
        Section(
            "map",
            _text("map", lang).format(label=mapped.title),
            figures=("map",),
            caption=" · ".join(
                x for x in (scale_note(mapped.figure, lang), mapped.note, stamp.source_line()) if x
            ),
        ),
        Section(
            "trend",
            trend.title,
            figures=("trend",),
            tables=(panel_table(trend, title=_text("trend_table", lang)),),
            new_page=True,
        ),
        Section("causes", causes.title, figures=("causes",), new_page=True),
        Section("warnings", warnings.title, figures=("warnings",), tables=(panel_table(warnings),)),
        Section(
            "radar",
            radar.title,
            figures=("radar",),
            tables=(panel_table(radar, title=_text("radar_table", lang)),),
            new_page=True,
        ),
        Section("ranking", ranking.title, tables=(panel_table(ranking),), new_page=True),
        Section("exit_checks", own.title, tables=tuple(exit_tables), note=exit_note, new_page=True),
    )
    figures = {
        "map": mapped.figure,
        "trend": trend.figure,
        "causes": causes.figure,
        "radar": radar.figure,
        "warnings": warnings.figure,
    }
    sizes = {key: _chart_size(fig) for key, fig in figures.items() if key != "map"}
    sizes["map"] = MAP_SIZE
    stamp_rows = (
        (_text("data_as_of", lang), stamp.data_as_of or "—"),
        (_text("rules", lang), stamp.rules_digest),
        (_text("generated", lang), stamp.generated_at),
        (_text("source", lang), t("title", lang)),
    )
    return Brief(
        lang=lang,
        stamp=stamp,
        title=_text("title", lang).format(name=info.name),
        subtitle=_text("subtitle", lang).format(
            level=level_name(info.level, lang), code=info.code, year=state.year
        ),
        summary=text,
        stamp_rows=stamp_rows,
        sections=sections,
        figures={k: v for k, v in figures.items() if v is not None},
        sizes=sizes,
    )


# -- rendering ------------------------------------------------------------------------------
def figure_jobs(brief: Brief, formats: Sequence[str]) -> list[FigureJob]:
    """The brief's figures to draw for ``formats``: the map as a 2× PNG (map layers are
    rasters even in SVG), charts as SVG for pdf/html (vector text in the PDF) and as 2× PNG
    for Word (no SVG there). Keys are ``png:map``, ``svg:trend`` …"""
    vector = any(f in ("pdf", "html") for f in formats)
    raster = "docx" in formats
    jobs = []
    for key, figure in brief.figures.items():
        width, height = brief.sizes[key]
        if key == "map" or raster:
            jobs.append(FigureJob(f"png:{key}", figure, "png", width, height, 2.0))
        if key != "map" and vector:
            jobs.append(FigureJob(f"svg:{key}", figure, "svg", width, height, 1.0))
    return jobs


def _pictures(images: Mapping[str, bytes], fmt: str) -> dict[str, bytes]:
    """The pictures of one format by figure key (SVG where drawn and wanted, else PNG)."""
    prefer = "png" if fmt == "docx" else "svg"
    keys = {k.split(":", 1)[1] for k in images}
    return {k: images.get(f"{prefer}:{k}") or images[f"png:{k}"] for k in keys}


def _data_uri(key: str, data: bytes) -> str:
    kind = "image/svg+xml" if data.lstrip()[:5] in (b"<svg ", b"<?xml") else "image/png"
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def brief_html(brief: Brief, images: Mapping[str, bytes]) -> str:
    """The brief as one self-contained HTML page (pictures inline as data URIs)."""
    page = _ENV.get_template("brief.html.j2").render(
        brief=brief,
        images={k: _data_uri(k, v) for k, v in images.items()},
        text={"summary": _text("summary", brief.lang)},
        font_family=FONT_FAMILY,
        synthetic_mark=SYNTHETIC_MARK,
    )
    return assert_offline(page, "brief")


def _footer(stamp: Stamp, lang: str) -> str:
    """Chromium's print footer: the stamp in short and the page number on every page."""
    mark = f" · {SYNTHETIC_MARK}" if stamp.synthetic else ""
    label, tail = ("Page", "") if lang == "en" else ("第", " 页")
    return (
        f'<div style="font-size:7.5px;width:100%;padding:0 1.4cm;color:#555;'
        f"font-family:{FONT_FAMILY.replace(chr(34), chr(39))};display:flex;"
        f'justify-content:space-between">'
        f"<span>{html.escape(stamp.title())}{mark}</span>"
        f'<span>{label} <span class="pageNumber"></span> / <span class="totalPages"></span>'
        f"{tail}</span></div>"
    )


def render_briefs(
    access: ScopedStore, state: ViewState, formats: Sequence[str], generated_at: datetime
) -> dict[str, ExportResult]:
    """The brief of ``state`` in each of ``formats`` (pdf, html, docx): the numbers read
    once, every figure drawn and the PDF printed by one Chromium, started while the numbers
    are read. Scope, year and formats are checked before the browser starts."""
    unknown = [f for f in formats if f not in BRIEF_FORMATS]
    if unknown or not formats:
        raise BriefError(
            f"unknown brief format {(unknown or [''])[0]!r} (one of {', '.join(BRIEF_FORMATS)})"
        )
    info = access.check_export(state.region)  # refused before any browser starts
    state = replace(state, region=info.code)
    access.store.check_year(state.year)
    built: list[Brief] = []

    def prepare() -> tuple[list[FigureJob], Any]:
        brief = build_brief(access, state, generated_at)
        built.append(brief)
        page = None
        if "pdf" in formats:

            def page(images: dict[str, bytes]) -> str:
                return brief_html(brief, _pictures(images, "pdf"))

        return figure_jobs(brief, formats), page

    stamp = make_stamp(access, state, generated_at)
    images, pdf = render_with_browser(prepare, PrintOptions(footer=_footer(stamp, state.lang)))
    brief = built[0]
    out = {}
    for fmt in formats:
        if fmt == "pdf":
            assert pdf is not None
            data = pdf
        elif fmt == "html":
            data = brief_html(brief, _pictures(images, fmt)).encode("utf-8")
        else:
            data = brief_docx(brief, _pictures(images, fmt))
        name = file_name(brief.stamp.region_code, state.year, "brief", fmt)
        out[fmt] = ExportResult(data=data, filename=name, media_type=MEDIA_TYPES[fmt])
    return out


def render_brief(
    access: ScopedStore, state: ViewState, fmt: str, generated_at: datetime
) -> ExportResult:
    """The brief of ``state`` as ``fmt`` (pdf, html, docx); see :func:`render_briefs`."""
    return render_briefs(access, state, [fmt], generated_at)[fmt]
