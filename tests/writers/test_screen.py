"""The screen writer: the print pages, trimmed, without signature padding, one column."""

from __future__ import annotations

import pikepdf

from ketab.writers import print as print_writer
from ketab.writers import screen
from ketab.writers.target import Target


def test_screen_pdf_is_the_print_pages_trimmed(staged, tmp_path):
    s = staged("persian-small")
    target = Target(s.templates, tmp_path)
    printed = print_writer.write(s.book, s.layout, target, {})
    for written in ({"print": printed}, {}):  # from the print PDF, or assembled from the layout alone
        path = screen.write(s.book, s.layout, target, written)
        with pikepdf.open(path) as pdf, pikepdf.open(printed) as full:
            assert len(pdf.pages) == s.layout.total_pages <= len(full.pages)
            assert len(full.pages) % s.book.config.signature == 0
            assert pdf.Root.PageLayout == pikepdf.Name.OneColumn
            for page in pdf.pages:
                assert "/BleedBox" not in page.obj and "/TrimBox" not in page.obj
                assert page.mediabox[2] < full.pages[0].mediabox[2]


def test_the_screen_pdf_has_the_same_bytes_with_or_without_the_print_pdf(staged, tmp_path):
    """``--format screen`` writes the screen PDF of a full build, byte for byte."""
    s = staged("persian-small")
    with_print = Target(s.templates, tmp_path / "all")
    printed = print_writer.write(s.book, s.layout, with_print, {})
    one = screen.write(s.book, s.layout, with_print, {"print": printed}).read_bytes()
    alone = screen.write(s.book, s.layout, Target(s.templates, tmp_path / "alone"), {}).read_bytes()
    assert one == alone
