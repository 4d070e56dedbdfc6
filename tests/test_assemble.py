"""Stage 3, assemble: parts in their sections, every anchor's part, the index in the book's order."""

from __future__ import annotations


def test_parts_sections_and_anchors(staged):
    book = staged("persian-small").book
    assert [p.section for p in book.parts] == sorted((p.section for p in book.parts), key=["front", "body", "back"].index)
    assert book.front and all(p.converted.chapter.kind == "frontmatter" for p in book.front)
    for part in book.parts:
        assert part.filename == f"{part.id}.xhtml"
        assert all(book.anchor_part[a] == part.id for a in part.converted.anchors if a.startswith(part.id))


def test_the_index_is_in_persian_alphabetical_order_with_its_places(staged):
    book = staged("persian-small").book
    assert book.index_part is not None and book.index
    headings = [e.heading for e in book.index]
    assert headings == sorted(headings, key=book.language.sort_key)
    for entry in book.index:
        assert all(book.anchor_part.get(anchor) == part for part, anchor in entry.places)
