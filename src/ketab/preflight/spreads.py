"""Facing pages that end on different lines.

In a spread whose two pages the text runs on from (neither ends a part nor is blank), both text
blocks must end on the same line: :mod:`ketab.layout.balance` sets such pages flush to the foot
of the text block.  What is measured is the lowest glyph (its font box, so a footnote's last line
and a text line compare within a few points) or rule (a table's last border, a code block's bar)
above the bottom margin, where the folio stands.
"""

from __future__ import annotations

from pathlib import Path

from ketab.diagnostics import display_path
from ketab.preflight import MM, Report, _destinations

TOLERANCE = 6.0
"""Points, about a third of a text line: the font boxes of two last lines that end on the foot differ
by up to half of that (a note's Latin line against a Persian text line); lines apart differ by a line."""


def text_bottoms(pdf_path: Path, margin_bottom_mm: float) -> list[float | None]:
    """Per page, the height above the text block's foot of its lowest glyph (None: no text above the
    bottom margin)."""
    import pikepdf
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    pdf = pikepdf.open(pdf_path)
    doc = pdfium.PdfDocument(str(pdf_path))
    out: list[float | None] = []
    for index, page in enumerate(doc):
        box = pdf.pages[index].get("/TrimBox") or pdf.pages[index].MediaBox
        foot = float(box[1]) + margin_bottom_mm * MM
        textpage = page.get_textpage()
        lowest = None
        for i in range(textpage.count_chars()):
            if textpage.get_text_range(i, 1).isspace():
                continue
            left, bottom, right, top = textpage.get_charbox(i, loose=True)
            if right - left <= 0 or top < foot - 2:
                continue  # an empty box, or the folio in the bottom margin
            lowest = bottom if lowest is None else min(lowest, bottom)
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=4):
            left, bottom, right, top = obj.get_bounds()  # a rule: a table's last border, a code block's bar
            if top >= foot - 2 and lowest is not None:
                lowest = min(lowest, bottom)
        out.append(None if lowest is None else lowest - foot)
    return out


def check_spreads(book, pdf_path: Path, report: Report) -> None:
    """A warning for every spread of two run-on pages whose text blocks end apart."""
    import pikepdf

    bottoms = text_bottoms(pdf_path, book.config.print.margins[2])
    destinations = _destinations(pikepdf.open(pdf_path))
    openings = _openings(book, destinations)

    def runs_on(page: int) -> bool:
        following = page + 1
        return following < len(bottoms) and following not in openings and bottoms[page] is not None and bottoms[following] is not None

    apart = []
    for verso in range(1, len(bottoms) - 1, 2):  # pages 2–3, 4–5, … (0-based 1–2, 3–4, …)
        recto = verso + 1
        if runs_on(verso) and runs_on(recto) and abs(bottoms[verso] - bottoms[recto]) > TOLERANCE:
            apart.append(f"{verso + 1}–{recto + 1} ({abs(bottoms[verso] - bottoms[recto]) / MM:.1f} mm)")
    if apart:
        report.warning(
            display_path(pdf_path),
            f"facing pages end on different lines: {', '.join(apart)}",
            "layout.spread",
        )


def _openings(book, destinations: dict) -> set[int]:
    """The pages parts open on: the first page any of a part's anchors (``id``, ``id-…``) is on."""
    parts = [*book.parts, *([book.index_part] if book.index_part is not None else [])]
    first: dict[str, int] = {}
    for name, (page, _y) in destinations.items():
        for part in parts:
            if name == part.id or name.startswith(part.id + "-"):
                first[part.id] = min(page, first.get(part.id, page))
    return set(first.values())
