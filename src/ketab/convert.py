"""Stage 2 — convert each chapter with pandoc, then read what it produced.

Each chapter is converted on its own (no footnote cross-talk), with ``--wrap=none`` (a newline inside a
WeasyPrint footnote is a forced break) and ketab's Lua filter (:mod:`ketab.pandocrun`).  A chapter that uses
references defined in other chapters is converted a second time with those definitions appended
(:mod:`ketab.links`).  The HTML is sanitised, made a book's (:mod:`ketab.treepasses`), its ids made unique
across the book, then walked once with lxml (:class:`_Walk`) to collect headings, notes, index marks, anchors
and links, to render date markup, and to isolate Latin runs and localise digits.  The result is a frozen
:class:`ConvertedChapter`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

from ketab import bodychecks, links, safeio, treepasses
from ketab.diagnostics import Collector
from ketab.figurelists import fill_lists
from ketab.htmlfrag import inner_html
from ketab.manuscript import Chapter, Manuscript, safe_path
from ketab.pandocrun import (  # noqa: F401 - the pandoc run's names, as the rest of ketab knows them
    FILTER,
    PANDOC_ARGS,
    PANDOC_FROM,
    PandocResult,
    PandocTimeout,
    citeproc_args,
    kill_pandoc,
    pandoc,
    pandoc_all,
    pandoc_messages,
    pandoc_version,
    pandoc_warning,
    run_pandoc,
)
from ketab.persian import bidi
from ketab.persian import dates as pdates
from ketab.pictures import picture_problem, unpack_svgz
from ketab.register import mark_names
from ketab.sanitize import MAX_NESTING, deepest, sanitize_html
from ketab.sourcemap import SourceMap

IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".svg": "image/svg+xml",
               ".svgz": "image/svg+xml", ".webp": "image/webp"}
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF")


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str
    """Plain text of the heading (for the contents and the outline)."""
    html: str
    """Inner HTML of the heading (keeps Latin-run isolation)."""


@dataclass(frozen=True)
class IndexMark:
    id: str
    """Anchor id of the marked place."""
    entry: str
    """Index heading it is filed under."""


@dataclass(frozen=True)
class Image:
    src: str
    """Path relative to the manuscript folder."""
    media_type: str


@dataclass(frozen=True)
class ConvertedChapter:
    chapter: Chapter
    html: str
    """Body HTML of the chapter (notes still inline as ``span.note``)."""
    headings: tuple[Heading, ...]
    notes: int
    index_marks: tuple[IndexMark, ...]
    anchors: tuple[str, ...]
    """Every id defined in the chapter."""
    blocks: tuple[str, ...]
    """Ids of the chapter's blocks (paragraphs, list items, headings…) in reading order:
    the places where a print page can be said to begin."""
    links: tuple[str, ...]
    """Targets (``#id``) of internal links."""
    images: tuple[Image, ...]
    title_html: str


def convert_chapters(manuscript: Manuscript, markdown_for=None, cache=None, stats=None, strict: bool = False):
    """Convert every written chapter: (ConvertedChapter…, warnings).

    pandoc runs once per chapter, in parallel, and only for Markdown it has not converted before (``cache``).
    ``markdown_for(chapter)`` supplies the Markdown of generated parts.  ``stats`` (a dict) counts conversions.
    pandoc's own warnings become diagnostics with the chapter's file and line.  A chapter that uses references
    defined in other chapters is converted a second time with those definitions appended (see
    :mod:`ketab.links`).  What is dropped or cannot be linked is a warning (an error when ``strict``).
    """
    diags = Collector()
    chapters = manuscript.chapters
    bodies = [markdown_for(ch) if ch.generate else ch.body for ch in chapters]
    args, salt = citeproc_args(manuscript, diags)
    extras = [args + (("--metadata=suppress-bibliography=true",) if args and ch.generate != "references"
                      and any(c.generate == "references" for c in chapters) else ()) for ch in chapters]
    diags.raise_if_errors()
    results, sources, trees = parse_chapters(chapters, bodies, cache, extras, salt, diags)
    if stats is not None:
        stats["converted"] = [chapters[i].id for i, r in enumerate(results) if not r.cached]
    linker = links.Linker([
        (chapters[i].id, chapters[i].rel,
         [el.get("id") for el in tree.iter() if isinstance(el.tag, str) and el.get("id") and not treepasses.CODE_ID.match(el.get("id"))],
         chapters[i].title)
        for i, tree in trees.items()
    ])
    links.report_written_duplicates(chapters, bodies, trees, linker, diags.error if strict else diags.warning)
    converted = [read_html(chapters[i], bodies[i], tree, manuscript, diags, linker, strict, sources[i]) for i, tree in trees.items()]
    by_id = {chapters[i].id: sources[i] for i in trees}
    check_references(converted, diags, by_id)
    bodychecks.lint_chapters(manuscript, by_id, diags, strict, cache)
    from ketab.generate import check_chronology_quotes  # generate imports this module

    check_chronology_quotes(manuscript, converted, diags)
    converted = fill_lists(manuscript, tuple(converted), linker.numbers, diags)
    diags.raise_if_errors()
    return tuple(converted), tuple(diags.items)


def parse_chapters(chapters, bodies, cache, extras, salt, diags: Collector):
    """pandoc on every chapter through the cache, again with the definitions appended on a chapter that
    borrows references: (pandoc's results, the chapters' source maps, chapter index → HTML tree)."""
    results = pandoc_all(bodies, cache, extras, salt)
    sources = [SourceMap(body, ch.body_line, r.parsed) for ch, body, r in zip(chapters, bodies, results)]
    results = _pandoc_again(chapters, bodies, results, sources, cache, extras, salt)
    return results, sources, _trees(chapters, results, sources, diags)


def _pandoc_again(chapters, bodies, results, sources, cache, extras, salt) -> list[PandocResult]:
    """pandoc again, with the definitions appended, on a chapter that borrows references (its first parse stays)."""
    labels = [None if ch.generate else links.read_labels(body, src.spans) for ch, body, src in zip(chapters, bodies, sources)]
    headings = [links.heading_ids(r.html) if r.failure is None else [] for r in results]
    extra = links.borrowed_definitions(chapters, labels, headings)
    again = [i for i, defs in enumerate(extra) if defs]
    if again:
        seconds = pandoc_all([bodies[i] + "\n\n" + "\n".join(extra[i]) + "\n" for i in again], cache, [extras[i] for i in again], salt)
        for i, result in zip(again, seconds):
            if result.failure is None:  # else the first conversion stands (its links go nowhere, and say so)
                results[i] = PandocResult(result.html, results[i].messages, None, results[i].cached and result.cached, results[i].parsed)
    return results


def _trees(chapters, results, sources, diags: Collector) -> dict:
    """Chapter index → the lxml tree of pandoc's HTML (its equations numbered); pandoc's failures and warnings
    said, and what its parse shows of the chapter's notes (:mod:`ketab.bodychecks`)."""
    trees = {}
    for i, (chapter, result) in enumerate(zip(chapters, results)):
        if isinstance(result.failure, PandocTimeout):
            diags.error(chapter.path, chapter.body_line,
                        f"pandoc did not finish this chapter in {result.failure.seconds:g} s (long runs of unmatched brackets or "
                        "emphasis marks make it search for ever); simplify or escape them", "pandoc.timeout")
            continue
        if result.failure is not None:
            diags.error(chapter.path, chapter.body_line, f"pandoc failed: {result.failure}", "pandoc.error")
            continue
        for message in result.messages:
            if not bodychecks.note_warning(chapter, message, sources[i], diags):
                pandoc_warning(chapter, message, diags)
        bodychecks.check_parsed(chapter, sources[i], diags)
        trees[i] = lxml_html.fragment_fromstring(result.html or "<p></p>", create_parent="div")
        treepasses.equations(trees[i])
    return trees


def read_html(chapter: Chapter, body: str, root, manuscript: Manuscript, diags: Collector, linker=None, strict: bool = False,
              source: SourceMap | None = None) -> ConvertedChapter:
    """Walk pandoc's HTML (an lxml tree or its text; a tree is changed in place) once: ids, notes, index, dates,
    images, links, safety, bidi.  ``linker`` (a :class:`ketab.links.Linker`) makes ids unique across the book and
    resolves links to other chapters; what is dropped or goes nowhere is a warning, an error when ``strict``.
    ``source``: the Markdown with pandoc's code and raw HTML set aside, where a diagnostic finds its line."""
    language = manuscript.config.language
    if isinstance(root, str):
        root = lxml_html.fragment_fromstring(root or "<p></p>", create_parent="div")
    source = source or SourceMap(body, chapter.body_line, None)
    report = diags.error if strict else diags.warning
    treepasses.task_boxes(root)  # before the sanitiser, which refuses <input>
    for what, needle in _sanitize(root):
        report(chapter.path, source.line(needle, fold=True, raw=True), f"{what} is not allowed in a book and was dropped", "html.refused")
    line = source.line
    depth, deep = deepest(root)
    if depth > MAX_NESTING:
        text = " ".join(deep.text_content().split())[:40]
        diags.error(chapter.path, line(text) if text else chapter.body_line,
                    f"the text is nested {depth} levels deep (blockquotes, lists, <div>s…); a book can lay out {MAX_NESTING}", "chapter.nesting")
        root = lxml_html.fragment_fromstring("<p></p>", create_parent="div")  # reported: nothing deeper is processed
    _prepare(root, chapter, body, manuscript, line, report, linker)
    if not chapter.generate:
        mark_names(root, manuscript.register)  # every mention of a registered name goes into the index
    walk = _Walk(chapter, manuscript, diags, line, pdates.DateStyle.for_language(language.tag), linker, report, strict)
    for el in list(root.iter()):  # a list: the walk drops refused pictures and unwraps dead links
        if isinstance(el.tag, str):
            walk.visit(el)
    treepasses.separate_adjacent_notes(root, language.list_separator)
    return _converted(chapter, root, walk, language.tag)


def _prepare(root, chapter: Chapter, body: str, manuscript: Manuscript, line, report, linker) -> None:
    """The passes before the walk (:mod:`ketab.treepasses`): code, headings, equations, structure, ids, numbers, citations."""
    treepasses.tidy_code(root, chapter.id)
    treepasses.wrap_code(root, treepasses.code_columns(manuscript.config))
    treepasses.demote_headings(root)
    treepasses.equations(root)
    treepasses.repair_structure(root, chapter, line, report)
    _unique_ids(root, chapter, body, linker, report)
    if linker is not None:
        treepasses.number_references(root, chapter, linker, manuscript.config.language, line, report)
    treepasses.citations(root, chapter, manuscript, line, report)
    treepasses.localize_citations(root, manuscript.config.language)


def _unique_ids(root, chapter: Chapter, body: str, linker, report) -> None:
    """Ids renamed where an earlier chapter has them (``linker``); an id used twice in the chapter loses its second."""
    if linker is not None:
        for el in root.iter():
            if isinstance(el.tag, str) and el.get("id") and not el.get("id").startswith(chapter.id + "-cb"):
                el.set("id", linker.new_id(chapter.id, el.get("id")))
    seen: set = set()
    for el in root.iter():
        if not isinstance(el.tag, str) or not el.get("id"):
            continue
        ident = el.get("id")
        if ident in seen:
            pos = max(body.rfind(f'id="{ident}"'), body.rfind("#" + ident))  # the later one is the second
            where = chapter.body_line + body.count("\n", 0, pos) if pos >= 0 else chapter.body_line
            report(chapter.path, where, f"id {ident!r} is used twice in the chapter: the second is dropped", "id.duplicate")
            del el.attrib["id"]
        else:
            seen.add(ident)


BLOCKS = ("p", "li", "dt", "blockquote", "figure")
"""Blocks that get an id (the EPUB's page-list anchors: where print pages begin)."""
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


@dataclass
class _Walk:
    """What one pass over a chapter's HTML numbers, rewrites and collects."""

    chapter: Chapter
    manuscript: Manuscript
    diags: Collector
    line: object
    """Markdown text → its line in the chapter file."""
    style: object
    """How dates are written in the book's language."""
    linker: object = None
    """The book's :class:`ketab.links.Linker` (None: links are left as pandoc wrote them)."""
    report: object = None
    """``diags.warning``, or ``diags.error`` when the build is strict."""
    strict: bool = False
    notes: int = 0
    blocks: int = 0
    sections: int = 0
    marks: list = field(default_factory=list)
    links: list = field(default_factory=list)
    images: list = field(default_factory=list)
    reported_links: set = field(default_factory=set)

    def visit(self, el) -> None:
        classes = (el.get("class") or "").split()
        if el.tag == "pre":
            el.set("dir", "ltr")  # code reads left to right in any book
        if el.tag == "table" and any("width" in (c.get("style") or "") for c in el.iter("col")):
            el.set("class", " ".join(classes + ["wide"]))  # pandoc gave the columns relative widths: use the measure
        if el.tag == "ol" and (el.get("start") or "").lstrip("-").isdigit():
            el.set("style", f"counter-reset: list-item {int(el.get('start')) - 1}")  # WeasyPrint ignores start=
        if el.tag in BLOCKS and not el.get("id"):
            self.blocks += 1
            el.set("id", f"{self.chapter.id}-p{self.blocks}")
        if el.tag in HEADINGS:
            self.sections += 1
            if not el.get("id"):
                el.set("id", f"{self.chapter.id}-s{self.sections}")
            el.set("data-level", el.tag[1])
        if el.tag == "span" and "note" in classes:
            self.note(el)
        elif el.tag == "span" and ("shamsi" in classes or "miladi" in classes):
            self.date(el, "shamsi" if "shamsi" in classes else "miladi")
        elif el.tag == "span" and "idx" in classes:
            self.index_mark(el)
        elif el.tag == "img":
            self.image(el)
        if el.tag == "a" and el.get("href") is not None:
            self.link(el, classes)

    def image(self, el) -> None:
        image = _check_image(el, self.chapter, self.manuscript, self.line, self.diags, self.strict)
        if image:
            self.images.append(image)
        elif el.getparent() is not None:  # refused (said): the picture is left out (no img without src in the EPUB)
            el.drop_tree()

    def link(self, el, classes) -> None:
        href = el.get("href")
        if self.linker is None:
            target, why = (href, None)
        else:
            target, why = self.linker.resolve(self.chapter.id, self.chapter.rel, href)
        if target is None:
            where = self.line(href) if href else self.line(el.text_content())
            if (where, href) not in self.reported_links:
                self.reported_links.add((where, href))
                (self.report or self.diags.warning)(self.chapter.path, where, f"link to {href!r} goes nowhere: {why}; its text is kept without the link",
                                                    "link.undefined")
            treepasses.unwrap(el)
        elif target.startswith("#"):
            el.set("href", target)
            self.links.append(target[1:])
            nopage = ["nopage"] if el.attrib.pop("data-nopage", None) is not None else []
            el.set("class", " ".join(classes + ["xref"] + nopage))

    def note(self, el) -> None:
        self.notes += 1
        el.set("id", f"{self.chapter.id}-n{self.notes}")
        el.set("data-n", str(self.notes))
        kind = el.attrib.pop("kind", None) or el.get("data-kind") or "author"
        el.set("data-kind", kind)
        labels = self.manuscript.config.language.labels
        suffix = {"translator": labels.translator_note, "editor": labels.editor_note}.get(kind)
        if suffix:
            tail = etree.SubElement(el, "span", {"class": "note-sign"})
            tail.text = suffix
            tail.tail = None
            # one space between the note's text and its sign
            prev = tail.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "").rstrip() + " "
            else:
                el.text = (el.text or "").rstrip() + " "

    def date(self, el, kind: str) -> None:
        text = el.text_content()
        try:
            rendered = pdates.render_date(text, kind, self.style, el.get("data-supplied"))
        except pdates.DateError as exc:
            self.diags.error(self.chapter.path, self.line(f"[{text}]{{.{kind}", text), f"date [{text}]{{.{kind}}}: {exc.message}", "date.invalid")
            return
        new = lxml_html.fragment_fromstring(rendered.html())
        new.tail = el.tail
        el.getparent().replace(el, new)

    def index_mark(self, el) -> None:
        mark_id = f"{self.chapter.id}-x{len(self.marks) + 1}"
        entry = el.attrib.pop("entry", None) or el.get("data-entry") or el.text_content()
        el.set("data-entry", entry)
        el.set("id", el.get("id") or mark_id)
        self.marks.append(IndexMark(el.get("id"), " ".join(entry.split())))


def _converted(chapter: Chapter, root, walk: _Walk, tag: str) -> ConvertedChapter:
    """The walked chapter as a ConvertedChapter: its anchors, blocks and headings, localised."""
    anchors = [chapter.id, f"{chapter.id}-title"]  # the template's section and heading
    anchors += [el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")]
    blocks_in_order = [chapter.id] + [
        el.get("id") for el in root.iter(*BLOCKS, *HEADINGS)
        if el.get("id") and not any("note" in (a.get("class") or "").split() for a in el.iterancestors())
    ]
    headings = [Heading(int(h.tag[1]), h.get("id"), " ".join(h.text_content().split()), inner_html(h)) for h in root.iter(*HEADINGS)]
    return ConvertedChapter(
        chapter=chapter,
        html=bidi.localize_html(inner_html(root), tag),
        headings=tuple(Heading(h.level, h.id, h.text, bidi.localize_html(h.html, tag)) for h in headings),
        notes=walk.notes,
        index_marks=tuple(walk.marks),
        anchors=tuple(anchors),
        blocks=tuple(blocks_in_order),
        links=tuple(walk.links),
        images=tuple(walk.images),
        title_html=bidi.isolate_text(chapter.title, tag) if chapter.title else "",
    )


def _sanitize(root) -> list[tuple[str, str]]:
    """Nothing that could run code or fetch a resource reaches an output (:func:`ketab.sanitize.sanitize_html`).

    Media pandoc writes for ``![…](file)`` when the file is not an image (``embed``, ``video``, ``audio``) become
    ``img`` first, so that :func:`_check_image` checks and reports them.  Returns what was dropped: (what, text
    to look for in the Markdown), once per kind of thing."""
    dropped: dict[str, str] = {}
    for el in list(root.iter("embed", "video", "audio")):
        if el.get("src") is not None and el.getparent() is not None:
            dropped.setdefault(f"<{el.tag}>", f"<{el.tag}")
            img = el.makeelement("img", {"src": el.get("src"), "alt": ""})
            img.tail = el.tail
            el.getparent().replace(el, img)
    for what, needle in sanitize_html(root):
        dropped.setdefault(what, needle)
    return list(dropped.items())


def _check_image(el, chapter: Chapter, manuscript: Manuscript, line, diags: Collector, strict: bool = False) -> Image | None:
    """An image is a real image file inside the manuscript; on any problem its ``src`` is removed."""
    from urllib.parse import quote, unquote

    src = el.attrib.pop("src", None) or ""  # set again below, to the checked file, when all is well
    if not el.get("alt"):
        el.set("alt", "")
    name = unquote(src).strip()  # pandoc writes a space in a file name as %20
    # the picture's own line: its Markdown or HTML form first, a mere mention of the name last
    needles = (f"]({src}", f"]({name}", f'"{src}"', f"'{src}'", f"={src}", src, name)
    where = line(next((n for n in needles if n and n in chapter.body), name))
    if re.match(r"^[a-z][a-z0-9+.-]*:", name, re.I):
        report = diags.error if strict else diags.warning
        report(chapter.path, where, f"image {src!r}: only files inside the manuscript can be used; dropped", "image.remote")
        return None
    if not name or "\x00" in name:
        diags.error(chapter.path, where, f"image {src!r} does not exist", "image.missing")
        return None
    rel = (Path(chapter.rel).parent / name).as_posix() if chapter.generate is None else name
    try:
        path = safe_path(manuscript.root, rel)
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a name too long
        path = None
    if path is None:
        diags.error(chapter.path, where, f"image {src!r} is outside the manuscript folder", "image.outside")
        return None
    media = IMAGE_TYPES.get(path.suffix.lower())
    rel_to_root = path.relative_to(manuscript.root.resolve()).as_posix()
    try:
        data = safeio.read_bytes(manuscript.root, rel_to_root, "image")
    except safeio.Refused as exc:
        if exc.reason == "too-large":
            diags.error(chapter.path, where, f"image {src!r}: {exc.message}", "image.too-large")
        else:  # a folder, a FIFO, a device, unreadable
            diags.error(chapter.path, where, f"image {src!r} does not exist", "image.missing")
        return None
    if path.suffix.lower() == ".svgz":  # checked as the SVG it holds (and a gzip bomb refused)
        unpacked = unpack_svgz(data)
        if unpacked is None:
            diags.error(chapter.path, where, f"image {src!r}: not a gzip-compressed SVG, or one that unpacks to more than 20 MB", "image.broken")
            return None
        data = unpacked
    head = data[:65536]
    magic = {
        "image/png": head.startswith(_IMAGE_MAGIC[0]),
        "image/jpeg": head.startswith(_IMAGE_MAGIC[1]),
        "image/gif": head.startswith(_IMAGE_MAGIC[2:4]),
        "image/webp": head[:4] == b"RIFF" and head[8:12] == b"WEBP",
        "image/svg+xml": head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and b"<svg" in head,
    }
    if media is None or not magic[media]:
        diags.error(chapter.path, where, f"{src!r} is not an image (PNG, JPEG, GIF, WebP or SVG)", "image.type")
        return None
    problem = picture_problem(data, media)
    if problem is not None:
        code, message = problem
        diags.error(chapter.path, where, f"image {src!r}: {message}", code)
        return None
    el.set("src", quote(rel_to_root))
    return Image(rel_to_root, media)


def check_references(converted, diags: Collector, sources=None) -> None:
    """Ids unique across the book; every internal link has a target (``sources``: chapter id → SourceMap)."""
    sources = sources or {}

    def line(cc, needle):
        return (sources.get(cc.chapter.id) or SourceMap(cc.chapter.body, cc.chapter.body_line, None)).line(needle)

    owner: dict[str, ConvertedChapter] = {}
    for cc in converted:
        for anchor in cc.anchors:
            if anchor in owner and owner[anchor] is not cc:
                diags.error(
                    cc.chapter.path,
                    line(cc, "#" + anchor),
                    f"id {anchor!r} is already used in {owner[anchor].chapter.rel}",
                    "id.duplicate",
                )
            owner.setdefault(anchor, cc)
    for cc in converted:
        for target in dict.fromkeys(cc.links):
            if target not in owner:
                diags.error(
                    cc.chapter.path,
                    line(cc, "#" + target),
                    f"link to #{target}, which no chapter defines",
                    "link.undefined",
                )
