"""The shared Chromium draws pictures asked for from several threads at once (the
``--children`` batch draws two at a time), each answer going back to its own caller."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

from PIL import Image

from battlemap.exports.browser import TABS, to_image


def _bar(n: int) -> dict:
    return {"data": [{"type": "bar", "x": list(range(n)), "y": list(range(n))}], "layout": {}}


def test_threads_draw_at_once_each_gets_its_picture(kaleido_browser) -> None:
    sizes = [(300 + 20 * i, 200 + 10 * i) for i in range(2 * TABS + 1)]
    with ThreadPoolExecutor(max_workers=TABS + 1) as pool:
        pictures = list(
            pool.map(lambda wh: to_image(_bar(wh[0] // 50), "png", width=wh[0], height=wh[1]),
                     sizes)
        )  # fmt: skip
    assert [Image.open(io.BytesIO(p)).size for p in pictures] == sizes
