"""Change bars: where the marked blocks fell (a layout probe) and the bars drawn beside them.

The bars are drawn after layout because only the layout knows on which side of
the spread a block fell: in a right-to-left book a recto is a *left* page, and
its outer margin is on the left.
"""

from __future__ import annotations

from ketab.proof.textdiff import MARK_CLASSES

BAR_RGB = (0.85, 0.1, 0.1)
"""Colour of the change bars (and of the marks in the text)."""
BAR_WIDTH_MM = 1.2
BAR_GAP_MM = 3.0
"""Distance between the text block and the bar."""
PX_PER_MM = 96 / 25.4
PT_PER_PX = 0.75


def document_marks(document) -> list:
    """The layout probe of a proof: where the marked blocks fell on every page (:class:`ketab.layout.boxes.PageMarks`)."""
    from ketab.layout.boxes import page_marks  # not at import: every ketab command imports the proof package

    return [page_marks(page, MARK_CLASSES) for page in document.pages]


def draw_bars(pdf, pagination, geometry: dict, shift: float = 0.0) -> dict[str, set[int]]:
    """Draw a bar in the outer margin beside every marked block; part id → {page index}.
    ``shift``: points the assembly moved a text unit's versos by (:func:`ketab.render.verso_shift`)."""
    import pikepdf

    touched: dict[str, set[int]] = {}
    width = BAR_WIDTH_MM * PX_PER_MM
    gap = BAR_GAP_MM * PX_PER_MM
    for placed in pagination.placed:
        for i, marks in enumerate(geometry.get(placed.unit.key, ())):
            if not marks.marks:
                continue
            index = placed.first_page + i
            for part, _, _ in marks.marks:
                touched.setdefault(part, set()).add(index)
            page = pdf.pages[index]
            x0, _, _, y_top = (float(v) for v in page.mediabox)
            # a text unit's versos were laid out in the recto's geometry and moved at assembly
            moved = shift / PT_PER_PX if placed.name != "front" and i % 2 else 0.0
            x = moved + (marks.text_left - gap - width if marks.side == "left" else marks.text_right + gap)
            ops = [b"q %.3f %.3f %.3f rg" % BAR_RGB]
            for top, bottom in _merged((t, b) for _, t, b in marks.marks):
                ops.append(b"%.2f %.2f %.2f %.2f re f" % (
                    x0 + (x + marks.bleed_left) * PT_PER_PX,
                    y_top - (bottom + marks.bleed_top) * PT_PER_PX,
                    width * PT_PER_PX,
                    (bottom - top) * PT_PER_PX,
                ))
            ops.append(b"Q")
            page.contents_add(pikepdf.Stream(pdf, b"q\n"), prepend=True)
            page.contents_add(pikepdf.Stream(pdf, b"\nQ\n" + b"\n".join(ops) + b"\n"))
    return touched


def _merged(ranges) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for top, bottom in sorted(ranges):
        if out and top <= out[-1][1] + 2:
            out[-1][1] = max(out[-1][1], bottom)
        else:
            out.append([top, bottom])
    return [(a, b) for a, b in out]
