"""A contact sheet of the print PDF: every page, small, in spreads.

``ketab thumbnails`` (:mod:`ketab.commands.thumbnails`) writes ``<out>/<slug>-thumbnails.png`` so a designer sees
the whole book at a glance: pages trimmed to the TrimBox (no bleed, no marks),
set side by side as they face each other in the bound book, and the spreads in
reading order — right to left in a right-to-left book.

In a right-to-left book page 1 is a recto, which is the *left* page: it stands
alone on the left, then come (3 | 2), (5 | 4)… with the even page on the right.
In a left-to-right book page 1 stands alone on the right, then (2 | 3), (4 | 5)….
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path


BACKGROUND = (88, 88, 88)
PAGE_EDGE = (40, 40, 40)
LABEL = (235, 235, 235)
MARGIN = 24
"""Around the sheet, in pixels."""
SPREAD_GAP = 28
"""Between two spreads of a row."""
LABEL_HEIGHT = 20
ROW_GAP = 14


@dataclass(frozen=True)
class Sheet:
    """How the contact sheet is laid out."""

    path: Path
    pages: int
    rtl: bool
    spreads: tuple[tuple[int | None, int | None], ...]
    """(left page, right page) of each spread in reading order, 1-based; None: no page."""
    per_row: int
    page_size: tuple[int, int]
    """One thumbnail, in pixels."""

    @property
    def rows(self) -> int:
        return math.ceil(len(self.spreads) / self.per_row)

    @property
    def size(self) -> tuple[int, int]:
        return sheet_size(self.per_row, self.rows, self.page_size)

    def page_box(self, number: int) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) of page ``number`` (1-based) on the sheet."""
        for i, (left, right) in enumerate(self.spreads):
            if number in (left, right):
                x, y = spread_origin(i, self.per_row, self.page_size, self.rtl)
                if number == right:
                    x += self.page_size[0]
                return x, y, x + self.page_size[0], y + self.page_size[1]
        raise ValueError(f"page {number} is not on the sheet")


def spreads(pages: int, rtl: bool) -> tuple[tuple[int | None, int | None], ...]:
    """(left, right) pages of each spread, 1-based, in reading order."""
    out: list[tuple[int | None, int | None]] = [(1, None) if rtl else (None, 1)]
    for verso in range(2, pages + 1, 2):
        recto = verso + 1 if verso + 1 <= pages else None
        out.append((recto, verso) if rtl else (verso, recto))
    return tuple(out)


def sheet_size(per_row: int, rows: int, page: tuple[int, int]) -> tuple[int, int]:
    w, h = page
    return (
        2 * MARGIN + per_row * 2 * w + (per_row - 1) * SPREAD_GAP,
        2 * MARGIN + rows * (h + LABEL_HEIGHT) + (rows - 1) * ROW_GAP,
    )


def spread_origin(index: int, per_row: int, page: tuple[int, int], rtl: bool) -> tuple[int, int]:
    """Top left of spread ``index``: rows fill from the right in a right-to-left book."""
    w, h = page
    row, col = divmod(index, per_row)
    if rtl:
        col = per_row - 1 - col
    return MARGIN + col * (2 * w + SPREAD_GAP), MARGIN + row * (h + LABEL_HEIGHT + ROW_GAP)


def contact_sheet(pdf_path: Path, out_path: Path, per_row: int = 4, height: int = 200, rtl: bool | None = None) -> Sheet:
    """Render ``pdf_path`` as a contact sheet PNG at ``out_path``.

    ``rtl``: spreads right to left; by default as the PDF's viewer preferences say."""
    import pypdfium2 as pdfium
    from PIL import Image, ImageDraw

    from ketab.outputs import atomic_write

    document = pdfium.PdfDocument(str(pdf_path))
    try:
        if rtl is None:
            rtl = bool(pdf_direction(pdf_path))
        count = len(document)
        first = document[0]
        tl, tb, tr, tt = first.get_trimbox()
        scale = height / (tt - tb)
        page_size = (round((tr - tl) * scale), height)
        layout = spreads(count, rtl)
        per_row = max(1, min(per_row, len(layout)))
        sheet = Sheet(Path(out_path), count, rtl, layout, per_row, page_size)
        image = Image.new("RGB", sheet.size, BACKGROUND)
        draw = ImageDraw.Draw(image)
        font = _label_font()
        digits = _digits_for(pdf_path)
        for number in range(1, count + 1):
            thumb = _render(document[number - 1], scale, page_size)
            box = sheet.page_box(number)
            image.paste(thumb, box[:2])
            draw.rectangle((box[0], box[1], box[2] - 1, box[3] - 1), outline=PAGE_EDGE)
            draw.text(((box[0] + box[2]) // 2, box[3] + LABEL_HEIGHT // 2), digits(number), fill=LABEL, font=font, anchor="mm")
    finally:
        document.close()
    import io

    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    atomic_write(Path(out_path), buffer.getvalue())
    return sheet


def _render(page, scale: float, size: tuple[int, int]):
    """One page at ``scale``, cut to its TrimBox."""
    from PIL import Image

    left, bottom, right, top = page.get_cropbox()
    tl, tb, tr, tt = page.get_trimbox()
    crop = (max(0, tl - left), max(0, tb - bottom), max(0, right - tr), max(0, top - tt))
    thumb = page.render(scale=scale, crop=crop).to_pil().convert("RGB")
    if thumb.size != size:
        thumb = thumb.resize(size, Image.LANCZOS)
    return thumb


def pdf_direction(pdf_path: Path) -> bool | None:
    """Does the PDF ask viewers for right-to-left spreads (/ViewerPreferences /Direction)? None: it does not say."""
    import pikepdf

    with pikepdf.open(pdf_path) as pdf:
        prefs = pdf.Root.get("/ViewerPreferences")
        direction = prefs.get("/Direction") if prefs is not None else None
        return None if direction is None else direction == pikepdf.Name.R2L


def _digits_for(pdf_path: Path):
    import pikepdf

    from ketab.language import Language, default_direction

    with pikepdf.open(pdf_path) as pdf:
        tag = str(pdf.Root.get("/Lang", "en"))
    lang = Language(tag, default_direction(tag))
    return lambda n: lang.digits(str(n))


def _label_font():
    from PIL import ImageFont

    from ketab.render import default_templates

    path = default_templates() / "fonts" / "vazirmatn" / "Vazirmatn-Regular.ttf"
    try:
        return ImageFont.truetype(str(path), 12)
    except OSError:
        return ImageFont.load_default()
