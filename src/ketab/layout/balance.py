"""Facing pages end on a common last line: every page that the text runs on from is set flush
to the foot of its text block (vertical justification, LaTeX's ``\\flushbottom``).

Widows, orphans and keeps (a heading with its next lines, a quotation with its attribution, a
chronology entry whole) end a page a line or two short of its text block; its facing page ends
on another line.  After WeasyPrint has paginated a document, and before its pages are drawn, each
page whose text goes on to the next page without a forced break has what it is short of shared
out among the gaps between its blocks — most before a heading, less around quotations, lists and
figures, least between two paragraphs — and, a little, between its lines, so no single gap opens
up.  The page's last line then sits on the foot of the text block (or on the footnote area's top),
and so does the facing page's.

A page that ends a chapter or stands before a forced break keeps its short end; so does a page
short of more than :data:`MAX_LINES` lines (a figure that did not fit: stretching it would open
holes, and ``ketab check`` reports the spread).  A table's rows move apart, not its cells' lines;
code, figures, flex and grid boxes, multi-column blocks and positioned boxes move as wholes.  The stretch depends on the page's own boxes only, so
a page laid out in a segment is stretched as it is in the whole chapter.

A book asks for it with ``print: {bottom: flush}`` (the default) and for ragged bottoms with
``bottom: ragged``; the print stylesheet says so to the layout as ``--ketab-bottom`` on the root.
"""

from __future__ import annotations

MAX_LINES = 5
"""A page short of more lines than this is left as it is."""

BEFORE_HEADING = 4.0
AFTER_HEADING = 0.5
AROUND_BLOCK = 2.0
BETWEEN_PARAGRAPHS = 1.0
BETWEEN_LINES = 0.25
BETWEEN_ROWS = 0.5
"""The share of the missing space each kind of gap takes."""

_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_WHOLE = {"pre", "figure", "math", "svg"}
"""Moved as wholes: code keeps its lines' spacing, a figure its caption where it is."""
_TOLERANCE = 0.05  # px: a page this close to its foot is left as it is


def wanted(root_box) -> bool:
    """Whether the document's stylesheet asks for flush bottoms (``--ketab-bottom: flush``)."""
    try:
        value = root_box.style["__ketab_bottom"]
    except (KeyError, TypeError):
        return False
    return any(getattr(token, "value", None) == "flush" for token in value or ())


def flush_pages(pages: list, context) -> int:
    """Set every page of ``pages`` that runs on to the next without a forced break flush to the foot
    of its text block; the number of pages stretched."""
    stretched = 0
    for index, page in enumerate(pages):
        if index + 1 >= len(context.page_maker):
            continue
        resume_at, next_page = context.page_maker[index + 1][:2]
        if resume_at is None or next_page["break"] != "any" or next_page["page"]:
            continue  # the document's last page, or a page before a forced break (as page.py reads it)
        if flush_page(page):
            stretched += 1
            _backgrounds_again(page.children[0], page, context.get_image_from_uri)
    return stretched


def _backgrounds_again(box, page, get_image) -> None:
    """WeasyPrint places backgrounds before it yields a page: those of the boxes moved, placed again
    (a background WeasyPrint moved to the canvas, or none, stays as it is)."""
    from weasyprint.layout.background import layout_box_backgrounds

    if getattr(box, "background", None) is not None:
        layout_box_backgrounds(page, box, get_image, layout_children=False)
    for child in box.all_children() if hasattr(box, "all_children") else ():
        _backgrounds_again(child, page, get_image)


def flush_page(page) -> bool:
    """Stretch one page box so that its text's last line is on the foot of its flow."""
    from weasyprint.formatting_structure import boxes

    root = page.children[0]
    foot = page.content_box_y() + page.height
    for child in page.children[1:]:
        if isinstance(child, boxes.FootnoteAreaBox) and child.children:
            foot = child.position_y
    bottom, lines = _bottom(root)
    if bottom is None or not lines:
        return False
    missing = foot - bottom
    line = sorted(lines)[len(lines) // 2]
    if missing <= _TOLERANCE or missing > MAX_LINES * line:
        return False
    weight = _weight(root)
    if weight <= 0:
        return False
    _spread(root, missing / weight)
    return True


def _atomic(box) -> bool:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, (boxes.InlineTableBox, boxes.FlexContainerBox, boxes.GridContainerBox, boxes.ReplacedBox, boxes.InlineBlockBox)):
        return True
    if box.is_absolutely_positioned() or box.is_floated():
        return True
    if box.element_tag in _WHOLE:
        return True
    style = box.style
    return style["column_width"] != "auto" or style["column_count"] != "auto"


def _bottom(box) -> tuple[float | None, list[float]]:
    """The lowest line or leaf of ``box``'s flow, and the heights of its lines."""
    from weasyprint.formatting_structure import boxes

    if isinstance(box, boxes.LineBox):
        return box.position_y + box.height, [box.height]
    if box.is_absolutely_positioned():
        return None, []
    children = getattr(box, "children", None)
    if isinstance(box, boxes.TableBox):  # a table split at the foot is as tall as the page: its rows tell
        rows = [row for group in box.children for row in group.children]
        return (max(row.position_y + row.height for row in rows) if rows else None), [row.height for row in rows]
    if _atomic(box) or not children:
        if not isinstance(box.height, (int, float)):
            return None, []
        return box.position_y + box.margin_height() - box.margin_bottom, []
    lowest, lines = None, []
    for child in children:
        if isinstance(child, boxes.InlineLevelBox):
            continue
        low, heights = _bottom(child)
        lines += heights
        if low is not None and (lowest is None or low > lowest):
            lowest = low
    return lowest, lines


def _gaps(box) -> list[float]:
    """The weight of each gap between ``box``'s children (before the second, the third…)."""
    from weasyprint.formatting_structure import boxes

    children = box.children
    if isinstance(box, (boxes.TableBox, boxes.TableRowGroupBox)):
        return [BETWEEN_ROWS] * (len(children) - 1)  # the rows move, their cells with them
    if children and all(isinstance(c, boxes.LineBox) for c in children):
        return [BETWEEN_LINES] * (len(children) - 1)
    if not all(isinstance(c, boxes.BlockLevelBox) for c in children):
        return [0.0] * max(len(children) - 1, 0)
    weights = []
    for before, after in zip(children, children[1:]):
        if after.is_absolutely_positioned() or after.is_floated() or before.is_absolutely_positioned():
            weights.append(0.0)
        elif after.element_tag in _HEADINGS:
            weights.append(BEFORE_HEADING)
        elif before.element_tag in _HEADINGS:
            weights.append(AFTER_HEADING)
        elif before.element_tag == after.element_tag == "p":
            weights.append(BETWEEN_PARAGRAPHS)
        else:
            weights.append(AROUND_BLOCK)
    return weights


def _inner(box) -> bool:
    from weasyprint.formatting_structure import boxes

    if isinstance(box, (boxes.TableBox, boxes.TableRowGroupBox)) and not isinstance(box, boxes.InlineTableBox):
        return bool(box.children)
    return isinstance(box, boxes.BlockContainerBox) and not _atomic(box) and bool(box.children)


def _weight(box) -> float:
    if not _inner(box):
        return 0.0
    return sum(_gaps(box)) + sum(_weight(child) for child in box.children)


def _spread(box, unit: float) -> float:
    """Open ``box``'s gaps by ``unit`` per weight; the height added to ``box``."""
    if not _inner(box):
        return 0.0
    offset = 0.0
    gaps = [0.0, *_gaps(box)]
    for child, weight in zip(box.children, gaps):
        offset += weight * unit
        child.translate(dy=offset)
        inside = _spread(child, unit)
        if inside and child.height != "auto":
            child.height += inside
        offset += inside
    return offset
