"""The cover: the printer's full wrap (back, spine, front) and the front as an image.

The wrap is laid out with the book (:mod:`ketab.layout.cover`); this writer
finishes it as ``<slug>-cover.pdf`` and renders its front panel to PNG for the
EPUB's cover.
"""

from __future__ import annotations

import io
from pathlib import Path

from ketab.assemble import Book
from ketab.layout import BookLayout
from ketab.layout.cover import CoverGeometry
from ketab.writers.target import Target


def write(book: Book, layout: BookLayout, target: Target, written: dict) -> Path:
    """``<slug>-cover.pdf``: the printer's wrap, laid out with the book (see :mod:`ketab.layout.cover`)."""
    import pikepdf

    from ketab.outputs import atomic_write
    from ketab.writers.print import finish_simple

    pdf = pikepdf.open(io.BytesIO(layout.cover.pdf))
    finish_simple(pdf, book, f"{book.config.title} — cover")
    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True)
    path = target.out_dir / f"{book.config.slug}-cover.pdf"
    atomic_write(path, buffer.getvalue())
    return path


def front_cover_png(book: Book, layout: BookLayout) -> bytes:
    """The front panel of the book's cover, trimmed, as PNG (the EPUB's cover image)."""
    return front_png(layout.cover.pdf, layout.cover_geometry, book.config.bleed, book.language.is_rtl)


def front_png(pdf_bytes: bytes, geo: CoverGeometry, bleed: float, rtl: bool, width_px: int = 1400) -> bytes:
    """The front panel, trimmed, as a PNG (the EPUB's cover image)."""
    import pypdfium2 as pdfium

    mm = 72 / 25.4
    doc = pdfium.PdfDocument(pdf_bytes)
    page = doc[0]
    scale = width_px / (geo.panel * mm)
    left = bleed * mm + (0 if rtl else (geo.panel + geo.spine) * mm)
    right = bleed * mm + (geo.panel + geo.spine) * mm if rtl else bleed * mm
    crop = (left, bleed * mm, right, bleed * mm)  # left, bottom, right, top in points
    image = page.render(scale=scale, crop=crop).to_pil()
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()
