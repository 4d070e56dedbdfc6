"""The layout stage: the whole book set in pages, once, for every writer.

:func:`lay_out` lays out the text units, places them (:mod:`.pagination`) and
lays out the cover wrap for the page count that results.  What it returns, a
frozen :class:`BookLayout`, is all a writer needs besides the book itself: the
print and screen PDFs assemble its units, the cover writer finishes its cover
unit, the EPUB maps its page-list to its folios.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ketab.assemble import Book
from ketab.layout.cover import CoverGeometry, cover_html_css, geometry
from ketab.layout.engine import LaidOutUnit, Layouter
from ketab.layout.pagination import Pagination, Placed, paginate


@dataclass(frozen=True)
class BookLayout:
    """The print layout of a book (with bleed): every writer's input."""

    pagination: Pagination
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
    return BookLayout(pagination, cover, geo)
