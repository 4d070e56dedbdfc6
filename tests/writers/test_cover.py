"""The cover writer: the wrap's size from the page count, the front panel as the EPUB's picture."""

from __future__ import annotations

import io

import pikepdf
from PIL import Image

from ketab.layout.cover import geometry
from ketab.writers import cover
from ketab.writers.target import Target

MM = 72 / 25.4


def test_the_spine_grows_with_the_page_count(staged):
    book = staged("persian-small").book
    thin, thick = geometry(book, 64), geometry(book, 640)
    assert thin.spine == round(32 * book.config.caliper, 2) and thick.spine == round(320 * book.config.caliper, 2)
    assert abs((thick.width - thin.width) - (thick.spine - thin.spine)) < 1e-9


def test_the_wrap_and_its_front_panel(staged, tmp_path):
    s = staged("persian-small")
    path = cover.write(s.book, s.layout, Target(s.templates, tmp_path), {})
    geo, bleed = s.layout.cover_geometry, s.book.config.bleed
    with pikepdf.open(path) as pdf:
        (page,) = pdf.pages
        x0, y0, x1, y1 = (float(v) for v in page.mediabox)
        assert abs((x1 - x0) - (geo.width + 2 * bleed) * MM) < 1 and abs((y1 - y0) - (geo.height + 2 * bleed) * MM) < 1
    png = Image.open(io.BytesIO(cover.front_cover_png(s.book, s.layout)))
    assert abs(png.size[0] / png.size[1] - geo.panel / geo.height) < 0.01
