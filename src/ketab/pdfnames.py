"""The named destinations of a PDF laid out by WeasyPrint, read page by page (a unit's, a segment's)."""

from __future__ import annotations

from collections.abc import Iterator


def named_destinations(pdf) -> Iterator[tuple[str, int, list]]:
    """(name, 0-based page index, the rest of the destination array) of every named destination of ``pdf``
    that points at one of its pages."""
    import pikepdf

    if "/Names" not in pdf.Root or "/Dests" not in pdf.Root.Names:
        return
    page_of = {p.objgen: i for i, p in enumerate(pdf.pages)}
    for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items():
        if isinstance(dest, pikepdf.Dictionary):
            dest = dest.D
        index = page_of.get(dest[0].objgen)
        if index is not None:
            yield name, index, list(dest)[1:]
