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
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from ebooklib import epub
from lxml import etree
from lxml import html as lxml_html

from ketab import render, safeio
from ketab.assemble import Book, Part
from ketab.cache import digest
from ketab.fonts import book_fonts_css, manuscript_font_files
from ketab.layout import BookLayout
from ketab.outputs import atomic_write
from ketab.persian import bidi
from ketab.pictures import unpack_svgz
from ketab.sanitize import clean_svg
from ketab.writers import epub_fonts
from ketab.writers.epub_pages import (
    body_folios,
    ncx_pages,
    ncx_points,
    numbered,
    place_page_markers,
    plain,
    play_order,
    print_pages,
)
from ketab.writers.memo import Memo
from ketab.writers.target import Target

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
MARC_ROLES = {"author": "aut", "editor": "edt", "translator": "trl", "compiler": "com", "illustrator": "ill", "publisher": "pbl",
              "typesetter": "cmt", "cover-designer": "cov"}
"""book.yaml's roles as MARC relators (a typesetter is a compositor, «cmt»)."""
XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_NS = "http://www.idpf.org/2007/ops"
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


def write(book: Book, layout: BookLayout, target: Target, written: dict) -> Path:
    """``<slug>.epub``, its page-list and index mapped to the print layout and its cover the front panel's picture."""
    from ketab.writers.cover import front_cover_png

    return write_epub(book, target.templates, target.out_dir, layout.pagination, front_cover_png(book, layout, target.cache), target.cache)


def write_epub(book: Book, templates: Path, out_dir: Path, pagination=None, cover_png: bytes | None = None, cache=None) -> Path:
    """Write ``<slug>.epub``.  ``pagination`` (the print layout) gives the page-list and the
    index's page numbers; without it the EPUB has neither.  ``cache`` (the build cache) keeps the
    font subsets between builds."""
    config = book.config
    lang = book.language
    labels = lang.labels
    env = render.environment(templates)
    eb = _package(book, pagination)

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
    cover_image = _add_cover_image(eb, cover_png)
    page("cover.xhtml", "cover", labels.cover, env.get_template("epub/cover.xhtml.j2").render(**common, image=cover_image), "cover",
         properties=["svg"] if cover_image else [], body_class="cover-page")
    page("titlepage.xhtml", "titlepage", labels.title_page, env.get_template("epub/titlepage.xhtml.j2").render(**render.common_context(book)))

    _add_images(eb, book)

    folios = body_folios(pagination)
    toc = _add_chapters(book, env, folios, page)

    landmarks = _landmarks(book)

    pages = print_pages(book, pagination, documents) if pagination is not None else []
    nav_body = env.get_template("epub/nav.xhtml.j2").render(
        toc=toc, landmarks=landmarks, page_list=[{"href": f"{p.file}#{p.marker}", "label": p.label} for p in pages],
        labels=labels, page_list_title=labels.pages,
    )
    page("nav.xhtml", "nav", labels.contents, nav_body, properties=["nav"])

    trees = {name: etree.fromstring(doc["xhtml"].encode("utf-8")) for name, doc in documents.items()}
    place_page_markers(trees, pages)

    _add_fonts_and_css(eb, templates, trees, config, cache, [doc["xhtml"] for doc in documents.values()])

    spine_order = ["cover.xhtml", "titlepage.xhtml", "nav.xhtml"] + [p.filename for p in book.parts]
    items = _add_documents(eb, documents, trees, spine_order, lang)

    eb.toc = [epub.Link(t["href"], plain(t["title"]), t["part"].id) for t in toc]
    eb.add_item(epub.EpubNcx())
    eb.spine = [items[name] for name in spine_order]

    ncx = _ncx(env, book, toc, pages, trees, spine_order)
    modified = _modified(config)
    buffer = io.BytesIO()
    epub.write_epub(buffer, eb, {"package_direction": True, "mtime": modified, "epub3_pages": False, "epub3_landmark": False, "epub2_guide": False, "raise_exceptions": True})
    path = out_dir / f"{config.slug}.epub"
    atomic_write(path, _normalise_zip(buffer.getvalue(), lang.tag, {"EPUB/toc.ncx": ncx.encode("utf-8")}))
    return path


def _add_cover_image(eb: epub.EpubBook, cover_png: bytes | None) -> dict | None:
    """The front cover's picture in the package; its src and size for the cover page."""
    if not cover_png:
        return None
    eb.add_item(epub.EpubCover(uid="cover-image", file_name="images/cover.png"))
    eb.get_item_with_id("cover-image").content = cover_png
    eb.get_item_with_id("cover-image").media_type = "image/png"
    eb.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-image"})  # EPUB 2 readers
    width, height = _png_size(cover_png)
    return {"src": "images/cover.png", "width": width, "height": height}


def _add_chapters(book: Book, env, folios, page) -> list[dict]:
    """Every part as a content document (through ``page``); the table of contents."""
    toc = []
    for part in book.parts:
        content, chapter_title = _chapter_content(book, env, part, folios)
        own = {"style", "cover-image", "nav", "cover", "titlepage", "ncx"}
        uid = part.id if part.id not in own and not part.id.startswith(("img-", "font-")) else f"{part.id}.part"  # never one of ours
        page(part.filename, uid, part.title or book.language.labels.index, content, properties=["mathml"] if "<math" in content else ())
        children = _nav_tree(part, book.config.toc_depth or 2)
        toc.append({"href": part.filename, "title": chapter_title, "children": children, "part": part})
    return toc


def _add_documents(eb: epub.EpubBook, documents: dict, trees: dict, spine_order: list, lang) -> dict:
    """The content documents in the package, in spine order: file name → item."""
    items = {}
    for name in spine_order:
        doc = documents[name]
        item = Xhtml(uid=doc["uid"], file_name=name, title=doc["title"], lang=lang.tag, direction=lang.direction)
        item.content = _serialise(trees[name])
        item.properties = doc["properties"]
        eb.add_item(item)
        items[name] = item
    return items


def _package(book: Book, pagination) -> epub.EpubBook:
    """The package with the book's metadata: book.yaml, accessibility, reading direction, page source."""
    config = book.config
    lang = book.language
    labels = lang.labels
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
    return eb


def _add_images(eb: epub.EpubBook, book: Book) -> None:
    """The manuscript's images travel with the book, each once."""
    config = book.config
    root = config.path.parent
    added = set()
    for part in book.parts:
        for image in part.converted.images:
            if image.src not in added:
                added.add(image.src)
                uid = "img-" + re.sub(r"[^A-Za-z0-9_-]", "-", image.src)
                data = safeio.read_bytes(root, image.src, "image")
                name = image.src
                if image.src.lower().endswith(".svgz"):  # reading systems want the SVG itself
                    data, name = unpack_svgz(data) or b"", image.src + ".svg"
                if image.media_type == "image/svg+xml":
                    data = clean_svg(data)  # the picture as checked, written again: no parser of the reader's sees more
                eb.add_item(epub.EpubItem(uid=uid, file_name=f"media/{name}", media_type=image.media_type, content=data))


def _landmarks(book: Book) -> list[dict]:
    labels = book.language.labels
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
    return landmarks


def _add_fonts_and_css(eb: epub.EpubBook, templates: Path, trees: dict, config=None, cache=None, sources=None) -> None:
    """The faces the documents use (the vendored ones and the manuscript's own, ``fonts:`` in book.yaml),
    each cut down to what it sets, and the CSS that names only them.  ``sources``: the XHTML of each tree."""
    css = _css(templates, config)
    faces = epub_fonts.faces_from_css(css)
    fonts = {f"../fonts/{Path(name).name}": templates / "fonts" / name for name in font_files(templates)}
    if config is not None:
        root = config.path.parent
        fonts.update({f"../fonts/book/{Path(rel).name}": root / rel for rel in manuscript_font_files(config)})
    files = {url: path.read_bytes() for url, path in fonts.items() if path.is_file()}
    coverage = {url: epub_fonts.coverage_cached(data, cache) for url, data in files.items()}
    salt = digest(*(f"{url}={digest(data)}" for url, data in sorted(files.items())))
    memo = Memo(cache, "epub-characters", str(getattr(config, "identifier", "")))
    used = epub_fonts.characters_by_face(list(trees.values()), css, faces, coverage, memo, salt, sources)
    memo.save()
    kept = set()
    for face in faces:
        if face not in used or face.file not in files:
            continue
        kept.add(face.file)
        name = face.file.removeprefix("../")
        data = epub_fonts.subset_font_cached(files[face.file], used[face], cache)
        eb.add_item(epub.EpubItem(uid="font-" + re.sub(r"[^A-Za-z0-9_-]", "-", name), file_name=name,
                                  media_type=FONT_TYPES[Path(name).suffix.lower()], content=data))
    eb.add_item(epub.EpubItem(uid="style", file_name="css/book.css", media_type="text/css", content=epub_fonts.drop_faces(css, kept).encode()))


def _ncx(env, book: Book, toc: list, pages: list, trees: dict, spine_order: list) -> str:
    """The EPUB 2 navigation (toc.ncx) with the print page-list, in reading order."""
    config, lang, labels = book.config, book.language, book.language.labels
    play = play_order(trees, spine_order)
    points, page_targets = ncx_points(toc, play), ncx_pages(pages, play)
    numbered(points, page_targets, play)
    return env.get_template("epub/toc.ncx.j2").render(
        lang=lang.tag, dir=lang.direction, uid=config.identifier, title=config.title, toc=points,
        depth=2 if any(t["children"] for t in toc) else 1, pages=page_targets, pages_label=labels.pages,
        total_pages=len(pages), max_page=max((p.value or 0 for p in pages), default=0),
    )


def _css(templates: Path, config=None) -> str:
    env = render.environment(templates)
    fonts = env.get_template("fonts.css.j2").render(fonts="../fonts")
    fonts = re.sub(r'url\("\.\./fonts/[^"/]+/', 'url("../fonts/', fonts)
    own = book_fonts_css(config, lambda rel: f"../fonts/book/{Path(rel).name}") if config is not None else ""
    return fonts + (templates / "book.css").read_text(encoding="utf-8") + own + (templates / "epub" / "epub.css").read_text(encoding="utf-8")


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


# --- the page-list -------------------------------------------------------------


def _serialise(tree) -> bytes:
    return etree.tostring(tree, encoding="utf-8", xml_declaration=True, doctype="<!DOCTYPE html>")


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
        sep = lang.list_separator
        title = part.title or lang.labels.index
        html = env.get_template("epub/index.xhtml.j2").render(entries=groups, part_id=part.id, title=title, sep=sep, see=lang.labels.see)
        return html.replace("data-epub-type=", "epub:type="), bidi.isolate_text(title, lang.tag)
    root = lxml_html.fragment_fromstring(cc.html or "", create_parent="div")
    for img in root.iter("img"):
        src = img.get("src") or ""
        img.set("src", f"media/{src}.svg" if src.lower().endswith(".svgz") else f"media/{src}")  # manuscript-relative → the EPUB's media folder
    for a in root.iter("a"):
        href = a.get("href") or ""
        if href.startswith("#"):
            target = unquote(href[1:])  # lxml's HTML serializer percent-encodes non-ASCII ids
            owner = book.anchor_part.get(target)
            a.set("href", f"{book.part(owner).filename}#{target}" if owner and owner != part.id else f"#{target}")
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
    return lang.labels.accessibility_summary


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
