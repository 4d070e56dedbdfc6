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
    sep = book.language.list_separator + " "
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

