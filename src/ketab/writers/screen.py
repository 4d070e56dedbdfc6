"""The screen PDF: the print PDF's pages, trimmed, without padding or marks, for reading."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf

from ketab.assemble import Book
from ketab.layout import BookLayout
from ketab.layout.pagination import Pagination
from ketab.writers import print as print_writer
from ketab.writers import tagging
from ketab.writers.target import Target


def write(book: Book, layout: BookLayout, target: Target, written: dict) -> Path:
    """``<slug>-screen.pdf``: the print PDF's pages as assembled, before the press conversion (by the
    print writer, or here when the print PDF is not built: the same bytes either way)."""
    pagination = layout.pagination
    if "pdf" not in target.assembled:
        target.assembled["pdf"] = print_writer.assembled_bytes(book, pagination, book.config.signature)
    pdf = pikepdf.open(io.BytesIO(target.assembled.pop("pdf")))  # no other writer needs them
    remove_padding(pdf, pagination)
    finish(pdf, book, pagination)
    tagging.finish_screen(pdf)
    path = target.out_dir / f"{book.config.slug}-screen.pdf"
    print_writer.save(pdf, path, "1.7")  # PDF/UA-1 is built on PDF 1.7
    return path


def finish(pdf: pikepdf.Pdf, book: Book, pagination: Pagination) -> None:
    """The print finish for one column, and every page cut to its trim box."""
    print_writer.finish(pdf, book, pagination, screen=True)
    cut_to_trim(pdf.pages)


def cut_to_trim(pages) -> None:
    """Every page cut to its trim box: no bleed, no marks."""
    for page in pages:
        trim = page.obj.get("/TrimBox", page.obj.MediaBox)
        page.obj.MediaBox = trim
        page.obj.CropBox = trim
        for box in ("/BleedBox", "/TrimBox", "/ArtBox"):
            if box in page.obj:
                del page.obj[box]


def remove_padding(pdf: pikepdf.Pdf, pagination: Pagination) -> None:
    while len(pdf.pages) > pagination.total_pages:
        del pdf.pages[-1]
