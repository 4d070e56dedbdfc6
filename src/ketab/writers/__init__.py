"""Writers: each output format, made from the assembled book and its layout.

Every writer is ``write(book, layout, target, written) -> Path``: the book
(:class:`ketab.assemble.Book`), its print layout (:class:`ketab.layout.BookLayout`),
where to write (:class:`Target`) and what this build has written so far.  None
lays anything out with WeasyPrint or reads the manuscript again.

* :mod:`ketab.writers.print` — the print PDF;
* :mod:`ketab.writers.screen` — the screen PDF (the print pages, trimmed);
* :mod:`ketab.writers.cover` — the printer's cover wrap and the EPUB's cover picture;
* :mod:`ketab.writers.epub` — EPUB 3;
* :mod:`ketab.writers.thumbnails` — a contact sheet of a PDF's spreads (``ketab thumbnails``).
"""

from __future__ import annotations

from ketab.writers.target import Target

FORMATS = ("print", "screen", "epub")
"""What ``ketab build --format`` accepts."""

ORDER = ("print", "screen", "cover", "epub")
"""The order writers run in (the screen PDF starts from the print PDF; the cover comes with the print PDF)."""


def writers_for(formats) -> list[tuple[str, object]]:
    """(name, write function) of every writer a build of ``formats`` runs, in :data:`ORDER`."""
    from ketab.writers import cover, epub, screen
    from ketab.writers import print as print_pdf

    modules = {"print": print_pdf, "screen": screen, "cover": cover, "epub": epub}
    wanted = set(formats) | ({"cover"} if "print" in formats else set())
    return [(name, modules[name].write) for name in ORDER if name in wanted]


__all__ = ["FORMATS", "ORDER", "Target", "writers_for"]
