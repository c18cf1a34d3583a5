"""The region brief: the PDF has its pages, the numbers `battlemap stats` gives, every failing
exit reason, Chinese in the CJK font and a drawn map; Word and HTML hold the same; scope and
bad input are refused before anything is written."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from battlemap.cli import main
from battlemap.exports.brief import render_brief, render_briefs, summary_text
from battlemap.exports.offline import external_references
from battlemap.exports.stamp import SYNTHETIC_MARK
from battlemap.geodata.access import MissingRightError, OutOfScopeError, Scope, ScopedStore
from battlemap.views.brief import ExitOverview
from battlemap.views.exit_status import ExitStatus, Failing
from battlemap.viewstate import ViewState
from tests.clirun import run_cli

COUNTY = "520122000000"  # 息烽县: a flagged 贫困县 of the small set, failing in 2016
YEAR = 2016
WHEN = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
# the brief's pages, in order: a heading each must be on
PAGES = (
    ("息烽县脱贫攻坚简报", "摘要"),
    ("核心指标", "地图"),
    ("趋势 2014–2020",),
    ("致贫原因", "返贫预警"),
    ("保障指标达标率",),
    ("下级排名",),
    ("退出核查", "不达标原因"),
)


@pytest.fixture(scope="module")
def stats(small_data_dir) -> dict:
    """What ``battlemap stats`` prints for the county and year."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["stats", "--region", COUNTY, "--year", str(YEAR), "--data-dir",
                     str(small_data_dir)]) == 0  # fmt: skip
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def pdf(small_data_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("brief") / "brief.pdf"
    done = run_cli("brief", "--region", COUNTY, "--year", str(YEAR), "--out", str(out),
                   "--data-dir", str(small_data_dir))  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


def _text(pdf: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(
        ["pdftotext", "-layout", *pages, str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def _pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))


def test_pdf_has_the_pages_and_a_footer_on_each(pdf: Path) -> None:
    count = _pages(pdf)
    assert count >= len(PAGES)
    for number, headings in enumerate(PAGES, start=1):
        text = _text(pdf, number if number < len(PAGES) else count)
        for heading in headings:
            assert heading in text, (number, heading)
    for number in range(1, count + 1):
        text = _text(pdf, number)
        assert SYNTHETIC_MARK in text
        assert re.search(rf"第\s*{number}\s*/\s*{count}\s*页", text)


def test_pdf_numbers_are_those_of_battlemap_stats(pdf: Path, stats: dict) -> None:
    kpis = _text(pdf, 2)
    assert f"{stats['poor_persons']:,}" in kpis
    assert f"{stats['incidence_pct']:.2f}%" in kpis
    assert f"{stats['exited_persons']:,}" in kpis
    summary = _text(pdf, 1)
    assert "息烽县" in summary and f"{stats['incidence_pct']:.2f}%" in summary
    # every failing reason of the county's own checks, word for word
    last = _text(pdf, _pages(pdf)).replace("\n", " ")
    assert stats["exit_status"] == "fail" and stats["exit_reasons"]
    for reason in stats["exit_reasons"]:
        assert re.sub(r"\s+", "", reason) in re.sub(r"\s+", "", last)


def _gray(pdf: Path, page: int, dpi: int, folder: Path) -> np.ndarray:
    """One page as a grey image (pdftoppm's binary PGM, read with numpy)."""
    stem = folder / f"p{page}-{dpi}"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-f", str(page), "-l", str(page),
                    str(pdf), str(stem)], check=True)  # fmt: skip
    raw = next(folder.glob(f"{stem.name}*.pgm")).read_bytes()
    magic, width, height, _maxval, pixels = raw.split(maxsplit=4)
    assert magic == b"P5"
    return np.frombuffer(pixels[: int(width) * int(height)], np.uint8).reshape(
        int(height), int(width)
    )


def test_pdf_chinese_glyphs_are_not_boxes(pdf: Path, tmp_path: Path) -> None:
    """The title's nine characters drawn as nine different glyphs: a missing CJK font
    draws each as the same empty box (tofu), so the cells would be alike."""
    title = "息烽县脱贫攻坚简报"
    xml = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout  # fmt: skip
    box = re.search(
        rf'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">{title}<', xml
    )
    assert box, "title not found as one word"
    x0, y0, x1, y1 = (float(v) * 150 / 72 for v in box.groups())
    image = _gray(pdf, 1, 150, tmp_path)[int(y0) : int(y1), int(x0) : int(x1)]
    ink = image < 160
    cells = np.array_split(ink, len(title), axis=1)
    width = min(c.shape[1] for c in cells)
    cells = [c[:, :width] for c in cells]
    assert all(c.mean() > 0.03 for c in cells)  # every character drawn
    diffs = [(a ^ b).mean() for i, a in enumerate(cells) for b in cells[i + 1 :]]
    assert min(diffs) > 0.05, min(diffs)  # and no two alike


def test_pdf_map_is_drawn(pdf: Path, tmp_path: Path, artifacts: Path) -> None:
    image = _gray(pdf, 2, 40, tmp_path)
    shutil.copy(pdf, artifacts / f"brief_{COUNTY}_{YEAR}.pdf")  # kept for a look
    height = image.shape[0]
    lower = image[int(height * 0.35) : int(height * 0.85)]  # the map, below the KPI table
    assert lower.std() > 20 and len(np.unique(lower)) > 30


@pytest.fixture(scope="module")
def english(embedded_store) -> dict:
    """The English brief as Word and HTML, from one browser (``render_briefs``)."""
    access = ScopedStore(embedded_store, Scope())
    state = ViewState(region=COUNTY, year=YEAR, lang="en")
    return render_briefs(access, state, ["docx", "html"], WHEN)


def test_docx_holds_the_same(english: dict, stats: dict) -> None:
    import docx

    result = english["docx"]
    assert result.filename == f"{COUNTY}_{YEAR}_brief.docx"
    document = docx.Document(io.BytesIO(result.data))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    assert "Poverty alleviation brief: 息烽县" in text and SYNTHETIC_MARK in text
    assert f"poverty incidence in 息烽县 was {stats['incidence_pct']:.2f}%" in text
    assert f"{stats['poor_persons']:,}" in cells
    assert f"{stats['incidence_pct']:.2f}%" in cells
    assert len(document.inline_shapes) == 5  # map, trend, causes, warnings, radar
    assert document.core_properties.comments.startswith("Data as of")
    footer = document.sections[0].footer.paragraphs[0]
    assert footer.text.startswith(f"息烽县 ({COUNTY}) · {YEAR}")
    assert 'w:instr="PAGE"' in footer._p.xml


def test_html_is_offline_with_inline_figures(english: dict, stats: dict) -> None:
    page = english["html"].data.decode()
    assert external_references(page) == []
    assert 'html { font-family: "Noto Sans CJK SC"' in page  # the CSS, not HTML-escaped
    assert page.count('src="data:image/svg+xml;base64,') == 4
    assert page.count('src="data:image/png;base64,') == 1
    assert f"poverty incidence in 息烽县 was {stats['incidence_pct']:.2f}%" in page
    assert f"{stats['poor_persons']:,}" in page


@pytest.mark.parametrize(
    ("scope", "error"),
    [(Scope(roots=("520200000000",)), OutOfScopeError), (Scope(exports=False), MissingRightError)],
)
def test_scope_refused_before_any_rendering(embedded_store, scope, error) -> None:
    with pytest.raises(error):
        render_brief(ScopedStore(embedded_store, scope), ViewState(COUNTY, YEAR), "pdf", WHEN)


def _brief_cli(capsys, *args: str) -> tuple[int, str]:
    """``battlemap brief …`` in this process: exit code and stderr."""
    try:
        code = main(["brief", *args])
    except SystemExit as exc:  # argparse's own refusals
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", "999999", "--year", "2016"], "not in this data set"),
        (["--region", COUNTY, "--year", "2031"], "outside the data set's years"),
        (["--region", COUNTY, "--year", "2016", "--format", "odt"], "invalid choice"),
        (["--region", COUNTY, "--year", "2016", "--out", "{tmp}/missing/b.pdf"], "does not exist"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_file(small_data_dir, tmp_path, capsys, args,
                                                  message):  # fmt: skip
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "--out" not in args:
        args += ["--out", str(tmp_path / "brief.pdf")]
    code, err = _brief_cli(capsys, *args, "--data-dir", str(small_data_dir))
    assert code == 2
    assert message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
    if "invalid choice" not in message:  # argparse adds its usage line
        assert err.count("\n") == 1


def test_missing_chromium_is_one_line_exit_2(small_data_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium"))
    out = tmp_path / "brief.pdf"
    code, err = _brief_cli(capsys, "--region", COUNTY, "--year", str(YEAR), "--out", str(out),
                           "--data-dir", str(small_data_dir))  # fmt: skip
    assert code == 2 and err.count("\n") == 1 and "Chromium" in err
    assert not out.exists()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_summary_is_written_from_the_numbers(lang: str) -> None:
    overview = ExitOverview(
        ExitStatus(5, 40, 28, tuple(Failing(str(i), f"村{i}", ("r",)) for i in range(12))),
        (("贫困发生率" if lang == "zh" else "Poverty incidence", 10), ("错退率", 2)),
    )
    text = summary_text(
        lang=lang,
        name="某县",
        level=3,
        year=2018,
        incidence={2017: 4.3, 2018: 3.2},
        persons={2017: 5000, 2018: 3800},
        own_exit={"standard": "贫困县摘帽", "status": "pass", "reasons": []},
        overview=overview,
        causes={"因病": 900, "缺技术": 400, "因学": 10},
        warnings="1,234",
    )
    if lang == "zh":
        assert text.startswith("全县 2018 年贫困发生率 3.20%，较上年下降 1.10 个百分点；")
        assert "贫困人口 3,800 人，较上年减少 1,200 人" in text
        assert "12 个贫困村未达到出列标准（共 40 个），主要原因：贫困发生率（10 个）" in text
        assert "因病（900 人）和缺技术（400 人）" in text and "返贫预警 1,234 户" in text
    else:
        assert text.startswith("In 2018, poverty incidence in 某县 was 3.20%, down 1.10 ")
        assert "12 of the 40 poverty villages under it do not meet" in text
        assert "Illness (900 persons)" in text and text.endswith("early-warning list.")


def test_brief_figures_are_drawn_by_the_app_bundle(embedded_store) -> None:
    """The brief shows the page's panels: every trace type it draws is in the page's trimmed
    plotly.js (brief_print checks it again whenever the export Chromium loads that bundle)."""
    from battlemap.exports.brief import build_brief
    from battlemap.exports.brief_print import BUNDLE, BUNDLE_TRACES

    header = BUNDLE.read_text(encoding="utf-8")[:400]
    listed = re.search(r"partial bundle for Battlemap: ([a-z, ]+)\.", header).group(1)
    assert {*listed.split(", "), "scatter"} == BUNDLE_TRACES  # scatter is in the core
    for lang in ("zh", "en"):
        state = ViewState(region=COUNTY, year=YEAR, lang=lang)
        brief = build_brief(ScopedStore(embedded_store, Scope()), state, WHEN)
        drawn = {t.get("type", "scatter") for f in brief.figures.values() for t in f["data"]}
        assert drawn <= BUNDLE_TRACES, drawn - BUNDLE_TRACES


@pytest.mark.postgis
def test_brief_is_the_same_on_postgis(embedded_store, postgis_store) -> None:
    """Summary, tables and figures' data of the brief agree between the two stores."""
    from dataclasses import replace

    from battlemap.exports.brief import build_brief

    state = ViewState(region=COUNTY, year=YEAR)
    one = build_brief(ScopedStore(embedded_store, Scope()), state, WHEN)
    two = build_brief(ScopedStore(postgis_store, Scope()), state, WHEN)
    assert one.summary == two.summary
    # the map's caption ends with the stamp, whose data as-of time is each store's own
    assert [replace(x, caption="") for x in one.sections] == [
        replace(x, caption="") for x in two.sections
    ]
    assert {k: f["data"] for k, f in one.figures.items()} == {
        k: f["data"] for k, f in two.figures.items()
    }
