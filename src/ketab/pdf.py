"""Stages 5 — the print PDF and the screen PDF, from one layout.

Paginate: lay out every body unit with its first folio known (chapters open on
a recto; blank pages are inserted at assembly), resolve cross-reference, contents
and index page numbers, then lay out the front matter and the index.  Assemble
the units with pikepdf into the print PDF (bleed, crop marks, signature
padding, right-to-left viewer preference, outline, page labels, metadata) and
derive the screen PDF from the same pages (trimmed, no padding).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from lxml import html as lxml_html

from ketab import render
from ketab.assemble import Book, Part
from ketab.convert import inner_html
from ketab.layout import LaidOutUnit, Layouter
from ketab.persian import bidi



@dataclass(frozen=True)
class Placed:
    """A laid-out unit and where it stands in the book."""

    name: str
    unit: LaidOutUnit
    first_page: int
    """0-based index of the unit's first page in the print PDF (after blanks)."""
    blank_before: int
    folio: int | None
    """Folio of the first page (None for the front matter)."""
    section: str
    furniture: LaidOutUnit | None = None
    """Folios and running heads to lay over the unit's pages (None: baked in)."""


@dataclass(frozen=True)
class Pagination:
    """The whole print layout: units in order and every anchor's page."""

    placed: tuple[Placed, ...]
    front_pages: int
    body_pages: int
    anchor_index: dict = field(compare=False)
    """Anchor → 0-based page index in the print PDF."""
    blank: LaidOutUnit | None = None

    @property
    def total_pages(self) -> int:
        return self.front_pages + self.body_pages


@dataclass(frozen=True)
class _Body:
    part: Part
    unit: LaidOutUnit


def paginate(book: Book, layouter: Layouter, templates: Path, bleed: float) -> Pagination:
    """Lay out the text units, place them, resolve page numbers, then the front matter."""
    lang = book.language
    content_css = render.print_css(book, templates, render.PrintStyle("content", bleed=bleed))
    parts = [p for p in book.body if p is not book.index_part]

    digits = slot_digits(book)
    # A unit's layout does not depend on its place in the book: cross-reference page
    # numbers are slots filled in with the furniture.  One pass lays the text out.
    htmls = [
        link_across_units(render.print_chapter_html(book, templates, p, with_xref_pages(p.converted.html, None, lang, digits)), book, {p.id})
        for p in parts
    ]
    units = layouter.layout_many([(html, content_css) for html in htmls])
    bodies = [_Body(p, u) for p, u in zip(parts, units)]
    placed_folios, folios, next_folio = _place(bodies)

    # Then, together: the index (its page numbers are known now), the front matter
    # (contents with the text's folios, numbered with letters, furniture baked in), a blank page.
    jobs = []
    if book.index_part is not None:
        part = book.index_part
        folios[f"{part.id}-title"] = next_folio + (next_folio - 1) % 2  # where the index will open
        html = render.print_index_html(book, templates, index_entries(book, folios), part.title or lang.labels.index, part.id)
        jobs.append((link_across_units(html, book, {part.id}), content_css))
    front_bodies = {p.id: with_xref_pages(p.converted.html, folios, lang) for p in book.front}
    html = render.print_front_html(book, templates, contents(book, folios), front_bodies)
    counter = "abjad" if lang.primary in ("fa", "prs") else "lower-roman"
    style = render.PrintStyle("baked", 1, counter, "", book.config.title, opening_folio=False, bleed=bleed)
    jobs.append((link_across_units(html, book, {p.id for p in book.front}), render.print_css(book, templates, style)))
    jobs.append((render.blank_html(book, templates), content_css))
    *index_unit, front, blank_unit = layouter.layout_many(jobs)
    if index_unit:
        bodies.append(_Body(book.index_part, index_unit[0]))
        placed_folios, folios, _ = _place(bodies)
    front_pages = front.pages + front.pages % 2  # the text starts on a recto
    body_pages = sum(b.unit.pages for b in bodies) + sum(blank for blank, _ in placed_folios)

    # Folios, running heads and cross-reference page numbers: one furniture unit per text unit.
    furniture = layouter.layout_many([
        (render.furniture_html(book, b.unit.pages, _stamps(b.unit, folios, lang)), render.print_css(book, templates, render.PrintStyle(
            "furniture", folio, lang.counter_style, running_head(b.part), book.config.title, bleed=bleed)))
        for b, (_, folio) in zip(bodies, placed_folios)
    ])

    ordered = [Placed("front", front, 0, 0, None, "front")]
    anchor_index = dict((a, i) for a, i in front.anchors.items())
    page = front_pages
    for body, (blank, folio), furn in zip(bodies, placed_folios, furniture):
        first = page + blank
        ordered.append(Placed(body.part.id, body.unit, first, blank, folio, body.part.section, furn))
        for anchor, index in body.unit.anchors.items():
            anchor_index[anchor] = first + index
        page = first + body.unit.pages
    return Pagination(tuple(ordered), front_pages, body_pages, anchor_index, blank_unit)


RUNNING_HEAD_MAX = 48
"""Characters that fit a running head on the narrowest trim at its size."""


def running_head(part: Part) -> str:
    """The chapter's ``running_head``, or its title cut at a word before RUNNING_HEAD_MAX."""
    chapter = part.converted.chapter
    text = chapter.running_head or part.title
    if len(text) <= RUNNING_HEAD_MAX:
        return text
    cut = text[:RUNNING_HEAD_MAX].rsplit(" ", 1)[0].rstrip("،,:؛;")
    return cut + "…"


def _stamps(unit: LaidOutUnit, folios: dict, lang) -> dict:
    """Page index → [(slot geometry, text)]: the cross-reference numbers to draw over the unit."""
    stamps: dict[int, list] = {}
    for slot in unit.slots:
        folio = folios.get(slot["target"])
        stamps.setdefault(slot["page"], []).append((slot, lang.digits(folio) if folio else "—"))
    return stamps


def _place(bodies: list[_Body]):
    """[(blank pages before, first folio)] per unit, the folio of every anchor, the next folio.

    Every unit opens on a recto (odd folio); a blank page is inserted where needed."""
    placed, folios, folio = [], {}, 1
    for body in bodies:
        blank = (folio - 1) % 2
        folio += blank
        placed.append((blank, folio))
        for anchor, index in body.unit.anchors.items():
            folios[anchor] = folio + index
        folio += body.unit.pages
    return placed, folios, folio


UNIT_LINK = "ketab-anchor:"
"""Links to another layout unit are written as this URI and made into named
destinations at assembly (each unit alone does not know the other's anchors)."""
_HREF = re.compile(r'href="#([^"]+)"')


def link_across_units(html: str, book: Book, unit_parts: set) -> str:
    def swap(m):
        target = m.group(1)
        part = book.anchor_part.get(target) or (target[: -len("-title")] if target.endswith("-title") else None)
        return m.group(0) if part is None or part in unit_parts else f'href="{UNIT_LINK}{target}"'

    return _HREF.sub(swap, html)


def _resolve_unit_links(pdf: pikepdf.Pdf) -> None:
    for page in pdf.pages:
        for annot in page.obj.get("/Annots", []):
            action = annot.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if uri.startswith(UNIT_LINK):
                annot.Dest = pikepdf.String(uri[len(UNIT_LINK):])
                del annot["/A"]


def slot_digits(book: Book) -> int:
    """How many digits to keep for a cross-reference's page number: enough for the
    book's length, estimated from its text (about 1,500 characters a page, with room)."""
    chars = sum(len(p.converted.html) for p in book.parts) // 3  # markup is about two thirds
    return len(str(max(10, int(chars / 1500 * 1.5))))


def with_xref_pages(body: str, folios: dict | None, lang, digits: int = 3) -> str:
    """Append «(ص ۱۲)» to every internal cross-reference.

    With ``folios`` None the number is a *slot*: hidden digits that keep its place,
    so that the unit's layout does not depend on where other units fall; the
    number is drawn into the slot with the page furniture (see :func:`furniture_html`)."""
    if "xref" not in body:
        return body
    root = lxml_html.fragment_fromstring(body, create_parent="div")
    for a in root.iter("a"):
        if "xref" not in (a.get("class") or "").split():
            continue
        target = (a.get("href") or "#")[1:]
        span = lxml_html.Element("span", {"class": "xref-page"})
        span.text = f" ({lang.labels.page_ref} "
        if folios is None:
            slot = lxml_html.Element("span", {"class": "page-slot", "data-target": target})
            slot.text = lang.digits("8" * digits)  # a wide digit (Persian zero is a dot)
            slot.tail = ")"
            span.append(slot)
        else:
            folio = folios.get(target)
            span.text += f"{lang.digits(folio) if folio else '—'})"
        span.tail = a.tail
        a.tail = None
        a.addnext(span)
    return inner_html(root)


def contents(book: Book, folios: dict) -> list[dict]:
    lang = book.language
    out = []
    for part in book.parts:
        anchor = f"{part.id}-title"
        folio = folios.get(anchor)
        title = part.converted.title_html or bidi.isolate_text(part.title or lang.labels.index, lang.tag)
        out.append({"level": 1, "anchor": anchor, "title": title, "page": lang.digits(folio) if folio else None})
    return out


def index_entries(book: Book, folios: dict) -> list[dict]:
    lang = book.language
    entries = []
    for entry in book.index:
        pages, seen = [], set()
        for _, anchor in entry.places:
            folio = folios.get(anchor)
            if folio is None or folio in seen:
                continue
            seen.add(folio)
            pages.append((lang.digits(folio), anchor))
        entries.append({"heading_html": bidi.isolate_text(entry.heading, lang.tag), "pages": pages})
    return entries


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
