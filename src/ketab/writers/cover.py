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
    """``<slug>-cover.pdf``: the printer's wrap, laid out with the book (see :mod:`ketab.layout.cover`).
    Kept in the build cache under the wrap's layout and book.yaml: an edit of the text that leaves the
    spine as thick as it was does not finish it again."""
    import json

    from ketab.cache import digest
    from ketab.diagnostics import Diagnostic, Severity, display_path
    from ketab.outputs import atomic_write
    from ketab.writers import press
    from ketab.writers.print import _pdf_date

    settings = book.config.print
    profile = press.PROFILES[settings.profile]
    profile_bytes = (target.templates / profile.path).read_bytes()
    cache = target.cache
    key = digest("cover-pdf/1", layout.cover.pdf, repr(book.config), repr(book.language), _pdf_date(book.config).isoformat(), profile_bytes)
    found = cache.get("cover-pdf", key) if cache is not None else None
    if found is not None:
        head, _, data = found.partition(b"\n")
        refused = json.loads(head)
    else:
        data, refused = _finish(book, layout, profile_bytes)
        if cache is not None:
            cache.put("cover-pdf", key, json.dumps(refused).encode() + b"\n" + data)
    target.warnings.extend(
        Diagnostic(display_path(book.config.path), 1, Severity.WARNING, f"cover: {what} cannot be made press-ready", "press.refused")
        for what in refused
    )
    path = target.out_dir / f"{book.config.slug}-cover.pdf"
    atomic_write(path, data)
    return path


def _finish(book: Book, layout: BookLayout, profile_bytes: bytes) -> tuple[bytes, list[str]]:
    """The wrap finished for press: its bytes, what of it could not be made press-ready."""
    import pikepdf

    from ketab.writers import fonts, press, tagging
    from ketab.writers.print import _pdf_date, finish_simple

    pdf = pikepdf.open(io.BytesIO(layout.cover.pdf))
    tagging.untag(pdf)  # for press: the unit's structure tree is the screen PDF's business
    title = f"{book.config.title} — cover"
    finish_simple(pdf, book, title)
    # for press, like the print PDF: CMYK and gray only, no transparency, PDF/X, no links
    findings = press.to_gray(pdf, keep_cmyk=True)
    fonts.merge_fonts(pdf)
    press.drop_annotations(pdf)
    settings = book.config.print
    profile, standard = press.PROFILES[settings.profile], press.STANDARDS[settings.standard]
    document_id = str(book.config.identifier).rsplit(":", 1)[-1] + "-cover"
    press.identify(pdf, standard, profile, profile_bytes, title, _pdf_date(book.config).isoformat(), document_id)
    buffer = io.BytesIO()
    mode = pikepdf.ObjectStreamMode.generate if standard.object_streams else pikepdf.ObjectStreamMode.disable
    pdf.save(buffer, deterministic_id=True, object_stream_mode=mode, force_version=standard.version)
    return buffer.getvalue(), [what for _, what in findings.refused[:10]]


def front_cover_png(book: Book, layout: BookLayout, cache=None) -> bytes:
    """The front panel of the book's cover, trimmed, as PNG (the EPUB's cover image); kept in the build
    cache (``cache``, may be None) under the cover's layout: an edit of the text does not draw it again."""
    args = (layout.cover.pdf, layout.cover_geometry, book.config.bleed, book.language.is_rtl)
    if cache is None:
        return front_png(*args)
    import PIL
    from pypdfium2.version import PDFIUM_INFO, PYPDFIUM_INFO

    from ketab.cache import digest

    key = digest("front-png", str(PYPDFIUM_INFO), str(PDFIUM_INFO), PIL.__version__, layout.cover.pdf, repr(layout.cover_geometry), repr(args[2:]))
    found = cache.get("cover-png", key)
    if found is None:
        found = front_png(*args)
        cache.put("cover-png", key, found)
    return found


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
