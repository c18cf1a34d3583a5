"""The brief as a Word document (python-docx): the same sections, tables and pictures as
the PDF, CJK text in the East Asian font slot, the stamp in the document properties and
the footer with a page-number field."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING

from battlemap.exports.stamp import SYNTHETIC_MARK

if TYPE_CHECKING:
    from battlemap.exports.brief import Brief

__all__ = ["brief_docx"]

_SUMMARY = {"zh": "摘要", "en": "Summary"}


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
    document.add_heading(_SUMMARY["en" if brief.lang == "en" else "zh"], level=1)
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
