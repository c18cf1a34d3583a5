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
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from battlemap.exports.brief_print import FigureJob, PrintOptions, render_with_browser
from battlemap.exports.offline import assert_offline
from battlemap.exports.pictures import scale_note
from battlemap.exports.request import ExportResult
from battlemap.exports.stamp import SYNTHETIC_MARK, Stamp, file_name, make_stamp
from battlemap.geodata.access import ScopedStore
from battlemap.geodata.errors import BattlemapError
from battlemap.i18n import level_name, t
from battlemap.layers.base import FONT_FAMILY
from battlemap.layers.causes import cause_label
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


# -- the summary paragraph -------------------------------------------------------------------
_WHOLE = "省市州盟县区旗乡镇村"  # 全县 / 全区 / 全州 / 全镇 … by the name's last character


def _whole(name: str, level: int) -> str:
    """``全县`` for 息烽县, ``全区`` for 南明区, ``全州`` for 黔南州, ``全镇`` for 米园镇."""
    if name.endswith("街道"):
        return "全街道"
    return "全" + (name[-1] if name and name[-1] in _WHOLE else level_name(level, "zh"))


def _n(count: int, one: str, many: str) -> str:
    """``1 household`` / ``2 households`` (English plurals)."""
    return f"{count:,} {one if count == 1 else many}"


def _headline(
    en: bool, name: str, level: int, year: int, incidence: Mapping[int, float | None],
    persons: Mapping[int, int | None],
) -> str:  # fmt: skip
    now, before = incidence.get(year), incidence.get(year - 1)
    poor, poor_before = persons.get(year), persons.get(year - 1)
    where = _whole(name, level)
    if now is None:
        if en:
            return f"{name} has no rural population on record for {year}"
        return f"{name} {year} 年无农村人口数据，无法计算贫困发生率"
    if before is None or poor is None or poor_before is None:
        if en:
            return (
                f"In {year}, poverty incidence in {name} was {now:.2f}% "
                f"({_n(poor or 0, 'person', 'persons')} poor)"
            )
        return f"{where} {year} 年贫困发生率 {now:.2f}%，贫困人口 {poor or 0:,} 人"
    change, diff = round(now - before, 2), poor - poor_before
    if en:
        move = (
            f"unchanged from {year - 1}"
            if change == 0
            else f"{'down' if change < 0 else 'up'} {abs(change):.2f} percentage points on "
            f"{year - 1}"
        )
        head = f"In {year}, poverty incidence in {name} was {now:.2f}%, {move}"
        if poor == 0:
            return f"{head}; no one was still poor" + ("" if diff else " (none the year before)")
        still = "was" if poor == 1 else "were"
        than = "as many as the year before" if diff == 0 else f"{abs(diff):,} fewer"
        if diff > 0:
            than = f"{diff:,} more"
        return f"{head}; {_n(poor, 'person', 'persons')} {still} still poor ({than})"
    move = (
        "与上年持平"
        if change == 0
        else (f"较上年{'下降' if change < 0 else '上升'} {abs(change):.2f} 个百分点")
    )
    than = "与上年持平" if diff == 0 else f"较上年{'减少' if diff < 0 else '增加'} {abs(diff):,} 人"
    return f"{where} {year} 年贫困发生率 {now:.2f}%，{move}；贫困人口 {poor:,} 人，{than}"


def _own_exit(en: bool, name: str, level: int, own_exit: Mapping[str, Any]) -> str:
    if not own_exit.get("standard") or own_exit.get("status") not in ("pass", "fail"):
        return ""
    label = t("standard_county" if level == 3 else "standard_village", "en" if en else "zh")
    reasons = list(own_exit.get("reasons") or [])
    if own_exit["status"] == "pass":
        return f"{name} meets the {label.lower()} standard" if en else f"已达到{label}标准"
    if en:
        return f"{name} does not yet meet the {label.lower()} standard ({'; '.join(reasons)})"
    return f"尚未达到{label}标准（{'；'.join(reasons)}）"


def _children_exit(en: bool, level: int, overview: ExitOverview) -> str:
    status = overview.status
    if not status.total or status.level == level:
        return ""
    county = status.level == 3
    failing, total = len(status.failing), status.total
    if en:
        kind = (
            ("poverty county", "poverty counties")
            if county
            else ("poverty village", "poverty villages")
        )
        if failing == 0:
            if total == 1:
                return f"the one {kind[0]} under it meets the exit standard"
            return f"all {total:,} {kind[1]} under it meet the exit standard"
        why = ", ".join(f"{label} ({n:,})" for label, n in overview.failed_checks[:3])
        if total == 1:
            return f"the one {kind[0]} under it does not meet the exit standard: {why}"
        verb = "does" if failing == 1 else "do"
        return (
            f"{failing:,} of the {_n(total, *kind)} under it {verb} not meet the exit "
            f"standard, mainly for: {why}"
        )
    kind, act = ("贫困县", "摘帽") if county else ("贫困村", "出列")
    if failing == 0:
        return f"辖区 {total:,} 个{kind}全部达到{act}标准"
    why = "、".join(f"{label}（{n:,} 个）" for label, n in overview.failed_checks[:3])
    return f"{failing:,} 个{kind}未达到{act}标准（共 {total:,} 个），主要原因：{why}"


def summary_text(
    *,
    lang: str,
    name: str,
    level: int,
    year: int,
    incidence: Mapping[int, float | None],
    persons: Mapping[int, int | None],
    own_exit: Mapping[str, Any],
    overview: ExitOverview,
    causes: Mapping[str, int],
    warnings: str,
) -> str:
    """One paragraph written from the numbers (the views' own), in Chinese or English:
    incidence and poor persons with the change vs last year, the region's own exit verdict,
    how many flagged counties/villages under it fail and the checks they fail most, the
    main causes and the households on the early-warning list."""
    en = lang == "en"
    parts = [
        _headline(en, name, level, year, incidence, persons),
        _own_exit(en, name, level, own_exit),
        _children_exit(en, level, overview),
    ]
    ranked = [(c, p) for c, p in sorted(causes.items(), key=lambda cp: -cp[1]) if p > 0][:2]
    if ranked and en:
        listed = " and ".join(
            f"{cause_label(c, 'en')} ({_n(p, 'person', 'persons')})" for c, p in ranked
        )
        parts.append(f"the main {'causes' if len(ranked) > 1 else 'cause'} of poverty: {listed}")
    elif ranked:
        parts.append("主要致贫原因为" + "和".join(f"{c}（{p:,} 人）" for c, p in ranked))
    if warnings and warnings not in ("—", "0"):
        if en:
            count = int(warnings.replace(",", ""))
            verb = "was" if count == 1 else "were"
            parts.append(f"{_n(count, 'household', 'households')} {verb} on the early-warning list")
        else:
            parts.append(f"返贫预警 {warnings} 户")
    parts = [p for p in parts if p]
    if en:
        text = "; ".join(parts)
        return text[0].upper() + text[1:] + "."
    return "；".join(parts) + "。"


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


def brief_docx(brief: Brief, images: Mapping[str, bytes]) -> bytes:
    """The brief as a Word document (python-docx): the same sections, tables and pictures
    (PNG), CJK text in the East Asian font slot, the stamp in the document properties."""
    import docx
    from docx.enum.text import WD_BREAK
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    document = docx.Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, margin, Cm(1.8))
    for style_name in ("Normal", "Title", "Heading 1", "Heading 2", "Table Grid", "Caption"):
        try:
            style = document.styles[style_name]
        except KeyError:
            continue
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")
    document.styles["Normal"].font.size = Pt(10.5)
    footer = section.footer.paragraphs[0]
    mark = f" · {SYNTHETIC_MARK}" if brief.stamp.synthetic else ""
    footer.text = f"{brief.stamp.title()}{mark} · " + ("Page " if brief.lang == "en" else "第 ")
    page = OxmlElement("w:fldSimple")  # Word fills in the page number
    page.set(qn("w:instr"), "PAGE")
    footer._p.append(page)
    footer.add_run("" if brief.lang == "en" else " 页")
    props = document.core_properties
    props.title = brief.title
    props.subject = brief.stamp.title()
    props.comments = brief.stamp.source_line()
    props.keywords = ", ".join(f"{k}={v}" for k, v in brief.stamp.as_dict().items() if v)
    document.add_heading(brief.title, level=0)
    document.add_paragraph(brief.subtitle)
    if brief.stamp.synthetic:
        document.add_paragraph(SYNTHETIC_MARK).runs[0].bold = True
    document.add_heading(_text("summary", brief.lang), level=1)
    document.add_paragraph(brief.summary)
    for label, value in brief.stamp_rows:
        document.add_paragraph(f"{label}：{value}" if brief.lang == "zh" else f"{label}: {value}")
    width = section.page_width - section.left_margin - section.right_margin
    for part in brief.sections:
        if part.new_page:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        document.add_heading(part.heading, level=1)
        if part.note:
            document.add_paragraph(part.note)
        for key in part.figures:
            if key in images:
                document.add_picture(io.BytesIO(images[key]), width=width)
                if part.caption:
                    document.add_paragraph(part.caption, style="Caption")
        for table in part.tables:
            if table.title:
                document.add_heading(table.title, level=2)
            if table.rows:
                grid = document.add_table(rows=1, cols=len(table.columns))
                grid.style = "Table Grid"
                for cell, column in zip(grid.rows[0].cells, table.columns, strict=True):
                    cell.text = column.header
                    cell.paragraphs[0].runs[0].bold = True
                for row in table.rows:
                    cells = grid.add_row().cells
                    for cell, value in zip(cells, row.cells, strict=True):
                        cell.text = value
            if table.note:
                document.add_paragraph(table.note)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


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
