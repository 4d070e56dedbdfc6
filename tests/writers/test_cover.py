"""The cover writer: the wrap's size from the page count, the front panel as the EPUB's picture."""

from __future__ import annotations

import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pikepdf
import pytest
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


# --- for press: the cover's CMYK stays, and only what cannot go to press is reported ---------------


def _one_page(content: bytes, colour_spaces=None) -> pikepdf.Pdf:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(100, 100))
    page = pdf.pages[0]
    page.obj.Contents = pdf.make_stream(content)
    if colour_spaces:
        page.obj.Resources = pikepdf.Dictionary(ColorSpace=pikepdf.Dictionary(colour_spaces))
    return pdf


def test_a_cmyk_colour_on_the_cover_is_not_refused():
    from ketab.writers import press

    pdf = _one_page(b"/DeviceCMYK cs 0.78 0.36 0.48 0.62 scn 0 0 50 50 re f /DeviceCMYK CS 0 0 0 1 SCN 0 0 m 9 9 l S")
    findings = press.to_gray(pdf, keep_cmyk=True)
    assert findings.refused == [] and findings.converted == []
    ops = [(str(op), [float(v) for v in operands if not isinstance(v, pikepdf.Name)]) for operands, op in pikepdf.parse_content_stream(pdf.pages[0])]
    assert ("scn", [0.78, 0.36, 0.48, 0.62]) in ops  # the colour is kept as it was given


def test_a_colour_that_cannot_go_to_press_is_refused_on_the_cover():
    from ketab.writers import press

    lab = pikepdf.Array([pikepdf.Name.Lab, pikepdf.Dictionary(WhitePoint=[0.9505, 1, 1.089])])
    pdf = _one_page(b"/CS0 cs 50 20 20 scn 0 0 50 50 re f", {"/CS0": lab})
    assert [what for _, what in press.to_gray(pdf, keep_cmyk=True).refused] == ["colour space /CS0"]


def test_the_cover_of_a_book_is_written_without_press_warnings(staged, tmp_path):
    s = staged("persian-small")
    target = Target(s.templates, tmp_path)
    cover.write(s.book, s.layout, target, {})
    assert [str(d) for d in target.warnings if d.code == "press.refused"] == []


# --- the ISBN's barcode on the back panel ----------------------------------------------------------

ISBN = "9786001191251"
PROJECTS = Path(__file__).resolve().parents[1] / "projects"


@pytest.fixture(scope="module")
def isbn_cover(tmp_path_factory) -> Path:
    """The persian sample book with ``isbn:``, built for print: its cover PDF."""
    from ketab import pipeline

    root = tmp_path_factory.mktemp("isbn") / "ms"
    shutil.copytree(PROJECTS / "persian-small", root)
    with open(root / "book.yaml", "a", encoding="utf-8") as f:
        f.write("isbn: 978-600-119-125-1\n")
    return pipeline.build(root, root.parent / "build", formats=("print",)).outputs["cover"]


@pytest.mark.skipif(shutil.which("zbarimg") is None, reason="zbarimg (Debian zbar-tools) is not installed: make tools")
def test_the_barcode_decodes_to_the_isbn(isbn_cover, tmp_path):
    subprocess.run(["pdftoppm", "-r", "300", "-png", "-singlefile", str(isbn_cover), str(tmp_path / "cover")], check=True)
    decoded = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "cover.png")], capture_output=True, text=True)
    assert decoded.stdout.split() == [ISBN], decoded.stderr


def test_the_barcode_is_vector_and_printed_in_black_only(isbn_cover, tmp_path):
    """No picture in the cover (the bars are paths); Ghostscript's inkcov over the bars: K alone."""
    from ketab.layout.cover import EAN_BARS, EAN_MODULE

    with pikepdf.open(isbn_cover) as pdf:
        page = pdf.pages[0]
        assert not list(page.get_images())  # the bars are drawn, not a raster
        x0, y0, x1, y1 = (float(v) / MM for v in page.trimbox)
        # persian-small is right to left: the back panel is on the right, the barcode beside the spine, 10 mm in
        # from it and 12 mm up from the foot, in 2 mm of white padding (templates/cover/cover.css.j2)
        bars_left = x1 - 145 + 10 + 2 + 11 * EAN_MODULE
        bars = (bars_left + 0.2, y0 + 12 + 1 + 4, bars_left + 95 * EAN_MODULE - 0.2, y0 + 12 + 1 + 4 + EAN_BARS - 6)
        page.obj.CropBox = pikepdf.Array([Decimal(f"{v * MM:.2f}") for v in bars])
        pdf.save(tmp_path / "bars.pdf")
    if shutil.which("gs") is None:
        pytest.skip("Ghostscript is not installed: make tools")
    report = subprocess.run(["gs", "-q", "-o", "-", "-sDEVICE=inkcov", "-dUseCropBox", str(tmp_path / "bars.pdf")],
                            capture_output=True, text=True, check=True).stdout
    c, m, y, k = (float(v) for v in report.split()[:4])
    assert (c, m, y) == (0, 0, 0) and 0.3 < k < 0.95, report  # black bars on white, nothing of the CMYK background
