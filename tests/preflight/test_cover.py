"""``ketab check`` on the cover: a spine that does not match the formula for the page count, and a margin under
the print-on-demand preset's minimum for it."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pikepdf

from ketab.config import load_config
from ketab.preflight import Report, preflight
from ketab.preflight.cover import check_cover

MM = 72 / 25.4


def test_a_cover_whose_spine_does_not_match_is_reported(persian_book, tmp_path):
    out = tmp_path / "build"
    shutil.copytree(persian_book.out, out)
    cover = next(out.glob("*-cover.pdf"))
    assert not [d for d in preflight(persian_book.root, out) if d.code == "cover.spine"]
    with pikepdf.open(cover, allow_overwriting_input=True) as pdf:  # a wrap made for a thinner book: 2 mm less spine
        page = pdf.pages[0].obj
        for box in ("/MediaBox", "/BleedBox", "/TrimBox"):
            if box in page:
                x0, y0, x1, y1 = (float(v) for v in page[box])
                page[box] = pikepdf.Array([x0, y0, x1 - 2 * MM, y1])
        pdf.save(cover)
    (spine,) = [d for d in preflight(persian_book.root, out) if d.code == "cover.spine"]
    assert spine.is_error and "make" in spine.message and Path(spine.path).name == cover.name


def _blank_pdf(path: Path, pages: int) -> Path:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(6 * 72, 9 * 72))
    pdf.save(path)
    return path


def test_the_inner_margin_is_checked_for_the_page_count(tmp_path):
    """At load, 13 mm passes KDP's smallest gutter (0.375 in); a 320-page print PDF needs 0.625 in (15.9 mm)."""
    (tmp_path / "book.yaml").write_text(
        "title: T\nlanguage: fa\nslug: t\nidentifier: urn:uuid:6f1c1c7e-2b1f-4c55-9a55-0d6f3a4f7a10\nchapters: [a.md]\n"
        "print:\n  preset: kdp\n  margins:\n    inner: 13\n", encoding="utf-8")
    config, _ = load_config(tmp_path / "book.yaml")
    book = SimpleNamespace(config=config)
    report = Report([])
    check_cover(book, tmp_path / "missing-cover.pdf", _blank_pdf(tmp_path / "t-print.pdf", 320), report)
    (found,) = report.items
    assert (Path(found.path).name, found.line, found.code) == ("book.yaml", 9, "print.margin")
    assert "15.9 mm" in found.message and "320 pages" in found.message
    report = Report([])
    check_cover(book, tmp_path / "missing-cover.pdf", _blank_pdf(tmp_path / "t-print.pdf", 144), report)
    assert report.items == []
