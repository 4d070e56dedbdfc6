"""The EPUB's print page-list: where each print page begins in the EPUB's documents, and the NCX's order.

From the print layout (:mod:`ketab.layout`) each page's first words are found in the content documents
and a ``pagebreak`` marker is set there; the nav's page-list and the NCX's pageList point at them.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import accumulate

from lxml import etree
from lxml import html as lxml_html

from ketab import render
from ketab.assemble import Book

XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_NS = "http://www.idpf.org/2007/ops"


def body_folios(pagination) -> dict:
    """anchor → the folio (a number) of the print page it falls on, for the text's pages — what
    the printed index lists ({} without a layout)."""
    if pagination is None:
        return {}
    front = pagination.front_pages
    return {anchor: index - front + 1 for anchor, index in pagination.anchor_index.items() if index >= front}


def print_folio(index: int, front_pages: int, lang) -> str:
    """The folio of page ``index`` (0-based) of the print PDF, as printed: the text's pages are
    numbered from ۱ in the book's digits, the front matter's with letters (الف، ب، پ …) or roman."""
    if index >= front_pages:
        return lang.digits(index - front_pages + 1)
    n = index + 1
    if lang.front_counter == "abjad":
        letters = re.findall(r'"([^"]+)"', render.PERSIAN_LETTERS)
        out = ""
        while n > 0:
            n, r = divmod(n - 1, len(letters))
            out = letters[r] + out
        return out
    out = ""
    for value, numeral in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out += numeral
            n -= value
    return out


@dataclass
class PrintPage:
    """One page of the print edition, and where it begins in the EPUB."""

    index: int
    """0-based page of the print PDF."""
    label: str
    """Its folio as printed (or as it would be printed: blank pages carry none)."""
    value: int | None
    """The folio's number for the text's pages (None in the front matter)."""
    file: str = ""
    block: str | None = None
    """Id of the element the page begins in (None: where the next page begins)."""
    letters: int = 0
    """Letters of that element set on earlier pages: the marker goes before the next one."""

    @property
    def marker(self) -> str:
        return f"page-{self.value}" if self.value is not None else f"page-front-{self.index + 1}"


FRONT_BLOCKS = {"half-title": ("titlepage.xhtml", "title-page"), "title-page": ("titlepage.xhtml", "title-page"),
                "identity": ("titlepage.xhtml", "identity"), "contents": ("nav.xhtml", "toc")}
"""The print front matter's blocks that the EPUB sets in its own documents."""


def print_pages(book: Book, pagination, documents: dict) -> list[PrintPage]:
    """Every page of the print PDF — front matter, blank pages and the signature's padding
    included — with the place in the EPUB where it begins (see
    :func:`ketab.layout.boxes.page_starts`)."""
    lang = book.language
    config = book.config
    starts: list[tuple] = []  # (unit name, start) per print page
    for placed in pagination.placed:
        starts += [(placed.name, None)] * placed.blank_before
        unit_starts = list(placed.unit.starts) + [None] * (placed.unit.pages - len(placed.unit.starts))
        starts += [(placed.name, s) for s in unit_starts[: placed.unit.pages]]
        if placed.name == "front":
            starts += [("front", None)] * (pagination.front_pages - placed.unit.pages)
    signature = config.signature or 1
    starts += [(None, None)] * ((-len(starts)) % signature if signature > 1 else 0)

    pages, context = [], None
    for index, (unit, start) in enumerate(starts):
        value = index - pagination.front_pages + 1 if index >= pagination.front_pages else None
        page = PrintPage(index, print_folio(index, pagination.front_pages, lang), value)
        if start is not None:
            file, block, context = _locate(book, unit, start[0], context, documents)
            if file:
                page.file, page.block, page.letters = file, block, int(start[1])
        pages.append(page)
    # a page without text (blank, or a block the EPUB does not have) begins where the next one does;
    # the pages after the last text begin at the end of the last document
    following = None
    for page in reversed(pages):
        if page.file:
            following = page
        elif following is not None:
            page.file, page.block, page.letters = following.file, following.block, following.letters
    last = book.parts[-1] if book.parts else None
    for page in pages:
        if not page.file:
            page.file, page.block, page.letters = (last.filename if last else "nav.xhtml"), None, -1
    return pages


def _locate(book: Book, unit: str | None, key: str, context, documents: dict):
    """(EPUB file, element id, part) of the print block ``key`` of ``unit``."""
    if key in FRONT_BLOCKS:
        file, block = FRONT_BLOCKS[key]
        return file, block, context
    if key.startswith("note:"):
        part = book.part(unit) if unit not in (None, "front") else context
        if part is None:
            return None, None, context
        return part.filename, f"{part.id}-fn{key[5:]}", part
    owner = book.anchor_part.get(key)
    if owner is None and any(p.id == key for p in book.parts):
        owner = key
    if owner is None:
        for part in book.parts:  # the part's own ids: its section and title
            if key in (part.id, f"{part.id}-title"):
                owner = part.id
    if owner is None:
        return None, None, context
    part = book.part(owner)
    if part.filename not in documents:
        return None, None, context
    return part.filename, key, part


LIST_CONTAINERS = {"ol", "ul", "dl", "table", "thead", "tbody", "tr", "nav"}
"""Elements a marker cannot open: it goes into their first child (a nav opens with its heading)."""


def place_page_markers(trees: dict, pages: list[PrintPage]) -> None:
    """Insert a ``pagebreak`` marker for every print page, at the letter where it begins."""
    by_id: dict[str, dict] = {}
    for name, tree in trees.items():
        by_id[name] = {el.get("id"): el for el in tree.iter() if isinstance(el.tag, str) and el.get("id")}
    slots = _SlotIndex()
    # markers placed at the same place keep the pages' order: insert them from the last
    for page in reversed(pages):
        tree = trees[page.file]
        marker = etree.Element(f"{XHTML}span", {"id": page.marker, f"{{{EPUB_NS}}}type": "pagebreak", "role": "doc-pagebreak", "aria-label": page.label})
        marker.text = ""
        target = by_id[page.file].get(page.block) if page.block else None
        if page.letters < 0 or target is None and page.block is None and page.letters < 0:
            body = tree.find(f"{XHTML}body")
            container = body[-1] if len(body) else body
            container.append(marker)
            continue
        if target is None:
            body = tree.find(f"{XHTML}body")
            target = body[0] if len(body) else body
        _insert_at_letter(target, page.letters, marker, slots)


def _insert_at_letter(element, letters: int, marker, slots: _SlotIndex | None = None) -> None:
    """Put ``marker`` inside ``element`` before its letter number ``letters`` (0: at its start),
    stepping back over the punctuation that opens the word («, (, …).  ``slots``: the text slots of
    the elements markers went into before (a chapter's page starts are counted from its section)."""
    slots = slots or _SlotIndex()
    while _local(element.tag) in LIST_CONTAINERS and len(element):
        element = element[0]
    if letters <= 0:
        text = element.text
        marker.tail = text
        element.text = None
        element.insert(0, marker)
        slots.moved((element, "text"), text, "", (marker, "tail"))
        return
    found = slots.of(element).find(letters)
    if found is not None:
        (node, attr), count = found
        _insert_in_slot(element, node, attr, count, letters, marker, slots)
        return
    # fewer letters than counted in print: the end of the element (of its last item, in a list)
    while _local(element.tag) in LIST_CONTAINERS and len(element):
        element = element[-1]
    element.append(marker)


def _insert_in_slot(element, node, attr: str, count: int, letters: int, marker, slots: _SlotIndex) -> None:
    """Put ``marker`` before letter ``letters`` of ``element``, which is in the text ``attr`` of ``node``
    (whose first letter is the element's letter ``count``)."""
    text = getattr(node, attr) or ""
    for i, c in enumerate(text):
        if not c.isalpha():
            continue
        if count == letters:
            while i > 0 and not text[i - 1].isspace() and not text[i - 1].isalpha():
                i -= 1
            before, after = text[:i], text[i:]
            if attr == "text" and not before.strip() and node is not element and _local(node.tag) in INLINE:
                # the page begins with an inline element (a name, a date): before it, not inside
                while node.getparent() is not element and _local(node.getparent().tag) in INLINE \
                        and not (node.getparent().text or "").strip() and node.getparent().index(node) == 0:
                    node = node.getparent()
                marker.tail = None
                node.addprevious(marker)  # a marker sets no text: no slot changes
                return
            if attr == "text":
                node.text = before
                marker.tail = after
                node.insert(0, marker)
            else:
                node.tail = before
                marker.tail = after
                node.addnext(marker)
            slots.moved((node, attr), before, after, (marker, "tail"))
            return
        count += 1


class _Slots:
    """An element's text slots in reading order (:func:`_text_slots`), with the letters before each."""

    def __init__(self, element):
        self.slots = list(_text_slots(element))
        self.letters = [sum(map(str.isalpha, getattr(node, attr) or "")) for node, attr in self.slots]
        self.starts = list(accumulate(self.letters, initial=0))[:-1]
        self.start_of = dict(zip(self.slots, self.starts))

    def find(self, letters: int):
        """((node, attr), letters before it) of the first slot that holds more than ``letters`` letters
        counted from the element's start; None if the element has no more."""
        at = bisect_right(self.starts, letters) - 1
        while at >= 0 and not self.letters[at]:
            at -= 1
        if at < 0 or self.starts[at] + self.letters[at] <= letters:
            return None
        return self.slots[at], self.starts[at]

    def split(self, slot: tuple, before: str, after: str, new: tuple) -> None:
        """``slot``'s text is now ``before``, and ``after`` (the rest) is the text of the ``new`` slot next to it."""
        start = self.start_of.pop(slot)
        at = self.slots.index(slot, bisect_left(self.starts, start))
        kept = sum(map(str.isalpha, before))
        entries = ([(slot, kept, start)] if before else []) + ([(new, self.letters[at] - kept, start + kept)] if after else [])
        self.slots[at:at + 1] = [entry[0] for entry in entries]
        self.letters[at:at + 1] = [entry[1] for entry in entries]
        self.starts[at:at + 1] = [entry[2] for entry in entries]
        self.start_of.update((entry[0], entry[2]) for entry in entries)


class _SlotIndex:
    """The :class:`_Slots` of the elements markers are put in, kept right as each marker goes in
    (a marker splits one text in two: the letters, and so every other slot's count, stay)."""

    def __init__(self):
        self.elements: dict = {}

    def of(self, element) -> _Slots:
        found = self.elements.get(element)
        if found is None:
            found = self.elements[element] = _Slots(element)
        return found

    def moved(self, slot: tuple, before: str | None, after: str | None, new: tuple) -> None:
        for slots in self.elements.values():
            if slot in slots.start_of:
                slots.split(slot, before or "", after or "", new)


INLINE = {"span", "a", "time", "em", "strong", "i", "b", "cite", "q", "abbr", "bdi", "bdo", "small", "sub", "sup", "mark", "dfn", "code", "kbd", "var", "s", "u"}


def _text_slots(element):
    """(node, "text" | "tail") of every text inside ``element`` in reading order, notes aside."""
    if element.text:
        yield element, "text"
    for child in element:
        if isinstance(child.tag, str) and _local(child.tag) != "aside" and "footnotes" not in (child.get("class") or "").split():
            yield from _text_slots(child)
        if child.tail:
            yield child, "tail"


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def play_order(trees: dict, spine: list[str]):
    """href → the NCX playOrder of its target: one number per place, in reading order, shared by
    the contents' and the page list's entries that lead to the same place."""
    places = []
    for name in spine:
        places.append((name, None))
        places += [(name, el.get("id")) for el in trees[name].iter() if isinstance(el.tag, str) and el.get("id")]
    rank = {place: i for i, place in enumerate(places)}

    def order(hrefs: list[str]) -> dict:
        def place(href):
            file, _, frag = href.partition("#")
            return rank.get((file, frag or None), rank.get((file, None), 0))
        distinct = sorted({place(h) for h in hrefs})
        number = {p: i for i, p in enumerate(distinct, start=1)}
        return {h: number[place(h)] for h in hrefs}

    return order


def ncx_points(toc: list[dict], play) -> list[dict]:
    return [{"id": f"nav-{i}", "label": plain(t["title"]), "href": t["href"], "children": [
        {"id": f"nav-{i}-{j}", "label": plain(c["title"]), "href": c["href"], "children": []} for j, c in enumerate(t["children"], start=1)
    ]} for i, t in enumerate(toc, start=1)]


def ncx_pages(pages: list[PrintPage], play) -> list[dict]:
    return [{"type": "normal" if p.value is not None else "front", "value": p.value, "label": p.label, "href": f"{p.file}#{p.marker}"}
            for p in pages]


def numbered(points: list[dict], pages: list[dict], play) -> None:
    """Give every navPoint and pageTarget its playOrder."""
    flat = []

    def walk(ps):
        for p in ps:
            flat.append(p)
            walk(p["children"])

    walk(points)
    numbers = play([p["href"] for p in flat + pages])
    for p in flat + pages:
        p["order"] = numbers[p["href"]]


def plain(html: str) -> str:
    return lxml_html.fragment_fromstring(html or "-", create_parent="div").text_content()

