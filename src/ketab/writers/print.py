"""The print PDF and the screen PDF, from one layout.

Assemble the laid-out units (see :mod:`ketab.layout.pagination`) with pikepdf
into the print PDF (bleed, crop marks, signature padding, right-to-left viewer
preference, outline, page labels, metadata) and derive the screen PDF from the
same pages (trimmed, no padding).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import warnings
from pathlib import Path
from urllib.parse import unquote

import pikepdf

from ketab.assemble import Book
from ketab.layout.engine import Layouter
from ketab.layout.pagination import UNIT_LINK, Pagination, paginate


def _resolve_unit_links(pdf: pikepdf.Pdf) -> None:
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            action = annot.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if uri.startswith(UNIT_LINK):
                annot.Dest = pikepdf.String(unquote(uri[len(UNIT_LINK):]))
                del annot["/A"]


# --- assembly ---------------------------------------------------------------


def assemble_pdf(book: Book, pagination: Pagination, signature: int) -> pikepdf.Pdf:
    """The print PDF: every unit's pages in order, blanks and padding inserted."""
    pdf = pikepdf.new()
    sources, units = [], []  # the opened PDFs must stay open until the book is saved
    for placed in pagination.placed:
        src = pikepdf.open(io.BytesIO(placed.unit.pdf))
        sources.append(src)
        units.append((placed, src))
        for _ in range(placed.blank_before):
            _append_blank(pdf, pagination, sources)
        with warnings.catch_warnings():
            # Named destinations are merged for the whole book in _merge_destinations:
            # add_pages_from() would drop those whose target is in another unit.
            warnings.simplefilter("ignore", getattr(pikepdf, "PageCopyWarning", UserWarning))
            first = len(pdf.pages)
            pdf.pages.extend(src.pages)
        if placed.furniture is not None:
            furniture = pikepdf.open(io.BytesIO(placed.furniture.pdf))
            sources.append(furniture)
            for i, over in enumerate(furniture.pages):
                _lay_over(pdf, pdf.pages[first + i], over, f"/KetabFurniture{first + i}")
        if placed.name == "front":
            for _ in range(pagination.front_pages - placed.unit.pages):
                _append_blank(pdf, pagination, sources)
    _merge_destinations(pdf, units)
    _resolve_unit_links(pdf)
    while signature > 1 and len(pdf.pages) % signature:
        _append_blank(pdf, pagination, sources)
    return pdf


def _lay_over(pdf: pikepdf.Pdf, page: pikepdf.Page, over: pikepdf.Page, name: str) -> None:
    """Draw ``over`` (same page geometry) on top of ``page``, under a fixed resource name
    (pikepdf's add_overlay picks a random one, which would break byte-identical output).
    The name is unique per page: WeasyPrint's pages share one resource dictionary."""
    form = pdf.copy_foreign(over.as_form_xobject())
    name = page.add_resource(form, pikepdf.Name.XObject, name=pikepdf.Name(name))
    placement = page.calc_form_xobject_placement(form, name, pikepdf.Rectangle(*page.mediabox))
    # WeasyPrint leaves its flipped coordinate system in force: wrap its content in q … Q first.
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    page.contents_add(pdf.make_stream(b"\nQ\nq\n" + placement + b"\nQ\n"), prepend=False)


def _append_blank(pdf, pagination, sources):
    src = pikepdf.open(io.BytesIO(pagination.blank.pdf))
    sources.append(src)
    pdf.pages.append(src.pages[0])


def _merge_destinations(pdf: pikepdf.Pdf, units) -> None:
    """One name tree of destinations for the whole book, so links cross units."""
    names = pikepdf.NameTree.new(pdf)
    for placed, src in units:
        page_of = {p.objgen: i for i, p in enumerate(src.pages)}
        if "/Names" not in src.Root or "/Dests" not in src.Root.Names:
            continue
        for name, dest in pikepdf.NameTree(src.Root.Names.Dests).items():
            if isinstance(dest, pikepdf.Dictionary):
                dest = dest.D
            index = page_of.get(dest[0].objgen)
            if index is None:
                continue
            target = pdf.pages[placed.first_page + index].obj
            names[name] = pikepdf.Array([target] + [pdf.copy_foreign(x) if isinstance(x, pikepdf.Object) and not isinstance(x, (pikepdf.Name,)) and x.is_indirect else x for x in list(dest)[1:]])
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


def finish(pdf: pikepdf.Pdf, book: Book, pagination: Pagination, screen: bool) -> None:
    """Metadata, direction, outline, page labels; boxes for the screen variant."""
    finish_simple(pdf, book, book.config.title)
    pdf.Root.PageLayout = pikepdf.Name.TwoPageRight if not screen else pikepdf.Name.OneColumn
    _outline(pdf, book, pagination)
    _page_labels(pdf, book, pagination)
    if screen:
        for page in pdf.pages:
            trim = page.obj.get("/TrimBox", page.obj.MediaBox)
            page.obj.MediaBox = trim
            page.obj.CropBox = trim
            for box in ("/BleedBox", "/TrimBox", "/ArtBox"):
                if box in page.obj:
                    del page.obj[box]


def _outline(pdf, book: Book, pagination: Pagination) -> None:
    with pdf.open_outline() as outline:
        outline.root.clear()
        for part in book.parts:
            page = pagination.anchor_index.get(f"{part.id}-title")
            if page is None:
                continue
            item = pikepdf.OutlineItem(part.title or book.language.labels.index, page)
            for h in part.headings:
                if h.level == 2 and h.id in pagination.anchor_index:
                    item.children.append(pikepdf.OutlineItem(h.text, pagination.anchor_index[h.id]))
            outline.root.append(item)


def _page_labels(pdf, book: Book, pagination: Pagination) -> None:
    """Viewers show the printed folios: letters (or roman) in front, numbers from the text."""
    front_style = pikepdf.Name.r if not book.language.primary in ("fa", "prs") else None
    nums = pikepdf.Array()
    nums.append(0)
    nums.append(pikepdf.Dictionary(S=front_style) if front_style else pikepdf.Dictionary(P=pikepdf.String("")))
    nums.append(pagination.front_pages)
    nums.append(pikepdf.Dictionary(S=pikepdf.Name.D, St=1))
    pdf.Root.PageLabels = pikepdf.Dictionary(Nums=nums)


def _pdf_date(config) -> dt.datetime:
    if config.date:
        d = config.date_value
        return dt.datetime(d.year, d.month, d.day, tzinfo=dt.timezone.utc)
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    return dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc)


def _pdf_date_string(stamp: dt.datetime) -> str:
    return stamp.strftime("D:%Y%m%d%H%M%S+00'00'")


def save(pdf: pikepdf.Pdf, path: Path) -> None:
    """Deterministic bytes, written atomically."""
    from ketab.outputs import atomic_write

    buffer = io.BytesIO()
    pdf.save(buffer, deterministic_id=True, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate, linearize=False)
    atomic_write(path, buffer.getvalue())


def remove_padding(pdf: pikepdf.Pdf, pagination: Pagination) -> None:
    while len(pdf.pages) > pagination.total_pages:
        del pdf.pages[-1]


def write_pdfs(book: Book, layouter: Layouter, templates: Path, out_dir: Path, formats: set[str]):
    """Lay the book out once; write the print and/or screen PDF from it: (outputs, Pagination).

    The layout is always the print one (with bleed): the screen PDF and the EPUB's
    page-list are derived from it, so every output shares the cached layout units."""
    config = book.config
    pagination = paginate(book, layouter, templates, config.bleed)
    written = {}
    pdf = assemble_pdf(book, pagination, config.signature if "print" in formats else 1)
    if "print" in formats:
        finish(pdf, book, pagination, screen=False)
        path = out_dir / f"{config.slug}-print.pdf"
        save(pdf, path)
        written["print"] = path
        pdf = pikepdf.open(io.BytesIO(path.read_bytes()))
        remove_padding(pdf, pagination)
    if "screen" in formats:
        finish(pdf, book, pagination, screen=True)
        path = out_dir / f"{config.slug}-screen.pdf"
        save(pdf, path)
        written["screen"] = path
    return written, pagination
