"""The cover wrap as a layout unit: its geometry (back, spine, front) and its HTML.

The spine width is computed from the page count and the paper caliper; spine
text runs so that its letters' tops face the front cover — top to bottom on a
left-to-right book, bottom to top on a right-to-left one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ketab import render
from ketab.assemble import Book

MIN_SPINE_TEXT = 5.0
"""Printers set no text on a spine narrower than this (mm)."""

EAN_MODULE = 0.33
"""The EAN-13's module (narrowest bar) in mm: 100 % of the nominal size (37.29 × 25.93 mm with its quiet
zones); ISBN agencies accept 80 to 200 %."""
EAN_BARS = 22.85
"""Height of the bars at 100 % (mm); the guard bars run 10 % lower, between the digit groups."""


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
    """The wrap for ``pages`` laid-out pages: the spine is leaves × the paper's caliper (+ the preset's allowance),
    counted as the print PDF has them, padded to whole signatures."""
    config = book.config
    signature = config.signature or 1
    pages = -(-pages // signature) * signature
    return CoverGeometry(config.trim.width, config.print.spine(pages, config.caliper), config.trim.height)


def cover_html_css(book: Book, templates: Path, geo: CoverGeometry, bleed: float) -> tuple[str, str]:
    rtl = book.language.is_rtl
    front_x, back_x = (0, geo.panel + geo.spine) if rtl else (geo.panel + geo.spine, 0)
    env = render.environment(templates)
    sep = book.language.list_separator + " "
    creators = sep.join(dict.fromkeys(c.name for c in book.config.creators if c.role in ("author", "compiler", "editor")))
    isbn = book.config.isbn
    html = env.get_template("cover/cover.html.j2").render(
        book=book, lang=book.language.tag, dir=book.language.direction, front_x=front_x, back_x=back_x,
        spine_x=geo.panel, creators=creators, spine_text=geo.spine >= MIN_SPINE_TEXT,
        isbn_text=isbn_text(isbn) if isbn else None, barcode=barcode_uri(isbn) if isbn else None,
    )
    # rotate about the top-left corner, then move back into the spine's box
    transform = f"translate(0, {geo.height}mm) rotate(-90deg)" if rtl else f"translate({geo.spine}mm, 0) rotate(90deg)"
    css = env.get_template("fonts.css.j2").render(fonts=(templates / "fonts").as_uri())
    css += env.get_template("cover/cover.css.j2").render(
        width=geo.width, height=geo.height, panel=geo.panel, spine=geo.spine, bleed=bleed,
        spine_transform=transform, spine_font=max(5.0, min(11.0, geo.spine * 2.2)),
        barcode_side="left" if rtl else "right",  # on the back panel, beside the spine
    )
    return html, css



def isbn_text(isbn13: str) -> str:
    """«ISBN 978-…», hyphenated by the registration ranges (stdnum)."""
    from stdnum import isbn

    return "ISBN " + isbn.format(isbn13)


def barcode_svg(isbn13: str) -> str:
    """The EAN-13 of an ISBN-13 as SVG, at 100 %: vector bars, the human-readable digits under them (the
    first in the left quiet zone, ``>`` marking the right one), black on white (gray on press).

    python-barcode leaves 11 modules of quiet zone on both sides (the symbol needs 11 left, 7 right)."""
    import barcode
    from barcode.writer import SVGWriter

    writer = SVGWriter()
    svg = barcode.EAN13(isbn13, writer=writer, guardbar=True).render({
        "module_width": EAN_MODULE, "module_height": EAN_BARS, "quiet_zone": 11 * EAN_MODULE,
        "font_size": 9, "text_distance": 1.2, "background": "white", "foreground": "black", "compress": True,
    }).decode("utf-8")
    svg = svg.split("?>", 1)[-1].strip()  # the XML declaration
    return svg.replace("font-size:", "font-family:Vazirmatn,sans-serif;font-size:")


def barcode_uri(isbn13: str) -> str:
    """:func:`barcode_svg` as a data: URI for an ``<img>`` (WeasyPrint draws SVG pictures as vectors)."""
    import base64

    return "data:image/svg+xml;base64," + base64.b64encode(barcode_svg(isbn13).encode("utf-8")).decode("ascii")
