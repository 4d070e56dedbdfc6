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
from urllib.parse import unquote
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ebooklib import epub
from lxml import etree
from lxml import html as lxml_html

from ketab import render
from ketab.assemble import Book, Part
from ketab.fonts import book_fonts_css, manuscript_font_files
from ketab.outputs import atomic_write
from ketab.persian import bidi

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
MARC_ROLES = {"author": "aut", "editor": "edt", "translator": "trl", "compiler": "com", "illustrator": "ill", "publisher": "pbl"}
FONT_TYPES = {".ttf": "font/ttf", ".otf": "font/otf", ".woff": "font/woff", ".woff2": "font/woff2"}


def font_files(templates: Path) -> list[str]:
    """The font files templates/fonts.css.j2 names (relative to templates/fonts), in its order."""
    css = render.environment(templates).get_template("fonts.css.j2").render(fonts="")
    return list(dict.fromkeys(m.lstrip("/") for m in re.findall(r'url\("([^"]+)"\)', css)))


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


def write_epub(book: Book, templates: Path, out_dir: Path, page_breaks: dict | None = None, cover_png: bytes | None = None) -> Path:
    """Write ``<slug>.epub``.  ``page_breaks`` maps part id → [(anchor id, folio label)]."""
    config = book.config
    lang = book.language
    labels = lang.labels
    env = render.environment(templates)
    eb = epub.EpubBook()
    eb.set_identifier(config.identifier)
    eb.set_title(config.title)
    eb.set_language(lang.tag)
    eb.set_direction(lang.direction)
    for i, creator in enumerate(config.creators):
        eb.add_author(creator.name, role=MARC_ROLES.get(creator.role, "aut"), uid=f"creator{i}")
    if config.publisher:
        eb.add_metadata("DC", "publisher", config.publisher)
    if config.rights:
        eb.add_metadata("DC", "rights", config.rights)
    if config.date:
        eb.add_metadata("DC", "date", config.date)
    if config.description:
        eb.add_metadata("DC", "description", config.description)
    _accessibility(eb, book)
    if lang.is_rtl:
        eb.add_metadata(None, "meta", "", {"name": "primary-writing-mode", "content": "horizontal-rl"})
    if page_breaks:
        eb.add_metadata(None, "meta", f"{config.title} — {labels.print_edition} ({config.slug}-print.pdf)", {"property": "pageBreakSource"})

    css = epub.EpubItem(uid="style", file_name="css/book.css", media_type="text/css", content=_css(templates, config).encode())
    eb.add_item(css)
    for name in font_files(templates):
        data = (templates / "fonts" / name).read_bytes()
        eb.add_item(epub.EpubItem(uid="font-" + re.sub(r"[^A-Za-z0-9_-]", "-", Path(name).stem), file_name=f"fonts/{Path(name).name}",
                                  media_type=FONT_TYPES[Path(name).suffix.lower()], content=data))
    for rel in dict.fromkeys(manuscript_font_files(config)):  # the book's own faces (fonts: in book.yaml)
        eb.add_item(epub.EpubItem(uid="bookfont-" + re.sub(r"[^A-Za-z0-9_-]", "-", rel), file_name=f"fonts/book/{Path(rel).name}",
                                  media_type=FONT_TYPES[Path(rel).suffix.lower()], content=(config.path.parent / rel).read_bytes()))

    def page(file_name, uid, title, content, body_type=None, properties=()):
        xhtml = env.get_template("epub/page.xhtml.j2").render(
            lang=lang.tag, dir=lang.direction, title=title, css="css/book.css" if "/" not in file_name else "../css/book.css",
            content=content, body_type=body_type,
        )
        item = Xhtml(uid=uid, file_name=file_name, title=title, lang=lang.tag, direction=lang.direction)
        item.content = xhtml.encode("utf-8")
        item.properties = list(properties)
        eb.add_item(item)
        return item

    common = {"book": book, "labels": labels, "roles": render.creator_roles(book)}
    cover_image = None
    if cover_png:
        eb.add_item(epub.EpubCover(uid="cover-image", file_name="images/cover.png"))
        eb.get_item_with_id("cover-image").content = cover_png
        eb.get_item_with_id("cover-image").media_type = "image/png"
        eb.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})  # EPUB 2 readers
        cover_image = "images/cover.png"
    cover = page("cover.xhtml", "cover", labels.cover, env.get_template("epub/cover.xhtml.j2").render(**common, image=cover_image), "cover")
    title_page = page(
        "titlepage.xhtml", "titlepage", labels.title_page, env.get_template("epub/titlepage.xhtml.j2").render(**render.common_context(book))
    )
    nav_item = Xhtml(uid="nav", file_name="nav.xhtml", title=labels.contents, lang=lang.tag, direction=lang.direction)
    nav_item.properties = ["nav"]
    eb.add_item(nav_item)

    root = config.path.parent
    added = set()
    for part in book.parts:
        for image in part.converted.images:  # the manuscript's images travel with the book
            if image.src not in added:
                added.add(image.src)
                uid = "img-" + re.sub(r"[^A-Za-z0-9_-]", "-", image.src)
                if image.src.lower().endswith(".svgz"):  # reading systems want the SVG itself
                    from ketab.convert import unpack_svgz

                    eb.add_item(epub.EpubItem(uid=uid, file_name=f"media/{image.src}.svg", media_type=image.media_type,
                                              content=unpack_svgz(root / image.src)))
                    continue
                eb.add_item(epub.EpubItem(uid=uid, file_name=f"media/{image.src}", media_type=image.media_type,
                                          content=(root / image.src).read_bytes()))

    chapter_items, toc, markers = [], [], {}
    for part in book.parts:
        content, chapter_title, markers[part.id] = _chapter_content(book, env, part, page_breaks or {})
        item = page(part.filename, part.id, part.title or labels.index, content, properties=["mathml"] if "<math" in content else ())
        chapter_items.append((part, item))
        children = _nav_tree(part, book.config.toc_depth or 2)
        toc.append({"href": part.filename, "title": chapter_title, "children": children, "part": part, "item": item})

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
    page_list = [
        {"href": f"{part.filename}#{marker_id}", "label": label}
        for part in book.parts
        for marker_id, label in markers.get(part.id, ())
    ]
    nav_body = env.get_template("epub/nav.xhtml.j2").render(
        toc=toc, landmarks=landmarks, page_list=page_list, labels=labels, page_list_title=labels.pages,
    )
    nav_item.content = env.get_template("epub/page.xhtml.j2").render(
        lang=lang.tag, dir=lang.direction, title=labels.contents, css="css/book.css", content=nav_body, body_type=None
    ).encode("utf-8")

    eb.toc = [epub.Link(t["href"], _plain(t["title"]), t["part"].id) for t in toc]
    eb.add_item(epub.EpubNcx())
    eb.spine = [cover, title_page, nav_item] + [item for _, item in chapter_items]

    modified = _modified(config)
    buffer = io.BytesIO()
    epub.write_epub(buffer, eb, {"package_direction": True, "mtime": modified, "epub3_pages": False, "epub3_landmark": False, "epub2_guide": False, "raise_exceptions": True})
    path = out_dir / f"{config.slug}.epub"
    atomic_write(path, _normalise_zip(buffer.getvalue(), lang.tag))
    return path


def _css(templates: Path, config=None) -> str:
    env = render.environment(templates)
    fonts = env.get_template("fonts.css.j2").render(fonts="../fonts")
    fonts = re.sub(r'url\("\.\./fonts/[^"/]+/', 'url("../fonts/', fonts)
    own = book_fonts_css(config, lambda rel: f"../fonts/book/{Path(rel).name}") if config is not None else ""
    return fonts + (templates / "book.css").read_text(encoding="utf-8") + own + (templates / "epub" / "epub.css").read_text(encoding="utf-8")


def _chapter_content(book: Book, env, part: Part, page_breaks: dict) -> tuple[str, str, list]:
    """The chapter's XHTML, its title, and its pagebreak markers [(id, label)].

    Notes become popup footnotes, links cross files, print page breaks are marked."""
    lang = book.language
    cc = part.converted
    if part is book.index_part:
        entries = []
        for entry in book.index:
            places = []
            for n, (pid, anchor) in enumerate(entry.places, start=1):
                places.append((f"{book.part(pid).filename}#{anchor}", lang.digits(n)))
            entries.append({"heading_html": bidi.isolate_text(entry.heading, lang.tag), "places": places})
        sep = "،" if lang.primary in ("fa", "prs", "ar") else ","
        title = part.title or lang.labels.index
        marker = next(({"id": f"page-{a}", "label": label} for a, label in page_breaks.get(part.id, ())), None)
        html = env.get_template("epub/index.xhtml.j2").render(entries=entries, part_id=part.id, title=title, sep=sep, start_marker=marker)
        return html.replace("data-epub-type=", "epub:type="), bidi.isolate_text(title, lang.tag), [(marker["id"], marker["label"])] if marker else []
    root = lxml_html.fragment_fromstring(cc.html or "", create_parent="div")
    for img in root.iter("img"):
        src = img.get("src") or ""
        img.set("src", f"media/{src}.svg" if src.lower().endswith(".svgz") else f"media/{src}")  # manuscript-relative → the EPUB's media folder
    for a in root.iter("a"):
        href = a.get("href") or ""
        if href.startswith("#") and "xref" in (a.get("class") or ""):
            target = unquote(href[1:])  # lxml's HTML serializer percent-encodes non-ASCII ids
            owner = book.anchor_part.get(target)
            a.set("href", f"{book.part(owner).filename}#{target}" if owner and owner != part.id else f"#{target}")
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
    start_marker, inserted = None, []
    for anchor, label in page_breaks.get(part.id, ()):
        if anchor in (part.id, f"{part.id}-title"):
            start_marker = {"id": f"page-{anchor}", "label": label}  # before the chapter's title
            inserted.append((start_marker["id"], label))
        elif _insert_pagebreak(root, anchor, label):
            inserted.append((f"page-{anchor}", label))
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
        start_marker=start_marker,
    )
    return html.replace("data-epub-type=", "epub:type="), cc.title_html, inserted


def _nav_tree(part: Part, depth: int) -> list[dict]:
    """The part's headings down to ``depth`` (the chapter title is level 1), nested by level."""
    top: list[dict] = []
    stack: list[tuple[int, list]] = [(1, top)]
    for h in part.headings:
        if h.level > depth or h.level < 2:
            continue
        while stack[-1][0] >= h.level:
            stack.pop()
        node = {"href": f"{part.filename}#{h.id}", "title": h.html, "children": []}
        stack[-1][1].append(node)
        stack.append((h.level, node["children"]))
    return top


def _fix_links(book: Book, html: str) -> str:
    """``#anchor`` links made into ``file.xhtml#anchor`` (each chapter is its own file)."""

    def to_file(m):
        pid = book.anchor_part.get(m.group(1))
        return f'href="{book.part(pid).filename}#{m.group(1)}"' if pid else m.group(0)

    return _xml_fragment(re.sub(r'href="#([^"]+)"', to_file, html))


def _insert_pagebreak(root, anchor: str, label: str) -> bool:
    """A ``pagebreak`` marker at the start of the element where a print page begins."""
    target = next((el for el in root.iter() if isinstance(el.tag, str) and el.get("id") == anchor), None)
    if target is None:
        return False
    marker = lxml_html.Element("span", {"id": f"page-{anchor}", "data-epub-type": "pagebreak", "role": "doc-pagebreak", "aria-label": label})
    marker.tail = target.text
    target.text = None
    target.insert(0, marker)
    return True


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


def _accessibility(eb: epub.EpubBook, book: Book) -> None:
    """EPUB Accessibility 1.1 metadata."""
    lang = book.language
    meta = [
        ("schema:accessMode", "textual"),
        ("schema:accessModeSufficient", "textual"),
        ("schema:accessibilityFeature", "structuralNavigation"),
        ("schema:accessibilityFeature", "tableOfContents"),
        ("schema:accessibilityFeature", "readingOrder"),
        ("schema:accessibilityFeature", "displayTransformability"),
        ("schema:accessibilityFeature", "printPageNumbers"),
        ("schema:accessibilityFeature", "pageNavigation"),
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


def _normalise_zip(data: bytes, lang: str) -> bytes:
    """Fixed timestamps and a stable order: mimetype first and stored, the rest sorted.
    The package gets its xml:lang (ebooklib writes none; Ace asks for it)."""
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
            content = src.read(name)
            if name.endswith(".opf"):
                content = content.replace(b"<package ", f'<package xml:lang="{lang}" '.encode(), 1)
            dst.writestr(info, content, compresslevel=9 if name != "mimetype" else None)
    return out.getvalue()
