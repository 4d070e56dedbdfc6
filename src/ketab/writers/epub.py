"""Stage 6 — the EPUB 3, through ebooklib.

Every content document is rendered from ``templates/epub/`` with ``lang``,
``xml:lang`` and ``dir``; notes become popup footnotes (``noteref`` →
``aside epub:type="footnote"`` with a back-link); the nav carries the contents,
landmarks and, when the print layout is known, a page-list that maps to the
printed pages.  The zip is written with fixed timestamps and order, so the same
input gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ebooklib import epub
from lxml import etree
from lxml import html as lxml_html

from ketab import render, safeio
from ketab.assemble import Book, Part
from ketab.layout import BookLayout
from ketab.outputs import atomic_write
from ketab.persian import bidi
from ketab.sanitize import clean_svg
from ketab.writers import epub_fonts
from ketab.writers.target import Target

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
MARC_ROLES = {"author": "aut", "editor": "edt", "translator": "trl", "compiler": "com", "illustrator": "ill", "publisher": "pbl",
              "typesetter": "cmt", "cover-designer": "cov"}
"""book.yaml's roles as MARC relators (a typesetter is a compositor, «cmt»)."""
XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_NS = "http://www.idpf.org/2007/ops"


class Xhtml(epub.EpubHtml):
    """A content document whose XHTML ketab renders itself (ebooklib would rebuild it)."""

    def get_content(self, default=None):
        return self.content


@dataclass(frozen=True)
class Note:
    id: str
    ref_id: str
    number: str
    kind: str
    html: str


def write(book: Book, layout: BookLayout, target: Target, written: dict) -> Path:
    """``<slug>.epub``, its page-list and index mapped to the print layout and its cover the front panel's picture."""
    from ketab.writers.cover import front_cover_png

    return write_epub(book, target.templates, target.out_dir, layout.pagination, front_cover_png(book, layout))


def write_epub(book: Book, templates: Path, out_dir: Path, pagination=None, cover_png: bytes | None = None) -> Path:
    """Write ``<slug>.epub``.  ``pagination`` (the print layout) gives the page-list and the
    index's page numbers; without it the EPUB has neither."""
    config = book.config
    lang = book.language
    labels = lang.labels
    env = render.environment(templates)
    eb = epub.EpubBook()
    eb.set_identifier(config.identifier)
    eb.set_title(config.title)
    eb.set_language(lang.tag)
    eb.set_direction(lang.direction)
    if config.isbn and f"urn:isbn:{config.isbn}" != config.identifier:
        eb.add_metadata("DC", "identifier", f"urn:isbn:{config.isbn}", {"id": "isbn"})
    _creators(eb, config)
    if config.publisher:
        eb.add_metadata("DC", "publisher", config.publisher)
    if config.rights:
        eb.add_metadata("DC", "rights", config.rights)
    if config.date:
        eb.add_metadata("DC", "date", config.date)
    if config.description:
        eb.add_metadata("DC", "description", config.description)
    _accessibility(eb, book, paged=pagination is not None)
    if lang.is_rtl:
        eb.add_metadata(None, "meta", "", {"name": "primary-writing-mode", "content": "horizontal-rl"})
    if pagination is not None:
        eb.add_metadata(None, "meta", f"{config.title} — {labels.print_edition} ({config.slug}-print.pdf)", {"property": "pageBreakSource"})

    documents: dict[str, dict] = {}  # file name → {uid, title, xhtml, properties}

    def page(file_name, uid, title, content, body_type=None, properties=(), body_class=None):
        documents[file_name] = {
            "uid": uid, "title": title, "properties": list(properties),
            "xhtml": env.get_template("epub/page.xhtml.j2").render(
                lang=lang.tag, dir=lang.direction, title=title, css="css/book.css" if "/" not in file_name else "../css/book.css",
                content=content, body_type=body_type, body_class=body_class,
            ),
        }

    common = {"book": book, "labels": labels, "roles": render.creator_roles(book)}
    cover_image = None
    if cover_png:
        eb.add_item(epub.EpubCover(uid="cover-image", file_name="images/cover.png"))
        eb.get_item_with_id("cover-image").content = cover_png
        eb.get_item_with_id("cover-image").media_type = "image/png"
        eb.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})  # EPUB 2 readers
        width, height = _png_size(cover_png)
        cover_image = {"src": "images/cover.png", "width": width, "height": height}
    page("cover.xhtml", "cover", labels.cover, env.get_template("epub/cover.xhtml.j2").render(**common, image=cover_image), "cover",
         properties=["svg"] if cover_image else [], body_class="cover-page")
    page("titlepage.xhtml", "titlepage", labels.title_page, env.get_template("epub/titlepage.xhtml.j2").render(**render.common_context(book)))

    root = config.path.parent
    added = set()
    for part in book.parts:
        for image in part.converted.images:  # the manuscript's images travel with the book
            if image.src not in added:
                added.add(image.src)
                uid = "img-" + re.sub(r"[^A-Za-z0-9_-]", "-", image.src)
                data = safeio.read_bytes(root, image.src, "image")
                if image.media_type == "image/svg+xml":
                    data = clean_svg(data)  # the picture as checked, written again: no parser of the reader's sees more
                eb.add_item(epub.EpubItem(uid=uid, file_name=f"media/{image.src}", media_type=image.media_type, content=data))

    folios = _body_folios(pagination)
    toc = []
    for part in book.parts:
        content, chapter_title = _chapter_content(book, env, part, folios)
        own = {"style", "cover-image", "nav", "cover", "titlepage", "ncx"}
        uid = part.id if part.id not in own and not part.id.startswith(("img-", "font-")) else f"{part.id}.part"  # never one of ours
        page(part.filename, uid, part.title or labels.index, content)
        children = [{"href": f"{part.filename}#{h.id}", "title": h.html} for h in part.headings if h.level == 2]
        toc.append({"href": part.filename, "title": chapter_title, "children": children, "part": part})

    landmarks = [
        {"type": "cover", "href": "cover.xhtml", "title": labels.cover},
        {"type": "titlepage", "href": "titlepage.xhtml", "title": labels.title_page},
        {"type": "toc", "href": "nav.xhtml#toc", "title": labels.contents},
    ]
    first_body = next((p for p in book.parts if p.section == "body"), None)
    if first_body:
        landmarks.append({"type": "bodymatter", "href": first_body.filename, "title": labels.start})
    if book.index_part:
        landmarks.append({"type": "index", "href": book.index_part.filename, "title": book.index_part.title or labels.index})

    pages = print_pages(book, pagination, documents) if pagination is not None else []
    nav_body = env.get_template("epub/nav.xhtml.j2").render(
        toc=toc, landmarks=landmarks, page_list=[{"href": f"{p.file}#{p.marker}", "label": p.label} for p in pages],
        labels=labels, page_list_title=labels.pages,
    )
    page("nav.xhtml", "nav", labels.contents, nav_body, properties=["nav"])

    trees = {name: etree.fromstring(doc["xhtml"].encode("utf-8")) for name, doc in documents.items()}
    _place_page_markers(trees, pages)

    # fonts: the faces the documents use, cut down to what each sets
    css = _css(templates)
    faces = epub_fonts.faces_from_css(css)
    used = epub_fonts.characters_by_face(list(trees.values()), css, faces)
    kept = set()
    for face in faces:
        if face not in used:
            continue
        kept.add(face.file)
        name = face.file.rsplit("/", 1)[-1]
        data = epub_fonts.subset_font((templates / "fonts" / _FONT_DIRS[name] / name).read_bytes(), used[face])
        eb.add_item(epub.EpubItem(uid=Path(name).stem, file_name=f"fonts/{name}", media_type="font/ttf", content=data))
    eb.add_item(epub.EpubItem(uid="style", file_name="css/book.css", media_type="text/css", content=epub_fonts.drop_faces(css, kept).encode()))

    spine_order = ["cover.xhtml", "titlepage.xhtml", "nav.xhtml"] + [p.filename for p in book.parts]
    items = {}
    for name in spine_order:
        doc = documents[name]
        item = Xhtml(uid=doc["uid"], file_name=name, title=doc["title"], lang=lang.tag, direction=lang.direction)
        item.content = _serialise(trees[name])
        item.properties = doc["properties"]
        eb.add_item(item)
        items[name] = item

    eb.toc = [epub.Link(t["href"], _plain(t["title"]), t["part"].id) for t in toc]
    eb.add_item(epub.EpubNcx())
    eb.spine = [items[name] for name in spine_order]

    play = _play_order(trees, spine_order)
    ncx_points, ncx_pages = _ncx_points(toc, play), _ncx_pages(pages, play)
    _numbered(ncx_points, ncx_pages, play)
    ncx = env.get_template("epub/toc.ncx.j2").render(
        lang=lang.tag, dir=lang.direction, uid=config.identifier, title=config.title, toc=ncx_points,
        depth=2 if any(t["children"] for t in toc) else 1, pages=ncx_pages, pages_label=labels.pages,
        total_pages=len(pages), max_page=max((p.value or 0 for p in pages), default=0),
    )
    modified = _modified(config)
    buffer = io.BytesIO()
    epub.write_epub(buffer, eb, {"package_direction": True, "mtime": modified, "epub3_pages": False, "epub3_landmark": False, "epub2_guide": False, "raise_exceptions": True})
    path = out_dir / f"{config.slug}.epub"
    atomic_write(path, _normalise_zip(buffer.getvalue(), lang.tag, {"EPUB/toc.ncx": ncx.encode("utf-8")}))
    return path


_FONT_DIRS = {"Parastoo.ttf": "parastoo", "Parastoo-Bold.ttf": "parastoo", "Vazirmatn-Regular.ttf": "vazirmatn",
              "Vazirmatn-Bold.ttf": "vazirmatn", "Vazirmatn-Light.ttf": "vazirmatn"}


def _css(templates: Path) -> str:
    env = render.environment(templates)
    fonts = env.get_template("fonts.css.j2").render(fonts="../fonts")
    fonts = fonts.replace("../fonts/parastoo/", "../fonts/").replace("../fonts/vazirmatn/", "../fonts/")
    return fonts + (templates / "book.css").read_text(encoding="utf-8") + (templates / "epub" / "epub.css").read_text(encoding="utf-8")


def _creators(eb: epub.EpubBook, config) -> None:
    """One ``dc:creator`` per person, with a MARC role refinement for each of their roles, in the
    order they first appear in book.yaml; publishers are the ``dc:publisher``.  A person whose
    every role is secondary (translator, illustrator) is a ``dc:contributor`` unless no one has a
    primary role."""
    people: dict[str, list[str]] = {}
    for creator in config.creators:
        if creator.role != "publisher":
            roles = people.setdefault(creator.name, [])
            if creator.role not in roles:
                roles.append(creator.role)
    anyone_primary = any(set(roles) & PRIMARY_ROLES for roles in people.values())
    for i, (name, roles) in enumerate(people.items()):
        uid = f"creator{i}"
        element = "creator" if set(roles) & PRIMARY_ROLES or not anyone_primary else "contributor"
        eb.add_metadata("DC", element, name, {"id": uid})
        for role in sorted(roles, key=lambda r: (r not in PRIMARY_ROLES, ROLE_ORDER.index(r) if r in ROLE_ORDER else 99)):
            eb.add_metadata(None, "meta", MARC_ROLES.get(role, "aut"), {"refines": f"#{uid}", "property": "role", "scheme": "marc:relators"})
        eb.add_metadata(None, "meta", name, {"refines": f"#{uid}", "property": "file-as"})  # sorted as written
        eb.add_metadata(None, "meta", str(i + 1), {"refines": f"#{uid}", "property": "display-seq"})


PRIMARY_ROLES = {"author", "editor", "compiler"}
ROLE_ORDER = ["author", "compiler", "editor", "translator", "illustrator", "cover-designer", "typesetter"]


def _png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _body_folios(pagination) -> dict:
    """anchor → the folio (a number) of the print page it falls on, for the text's pages — what
    the printed index lists ({} without a layout)."""
    if pagination is None:
        return {}
    front = pagination.front_pages
    return {anchor: index - front + 1 for anchor, index in pagination.anchor_index.items() if index >= front}


def print_folio(index: int, front_pages: int, lang) -> str:
    """The folio of page ``index`` (0-based) of the print PDF, as printed: the text's pages are
    numbered from ۱ in the book's digits, the front matter's with letters (الف، ب، پ …) or roman."""
    if index >= front_pages:
        return lang.digits(index - front_pages + 1)
    n = index + 1
    if lang.primary in ("fa", "prs"):
        letters = re.findall(r'"([^"]+)"', render.PERSIAN_LETTERS)
        out = ""
        while n > 0:
            n, r = divmod(n - 1, len(letters))
            out = letters[r] + out
        return out
    out = ""
    for value, numeral in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out += numeral
            n -= value
    return out


# --- the page-list -------------------------------------------------------------


@dataclass
class PrintPage:
    """One page of the print edition, and where it begins in the EPUB."""

    index: int
    """0-based page of the print PDF."""
    label: str
    """Its folio as printed (or as it would be printed: blank pages carry none)."""
    value: int | None
    """The folio's number for the text's pages (None in the front matter)."""
    file: str = ""
    block: str | None = None
    """Id of the element the page begins in (None: where the next page begins)."""
    letters: int = 0
    """Letters of that element set on earlier pages: the marker goes before the next one."""

    @property
    def marker(self) -> str:
        return f"page-{self.value}" if self.value is not None else f"page-front-{self.index + 1}"


FRONT_BLOCKS = {"half-title": ("titlepage.xhtml", "title-page"), "title-page": ("titlepage.xhtml", "title-page"),
                "identity": ("titlepage.xhtml", "identity"), "contents": ("nav.xhtml", "toc")}
"""The print front matter's blocks that the EPUB sets in its own documents."""


def print_pages(book: Book, pagination, documents: dict) -> list[PrintPage]:
    """Every page of the print PDF — front matter, blank pages and the signature's padding
    included — with the place in the EPUB where it begins (see
    :func:`ketab.layout.boxes.page_starts`)."""
    lang = book.language
    config = book.config
    starts: list[tuple] = []  # (unit name, start) per print page
    for placed in pagination.placed:
        starts += [(placed.name, None)] * placed.blank_before
        unit_starts = list(placed.unit.starts) + [None] * (placed.unit.pages - len(placed.unit.starts))
        starts += [(placed.name, s) for s in unit_starts[: placed.unit.pages]]
        if placed.name == "front":
            starts += [("front", None)] * (pagination.front_pages - placed.unit.pages)
    signature = config.signature or 1
    starts += [(None, None)] * ((-len(starts)) % signature if signature > 1 else 0)

    pages, context = [], None
    for index, (unit, start) in enumerate(starts):
        value = index - pagination.front_pages + 1 if index >= pagination.front_pages else None
        page = PrintPage(index, print_folio(index, pagination.front_pages, lang), value)
        if start is not None:
            file, block, context = _locate(book, unit, start[0], context, documents)
            if file:
                page.file, page.block, page.letters = file, block, int(start[1])
        pages.append(page)
    # a page without text (blank, or a block the EPUB does not have) begins where the next one does;
    # the pages after the last text begin at the end of the last document
    following = None
    for page in reversed(pages):
        if page.file:
            following = page
        elif following is not None:
            page.file, page.block, page.letters = following.file, following.block, following.letters
    last = book.parts[-1] if book.parts else None
    for page in pages:
        if not page.file:
            page.file, page.block, page.letters = (last.filename if last else "nav.xhtml"), None, -1
    return pages


def _locate(book: Book, unit: str | None, key: str, context, documents: dict):
    """(EPUB file, element id, part) of the print block ``key`` of ``unit``."""
    if key in FRONT_BLOCKS:
        file, block = FRONT_BLOCKS[key]
        return file, block, context
    if key.startswith("note:"):
        part = book.part(unit) if unit not in (None, "front") else context
        if part is None:
            return None, None, context
        return part.filename, f"{part.id}-fn{key[5:]}", part
    owner = book.anchor_part.get(key)
    if owner is None and any(p.id == key for p in book.parts):
        owner = key
    if owner is None:
        for part in book.parts:  # the part's own ids: its section and title
            if key in (part.id, f"{part.id}-title"):
                owner = part.id
    if owner is None:
        return None, None, context
    part = book.part(owner)
    if part.filename not in documents:
        return None, None, context
    return part.filename, key, part


LIST_CONTAINERS = {"ol", "ul", "dl", "table", "thead", "tbody", "tr", "nav"}
"""Elements a marker cannot open: it goes into their first child (a nav opens with its heading)."""


def _place_page_markers(trees: dict, pages: list[PrintPage]) -> None:
    """Insert a ``pagebreak`` marker for every print page, at the letter where it begins."""
    by_id: dict[str, dict] = {}
    for name, tree in trees.items():
        by_id[name] = {el.get("id"): el for el in tree.iter() if isinstance(el.tag, str) and el.get("id")}
    # markers placed at the same place keep the pages' order: insert them from the last
    for page in reversed(pages):
        tree = trees[page.file]
        marker = etree.Element(f"{XHTML}span", {"id": page.marker, f"{{{EPUB_NS}}}type": "pagebreak", "role": "doc-pagebreak", "aria-label": page.label})
        marker.text = ""
        target = by_id[page.file].get(page.block) if page.block else None
        if page.letters < 0 or target is None and page.block is None and page.letters < 0:
            body = tree.find(f"{XHTML}body")
            container = body[-1] if len(body) else body
            container.append(marker)
            continue
        if target is None:
            body = tree.find(f"{XHTML}body")
            target = body[0] if len(body) else body
        _insert_at_letter(target, page.letters, marker)


def _insert_at_letter(element, letters: int, marker) -> None:
    """Put ``marker`` inside ``element`` before its letter number ``letters`` (0: at its start),
    stepping back over the punctuation that opens the word («, (, …)."""
    while _local(element.tag) in LIST_CONTAINERS and len(element):
        element = element[0]
    if letters <= 0:
        marker.tail = element.text
        element.text = None
        element.insert(0, marker)
        return
    count = 0
    for node, attr in _text_slots(element):
        text = getattr(node, attr) or ""
        for i, c in enumerate(text):
            if unicodedata.category(c)[0] != "L":
                continue
            if count == letters:
                while i > 0 and not text[i - 1].isspace() and unicodedata.category(text[i - 1])[0] != "L":
                    i -= 1
                before, after = text[:i], text[i:]
                if attr == "text" and not before.strip() and node is not element and _local(node.tag) in INLINE:
                    # the page begins with an inline element (a name, a date): before it, not inside
                    while node.getparent() is not element and _local(node.getparent().tag) in INLINE \
                            and not (node.getparent().text or "").strip() and node.getparent().index(node) == 0:
                        node = node.getparent()
                    marker.tail = None
                    node.addprevious(marker)
                    return
                if attr == "text":
                    node.text = before
                    marker.tail = after
                    node.insert(0, marker)
                else:
                    node.tail = before
                    marker.tail = after
                    node.addnext(marker)
                return
            count += 1
    # fewer letters than counted in print: the end of the element (of its last item, in a list)
    while _local(element.tag) in LIST_CONTAINERS and len(element):
        element = element[-1]
    element.append(marker)


INLINE = {"span", "a", "time", "em", "strong", "i", "b", "cite", "q", "abbr", "bdi", "bdo", "small", "sub", "sup", "mark", "dfn", "code", "kbd", "var", "s", "u"}


def _text_slots(element):
    """(node, "text" | "tail") of every text inside ``element`` in reading order, notes aside."""
    if element.text:
        yield element, "text"
    for child in element:
        if isinstance(child.tag, str) and _local(child.tag) != "aside" and "footnotes" not in (child.get("class") or "").split():
            yield from _text_slots(child)
        if child.tail:
            yield child, "tail"


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _serialise(tree) -> bytes:
    return etree.tostring(tree, encoding="utf-8", xml_declaration=True, doctype="<!DOCTYPE html>")


def _play_order(trees: dict, spine: list[str]):
    """href → the NCX playOrder of its target: one number per place, in reading order, shared by
    the contents' and the page list's entries that lead to the same place."""
    places = []
    for name in spine:
        places.append((name, None))
        places += [(name, el.get("id")) for el in trees[name].iter() if isinstance(el.tag, str) and el.get("id")]
    rank = {place: i for i, place in enumerate(places)}

    def order(hrefs: list[str]) -> dict:
        def place(href):
            file, _, frag = href.partition("#")
            return rank.get((file, frag or None), rank.get((file, None), 0))
        distinct = sorted({place(h) for h in hrefs})
        number = {p: i for i, p in enumerate(distinct, start=1)}
        return {h: number[place(h)] for h in hrefs}

    return order


def _ncx_points(toc: list[dict], play) -> list[dict]:
    return [{"id": f"nav-{i}", "label": _plain(t["title"]), "href": t["href"], "children": [
        {"id": f"nav-{i}-{j}", "label": _plain(c["title"]), "href": c["href"], "children": []} for j, c in enumerate(t["children"], start=1)
    ]} for i, t in enumerate(toc, start=1)]


def _ncx_pages(pages: list[PrintPage], play) -> list[dict]:
    return [{"type": "normal" if p.value is not None else "front", "value": p.value, "label": p.label, "href": f"{p.file}#{p.marker}"}
            for p in pages]


def _numbered(points: list[dict], pages: list[dict], play) -> None:
    """Give every navPoint and pageTarget its playOrder."""
    flat = []

    def walk(ps):
        for p in ps:
            flat.append(p)
            walk(p["children"])

    walk(points)
    numbers = play([p["href"] for p in flat + pages])
    for p in flat + pages:
        p["order"] = numbers[p["href"]]


def _chapter_content(book: Book, env, part: Part, folios: dict) -> tuple[str, str]:
    """The chapter's XHTML and its title.  Notes become popup footnotes, links cross files,
    the index's locators are the print pages of the places they lead to."""
    lang = book.language
    cc = part.converted
    if part is book.index_part:
        # the index as printed (letter groups, page ranges, see-references), its locators linked to
        # the first mention on each page
        from ketab.layout.pagination import index_entries

        groups = index_entries(book, folios)
        for group in groups:
            for entry in group["entries"]:
                entry["pages"] = [(label, f"{book.part(book.anchor_part[anchor]).filename}#{anchor}") for label, anchor in entry["pages"]]
        sep = "،" if lang.primary in ("fa", "prs", "ar") else ","
        title = part.title or lang.labels.index
        html = env.get_template("epub/index.xhtml.j2").render(entries=groups, part_id=part.id, title=title, sep=sep, see=lang.labels.see)
        return html.replace("data-epub-type=", "epub:type="), bidi.isolate_text(title, lang.tag)
    root = lxml_html.fragment_fromstring(cc.html or "", create_parent="div")
    for img in root.iter("img"):
        img.set("src", f"media/{img.get('src')}")  # manuscript-relative → the EPUB's media folder
    for a in root.iter("a"):
        href = a.get("href") or ""
        if href.startswith("#"):
            owner = book.anchor_part.get(href[1:])
            if owner and owner != part.id:
                a.set("href", f"{book.part(owner).filename}{href}")
    for sign in root.iter("span"):
        if "note-sign" in (sign.get("class") or "").split() and sign.text and "\u0640" in sign.text:
            _wrap_tatweel(sign)
    notes = []
    for span in list(root.iter("span")):
        if "note" not in (span.get("class") or "").split():
            continue
        n = span.get("data-n")
        number = lang.digits(n)
        note_id, ref_id = f"{part.id}-fn{n}", f"{part.id}-fnref{n}"
        inner = _inner_xml(span)
        notes.append(Note(note_id, ref_id, number, span.get("data-kind", "author"), inner))
        ref = lxml_html.Element("a", {"href": f"#{note_id}", "id": ref_id, "class": "noteref", "data-epub-type": "noteref", "role": "doc-noteref"})
        ref.text = number
        ref.tail = span.tail
        span.getparent().replace(span, ref)
    body = _inner_xml(root)
    byline = render.byline(book, part)
    if byline:
        byline = _fix_links(book, byline)
    kind = cc.chapter.kind
    section_type = {"frontmatter": "preface", "appendix": "appendix", "backmatter": "backmatter"}.get(kind, "chapter")
    section_role = {"preface": "doc-preface", "appendix": "doc-appendix", "chapter": "doc-chapter"}.get(section_type, "region")
    if cc.chapter.generate == "chronology":
        section_type, section_role = "appendix", "doc-appendix"
    html = env.get_template("epub/chapter.xhtml.j2").render(
        part=part, chapter=cc.chapter, title_html=_xml_fragment(cc.title_html), body=body, byline=byline,
        notes=notes, labels=lang.labels, section_type=section_type, section_role=section_role,
    )
    return html.replace("data-epub-type=", "epub:type="), cc.title_html


def _wrap_tatweel(sign) -> None:
    """«ـ و.»: the tatweel in a span of its own, set in a face that draws it as a stroke."""
    text = sign.text
    i = text.index("\u0640")
    span = lxml_html.Element("span", {"class": "tatweel"})
    span.text = "\u0640"
    span.tail = text[i + 1:]
    sign.text = text[:i]
    sign.insert(0, span)


def _fix_links(book: Book, html: str) -> str:
    """``#anchor`` links made into ``file.xhtml#anchor`` (each chapter is its own file)."""

    def to_file(m):
        pid = book.anchor_part.get(m.group(1))
        return f'href="{book.part(pid).filename}#{m.group(1)}"' if pid else m.group(0)

    return _xml_fragment(re.sub(r'href="#([^"]+)"', to_file, html))


def _inner_xml(el) -> str:
    out = _escape(el.text or "")
    for child in el:
        out += etree.tostring(child, encoding="unicode", method="xml", with_tail=True)
    return out


def _escape(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_fragment(html: str) -> str:
    if not html:
        return ""
    root = lxml_html.fragment_fromstring(html, create_parent="div")
    return _inner_xml(root)


def _plain(html: str) -> str:
    return lxml_html.fragment_fromstring(html or "-", create_parent="div").text_content()


def _accessibility(eb: epub.EpubBook, book: Book, paged: bool) -> None:
    """EPUB Accessibility 1.1 metadata (the print page numbers only when the page-list is there)."""
    lang = book.language
    meta = [
        ("schema:accessMode", "textual"),
        ("schema:accessModeSufficient", "textual"),
        ("schema:accessibilityFeature", "structuralNavigation"),
        ("schema:accessibilityFeature", "tableOfContents"),
        ("schema:accessibilityFeature", "readingOrder"),
        ("schema:accessibilityFeature", "displayTransformability"),
        *([("schema:accessibilityFeature", "printPageNumbers"), ("schema:accessibilityFeature", "pageNavigation")] if paged else []),
        ("schema:accessibilityFeature", "index" if book.index_part else "alternativeText"),
        ("schema:accessibilityHazard", "none"),
        ("schema:accessibilitySummary", _summary(lang)),
    ]
    for prop, value in meta:
        eb.add_metadata(None, "meta", value, {"property": prop})
    eb.add_metadata(None, "meta", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA", {"property": "dcterms:conformsTo"})


def _summary(lang) -> str:
    if lang.primary in ("fa", "prs"):
        return "متن کامل کتاب با ساختار سرفصل‌ها، فهرست، یادداشت‌های پانویس با پیوند بازگشت و جهت راست‌به‌چپ؛ بدون محتوای صوتی یا تصویری ضروری."
    return "Full text with structured headings, a table of contents, footnotes with back-links, and a logical reading order; no essential audio or visual content."


def _modified(config) -> dt.datetime:
    """dcterms:modified: the book's date, else SOURCE_DATE_EPOCH — never the wall clock."""
    if config.date:
        d = config.date_value
        return dt.datetime(d.year, d.month, d.day, tzinfo=dt.timezone.utc)
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    return dt.datetime.fromtimestamp(epoch, tz=dt.timezone.utc)


def _normalise_zip(data: bytes, lang: str, replace: dict | None = None) -> bytes:
    """Fixed timestamps and a stable order: mimetype first and stored, the rest sorted.
    The package gets its xml:lang (ebooklib writes none; Ace asks for it); the files in
    ``replace`` (the NCX, which ebooklib writes flat and without a page list) are ketab's."""
    src = zipfile.ZipFile(io.BytesIO(data))
    names = src.namelist()
    ordered = ["mimetype"] + sorted(n for n in names if n != "mimetype")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in ordered:
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            content = (replace or {}).get(name) or src.read(name)
            if name.endswith(".opf"):
                content = content.replace(b"<package ", f'<package xml:lang="{lang}" '.encode(), 1)
            dst.writestr(info, content, compresslevel=9 if name != "mimetype" else None)
    return out.getvalue()
