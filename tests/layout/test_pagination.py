"""Layout: every unit placed, chapters on rectos, anchors on their pages."""

from __future__ import annotations

import dataclasses

import pytest


@pytest.mark.parametrize("name", ["persian-small", "english-small"])
def test_every_chapter_opens_on_a_recto_and_the_pages_add_up(staged, name):
    layout = staged(name).layout
    body = [p for p in layout.units if p.name != "front"]
    assert all(p.folio % 2 == 1 for p in body)  # odd folio: a recto
    assert layout.pagination.front_pages % 2 == 0
    last = body[-1]
    assert layout.total_pages == last.first_page + last.unit.pages
    for p in body:
        assert all(layout.anchor_page[a] == p.first_page + i for a, i in p.unit.anchors.items())


def test_the_book_layout_is_frozen(staged):
    with pytest.raises(dataclasses.FrozenInstanceError):
        staged("english-small").layout.cover = None


def test_slots_are_widened_when_the_book_outgrows_the_estimate(project, tmp_path, monkeypatch):
    """A cross-reference's page number never outgrows the place kept for it: a book longer than
    its text suggested is laid out again with wider slots."""
    from ketab import pipeline
    from ketab.layout import pagination

    root = project("persian-small")
    widths = []
    original = pagination.with_xref_pages

    def spy(body, folios, lang, digits=3):
        if folios is None and "xref" in body:
            widths.append(digits)
        return original(body, folios, lang, digits)

    monkeypatch.setattr(pagination, "slot_digits", lambda book: 1)
    monkeypatch.setattr(pagination, "with_xref_pages", spy)
    result = pipeline.build(root, tmp_path / "out", formats=("print",), use_cache=False)
    assert result.pages >= 10 and widths and widths[0] == 1
    assert widths[-1] >= len(str(result.pages))


def test_a_cross_references_page_number_never_leaves_its_label_at_a_line_end(write_book, tmp_path):
    """«(ص ۱۲)» is one unit of the line: a link placed after every number of words from 1 to 40 falls at
    some line's end, and its label «ص» still has its number beside it, on the same line."""
    import pypdfium2 as pdfium

    from ketab import pipeline

    filler = "واژه‌ای کوتاه در این جمله".split()
    paragraphs = [" ".join(filler[i % len(filler)] for i in range(k)) + " [ببینید](#target) و ادامه‌اش." for k in range(1, 41)]
    chapter = "---\ntitle: فصل\n---\n\n## هدف {#target}\n\n" + "\n\n".join(paragraphs) + "\n"
    root = write_book(
        "title: آزمون\nlanguage: fa\nslug: xref\nidentifier: urn:uuid:6f1c1c7e-2b1f-4c55-9a55-0d6f3a4f7a11\n"
        "date: 2026-11-01\nchapters:\n  - chapters/01.md\n",
        {"chapters/01.md": chapter},
    )
    result = pipeline.build(root, tmp_path / "out", formats=("print",))
    doc = pdfium.PdfDocument(str(result.outputs["print"]))
    labels = 0
    for page in doc:
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        for at in (i for i, ch in enumerate(text) if ch == "ص" and text[i - 1:i] in ("(", ")")):  # pdfium gives the mirrored «)»
            left, bottom, right, top = textpage.get_charbox(at)
            beside = textpage.get_text_bounded(left=left - 30, bottom=bottom - 1, right=left, top=top + 1)
            assert any(c in "۰۱۲۳۴۵۶۷۸۹" for c in beside), f"«ص» without its number on its line: {beside!r}"
            labels += 1
    assert labels == 40
