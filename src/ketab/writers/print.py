"""The print PDF, from the book's layout.

Assemble the laid-out units (see :mod:`ketab.layout`) with pikepdf into the
print PDF: bleed, crop marks, signature padding, right-to-left viewer
preference, outline, page labels, metadata.  The screen PDF
(:mod:`ketab.writers.screen`) is made of the same pages.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import warnings
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import pikepdf

from ketab.assemble import Book
from ketab.layout import BookLayout
from ketab.layout.pagination import UNIT_LINK, Pagination
from ketab.pdfnames import named_destinations
from ketab.writers import tagging
from ketab.writers.target import Target


def _resolve_unit_links(pdf: pikepdf.Pdf) -> None:
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            action = annot.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if uri.startswith(UNIT_LINK):
                annot.Dest = pikepdf.String(unquote(uri[len(UNIT_LINK):]))
                del annot["/A"]


# --- assembly ---------------------------------------------------------------


def assemble_pdf(book: Book, pagination: Pagination, signature: int, structure: bool = True, artifacts: dict | None = None) -> pikepdf.Pdf:
    """The print PDF: every unit's pages in order, blanks and padding inserted; with the units' structure
    trees merged into one (``structure``; without, the pages are the same).  ``artifacts``: what the
    merge made artifacts, noted by an assembly with the trees for one without (that need not read them).

    One unit's PDF is open at a time: its pages, destinations and structure tree are copied, then it
    is let go (the copied pages read their streams from its bytes, not from its objects), so that
    the book's assembly holds its own objects and one unit's, not every unit's twice over."""
    from ketab.render import verso_shift

    pdf = pikepdf.new()
    shift = verso_shift(book)
    total = pagination.total_pages
    if signature > 1:
        total += -total % signature
    structure = tagging.StructureMerger(pdf, total, tree=structure, artifacts=artifacts)
    destinations: list = []
    furniture_sources = []  # a laid-over page is drawn from its furniture PDF's objects: kept open until saved
    for placed in pagination.placed:
        src = pikepdf.open(io.BytesIO(placed.unit.pdf))
        for _ in range(placed.blank_before):
            _append_blank(pdf, pagination, structure)
        first = _copy_pages(pdf, src, structure)
        if placed.name != "front":  # a text unit: its versos were set in the recto's geometry
            for i in range(1, placed.unit.pages, 2):
                _shift_page(pdf, pdf.pages[first + i], shift)
        if placed.furniture is not None:
            furniture = pikepdf.open(io.BytesIO(placed.furniture.pdf))
            furniture_sources.append(furniture)
            for i, over in enumerate(furniture.pages):
                _lay_over(pdf, pdf.pages[first + i], over, f"/KetabFurniture{first + i}")
        destinations += _destinations(pdf, placed, src)
        structure.add(placed, src, hashlib.sha256(placed.unit.pdf).digest() if structure.tree else None)  # the screen PDF's; the print PDF has none (write)
        del src
        if placed.name == "front":
            for _ in range(pagination.front_pages - placed.unit.pages):
                _append_blank(pdf, pagination, structure)
    _merge_destinations(pdf, destinations)
    _resolve_unit_links(pdf)
    while signature > 1 and len(pdf.pages) % signature:
        _append_blank(pdf, pagination, structure)
    structure.finish()
    pdf.ketab_sources = furniture_sources  # held as long as the book's PDF
    return pdf


def _copy_pages(pdf: pikepdf.Pdf, src: pikepdf.Pdf, structure) -> int:
    """Append ``src``'s pages; the index of the first."""
    with warnings.catch_warnings():
        # Named destinations are merged for the whole book in _merge_destinations:
        # add_pages_from() would drop those whose target is in another unit.
        warnings.simplefilter("ignore", getattr(pikepdf, "PageCopyWarning", UserWarning))
        first = len(pdf.pages)
        pdf.pages.extend(src.pages)
    structure.clear(pdf.pages[first:])
    return first


def _shift_page(pdf: pikepdf.Pdf, page: pikepdf.Page, dx: float) -> None:
    """Move what ``page`` draws, its links and their targets ``dx`` points across."""
    if not dx:
        return
    page.contents_add(pdf.make_stream(f"q\n1 0 0 1 {dx:.4f} 0 cm\n".encode()), prepend=True)
    page.contents_add(pdf.make_stream(b"\nQ\n"), prepend=False)
    for annot in page.obj.get("/Annots", []):
        if "/Rect" in annot:
            x1, y1, x2, y2 = (float(v) for v in annot.Rect)
            annot.Rect = pikepdf.Array([x1 + dx, y1, x2 + dx, y2])
    page.obj[pikepdf.Name("/KetabShift")] = dx  # read by _merge_destinations, removed there


def _lay_over(pdf: pikepdf.Pdf, page: pikepdf.Page, over: pikepdf.Page, name: str) -> None:
    """Draw ``over`` (same page geometry) on top of ``page``, under a fixed resource name
    (pikepdf's add_overlay picks a random one, which would break byte-identical output).
    The name is unique per page: WeasyPrint's pages share one resource dictionary."""
    form = pdf.copy_foreign(over.as_form_xobject())
    tagging.artifact_form(form)
    name = page.add_resource(form, pikepdf.Name.XObject, name=pikepdf.Name(name))
    placement = page.calc_form_xobject_placement(form, name, pikepdf.Rectangle(*page.mediabox))
    # WeasyPrint leaves its flipped coordinate system in force: wrap its content in q … Q first.
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    begin, end = tagging.ARTIFACT  # folios and running heads are not read aloud
    page.contents_add(pdf.make_stream(b"\nQ\n" + begin + b"q\n" + placement + b"\nQ" + end), prepend=False)


def _append_blank(pdf, pagination, structure):
    src = pikepdf.open(io.BytesIO(pagination.blank.pdf))
    _copy_pages(pdf, src, structure)


def _destinations(pdf: pikepdf.Pdf, placed, src: pikepdf.Pdf) -> list:
    """The unit's named destinations, [(name, destination)] on the book's pages."""
    out = []
    for name, index, dest in named_destinations(src):
        target = pdf.pages[placed.first_page + index].obj
        rest = [pdf.copy_foreign(x) if isinstance(x, pikepdf.Object) and not isinstance(x, (pikepdf.Name,)) and x.is_indirect else x for x in dest]
        shift = float(target.get("/KetabShift", 0))
        if shift and len(rest) >= 2 and rest[0] == pikepdf.Name.XYZ and isinstance(rest[1], (int, float, Decimal)):
            rest[1] = Decimal(f"{float(rest[1]) + shift:.4f}")
        out.append((name, [target] + rest))
    return out


def _merge_destinations(pdf: pikepdf.Pdf, destinations: list) -> None:
    """One name tree of destinations for the whole book, so links cross units (made once every page
    is in: the order its objects are made in is the order of the print PDF's bytes)."""
    names = pikepdf.NameTree.new(pdf)
    for name, dest in destinations:
        names[name] = pikepdf.Array(dest)
    for page in pdf.pages:
        if "/KetabShift" in page.obj:
            del page.obj["/KetabShift"]
    pdf.Root.Names = pikepdf.Dictionary(Dests=names.obj)


def finish_simple(pdf: pikepdf.Pdf, book: Book, title: str) -> None:
    """Document metadata from book.yaml (never the clock), language and reading direction."""
    config = book.config
    lang = book.language
    if lang.is_rtl:
        pdf.Root.ViewerPreferences = pikepdf.Dictionary(Direction=pikepdf.Name.R2L, DisplayDocTitle=True)
    else:
        pdf.Root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
    pdf.Root.Lang = pikepdf.String(lang.tag)
    stamp = _pdf_date(config)
    authors = "; ".join(c.name for c in config.creators if c.role in ("author", "compiler", "editor")) or None
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["dc:title"] = title
        if authors:
            meta["dc:creator"] = [c.name for c in config.creators if c.role in ("author", "compiler", "editor")]
        meta["dc:language"] = [lang.tag]
        if config.description:
            meta["dc:description"] = config.description
        if config.rights:
            meta["dc:rights"] = config.rights
        meta["xmp:CreateDate"] = stamp.isoformat()
        meta["xmp:ModifyDate"] = stamp.isoformat()
        meta["xmp:MetadataDate"] = stamp.isoformat()
        meta["pdf:Producer"] = "ketab (WeasyPrint, pikepdf)"
        meta["xmp:CreatorTool"] = "ketab"
    info = pikepdf.Dictionary(
        Title=pikepdf.String(title),
        Producer=pikepdf.String("ketab (WeasyPrint, pikepdf)"),
        Creator=pikepdf.String("ketab"),
        CreationDate=pikepdf.String(_pdf_date_string(stamp)),
        ModDate=pikepdf.String(_pdf_date_string(stamp)),
    )
    if authors:
        info.Author = pikepdf.String(authors)
    if config.subtitle:
        info.Subject = pikepdf.String(config.subtitle)
    pdf.trailer.Info = pdf.make_indirect(info)


def finish(pdf: pikepdf.Pdf, book: Book, pagination: Pagination, screen: bool = False) -> None:
    """Metadata, direction, outline, page labels (two pages side by side in print, one column on screen)."""
    finish_simple(pdf, book, book.config.title)
    pdf.Root.PageLayout = pikepdf.Name.TwoPageRight if not screen else pikepdf.Name.OneColumn
    _outline(pdf, book, pagination)
    _page_labels(pdf, book, pagination)


def _outline(pdf, book: Book, pagination: Pagination) -> None:
    with pdf.open_outline() as outline:
        outline.root.clear()
        for part in book.parts:
            page = pagination.anchor_index.get(f"{part.id}-title")
            if page is None:
                continue
            digits = book.language.digits  # bookmarks in the book's digits, as its titles print
            item = pikepdf.OutlineItem(digits(part.title or book.language.labels.index), page)
            for h in part.headings:
                if h.level == 2 and h.id in pagination.anchor_index:
                    item.children.append(pikepdf.OutlineItem(digits(h.text), pagination.anchor_index[h.id]))
            outline.root.append(item)


def _page_labels(pdf, book: Book, pagination: Pagination) -> None:
    """Viewers show the printed folios: every front-matter page its letter (or roman numeral),
    every page of the text its number in the book's digits."""
    from ketab.render import PERSIAN_LETTERS

    lang = book.language
    nums = pikepdf.Array()
    if lang.front_counter == "lower-roman":
        nums.extend([0, pikepdf.Dictionary(S=pikepdf.Name.r)])
    else:
        letters = PERSIAN_LETTERS.strip('"').split('" "')
        for index in range(pagination.front_pages):
            nums.extend([index, pikepdf.Dictionary(P=pikepdf.String(letters[index % len(letters)]))])
    if lang.digits("0") == "0":
        nums.extend([pagination.front_pages, pikepdf.Dictionary(S=pikepdf.Name.D, St=1)])
    else:
        for index in range(pagination.front_pages, len(pdf.pages)):
            nums.extend([index, pikepdf.Dictionary(P=pikepdf.String(lang.digits(index - pagination.front_pages + 1)))])
    pdf.Root.PageLabels = pikepdf.Dictionary(Nums=nums)


def _pdf_date(config) -> dt.datetime:
    if config.date:
        d = config.date_value
        return dt.datetime(d.year, d.month, d.day, tzinfo=dt.timezone.utc)
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    return dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc)


def _pdf_date_string(stamp: dt.datetime) -> str:
    return stamp.strftime("D:%Y%m%d%H%M%S+00'00'")


def save(pdf: pikepdf.Pdf, path: Path, version: str | None = None, object_streams: bool = True) -> None:
    """Deterministic bytes, written atomically."""
    from ketab.outputs import atomic_write

    buffer = io.BytesIO()
    mode = pikepdf.ObjectStreamMode.generate if object_streams else pikepdf.ObjectStreamMode.disable
    extra = {"force_version": version} if version else {}
    pdf.save(buffer, deterministic_id=True, compress_streams=True, object_stream_mode=mode, linearize=False, **extra)
    atomic_write(path, buffer.getbuffer())  # not a copy


def write(book: Book, layout: BookLayout, target: Target, written: dict) -> Path:
    """``<slug>-print.pdf``: every unit's pages, blanks, furniture, padded to whole signatures, then made
    press-ready (gray, PDF/X with its output intent, no links; see :mod:`ketab.writers.press`)."""
    from ketab.writers import press

    config = book.config
    artifacts: dict = {}
    target.assembled["pdf"] = assembled_bytes(book, layout.pagination, config.signature, artifacts)
    # The print PDF is assembled again, without the structure tree it drops: a book's tree is most
    # of its objects, and the press conversion and font merge need not stand on top of them.  (Not
    # the assembled PDF read again: the order its objects were made in orders the print PDF's object
    # streams, and its tree's objects stand between the pages'.)
    pdf = assemble_pdf(book, layout.pagination, config.signature, structure=False, artifacts=artifacts)
    tagging.untag(pdf)
    finish(pdf, book, layout.pagination)
    path = target.out_dir / f"{config.slug}-print.pdf"
    target.warnings.extend(make_press_ready(pdf, book, target.templates, path.name, target.cache))
    standard = press.STANDARDS[config.print.standard]
    save(pdf, path, standard.version, standard.object_streams)
    pdf.close()
    del pdf
    release_memory(layout.pagination.total_pages)  # the screen PDF, next, is read into memory the print PDF's objects took
    return path


def assembled_bytes(book: Book, pagination: Pagination, signature: int, artifacts: dict | None = None) -> bytes:
    """:func:`assemble_pdf` saved (the screen PDF keeps its links, colours and structure tree), its
    objects let go."""
    pdf = assemble_pdf(book, pagination, signature, artifacts=artifacts)
    assembled = io.BytesIO()
    pdf.save(assembled, deterministic_id=True)  # qpdf keeps an existing /ID: it must not be random
    pdf.close()
    del pdf
    release_memory(pagination.total_pages)
    return assembled.getvalue()


RELEASE_FROM_PAGES = 250
"""A book of fewer pages keeps what its PDFs took: its writers' peaks stand far below the
memory a 1,000-page book's take, and a full collection costs a warm process (``ketab watch``,
which holds the last build's layout) a tenth of a second per call."""


def release_memory(pages: int | None = None) -> None:
    """Give the memory a PDF's objects took back to the system (glibc keeps freed memory for the
    process, and the next writer's peak would stand on top of this one's); not for a book of
    ``pages`` < :data:`RELEASE_FROM_PAGES` (None: always)."""
    import ctypes
    import gc

    if pages is not None and pages < RELEASE_FROM_PAGES:
        return
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def make_press_ready(pdf: pikepdf.Pdf, book: Book, templates: Path, file_name: str, cache=None) -> list:
    """The print PDF for press (see :mod:`ketab.writers.press`): warnings about what was changed.  ``cache``
    (the build cache, may be None) keeps each page's conversion to gray under the page's content."""
    from ketab.diagnostics import Diagnostic, Severity
    from ketab.fonts import font_files, manuscript_font_files
    from ketab.writers import fonts, press
    from ketab.writers.memo import Memo

    settings = book.config.print
    memo = Memo(cache, "press-gray", str(book.config.identifier))  # each page's conversion, by its content
    findings = press.to_gray(pdf, cache=memo)
    memo.save()
    own = [book.config.path.parent / rel for rel in manuscript_font_files(book.config)]
    fonts.merge_fonts(pdf, fonts.originals(font_files(templates) + own))
    press.drop_annotations(pdf)
    if settings.marks == "crop":
        date = book.config.date or ""
        press.add_crop_marks(pdf, lambda n: f"{file_name}   {date}   {n}", templates / "fonts" / "vazirmatn" / "Vazirmatn-Regular.ttf")
    profile = press.PROFILES[settings.profile]
    standard = press.STANDARDS[settings.standard]
    document_id = str(book.config.identifier).rsplit(":", 1)[-1]
    press.identify(pdf, standard, profile, (templates / profile.path).read_bytes(), book.config.title, _pdf_date(book.config).isoformat(), document_id)
    from ketab.diagnostics import display_path

    where = display_path(book.config.path)
    line = book.config.lines.get(("print",), 1)  # the press settings in book.yaml decide what is converted
    # what was converted (colours, pictures to gray) is what the print PDF is for, and ketab check
    # verifies the result: only what could not be made right is the editor's to know
    warnings = [Diagnostic(where, line, Severity.WARNING, f"print PDF page {page}: {what} cannot be made press-ready", "press.refused") for page, what in findings.refused[:20]]
    return warnings


