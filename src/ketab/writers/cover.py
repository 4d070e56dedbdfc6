"""The cover: the printer's full wrap (back, spine, front) and the front as an image.

The spine width is computed from the page count and the paper caliper; spine
text runs so that its letters' tops face the front cover — top to bottom on a
left-to-right book, bottom to top on a right-to-left one.  The front panel is
rendered to PNG for the EPUB's cover.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from ketab import render
from ketab.assemble import Book
from ketab.layout.engine import Layouter


MIN_SPINE_TEXT = 5.0
"""Printers set no text on a spine narrower than this (mm)."""


@dataclass(frozen=True)
class CoverGeometry:
    """Millimetres, without bleed: the wrap is front + spine + back."""

    panel: float
    spine: float
    height: float

    @property
    def width(self) -> float:
        return 2 * self.panel + self.spine


def geometry(book: Book, pages: int) -> CoverGeometry:
    leaves = (pages + 1) // 2
    return CoverGeometry(book.config.trim.width, round(leaves * book.config.caliper, 2), book.config.trim.height)


def cover_html_css(book: Book, templates: Path, geo: CoverGeometry, bleed: float) -> tuple[str, str]:
    rtl = book.language.is_rtl
    front_x, back_x = (0, geo.panel + geo.spine) if rtl else (geo.panel + geo.spine, 0)
    env = render.environment(templates)
    sep = "، " if book.language.primary in ("fa", "prs", "ar") else ", "
    creators = sep.join(dict.fromkeys(c.name for c in book.config.creators if c.role in ("author", "compiler", "editor")))
    html = env.get_template("cover/cover.html.j2").render(
        book=book, lang=book.language.tag, dir=book.language.direction, front_x=front_x, back_x=back_x,
        spine_x=geo.panel, creators=creators, spine_text=geo.spine >= MIN_SPINE_TEXT,
    )
    # rotate about the top-left corner, then move back into the spine's box
    transform = f"translate(0, {geo.height}mm) rotate(-90deg)" if rtl else f"translate({geo.spine}mm, 0) rotate(90deg)"
    css = env.get_template("fonts.css.j2").render(fonts=(templates / "fonts").as_uri())
    css += env.get_template("cover/cover.css.j2").render(
        width=geo.width, height=geo.height, panel=geo.panel, spine=geo.spine, bleed=bleed,
        spine_transform=transform, spine_font=max(5.0, min(11.0, geo.spine * 2.2)),
    )
    return html, css


def write_cover(book: Book, layouter: Layouter, templates: Path, out_dir: Path, pages: int, write_pdf: bool = True) -> tuple[Path | None, bytes]:
    """Write ``<slug>-cover.pdf`` (if asked) and return it with the front cover as PNG bytes."""
    import pikepdf

    from ketab.outputs import atomic_write
    from ketab.writers.print import finish_simple

    geo = geometry(book, pages)
    bleed = book.config.bleed
    html, css = cover_html_css(book, templates, geo, bleed)
    unit = layouter.layout(html, css)
    png = front_png(unit.pdf, geo, bleed, book.language.is_rtl)
    if not write_pdf:
        return None, png
    pdf = pikepdf.open(io.BytesIO(unit.pdf))
    finish_simple(pdf, book, f"{book.config.title} — cover")
    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True)
    path = out_dir / f"{book.config.slug}-cover.pdf"
    atomic_write(path, buffer.getvalue())
    return path, png


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
