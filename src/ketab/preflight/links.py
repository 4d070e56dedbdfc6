"""The page numbers the book prints (contents, index) against where their targets fell."""

from __future__ import annotations

import re
from pathlib import Path

from ketab.diagnostics import display_path
from ketab.preflight import _DIGITS, MM, Report, _destinations, _letters, check_notes, manuscript_notes  # noqa: F401
from ketab.preflight.press import _box  # noqa: F401


def check_page_numbers(book, pdf_path: Path, report: Report) -> None:
    """Every number a link of the contents or the index prints is its target's folio."""
    import pikepdf
    import pypdfium2 as pdfium

    pdf = pikepdf.open(pdf_path)
    dests = _destinations(pdf)
    folios = _folios(pdf)
    doc = pdfium.PdfDocument(str(pdf_path))
    wrong = []
    for index, page in enumerate(pdf.pages):
        annots = page.obj.get("/Annots")
        if not annots:
            continue
        textpage = None
        for annot in annots:
            dest = annot.get("/Dest")
            if dest is None or not isinstance(dest, (pikepdf.String, pikepdf.Name)):
                continue
            target = dests.get(str(dest).lstrip("/"))
            if target is None:
                report.error(display_path(pdf_path), f"a link on page {index + 1} goes to «{dest}», which is nowhere", "xref.dangling")
                continue
            if textpage is None:
                textpage = doc[index].get_textpage()
            rect = [float(v) for v in annot.Rect]
            text = textpage.get_text_bounded(*rect).strip()
            number = _printed_page_number(text)
            if number is None:
                continue
            folio = folios.get(target[0])
            if folio is None:
                continue
            if folio != number:
                wrong.append((index + 1, text.strip(), folio))
    for page, text, folio in wrong:
        report.error(display_path(pdf_path), f"page {page}: «{text}» links to page {book.language.digits(folio)}", "xref.page-number")


def _printed_page_number(text: str) -> int | None:
    """The page number a link prints: the whole link (the index's numbers), or, in an entry with leaders (the
    contents, the lists of figures and tables), its first or last word; None for a link that prints no page
    number (a caption that ends in a year is not a page number)."""
    text = text.translate(_DIGITS)
    if re.fullmatch(r"\d+", text):
        return int(text)
    if ". ." in text:
        words = text.split()
        for word in (words[0], words[-1]) if words else ():
            if re.fullmatch(r"\d+", word):
                return int(word)
    return None


def _folios(pdf) -> dict[int, int]:
    """0-based page index → printed folio, from the page labels (numbers in any digits; None for letters)."""
    labels = pdf.Root.get("/PageLabels")
    if labels is None:
        return {}
    nums = list(labels.Nums)
    ranges = [(int(nums[i]), nums[i + 1]) for i in range(0, len(nums), 2)]
    out = {}
    for index in range(len(pdf.pages)):
        start, style = max((r for r in ranges if r[0] <= index), key=lambda r: r[0])
        if style.get("/S") == "/D":
            out[index] = int(style.get("/St", 1)) + index - start
        elif "/S" not in style and str(style.get("/P", "")).translate(_DIGITS).isdigit():
            out[index] = int(str(style.P).translate(_DIGITS))
    return out


