"""WeasyPrint's box tree: the only module that reads it.

WeasyPrint's public API stops at the laid-out ``Document`` and its pages; what
ketab needs beyond that — where a page-number slot, a footnote or a marked block
fell — is read from the private box tree (``page._page_box`` and its children).
Keeping every such read here means a WeasyPrint upgrade touches one file.
"""

from __future__ import annotations

from dataclasses import dataclass


def find_slots(document) -> tuple:
    """Every ``.page-slot`` box: page, target, and its border box relative to the page's
    content box (CSS px), with its font size — where a page number will be drawn."""
    slots = []
    for index, page in enumerate(document.pages):
        box = page._page_box
        origin = (box.content_box_x(), box.content_box_y())
        _collect_slots(box, index, origin, slots)
    return tuple(slots)


def _collect_slots(box, index, origin, slots) -> None:
    element = getattr(box, "element", None)
    if type(box).__name__ == "InlineBlockBox" and element is not None and "page-slot" in (element.get("class") or "").split():
        slots.append({
            "page": index,
            "target": element.get("data-target"),
            "x": box.border_box_x() - origin[0],
            "y": box.border_box_y() - origin[1],
            "w": box.border_width(),
            "h": box.border_height(),
            "size": box.style["font_size"],
            "family": list(box.style["font_family"]),
            "close": element.get("data-close") or "",
            "align": element.get("data-align") or "start",
        })
        return
    for child in getattr(box, "children", ()):
        _collect_slots(child, index, origin, slots)


FOOTNOTE_SAFE_CSS = "\nhtml { orphans: 1; widows: 1; }\n"


def note_placement(document) -> list[tuple[list, list]]:
    """Per page: (ids of the notes called there, ids of the notes printed there), in order."""
    pages = []
    for page in document.pages:
        calls, bodies = [], []
        _collect_footnotes(page._page_box, calls, bodies)
        pages.append((calls, bodies))
    return pages


def notes_in_place(document) -> list[str]:
    """Ids of the notes not printed exactly once, in order, on the page of their call."""
    placement = note_placement(document)
    wrong = []
    called = [c for calls, _ in placement for c in calls]
    printed = [b for _, bodies in placement for b in bodies]
    for calls, bodies in placement:
        wrong += [c for c in calls if c not in bodies]
        wrong += [b for b in bodies if b not in calls]
    if printed != called:
        wrong += [c for c in called if printed.count(c) != 1]
        wrong += [b for b, c in zip(printed, called) if b != c]
    return list(dict.fromkeys(wrong))


def _collect_footnotes(box, calls: list, bodies: list) -> None:
    tag = getattr(box, "element_tag", "") or ""
    if tag.endswith("::footnote-call") and type(box).__name__ == "InlineBox":
        calls.append(box.element.get("id") or str(id(box.element)))
    elif type(box).__name__ == "FootnoteAreaBox":
        for child in box.children:
            bodies.append(child.element.get("id") or str(id(child.element)))
        return
    for child in getattr(box, "children", ()):
        _collect_footnotes(child, calls, bodies)


@dataclass(frozen=True)
class PageMarks:
    """Where marked blocks fell on one laid-out page (CSS px from the page's top left)."""

    side: str
    """``left`` or ``right``: the page's side in the spread."""
    text_left: float
    text_right: float
    """Horizontal extent of the text block."""
    bleed_left: float
    bleed_top: float
    marks: tuple[tuple[str, float, float], ...]
    """(part id, top, bottom) of each marked box."""


def page_marks(page, classes) -> PageMarks:
    """Where the boxes with one of ``classes`` fell on ``page`` (a proof's marked blocks)."""
    box = page._page_box
    found: list = []
    _find_marks(box, classes, found)
    bleed = getattr(page, "bleed", None) or {}
    left = box.content_box_x()
    return PageMarks(box.page_type.side, left, left + box.width, bleed.get("left", 0), bleed.get("top", 0), tuple(found))


def _find_marks(box, classes, found: list) -> None:
    element = getattr(box, "element", None)
    if element is not None and hasattr(element, "get"):
        if any(c in classes for c in (element.get("class") or "").split()):
            height = box.border_height()
            if height > 0:
                top = box.border_box_y()
                found.append((element.get("data-proof-part") or "", top, top + height))
            return
    for child in getattr(box, "children", ()):
        _find_marks(child, classes, found)



def page_starts(document, seen: dict | None = None) -> tuple:
    """Where the text of each page begins, for the EPUB's page-list: per page, ``[block id,
    letters before]`` — the innermost block-level element with an id around the page's first
    letter, and how many letters of that block were set on the pages before (so a page that
    begins inside a paragraph is placed inside it) — or None for a page without text.

    Letters (Unicode ``L*``) are counted, not characters: they are what the EPUB's text shares with
    the print's (digits, spaces and punctuation differ: note calls, page slots, collapsed spaces).
    A page whose running text has ended begins in a footnote: its block is ``note:<data-n>``.
    Margin boxes, generated content (``::before``, note calls, list markers) and the print-only
    page numbers of cross-references (``.xref-page``) are not text.  ``seen`` (filled in) ends with
    the letters counted under each id."""
    seen = {} if seen is None else seen
    starts = []
    for page in document.pages:
        flow: list = []
        notes: list = []
        _text_boxes(page._page_box, (), flow, notes)
        first = next((item for item in flow + notes if _letters(item[1])), None)
        starts.append([first[0][-1], seen.get(first[0][-1], 0)] if first and first[0] else None)
        for stack, text in flow + notes:
            n = _letters(text)
            for key in stack:
                seen[key] = seen.get(key, 0) + n
    return tuple(starts)


_INLINE = frozenset({"InlineBox", "TextBox", "InlineBlockBox", "LineBox", "InlineReplacedBox"})


def _text_boxes(box, stack: tuple, flow: list, notes: list, ids: bool = True) -> None:
    name = type(box).__name__
    if name == "MarginBox" or "::" in (getattr(box, "element_tag", "") or ""):
        return
    if name == "FootnoteAreaBox":
        for child in box.children:
            element = getattr(child, "element", None)
            key = f"note:{element.get('data-n')}" if element is not None and element.get("data-n") else None
            _text_boxes(child, (key,) if key else (), notes, notes, ids=False)  # a note is known by its number
        return
    element = getattr(box, "element", None)
    if element is not None and hasattr(element, "get") and "xref-page" in (element.get("class") or "").split():
        return
    if ids and element is not None and name not in _INLINE and hasattr(element, "get"):
        ident = element.get("id")
        if ident and (not stack or stack[-1] != ident):
            stack = stack + (ident,)
    if name == "TextBox":
        flow.append((stack, box.text))
        return
    for child in getattr(box, "children", ()):
        _text_boxes(child, stack, flow, notes, ids)


def place_marks(document) -> None:
    """An anchor for every index mark a paragraph (or a note) holds as ``data-marks`` (the letters before
    each: :func:`ketab.layout.pagination.detach_index_marks`), at the run of text its letter falls in —
    the letters counted as :func:`page_starts` counts them.  A mark past the paragraph's last letter
    is at its last run."""
    pending: dict = {}
    seen: dict = {}
    last: dict = {}
    for page in document.pages:
        _place(page._page_box, page, (), pending, seen, last)
    for element, marks in pending.items():
        page, box = last.get(element, (None, None))
        for _, name in marks if page is not None else ():
            _anchor(page, name, box)


def _place(box, page, open_marks: tuple, pending: dict, seen: dict, last: dict) -> None:
    name = type(box).__name__
    if name == "MarginBox" or "::" in (getattr(box, "element_tag", "") or ""):
        return
    if name == "FootnoteAreaBox":  # the notes' text: counted in each note, not in its call's paragraph
        open_marks = ()
    element = getattr(box, "element", None)
    if element is not None and hasattr(element, "get"):
        if "xref-page" in (element.get("class") or "").split():
            return
        if name not in _INLINE and element.get("data-marks") and (not open_marks or open_marks[-1] is not element):
            if element not in pending:
                marks = (item.partition(":") for item in element.get("data-marks").split())
                pending[element] = sorted((int(n), mark) for n, _, mark in marks)
                seen[element] = 0
            open_marks = open_marks + (element,)
    if name == "TextBox":
        n = _letters(box.text)
        for marked in open_marks if n else ():
            marks, before = pending[marked], seen[marked]
            while marks and marks[0][0] < before + n:
                _anchor(page, marks.pop(0)[1], box)
            seen[marked] = before + n
            last[marked] = (page, box)
        return
    for child in getattr(box, "children", ()):
        _place(child, page, open_marks, pending, seen, last)


def _anchor(page, name: str, box) -> None:
    x, y, width, height = box.hit_area()
    page.anchors.setdefault(name, (x, y, x + width, y + height))


def _letters(text: str) -> int:
    import unicodedata

    return sum(1 for c in text if unicodedata.category(c)[0] == "L")


def fresh_block(context, root_box, index: int):
    """(``data-kb`` of the top-level block that page ``index + 1`` begins with, forced break) when
    that page begins at the start of a block of ``section.chapter`` with nothing carried over
    (no footnote moved on, nothing broken out of the flow); None otherwise.

    Read from WeasyPrint's own pagination state (``context.page_maker``: where the next page
    resumes), the one place that knows it without laying the next page out."""
    found = next_page_start(context, root_box, index)
    if found is None or not found[1]:
        return None
    return found[0], found[2]


def next_page_start(context, root_box, index: int):
    """(``data-kb`` of the top-level block of ``section.chapter`` that page ``index + 1`` begins in,
    whether it begins at that block's start with nothing carried over, forced break); None when
    that is not known (no next page, or it does not resume inside the section's blocks)."""
    if len(context.page_maker) <= index + 1:
        return None
    resume_at, next_page = context.page_maker[index + 1][:2]
    carried = bool(context.reported_footnotes or context.broken_out_of_flow)
    box = root_box
    while isinstance(resume_at, dict) and len(resume_at) == 1:
        (child, deeper), = resume_at.items()
        children = getattr(box, "children", ())
        if child >= len(children):
            return None
        element = getattr(box, "element", None)
        if element is not None and "chapter" in (element.get("class") or "").split() and element.tag == "section":
            block = children[child]
            kb = block.element.get("data-kb") if block.element is not element else None
            if kb is None:
                return None
            return int(kb), deeper is None and not carried, next_page.get("break", "any") != "any"
        box, resume_at = children[child], deeper
    return None


OVERRUN = 0.5
"""How far (CSS px, WeasyPrint's unit: 0.75 pt) a line's text may reach past its block before
:func:`lines_out_of_block` reports it."""


def lines_out_of_block(document, limit: int = 5) -> list[str]:
    """Lines whose text reaches past the padding box of their block: text the engine set outside the text
    block (an unbreakable word wider than the column, a run WeasyPrint moved by mistake) — at most ``limit``
    of them, as messages that quote the line.  A list's marker is set outside its line on purpose, and a
    number pulled into its block's padding (the contents) stays inside the padding box."""
    from weasyprint.formatting_structure import boxes

    found: list[str] = []
    for page in document.pages:
        stack = [page._page_box]
        while stack and len(found) < limit:
            box = stack.pop()
            if not isinstance(box, boxes.ParentBox):
                continue
            for child in box.children:
                if type(child) is boxes.LineBox:
                    past = _overrun(child, box.padding_box_x(), box.padding_box_x() + box.padding_width(), boxes.InlineBox)
                    if past > OVERRUN and len(found) < limit:
                        text = " ".join(_line_text(child, boxes.TextBox).split())
                        found.append(f"a line runs {past * 0.75:.1f} pt past the side of its text block: «{text[:40]}»")
                else:
                    stack.append(child)
    return found


def _overrun(line, left: float, right: float, inline_type) -> float:
    """How far the line's text, pictures and inline blocks reach past ``left`` or ``right`` (the line box's
    own position is not always kept: a right-to-left leader leaves it where the line began)."""
    worst, inner = 0.0, list(line.children)
    while inner:
        box = inner.pop()
        if not box.is_in_normal_flow() or (getattr(box, "element_tag", "") or "").endswith("::marker"):
            continue
        if type(box) is inline_type:  # its own box may not follow what it holds (a leader widens it in place)
            inner.extend(box.children)
        elif box.width > 0:  # what is drawn: a run of text, a picture, an inline block
            worst = max(worst, left - box.position_x, box.position_x + box.width - right)
    return worst


def _line_text(box, text_type) -> str:
    if type(box) is text_type:
        return box.text
    return "".join(_line_text(child, text_type) for child in getattr(box, "children", ()))
