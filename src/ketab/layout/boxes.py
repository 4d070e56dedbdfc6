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
        })
        return
    for child in getattr(box, "children", ()):
        _collect_slots(child, index, origin, slots)


FOOTNOTE_SAFE_CSS = "\nhtml { orphans: 1; widows: 1; }\n"


def footnotes_intact(document) -> bool:
    """Every footnote is set exactly once, in order, on the page of its call or a later one."""
    call_page, body_page = {}, {}
    calls, bodies = [], []
    for index, page in enumerate(document.pages):
        page_calls, page_bodies = [], []
        _collect_footnotes(page._page_box, page_calls, page_bodies)
        for c in page_calls:
            call_page.setdefault(c, index)
        for b in page_bodies:
            body_page.setdefault(b, index)
        calls += page_calls
        bodies += page_bodies
    return calls == bodies and all(body_page[n] >= call_page[n] for n in calls)


def _collect_footnotes(box, calls: list, bodies: list) -> None:
    tag = getattr(box, "element_tag", "") or ""
    if tag.endswith("::footnote-call") and type(box).__name__ == "InlineBox":
        calls.append(id(box.element))
    elif type(box).__name__ == "FootnoteAreaBox":
        for child in box.children:
            bodies.append(id(child.element))
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

