"""Pictures (png, svg, pdf) drawn by kaleido: the right size, not blank, Chinese glyphs."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import UTC, datetime

import numpy as np
import pytest
from PIL import Image

from battlemap.exports import ExportRequest, render
from battlemap.exports.browser import to_image
from battlemap.exports.pictures import A4, decorate, picture_size
from battlemap.exports.stamp import make_stamp
from battlemap.viewstate import ViewState

pytestmark = pytest.mark.usefixtures("kaleido_browser")
WHEN = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int16)


def _not_blank(pixels: np.ndarray) -> None:
    assert pixels.std() > 10, "a blank picture"
    step = max(1, pixels.shape[1] // 1000)  # a sample of a big picture is enough
    sample = pixels[::step, ::step].reshape(-1, 3).astype(np.int32)
    colours = np.unique((sample[:, 0] << 16) | (sample[:, 1] << 8) | sample[:, 2])
    assert len(colours) > 50, f"only {len(colours)} colours"


@pytest.fixture(scope="module")
def map_png(open_access, prefecture, artifacts) -> bytes:
    """The prefecture's map at 1×, 900 × 700 (the smallest useful map, for speed)."""
    state = ViewState(region=prefecture, year=2018)
    result = render(
        "png", ExportRequest(open_access, state, "map", {"width": 900, "height": 700}, WHEN)
    )
    assert result.filename == f"{prefecture}_2018_incidence.png"
    (artifacts / result.filename).write_bytes(result.data)
    return result.data


def test_map_png_size_and_content(map_png) -> None:
    pixels = _pixels(map_png)
    assert pixels.shape[:2] == (700, 900)
    _not_blank(pixels)
    # the choropleth draws reds (incidence) over the grey-blue background
    reds = (pixels[..., 0] > pixels[..., 2] + 25).mean()
    assert reds > 0.05, f"only {reds:.1%} reddish pixels: the choropleth is missing"


@pytest.mark.parametrize(
    ("size", "pixels"), [("1x", (900, 500)), ("2x", (1800, 1000)), ("a4", A4.pixels)]
)
def test_chart_png_sizes(open_access, prefecture, artifacts, size, pixels) -> None:
    state = ViewState(region=prefecture, year=2018)
    options = {"size": size, "width": 900, "height": 500}
    result = render("png", ExportRequest(open_access, state, "causes", options, WHEN))
    image = _pixels(result.data)
    assert (image.shape[1], image.shape[0]) == pixels
    _not_blank(image)
    if size == "a4":
        assert pixels == (3509, 2481)  # A4 landscape at 300 dpi
        (artifacts / f"causes_a4_{result.filename}").write_bytes(result.data)


def test_pdf_is_an_a4_page_with_text(open_access, prefecture, tmp_path) -> None:
    state = ViewState(region=prefecture, year=2018)
    result = render("pdf", ExportRequest(open_access, state, "trend", {"size": "a4"}, WHEN))
    path = tmp_path / result.filename
    path.write_bytes(result.data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert abs(width - 842) < 2 and abs(height - 595.5) < 2  # A4 landscape in points
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(path), str(tmp_path / "p")], check=True)
    _not_blank(_pixels((tmp_path / "p-1.png").read_bytes()))


def test_svg_holds_the_stamp(open_access, prefecture) -> None:
    state = ViewState(region=prefecture, year=2018)
    result = render("svg", ExportRequest(open_access, state, "radar", {}, WHEN))
    text = result.data.decode()
    assert text.lstrip().startswith("<svg") and "合成演示数据" in text
    assert open_access.region(prefecture).name in text


def _title_band(access, state, title_text: str | None) -> np.ndarray:
    """The title band of a small stamped chart, its title replaced by ``title_text``."""
    figure = {"data": [], "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False}}}
    stamp = make_stamp(access, state, WHEN)
    size = picture_size("causes", {"width": 600, "height": 200})
    decorated = decorate(figure, stamp, size)
    decorated["layout"]["title"]["text"] = title_text
    data = to_image(decorated, "png", width=600, height=200)
    return _pixels(data)[:40]


def test_chinese_text_is_drawn_with_the_cjk_font(open_access, prefecture) -> None:
    """The title's Chinese characters against the same count of characters no font has
    (private use: the .notdef box): with the CJK font they differ, as boxes they match."""
    state = ViewState(region=prefecture, year=2018)
    chinese = "贵阳市贫困发生率"
    boxes = "\ue000" * len(chinese)
    drawn = _title_band(open_access, state, chinese)
    tofu = _title_band(open_access, state, boxes)
    tofu_again = _title_band(open_access, state, "\ue001" * len(chinese))
    assert np.abs(tofu - tofu_again).max() == 0  # two box strings look alike: boxes
    differing = (np.abs(drawn - tofu).max(axis=2) > 60).mean()
    assert differing > 0.01, "the Chinese title looks like boxes"
    assert (drawn.min(axis=2) < 100).sum() > 200  # and it is dark ink, not nothing


@pytest.mark.parametrize("layers", [None, ("choropleth", "labels", "hexbins", "heat", "flows")])
def test_every_panel_draws_with_the_export_browsers_plotly(open_access, county, layers) -> None:
    """Every panel's trace types (the map with its point and flow layers too) are in the
    plotly.js the export Chromium loads: the page's trimmed bundle lacks ``table`` (the
    table panels' pictures), so it must be the full one, or a bundle holding them all."""
    from battlemap.exports.browser import BUNDLE, BUNDLE_TRACES, PLOTLY_JS, plotly_js
    from battlemap.views import PANELS, panel_view

    state = ViewState(region=county, year=2018, **({"layers": layers} if layers else {}))
    drawn: set[str] = set()
    for name in PANELS:
        figure = panel_view(name, open_access, state).figure
        drawn |= {t.get("type", "scatter") for t in (figure or {}).get("data", [])}
    assert {"choroplethmap", "scattermap", "table"} <= drawn
    if plotly_js() == BUNDLE:
        assert drawn <= BUNDLE_TRACES, drawn - BUNDLE_TRACES
    else:
        assert plotly_js() == PLOTLY_JS
