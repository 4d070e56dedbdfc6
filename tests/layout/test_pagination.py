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


def _marked_chapter(seed: int = 7) -> str:
    """A chapter of prose with index marks in running text, in notes and across line ends."""
    import random

    rng = random.Random(seed)
    words = "کابل هرات پنجشیر مسعود دره شهر کوه رود جنگ صلح نامه کتاب".split()
    paragraphs = []
    for p in range(40):
        parts = []
        for m in range(rng.randint(2, 6)):
            parts.append(" ".join(rng.choice(words) for _ in range(rng.randint(3, 25))))
            term = " ".join(rng.choice(words) for _ in range(rng.randint(1, 3)))
            parts.append(f'<span class="idx" data-entry="{term}" id="m{p}-{m}">{term}</span>')
            if rng.random() < 0.3:
                note = f'<span class="idx" data-entry="نامه" id="n{p}-{m}">نامه</span> در یادداشت'
                parts.append(f'<span class="note" id="note{p}-{m}">{note}</span>')
        paragraphs.append(f'<p id="p{p}">{" ".join(parts)}.</p>')
    return ('<html dir="rtl" lang="fa"><body><section class="chapter" id="c">'
            + "".join(paragraphs) + "</section></body></html>")


def _flow_letters(document) -> dict:
    """Paragraph or note id → [(letter, page, top of its run)] of their text as laid out."""
    import unicodedata

    found: dict = {}

    def walk(box, page, paragraph):
        if type(box).__name__ == "MarginBox" or "::" in (getattr(box, "element_tag", "") or ""):
            return
        if type(box).__name__ == "FootnoteAreaBox":
            paragraph = None
        element = getattr(box, "element", None)
        if element is not None and (element.tag == "p" or "note" in (element.get("class") or "").split()):
            paragraph = element.get("id")
        if type(box).__name__ == "TextBox" and paragraph:
            found.setdefault(paragraph, []).extend(
                (c, page, box.position_y) for c in box.text if unicodedata.category(c)[0] == "L")
        for child in getattr(box, "children", ()):
            walk(child, page, paragraph)

    for index, page in enumerate(document.pages):
        walk(page._page_box, index, None)
    return found


def test_index_marks_taken_out_of_the_text_are_anchored_where_their_terms_are_printed(tmp_path):
    """An index mark unwrapped from the running text (pagination.detach_index_marks) has its anchor on
    the page and the line where its term's first letter is printed (the letters before it counted without
    the notes' text, which the page sets at its foot; a mark in a note counted in the note)."""
    import re
    import unicodedata

    from ketab.layout.boxes import place_marks
    from ketab.layout.engine import Engine
    from ketab.layout.pagination import detach_index_marks

    html = _marked_chapter()
    detached = detach_index_marks(html)
    assert 'class="idx"' not in detached
    terms = {ident: term for term, ident in re.findall(r'data-entry="([^"]+)" id="([mn][^"]+)"', html)}
    css = "@page { size: A6; } p { text-align: justify; } .note { float: footnote; }"
    document = Engine(tmp_path, [tmp_path]).document(detached, css)
    place_marks(document)
    assert len(document.pages) >= 4
    anchors = {name: (i, y) for i, page in enumerate(document.pages) for name, (_, y, _, _) in page.anchors.items()}
    flow = _flow_letters(document)
    checked = 0
    for paragraph, marks in re.findall(r' id="([^"]+)" data-marks="([^"]+)"', detached):
        for item in marks.split():
            letters, _, ident = item.partition(":")
            term = [c for c in terms[ident] if unicodedata.category(c)[0] == "L"]
            printed = flow[paragraph][int(letters):int(letters) + len(term)]
            assert [c for c, _, _ in printed] == term, ident  # the letters counted lead to the term
            page, y = anchors[ident]
            assert (page, round(y, 1)) == (printed[0][1], round(printed[0][2], 1)), ident  # its first letter's run
            checked += 1
    assert checked == len(terms) > 150
