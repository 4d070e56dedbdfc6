"""The layout stage: the whole book set in pages, once, for every writer.

:func:`lay_out` lays out the text units, places them (:mod:`.pagination`) and
lays out the cover wrap for the page count that results.  What it returns, a
frozen :class:`BookLayout`, is all a writer needs besides the book itself: the
print and screen PDFs assemble its units, the cover writer finishes its cover
unit, the EPUB maps its page-list to its folios.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ketab.assemble import Book
from ketab.layout.cover import CoverGeometry, cover_html_css, geometry
from ketab.layout.engine import LaidOutUnit, Layouter
from ketab.layout.pagination import Pagination, Placed, paginate


@dataclass(frozen=True)
class BookLayout:
    """The print layout of a book (with bleed): every writer's input."""

    pagination: Pagination
    page_breaks: dict = field(compare=False)
    """Part id → ((anchor, printed folio), …): the first element on each print page (the EPUB's page-list)."""
    cover: LaidOutUnit
    """The cover wrap (back, spine, front) for this page count."""
    cover_geometry: CoverGeometry

    @property
    def units(self) -> tuple[Placed, ...]:
        """The laid-out units in reading order, with where each stands in the print PDF."""
        return self.pagination.placed

    @property
    def anchor_page(self) -> dict:
        """Anchor → 0-based page index in the print PDF."""
        return self.pagination.anchor_index

    @property
    def total_pages(self) -> int:
        """Pages of the book (print PDF before signature padding)."""
        return self.pagination.total_pages


def lay_out(book: Book, layouter: Layouter, templates: Path) -> BookLayout:
    """Lay the book out: its text units placed and numbered, then its cover for that page count."""
    bleed = book.config.bleed
    pagination = paginate(book, layouter, templates, bleed)
    geo = geometry(book, pagination.total_pages)
    cover = layouter.layout(*cover_html_css(book, templates, geo, bleed))
    return BookLayout(pagination, page_breaks(book, pagination), cover, geo)


def page_breaks(book: Book, pagination: Pagination) -> dict:
    """Part id → [(anchor, printed folio)]: the first element that starts on each print page."""
    lang = book.language
    breaks: dict = {}
    for placed in pagination.placed:
        if placed.name == "front":
            continue
        part = book.part(placed.name)
        # only blocks: a note's text floats to the page foot and says nothing of where a page begins
        order = {a: i for i, a in enumerate(part.converted.blocks)}
        first_on_page: dict[int, str] = {}
        for anchor, index in placed.unit.anchors.items():
            if anchor not in order:
                continue
            if index not in first_on_page or order[anchor] < order[first_on_page[index]]:
                first_on_page[index] = anchor
        breaks[part.id] = [(first_on_page[i], lang.digits(placed.folio + i)) for i in sorted(first_on_page)]
    return breaks
