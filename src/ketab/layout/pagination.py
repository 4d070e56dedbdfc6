"""Pagination: where every unit of the book falls, and its folios.

Lay out every body unit with its first folio known (chapters open on a recto;
blank pages are inserted at assembly), resolve cross-reference, contents and
index page numbers, then lay out the front matter and the index.  The result,
:class:`Pagination`, is what every writer reads: the print and screen PDFs
assemble its units, the EPUB's page-list maps to its folios.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from lxml import html as lxml_html

from ketab import render
from ketab.assemble import Book, Part
from ketab.convert import inner_html
from ketab.layout import segments
from ketab.layout.engine import LaidOutUnit, Layouter
from ketab.mathsvg import math_as_pictures
from ketab.persian import bidi


@dataclass(frozen=True)
class Placed:
    """A laid-out unit and where it stands in the book."""

    name: str
    unit: LaidOutUnit
    first_page: int
    """0-based index of the unit's first page in the print PDF (after blanks)."""
    blank_before: int
    folio: int | None
    """Folio of the first page (None for the front matter)."""
    section: str
    furniture: LaidOutUnit | None = None
    """Folios and running heads to lay over the unit's pages (None: baked in)."""


@dataclass(frozen=True)
class Pagination:
    """The whole print layout: units in order and every anchor's page."""

    placed: tuple[Placed, ...]
    front_pages: int
    body_pages: int
    anchor_index: dict = field(compare=False)
    """Anchor → 0-based page index in the print PDF."""
    blank: LaidOutUnit | None = None

    @property
    def total_pages(self) -> int:
        return self.front_pages + self.body_pages


@dataclass(frozen=True)
class _Body:
    part: Part
    unit: LaidOutUnit


def paginate(book: Book, layouter: Layouter, templates: Path, bleed: float) -> Pagination:
    """Lay out the text units, place them, resolve page numbers, then the front matter."""
    lang = book.language
    content_css = render.print_css(book, templates, render.PrintStyle("content", bleed=bleed))
    parts = [p for p in book.body if p is not book.index_part]

    digits = slot_digits(book)
    # A unit's layout does not depend on its place in the book: cross-reference page
    # numbers are slots filled in with the furniture.  One pass lays the text out — two when
    # the book is longer than its slots' digits can number (the estimate from its text was short).
    bodies = _text_units(book, layouter, templates, parts, content_css, digits)
    placed_folios, folios, next_folio = _place(bodies)
    if len(str(next_folio)) > digits and any(b.unit.slots for b in bodies):
        bodies = _text_units(book, layouter, templates, parts, content_css, len(str(int(next_folio * 1.25))))
        placed_folios, folios, next_folio = _place(bodies)

    # Then, together: the index (its page numbers are known now), the front matter
    # (contents with the text's folios, numbered with letters, furniture baked in), a blank page.
    jobs = []
    if book.index_part is not None:
        part = book.index_part
        folios[f"{part.id}-title"] = next_folio + (next_folio - 1) % 2  # where the index will open
        html = render.print_index_html(book, templates, index_entries(book, folios), part.title or lang.labels.index, part.id)
        jobs.append((link_across_units(html, book, {part.id}), content_css))
    front_bodies = {p.id: with_note_calls(with_xref_pages(math_as_pictures(p.converted.html), folios, lang)) for p in book.front}
    html = render.print_front_html(book, templates, contents(book, folios), front_bodies)
    counter = lang.front_counter
    style = render.PrintStyle("baked", 1, counter, "", book.config.title, opening_folio=False, bleed=bleed)
    jobs.append((link_across_units(html, book, {p.id for p in book.front}), render.print_css(book, templates, style)))
    jobs.append((render.blank_html(book, templates), content_css))
    *index_unit, front, blank_unit = layouter.layout_many(jobs)
    if index_unit:
        bodies.append(_Body(book.index_part, index_unit[0]))
        placed_folios, folios, _ = _place(bodies)
    front_pages = front.pages + front.pages % 2  # the text starts on a recto
    body_pages = sum(b.unit.pages for b in bodies) + sum(blank for blank, _ in placed_folios)

    # Folios, running heads and cross-reference page numbers: one furniture unit per text unit.
    furniture = layouter.layout_many([
        (render.furniture_html(book, b.unit.pages, _stamps(b.unit, folios, lang)), render.print_css(book, templates, render.PrintStyle(
            "furniture", folio, lang.counter_style, running_head(b.part), book.config.title, bleed=bleed)))
        for b, (_, folio) in zip(bodies, placed_folios)
    ])

    ordered = [Placed("front", front, 0, 0, None, "front")]
    anchor_index = dict((a, i) for a, i in front.anchors.items())
    page = front_pages
    for body, (blank, folio), furn in zip(bodies, placed_folios, furniture):
        first = page + blank
        ordered.append(Placed(body.part.id, body.unit, first, blank, folio, body.part.section, furn))
        for anchor, index in body.unit.anchors.items():
            anchor_index[anchor] = first + index
        page = first + body.unit.pages
    return Pagination(tuple(ordered), front_pages, body_pages, anchor_index, blank_unit)


def _text_units(book: Book, layouter: Layouter, templates: Path, parts, content_css: str, digits: int) -> list[_Body]:
    """The text's units laid out, their cross-references' page numbers ``digits`` wide."""
    lang = book.language
    htmls = [
        link_across_units(render.print_chapter_html(book, templates, p, detach_index_marks(with_note_calls(with_xref_pages(math_as_pictures(p.converted.html), None, lang, digits)))), book, {p.id})
        for p in parts
    ]
    units = segments.lay_out_chapters(layouter, [(html, content_css) for html in htmls])
    return [_Body(p, u) for p, u in zip(parts, units)]


RUNNING_HEAD_MAX = 48
"""Characters that fit a running head on the narrowest trim at its size."""


def running_head(part: Part) -> str:
    """The chapter's ``running_head``, or its title cut at a word before RUNNING_HEAD_MAX."""
    chapter = part.converted.chapter
    text = chapter.running_head or part.title
    if len(text) <= RUNNING_HEAD_MAX:
        return text
    cut = text[:RUNNING_HEAD_MAX].rsplit(" ", 1)[0].rstrip("،,:؛;")
    return cut + "…"


def _stamps(unit: LaidOutUnit, folios: dict, lang) -> dict:
    """Page index → [(slot geometry, text)]: the cross-reference numbers to draw over the unit."""
    stamps: dict[int, list] = {}
    for slot in unit.slots:
        folio = folios.get(slot["target"])
        stamps.setdefault(slot["page"], []).append((slot, (lang.digits(folio) if folio else "—") + slot.get("close", "")))
    return stamps


def _place(bodies: list[_Body]):
    """[(blank pages before, first folio)] per unit, the folio of every anchor, the next folio.

    Every unit opens on a recto (odd folio); a blank page is inserted where needed."""
    placed, folios, folio = [], {}, 1
    for body in bodies:
        blank = (folio - 1) % 2
        folio += blank
        placed.append((blank, folio))
        for anchor, index in body.unit.anchors.items():
            folios[anchor] = folio + index
        folio += body.unit.pages
    return placed, folios, folio


NOTE_CALL = "-call"
"""``<note id>-call``: the anchor left at a note's call (the note's own id marks its text)."""
_NOTE_SPAN = re.compile(r'<span class="note" id="([^"]+)"')


def with_note_calls(body: str) -> str:
    """An empty anchor at each note's call, so that the PDF says on which page each call
    fell (a named destination) as it says where each note's text fell: ``ketab check``
    compares the two."""
    return _NOTE_SPAN.sub(lambda m: f'<span class="note-call" id="{m.group(1)}{NOTE_CALL}"></span>{m.group(0)}', body)


_MARK_BLOCKS = frozenset({"p", "li", "dd", "dt", "td", "th", "blockquote", "figcaption", "h1", "h2", "h3", "h4", "h5", "h6"})
"""Elements an index mark is counted in (block-level in the print layout)."""
_UNCOUNTED = frozenset({"note", "xref-page"})
"""Text the print layout does not set in the running text (a note's text is at the foot of the page; a
cross-reference's page number is drawn later): not counted (:func:`ketab.layout.boxes.page_starts`)."""


def detach_index_marks(body: str) -> str:
    """The index marks of a text unit's running text (``span.idx``) unwrapped, and where each stood
    kept on its paragraph (or list item, cell…) instead: ``data-marks="letters:id …"``, the letters
    of the paragraph before the mark.  An inline element in a line costs WeasyPrint as much as the
    words around it (the book's text marks every mention of an indexed name: its chapters laid out
    in about half the time without them); the layout puts each mark's anchor at the text where
    its letter falls (:func:`ketab.layout.boxes.place_marks`); a mark in a note is counted in the
    note.  A mark in no paragraph with an id stays as it is."""
    if 'class="idx"' not in body:
        return body
    root = lxml_html.fragment_fromstring(body, create_parent="div")
    blocks: dict = {}
    for span in root.iter("span"):
        if span.get("class") == "idx" and span.get("id"):
            block = _mark_block(span)
            if block is not None:
                blocks.setdefault(block, set()).add(span)
    if not blocks:
        return body
    for block, spans in blocks.items():
        marks = [f"{letters}:{span.get('id')}" for letters, span in _letters_before(block, spans)]
        block.set("data-marks", " ".join(marks))
        for span in spans:
            span.drop_tag()
    return inner_html(root)


def _mark_block(span):
    """The paragraph (list item, cell…) a mark is counted in — or the note, whose text the page sets at
    its foot; None for a mark in no such element, or in text the layout does not set as written."""
    for up in span.iterancestors():
        classes = set((up.get("class") or "").split())
        if "note" in classes and up.tag == "span" and up.get("id"):
            return up
        if _UNCOUNTED & classes:
            return None
        if up.tag in _MARK_BLOCKS and up.get("id"):
            return up
    return None


def _letters_before(block, spans: set):
    """(letters of ``block`` before it, span) for each of ``spans``, in order: the letters the print sets."""
    from ketab.layout.boxes import _letters

    count = 0

    def walk(el):
        nonlocal count
        if el in spans:
            yield count, el
        if el is block or not _UNCOUNTED & set((el.get("class") or "").split()):
            count += _letters(el.text or "")
            for child in el:
                if isinstance(child.tag, str):
                    yield from walk(child)
                count += _letters(child.tail or "")

    yield from walk(block)


UNIT_LINK = segments.UNIT_LINK
_HREF = segments.HREF


def link_across_units(html: str, book: Book, unit_parts: set) -> str:
    def swap(m):
        target = unquote(m.group(1))  # lxml's HTML serializer percent-encodes non-ASCII ids
        part = book.anchor_part.get(target) or (target[: -len("-title")] if target.endswith("-title") else None)
        return f'href="#{target}"' if part is None or part in unit_parts else f'href="{UNIT_LINK}{target}"'

    return _HREF.sub(swap, html)


def slot_digits(book: Book) -> int:
    """How many digits to keep for a cross-reference's page number: enough for the
    book's length, estimated from its text (about 1,500 characters a page, with room)."""
    chars = sum(len(p.converted.html) for p in book.parts) // 3  # markup is about two thirds
    return len(str(max(10, int(chars / 1500 * 1.5))))


def with_xref_pages(body: str, folios: dict | None, lang, digits: int = 3) -> str:
    """Append «(ص ۱۲)» to every internal cross-reference.

    With ``folios`` None the number is a *slot*: hidden digits that keep its place,
    so that the unit's layout does not depend on where other units fall; the
    number is drawn into the slot with the page furniture (see :func:`furniture_html`)."""
    if "xref" not in body:
        return body
    root = lxml_html.fragment_fromstring(body, create_parent="div")
    for a in root.iter("a"):
        if "xref" not in (a.get("class") or "").split() or "nopage" in (a.get("class") or "").split():
            continue
        target = unquote((a.get("href") or "#")[1:])
        bare = "list-ref" in a.get("class").split()  # an entry of a list of figures: the number alone
        span = lxml_html.Element("span", {"class": "xref-page list-page" if bare else "xref-page"})
        # «(ص ۱۲)» never broken across lines: a no-break space between the label and its number
        span.text, close = ("", "") if bare else (f" ({lang.labels.page_ref}\u00a0", ")")
        if folios is None:  # the closing parenthesis is drawn with the number: a short number leaves no gap inside
            slot = lxml_html.Element("span", {"class": "page-slot", "data-target": target, "data-close": close, "data-align": "end" if bare else "start"})
            slot.text = lang.digits("8" * digits) + close  # a wide digit (Persian zero is a dot)
            span.append(slot)
        else:
            folio = folios.get(target)
            if bare and not folio:  # a figure of the front matter: its letter, from the front matter's own layout
                span.set("data-href", "#" + target)
            else:
                span.text += f"{lang.digits(folio) if folio else '—'}{close}"
        if bare:
            a.append(span)  # inside the entry's link, after its leaders, as in the contents
            continue
        span.tail = a.tail
        a.tail = None
        a.addnext(span)
    return inner_html(root)


def contents(book: Book, folios: dict) -> list[dict]:
    """The contents as printed: every part; the chapters of the text numbered (front and back
    matter not); their headings down to ``toc_depth``; the page in the book's digits (None in
    the front matter, whose letters the layout fills in)."""
    lang = book.language
    out = []
    number = 0
    for part in book.parts:
        anchor = f"{part.id}-title"
        folio = folios.get(anchor)
        title = part.converted.title_html or bidi.isolate_text(part.title or lang.labels.index, lang.tag)
        label = None
        if part.section == "body":
            number += 1
            label = lang.digits(number)
        out.append({"level": 1, "anchor": anchor, "title": title, "page": lang.digits(folio) if folio else None,
                    "number": label, "section": part.section})
        if part.section == "front":
            continue
        for heading in part.headings:
            if 2 <= heading.level <= (book.config.toc_depth or 1) and folios.get(heading.id):
                out.append({"level": heading.level, "anchor": heading.id, "title": heading.html,
                            "page": lang.digits(folios[heading.id]), "number": None, "section": part.section})
    return out


def index_entries(book: Book, folios: dict) -> list[dict]:
    """The index as printed: letter groups of entries, each with its locators — page numbers, consecutive
    pages joined into a range («۱۲–۱۴») linked to the first mention — or a see-reference."""
    from ketab.assemble import index_letter

    lang = book.language
    groups: list[dict] = []
    for entry in book.index:
        letter = index_letter(entry.heading, lang)
        if not groups or groups[-1]["letter"] != letter:
            groups.append({"letter": letter, "entries": []})
        groups[-1]["entries"].append({
            "heading_html": bidi.isolate_text(entry.heading, lang.tag),
            "pages": page_ranges(entry.places, folios, lang),
            "see_html": bidi.isolate_text(entry.see, lang.tag) if entry.see else None,
        })
    return groups


def page_ranges(places, folios: dict, lang) -> list[tuple[str, str]]:
    """[(label, anchor of the first mention)] with runs of consecutive pages as one range."""
    first_anchor: dict[int, str] = {}
    for _, anchor in places:
        folio = folios.get(anchor)
        if folio is not None and folio not in first_anchor:
            first_anchor[folio] = anchor
    runs: list[list[int]] = []
    for folio in sorted(first_anchor):
        if runs and folio == runs[-1][-1] + 1:
            runs[-1].append(folio)
        else:
            runs.append([folio])
    return [(lang.digits(run[0]) if len(run) == 1 else f"{lang.digits(run[0])}–{lang.digits(run[-1])}",
             first_anchor[run[0]]) for run in runs]
