"""The text of WeasyPrint 70's structure tree, in reading order.

WeasyPrint tags every run of text (a ``TextBox``) as a ``Span`` holding the run's
marked content, but it draws the glyphs of a right-to-left run in visual order and
writes no ``ActualText``: what a screen reader or ``pdfinfo -struct-text`` gets from a
Persian line is the line reversed, without its zero-width non-joiners (ZWNJ, which has
no glyph).  WeasyPrint knows each run's logical text (``TextBox.text``); after it has
built the tree, :func:`apply`'s wrapper of ``add_tags`` writes that text as the
``ActualText`` of the element that holds the run's MCID (a ``Span``, or a ``Link``
for the runs of a link, joined), with a space after the last run of each line
(WeasyPrint drops the space a line was broken at from the run).
"""

from __future__ import annotations

APPLIED: dict[str, bool] = {}
VERSION = "actualtext/1"
"""Part of every layout unit's key (:data:`ketab.layout.engine.TAGGED`)."""


def apply() -> bool:
    """Wrap WeasyPrint's ``add_tags`` (once per process); whether it took."""
    if APPLIED:
        return APPLIED["actualtext"]
    from weasyprint import pdf as weasy_pdf

    original = getattr(weasy_pdf, "add_tags", None)
    if original is None:
        APPLIED["actualtext"] = False
        return False
    if not getattr(original, "__ketab_wrapped__", False):

        def add_tags(pdf, document, pdf_version, page_streams):
            marked = [dict(getattr(stream, "_tags", None) or {}) for stream in page_streams]
            line_ends = [_line_ends(page._page_box) for page in document.pages]
            if "Lang" not in pdf.catalog:  # a unit's language is not the book's: the screen PDF says that
                import pydyf

                pdf.catalog["Lang"] = pydyf.String()
            original(pdf, document, pdf_version, page_streams)
            _actual_text(pdf, marked, line_ends)

        add_tags.__ketab_wrapped__ = True
        weasy_pdf.add_tags = add_tags
    APPLIED["actualtext"] = True
    return True


def _number(reference) -> int:
    return int(bytes(reference).split()[0])


def _actual_text(pdf, marked: list[dict], line_ends: list[set]) -> None:
    import pydyf
    from weasyprint.formatting_structure import boxes

    root = pdf.objects[_number(pdf.catalog["StructTreeRoot"])]
    nums = pdf.objects[_number(root["ParentTree"])]["Nums"]
    for page_number, runs in enumerate(marked):
        by_mcid = nums[2 * page_number + 1]
        texts: dict[int, list] = {}
        for box, tag in runs.items():
            if not isinstance(box, boxes.TextBox) or tag["mcid"] >= len(by_mcid):
                continue
            text = box.text
            if id(box) in line_ends[page_number] and text and not text[-1].isspace():
                text += " "
            texts.setdefault(_number(by_mcid[tag["mcid"]]), []).append((tag["mcid"], text))
        for number, parts in texts.items():
            pdf.objects[number]["ActualText"] = pydyf.String("".join(text for _, text in sorted(parts)))


def _line_ends(page_box) -> set[int]:
    """ids of the last text run of every line on the page (a space after it cannot hurt a last
    line, and the last line on a page may go on on the next one)."""
    from weasyprint.formatting_structure import boxes

    ends: set[int] = set()
    stack = [page_box]
    while stack:
        box = stack.pop()
        children = getattr(box, "children", None) or ()
        if isinstance(box, boxes.ParentBox):
            for line in (child for child in children if isinstance(child, boxes.LineBox)):
                last = _last_text(line)
                if last is not None:
                    ends.add(id(last))
        stack.extend(child for child in children if not isinstance(child, boxes.TextBox))
    return ends


def _last_text(box):
    from weasyprint.formatting_structure import boxes

    while isinstance(box, boxes.ParentBox) and box.children:
        box = box.children[-1]
    return box if isinstance(box, boxes.TextBox) else None
