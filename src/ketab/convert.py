"""Stage 2 — convert each chapter with pandoc, then read what it produced.

Each chapter is converted on its own (no footnote cross-talk), with
``--wrap=none`` (a newline inside a WeasyPrint footnote is a forced break) and
ketab's Lua filter.  The HTML is then walked once with lxml to collect headings,
notes, index marks, anchors and links, to render date markup, and to isolate
Latin runs and localise digits.  The result is a frozen :class:`ConvertedChapter`.
"""

from __future__ import annotations

import html as htmllib
import os
import posixpath
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pypandoc
from lxml import etree
from lxml import html as lxml_html

from ketab import links
from ketab.cache import digest
from ketab.diagnostics import Collector
from ketab.manuscript import Chapter, Manuscript, safe_path
from ketab.persian import bidi
from ketab.persian import dates as pdates

FILTER = Path(__file__).parent / "filters" / "notes.lua"
PANDOC_FROM = "markdown-raw_attribute"
PANDOC_ARGS = ("--wrap=none", "--eol=lf", "--mathml", f"--lua-filter={FILTER}")
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".svg": "image/svg+xml",
               ".svgz": "image/svg+xml", ".webp": "image/webp"}
MAX_PIXELS = 60_000_000  # a picture larger than this is taken for a decompression bomb
MAX_SVG_BYTES = 20_000_000  # an unpacked .svgz larger than this, too
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF")
_ALLOWED_TAGS_DROP = ("script", "iframe", "object", "embed", "form", "input", "button", "textarea", "select", "style", "link", "meta", "base", "frame", "frameset", "applet", "audio", "video", "source")


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


def pandoc_version() -> str:
    return pypandoc.get_pandoc_version()


def convert_chapters(manuscript: Manuscript, markdown_for=None, cache=None, stats=None, strict: bool = False):
    """Convert every written chapter: (ConvertedChapter…, warnings).

    pandoc runs once per chapter, in parallel, and only for Markdown it has not
    converted before (``cache``).  ``markdown_for(chapter)`` supplies the
    Markdown of generated parts.  ``stats`` (a dict) counts conversions.
    A chapter that uses references defined in other chapters is converted a
    second time with those definitions appended (see :mod:`ketab.links`).
    What is dropped or cannot be linked is a warning (an error when ``strict``).
    """
    diags = Collector()
    chapters = manuscript.chapters
    bodies = [markdown_for(ch) if ch.generate else ch.body for ch in chapters]
    args, salt = _citeproc_args(manuscript, diags)
    extras = [args + (("--metadata=suppress-bibliography=true",) if args and ch.generate != "references"
                      and any(c.generate == "references" for c in chapters) else ()) for ch in chapters]
    diags.raise_if_errors()
    converted_ids: list = []
    htmls = _pandoc_all(bodies, cache, converted_ids, extras, salt)
    labels = [None if ch.generate else links.read_labels(body) for ch, body in zip(chapters, bodies)]
    headings = [_heading_ids(h) if isinstance(h, str) else [] for h in htmls]
    extra = _borrowed_definitions(chapters, labels, headings)
    again = [i for i, defs in enumerate(extra) if defs]
    if again:
        for i, html in zip(again, _pandoc_all([bodies[i] + "\n\n" + "\n".join(extra[i]) + "\n" for i in again], cache, None,
                                              [extras[i] for i in again], salt)):
            htmls[i] = html
    if stats is not None:
        stats["converted"] = [chapters[i].id for i in sorted(set(converted_ids))]
    trees = {}
    for i, (chapter, result) in enumerate(zip(chapters, htmls)):
        if isinstance(result, Exception):
            diags.error(chapter.path, chapter.body_line, f"pandoc failed: {result}", "pandoc.error")
            continue
        trees[i] = lxml_html.fragment_fromstring(result or "<p></p>", create_parent="div")
        _equations(trees[i])
    linker = links.Linker([
        (chapters[i].id, chapters[i].rel, [el.get("id") for el in tree.iter() if isinstance(el.tag, str) and el.get("id") and not _CODE_ID.match(el.get("id"))],
         chapters[i].title)
        for i, tree in trees.items()
    ])
    _report_written_duplicates(chapters, bodies, trees, linker, diags.error if strict else diags.warning)
    converted = [read_html(chapters[i], bodies[i], tree, manuscript, diags, linker, strict) for i, tree in trees.items()]
    check_references(converted, diags)
    diags.raise_if_errors()
    return tuple(converted), tuple(diags.items)


_CODE_ID = re.compile(r"^cb\d+(-\d+)?$")


def _report_written_duplicates(chapters, bodies, trees, linker, report) -> None:
    """An id the author wrote (``{#x}``) that an earlier chapter already has: renamed, and said (a link to ``#x``
    goes to the first).  pandoc's own ids are renamed quietly."""
    for i in trees:
        ch = chapters[i]
        for old, new in linker.renamed.get(ch.id, {}).items():
            if old == new:
                continue
            m = re.search(r"\{[^{}\n]*#" + re.escape(old) + r"(?=[\s}])", bodies[i])
            if m is None:
                continue
            owner = linker.owner.get(old)
            first = next((c.rel for c in chapters if c.id == owner), owner)
            report(ch.path, ch.body_line + bodies[i].count("\n", 0, m.start()),
                   f"id {old!r} is already used in {first}: here it becomes {new!r}", "id.duplicate")


def _citeproc_args(manuscript: Manuscript, diags: Collector) -> tuple[tuple[str, ...], bytes]:
    """pandoc's citeproc options for the book's ``bibliography:`` and ``csl:``, and the bytes they bring in
    (for the cache key).  Only files inside the manuscript folder are read."""
    config = manuscript.config
    if not config.bibliography:
        return (), b""
    args, salt = ["--citeproc", f"--metadata=lang={config.language.tag}", "--metadata=link-citations=true"], b""
    for key, rels in (("bibliography", config.bibliography), ("csl", (config.csl,) if config.csl else ())):
        for rel in rels:
            path = safe_path(manuscript.root, rel)
            if path is None or not path.is_file():
                diags.error(config.path, config.lines.get((key,), 1), f"{key} file {rel!r} not found in the manuscript", "citation.file")
                continue
            args.append(f"--{key}={path}")
            salt += path.read_bytes()
    return tuple(args), salt


def _pandoc_all(bodies, cache, converted: list | None, extras=None, salt: bytes = b"") -> list:
    """pandoc's HTML for each Markdown body (or the exception it raised), from the cache where it can."""
    extras = extras or [()] * len(bodies)
    keys = [digest("pandoc", PANDOC_FROM, *PANDOC_ARGS[:-1], *extra, salt, FILTER.read_bytes(), body) for body, extra in zip(bodies, extras)]
    htmls: list = [None] * len(bodies)
    if cache is not None:
        for i, key in enumerate(keys):
            blob = cache.get("pandoc", key)
            htmls[i] = blob.decode("utf-8") if blob is not None else None
    missing = [i for i, h in enumerate(htmls) if h is None]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        for i, html in zip(missing, pool.map(_run_pandoc_safely, [bodies[i] for i in missing], [extras[i] for i in missing])):
            htmls[i] = html
            if cache is not None and isinstance(html, str):
                cache.put("pandoc", keys[i], html.encode("utf-8"))
    if converted is not None:
        converted.extend(missing)
    return htmls


def _heading_ids(html: str) -> list[tuple[str, str]]:
    """(id, plain text) of each heading pandoc wrote, in order."""
    root = lxml_html.fragment_fromstring(html or "<p></p>", create_parent="div")
    return [(h.get("id") or "", " ".join(h.text_content().split())) for h in root.iter("h1", "h2", "h3", "h4", "h5", "h6")]


def _loose(text: str) -> str:
    text = re.sub(r"\]\([^)]*\)", "", text)  # a link's destination is not part of the heading's text
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _borrowed_definitions(chapters, labels, headings) -> list[list[str]]:
    """For each chapter, the reference definitions it uses but another chapter holds."""
    offered: dict[str, tuple[int, str | None, str | None]] = {}  # key → (chapter index, definition line | None, heading id)
    for i, (ch, lab) in enumerate(zip(chapters, labels)):
        if lab is None:
            continue
        for key, line in lab.definitions.items():
            offered.setdefault(key, (i, line, None))
        html_headings, at = headings[i], 0
        for text in lab.headings:
            loose = _loose(text)
            for j in range(at, len(html_headings)):
                if _loose(html_headings[j][1]) == loose and html_headings[j][0]:
                    offered.setdefault(links.label_key(text), (i, None, html_headings[j][0]))
                    at = j + 1
                    break
        if ch.title:
            offered.setdefault(links.label_key(ch.title), (i, None, ""))
    out = []
    for i, (ch, lab) in enumerate(zip(chapters, labels)):
        defs = []
        if lab is not None:
            own = set(lab.definitions) | {links.label_key(t) for t in lab.headings}
            for key, label in lab.uses.items():
                if key in own or key not in offered or offered[key][0] == i:
                    continue
                j, line, ident = offered[key]
                if line is not None:
                    defs.append(line)
                else:
                    rel = posixpath.relpath(chapters[j].rel, posixpath.dirname(ch.rel) or ".")
                    defs.append(f"[{label}]: <{rel}{'#' + ident if ident else ''}>")
        out.append(defs)
    return out


def _run_pandoc_safely(markdown: str, extra=()):
    try:
        return run_pandoc(markdown, extra)
    except RuntimeError as exc:
        return exc


def run_pandoc(markdown: str, extra=()) -> str:
    return pypandoc.convert_text(markdown, "html5", format=PANDOC_FROM, extra_args=[*PANDOC_ARGS, *extra])


def read_html(chapter: Chapter, body: str, root, manuscript: Manuscript, diags: Collector, linker=None, strict: bool = False) -> ConvertedChapter:
    """Walk pandoc's HTML (an lxml tree, changed in place) once: ids, notes, index, dates, images, links, safety, bidi."""
    language = manuscript.config.language
    if isinstance(root, str):
        root = lxml_html.fragment_fromstring(root or "<p></p>", create_parent="div")
    report = diags.error if strict else diags.warning
    line = _line_finder(body, chapter.body_line)
    _task_boxes(root)
    for what, needle in _sanitize(root):
        report(chapter.path, _raw_html_line(body, chapter.body_line, needle), f"{what} is not allowed in a book and was dropped", "html.refused")
    _tidy_code(root, chapter.id)
    _wrap_code(root, code_columns(manuscript.config))
    _demote_headings(root)
    _equations(root)
    _repair_structure(root, chapter, line, report)
    style = pdates.DateStyle.for_language(language.tag)
    if linker is not None:
        for el in root.iter():
            if isinstance(el.tag, str) and el.get("id") and not el.get("id").startswith(chapter.id + "-cb"):
                el.set("id", linker.new_id(chapter.id, el.get("id")))

    seen_ids: set = set()
    for el in root.iter():
        if isinstance(el.tag, str) and el.get("id"):
            if el.get("id") in seen_ids:
                ident = el.get("id")
                pos = max(body.rfind(f'id="{ident}"'), body.rfind("#" + ident))  # the later one is the second
                where = chapter.body_line + body.count("\n", 0, pos) if pos >= 0 else chapter.body_line
                report(chapter.path, where, f"id {ident!r} is used twice in the chapter: the second is dropped", "id.duplicate")
                del el.attrib["id"]
            else:
                seen_ids.add(el.get("id"))
    if linker is not None:
        _number_references(root, chapter, linker, language, line, report)
    _citations(root, chapter, manuscript, line, report)
    reported_links: set = set()
    headings, notes, marks, anchors, links_, images, blocks, sections = [], 0, [], [], [], [], 0, 0
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        classes = (el.get("class") or "").split()
        if el.tag == "pre":
            el.set("dir", "ltr")  # code reads left to right in any book
        if el.tag == "table" and any("width" in (c.get("style") or "") for c in el.iter("col")):
            el.set("class", " ".join(classes + ["wide"]))  # pandoc gave the columns relative widths: use the measure
        if el.tag == "ol" and (el.get("start") or "").lstrip("-").isdigit():
            el.set("style", f"counter-reset: list-item {int(el.get('start')) - 1}")  # WeasyPrint ignores start=
        if el.tag in ("p", "li", "dt", "blockquote", "figure") and not el.get("id"):
            blocks += 1
            el.set("id", f"{chapter.id}-p{blocks}")  # page-list anchors: where print pages begin
        if el.tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            sections += 1
            if not el.get("id"):
                el.set("id", f"{chapter.id}-s{sections}")
            el.set("data-level", el.tag[1])
        if el.tag == "span" and "note" in classes:
            notes += 1
            el.set("id", f"{chapter.id}-n{notes}")
            el.set("data-n", str(notes))
            kind = el.attrib.pop("kind", None) or el.get("data-kind") or "author"
            el.set("data-kind", kind)
            suffix = {"translator": language.labels.translator_note, "editor": language.labels.editor_note}.get(kind)
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
        elif el.tag == "span" and ("shamsi" in classes or "miladi" in classes):
            kind = "shamsi" if "shamsi" in classes else "miladi"
            text = el.text_content()
            try:
                rendered = pdates.render_date(text, kind, style)
            except pdates.DateError as exc:
                diags.error(chapter.path, line(text), f"date [{text}]{{.{kind}}}: {exc.message}", "date.invalid")
                continue
            new = lxml_html.fragment_fromstring(rendered.html())
            new.tail = el.tail
            el.getparent().replace(el, new)
        elif el.tag == "span" and "idx" in classes:
            mark_id = f"{chapter.id}-x{len(marks) + 1}"
            entry = el.attrib.pop("entry", None) or el.get("data-entry") or el.text_content()
            el.set("data-entry", entry)
            el.set("id", el.get("id") or mark_id)
            marks.append(IndexMark(el.get("id"), " ".join(entry.split())))
        elif el.tag == "img":
            image = _check_image(el, chapter, manuscript, line, diags, strict)
            if image:
                images.append(image)
            elif el.getparent() is not None:  # refused (said above): the picture is left out
                el.drop_tree()
        if el.tag == "a" and el.get("href") is not None:
            href = el.get("href")
            target, why = linker.resolve(chapter.id, chapter.rel, href) if linker is not None else (href, None)
            if target is None:
                where = line(href) if href else line(el.text_content())
                if (where, href) not in reported_links:
                    reported_links.add((where, href))
                    report(chapter.path, where, f"link to {href!r} goes nowhere: {why}; its text is kept without the link", "link.undefined")
                _unwrap(el)
            elif target.startswith("#"):
                el.set("href", target)
                links_.append(target[1:])
                el.set("class", " ".join(classes + ["xref"] + (["nopage"] if el.attrib.pop("data-nopage", None) is not None else [])))
    _undefined_notes(root, chapter, line, diags)
    _separate_adjacent_notes(root, "،" if language.is_rtl else ",")
    anchors.extend([chapter.id, f"{chapter.id}-title"])  # the template's section and heading
    for el in root.iter():
        if isinstance(el.tag, str) and el.get("id"):
            anchors.append(el.get("id"))
    blocks_in_order = [chapter.id] + [
        el.get("id") for el in root.iter("p", "li", "dt", "blockquote", "figure", "h1", "h2", "h3", "h4", "h5", "h6")
        if el.get("id") and not any("note" in (a.get("class") or "").split() for a in el.iterancestors())
    ]
    for h in root.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        headings.append(Heading(int(h.tag[1]), h.get("id"), " ".join(h.text_content().split()), inner_html(h)))

    body_html = inner_html(root)
    body_html = bidi.localize_html(body_html, language.tag)
    title_html = bidi.isolate_text(chapter.title, language.tag) if chapter.title else ""
    return ConvertedChapter(
        chapter=chapter,
        html=body_html,
        headings=tuple(Heading(h.level, h.id, h.text, bidi.localize_html(h.html, language.tag)) for h in headings),
        notes=notes,
        index_marks=tuple(marks),
        anchors=tuple(anchors),
        blocks=tuple(blocks_in_order),
        links=tuple(links_),
        images=tuple(images),
        title_html=title_html,
    )


def _citations(root, chapter, manuscript, line, report) -> None:
    """``[@key]`` that citeproc could not resolve (or that no bibliography could) is said, never printed silently;
    a resolved citation links to its entry in the book's references part (citeproc links only within a chapter)."""
    referenced = any(c.generate == "references" for c in manuscript.chapters)
    for cite in list(root.iter("span")):
        if "citation" not in (cite.get("class") or "").split():
            continue
        keys = (cite.get("data-cites") or "").split()
        if not manuscript.config.bibliography:
            report(chapter.path, line("@" + keys[0]) if keys else chapter.body_line,
                   f"citation {cite.text_content()!r}: book.yaml names no bibliography", "citation.undefined")
            continue
        unresolved = False
        for strong in cite.iter("strong"):
            missing = (strong.text or "").rstrip("?")
            if (strong.text or "").endswith("?") and missing in keys:
                unresolved = True
                report(chapter.path, line("@" + missing), f"citation @{missing} is not in the bibliography", "citation.undefined")
        if referenced and keys and not unresolved and next(cite.iter("a"), None) is None and chapter.generate != "references":
            a = cite.makeelement("a", {"href": f"#ref-{keys[0]}", "role": "doc-biblioref", "data-nopage": ""})
            a.text, cite.text = cite.text, None
            for child in list(cite):
                a.append(child)
            cite.append(a)


def _task_boxes(root) -> None:
    """A task list's check boxes (``<input type=checkbox>``, which a book cannot hold) become drawn boxes."""
    for box in list(root.iter("input")):
        if (box.get("type") or "").lower() != "checkbox" or box.getparent() is None:
            continue
        span = box.makeelement("span", {"class": "task-box" + (" done" if box.get("checked") is not None else ""), "role": "img",
                                        "aria-label": "done" if box.get("checked") is not None else "to do"})
        span.text = "\u2713" if box.get("checked") is not None else "\u00a0"
        span.tail = box.tail
        box.getparent().replace(box, span)


CODE_MARK = "\u2192"  # → (Vazir Code has it): a wrapped code line goes on after it
MONO_ADVANCE = 0.602  # Vazir Code's advance width, in em


def code_columns(config) -> int:
    """How many characters of code fit on a line of the print page: the measure (the trim less the margins of
    templates/print/print.css.j2), less the code block's padding and border (templates/book.css)."""
    measure_pt = (config.trim.width - 35) * 72 / 25.4
    size_pt = (11 if config.language.is_rtl else 10.5) * 0.8
    return max(20, int((measure_pt - 1.2 * size_pt - 2) / (MONO_ADVANCE * size_pt)) - 1)


_INDENT_COLUMNS = 4  # a list item, definition or quotation indents by 1.6em of text: about four code characters


def _wrap_code(root, columns: int) -> None:
    """Code lines longer than the page's measure are broken, the rest going on a new line after a mark (→)."""
    import unicodedata

    def width(ch):
        return 0 if unicodedata.combining(ch) or ch in "\u200c\u200d\u200e\u200f" else 1

    def split(text, col):
        pieces, current = [], ""
        for ch in text:
            if ch == "\n":
                current += ch
                col = 0
                continue
            w = width(ch)
            if col + w > columns:
                pieces.append(current)
                current, col = "", 2
            current += ch
            col += w
        pieces.append(current)
        return pieces, col

    def mark(el):
        m = el.makeelement("span", {"class": "code-cont", "aria-hidden": "true"})
        m.text = CODE_MARK + " "
        return m

    def walk(el, col):
        pieces, col = split(el.text or "", col)
        el.text = pieces[0]
        for n, piece in enumerate(pieces[1:]):
            m = mark(el)
            m.tail = piece
            el.insert(n, m)
            _newline_before(el, n)
        for child in list(el):
            if child.get("class") == "code-cont":
                continue
            col = walk(child, col)
            pieces, col = split(child.tail or "", col)
            child.tail = pieces[0]
            anchor = child
            for piece in pieces[1:]:
                m = mark(el)
                m.tail = piece
                anchor.addnext(m)
                anchor.tail = (anchor.tail or "") + "\n"
                anchor = m
        return col

    full = columns
    for pre in root.iter("pre"):
        depth = sum(1 for a in pre.iterancestors() if a.tag in ("li", "dd", "blockquote", "td", "th"))
        columns = max(20, full - _INDENT_COLUMNS * depth)
        walk(pre, 0)


def _newline_before(el, index: int) -> None:
    """A line break before the continuation mark at ``el[index]``."""
    if index == 0:
        el.text = (el.text or "") + "\n"
    else:
        prev = el[index - 1]
        prev.tail = (prev.tail or "") + "\n"


def _equations(root) -> None:
    """pandoc-crossref's numbered equations: display math followed by ``{#eq:label}``."""
    for math in list(root.iter("math")):
        if math.get("display") != "block":
            continue
        m = re.match(r"\s*\{#(eq:[^\s{}]+)\}", math.tail or "")
        if not m:
            continue
        wrapper = math.makeelement("span", {"class": "equation", "id": m.group(1)})
        math.addprevious(wrapper)
        wrapper.tail = (math.tail or "")[m.end():]
        math.tail = None
        wrapper.append(math)


def _number_references(root, chapter, linker, language, line, report) -> None:
    """Numbered figures, tables and equations, and ``@fig:x`` references to them, as pandoc-crossref writes them."""
    labels = language.labels
    names = {"fig": labels.figure, "tbl": labels.table, "eq": labels.equation}
    for el in root.iter("figure", "table", "span"):
        ident = el.get("id") or ""
        kind = ident.split(":", 1)[0]
        number = linker.numbers.get(ident)
        if number is None:
            continue
        number = language.digits(number)
        if el.tag == "figure":
            cap = next(el.iter("figcaption"), None)
            if cap is not None:
                cap.attrib.pop("aria-hidden", None)
                _prefix_caption(cap, f"{names[kind]} {number}")
        elif el.tag == "table":
            cap = next(el.iter("caption"), None)
            if cap is None:
                cap = el.makeelement("caption", {})
                el.insert(0, cap)
            _prefix_caption(cap, f"{names[kind]} {number}")
        elif "equation" in (el.get("class") or "").split():
            num = el.makeelement("span", {"class": "equation-number"})
            num.text = f"({number})"
            el.append(num)
    for cite in list(root.iter("span")):
        if "citation" not in (cite.get("class") or "").split():
            continue
        keys = (cite.get("data-cites") or "").split()
        if not keys or not all(k.split(":", 1)[0] in names and ":" in k for k in keys):
            continue
        parts = []
        for key in keys:
            number = linker.numbers.get(key)
            if number is None:
                report(chapter.path, line("@" + key), f"@{key}: no figure, table or equation has this label", "xref.undefined")
                parts.append((None, f"??{key}"))
            else:
                number = language.digits(number)
                parts.append((key, f"{names[key.split(':', 1)[0]]} {number}" if not key.startswith("eq:") else f"({number})"))
        cite.attrib.clear()
        cite.set("class", "crossref")
        cite.text = None
        for child in list(cite):
            cite.remove(child)
        sep = labels.list_separator
        last = None
        for n, (key, text) in enumerate(parts):
            if n:
                if last is not None:
                    last.tail = sep
                else:
                    cite.text = (cite.text or "") + sep
            if key is None:
                if last is not None:
                    last.tail = (last.tail or "") + text
                else:
                    cite.text = (cite.text or "") + text
                continue
            a = cite.makeelement("a", {"href": "#" + key, "data-nopage": ""})  # a number, not a page, shows where
            a.text = text
            cite.append(a)
            last = a


def _prefix_caption(cap, label: str) -> None:
    strong = cap.makeelement("span", {"class": "caption-label"})
    strong.text = label + ": " if (cap.text or "").strip() or len(cap) else label
    strong.tail = cap.text
    cap.text = None
    cap.insert(0, strong)


def _unwrap(el) -> None:
    """Replace an element by its content."""
    parent = el.getparent()
    if parent is None:
        return
    el.drop_tag()


def _tidy_code(root, chapter_id: str) -> None:
    """pandoc's highlighted code: ``cb1`` ids made unique in the book, line anchors (``cb1-1``) removed.

    The line anchors are empty ``<a href="#cb1-1">`` links: kept, every code line would be a cross-reference
    (with a page number in print) and every chapter's ``cb1`` would collide."""
    for a in list(root.iter("a")):
        if _CODE_ID.match((a.get("href") or "#")[1:]) and a.get("aria-hidden") == "true":
            a.drop_tree() if not (a.text or len(a)) else a.drop_tag()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        ident = el.get("id") or ""
        if _CODE_ID.match(ident):
            if "-" in ident:
                del el.attrib["id"]
            else:
                el.set("id", f"{chapter_id}-{ident}")


def _demote_headings(root) -> None:
    """The chapter's title is its only level-1 heading: a body that uses ``#`` has its headings moved down a level."""
    if next(root.iter("h1"), None) is None:
        return
    for h in list(root.iter("h1", "h2", "h3", "h4", "h5", "h6")):
        level = int(h.tag[1])
        if level < 6:
            h.tag = f"h{level + 1}"
        else:
            h.set("aria-level", "7")


_UNDEFINED_NOTE = re.compile(r"\[\^([^\]\s]+)\]")


def _undefined_notes(root, chapter: Chapter, line, diags: Collector) -> None:
    """A note call pandoc found no definition for stays in the text as ``[^label]``."""
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("code", "pre") or any(a.tag in ("code", "pre") for a in el.iterancestors()):
            continue
        for text in (el.text, el.tail if el.getparent() is not None and el.getparent().tag not in ("code", "pre") else None):
            for m in _UNDEFINED_NOTE.finditer(text or ""):
                if any(d.code == "note.undefined" and d.path == chapter.path for d in diags.items):
                    continue
                diags.error(chapter.path, line(m.group(0)), f"footnote {m.group(0)} is never defined", "note.undefined")


_BLOCK_CONTEXT = {"figcaption": "figure", "caption": "table", "legend": "fieldset", "summary": "details", "dt": "dl", "dd": "dl", "li": None}


def _repair_structure(root, chapter: Chapter, line, report) -> None:
    """HTML that is not valid XHTML in a book is repaired, with a warning naming the line."""
    for el in list(root.iter("figcaption", "caption", "legend", "summary")):
        parent = el.getparent()
        if parent is not None and parent.tag != _BLOCK_CONTEXT[el.tag]:
            report(chapter.path, line(f"<{el.tag}"), f"<{el.tag}> outside <{_BLOCK_CONTEXT[el.tag]}> is not valid: kept as a paragraph", "html.repaired")
            el.tag = "p"
            el.set("class", (el.get("class", "") + " caption").strip())


def _separate_adjacent_notes(root, comma: str) -> None:
    """Two note calls with no text between them read as one number («۱۷۱۸»): put a comma between."""
    adjacent, previous, text_since = [], None, ""
    for event, el in etree.iterwalk(root, events=("start", "end")):
        if not isinstance(el.tag, str):
            continue
        is_note = el.tag == "span" and "note" in (el.get("class") or "").split()
        if event == "start":
            if is_note:
                if previous is not None and not text_since.strip():
                    adjacent.append(el)
                previous, text_since = el, ""
            elif previous is None or not _inside(el, previous):
                text_since += el.text or ""
        else:
            if previous is not None and (el is previous or not _inside(el, previous)):
                text_since += el.tail or ""
    for el in adjacent:
        sep = etree.Element("span", {"class": "note-sep"})
        sep.text = comma
        el.addprevious(sep)


def _inside(el, ancestor) -> bool:
    return any(a is ancestor for a in el.iterancestors())


def inner_html(el) -> str:
    out = htmllib.escape(el.text or "", quote=False)
    for child in el:
        out += etree.tostring(child, encoding="unicode", method="html")
    if 'href="#' in out and "%" in out:  # libxml2 percent-encodes a non-ASCII href: ids stay as pandoc made them
        out = _ENCODED_FRAGMENT.sub(lambda m: 'href="#' + htmllib.escape(unquote(m.group(1))) + '"', out)
    return out


_ENCODED_FRAGMENT = re.compile(r'href="#([^"]*%[0-9A-Fa-f]{2}[^"]*)"')


def _sanitize(root) -> list[tuple[str, str]]:
    """Defence in depth: nothing that could run code or fetch a resource reaches an output.

    ``check_body`` refuses the raw HTML it sees on Markdown lines; this pass makes the HTML safe whatever got
    past it.  Media pandoc writes for ``![…](file)`` when the file is not an image (``embed``, ``video``,
    ``audio``) become ``img``, so that :func:`_check_image` checks and reports them.  Refused elements, and
    ``svg``, ``math``, ``image`` (an HTML5 parser's alias of ``img``) and the like, are dropped with their
    content; so are comments and processing instructions (an HTML5 parser may end a comment where lxml does
    not).  Removed attributes: event handlers; ``javascript:``, ``vbscript:``, ``data:`` and ``file:`` URLs;
    ``rel=attachment`` (WeasyPrint would embed the target in the PDF); any other attribute naming a resource
    (``srcset``, ``poster``, ``background``, ``xlink:href``…); inline styles that could load something.
    ``img/@src`` is left to :func:`_check_image`.

    Returns what was dropped: (what, text to look for in the Markdown), once per kind of thing.
    """
    dropped_things: dict[str, str] = {}
    for el in list(root.iter("embed", "video", "audio")):
        if el.get("src") is not None and el.getparent() is not None:
            dropped_things.setdefault(f"<{el.tag}>", f"<{el.tag}")
            img = el.makeelement("img", {"src": el.get("src"), "alt": ""})
            img.tail = el.tail
            el.getparent().replace(el, img)
    dropped = _ALLOWED_TAGS_DROP + (
        "svg", "image", "noscript", "annotation-xml", "maction", "template", "noembed", "noframes", "xmp", "plaintext", "track", "param", "portal", "keygen",
    )
    for el in list(root.iter(*dropped, etree.Comment, etree.ProcessingInstruction)):
        if el.getparent() is not None:
            if isinstance(el.tag, str):
                dropped_things.setdefault(f"<{el.tag}>", f"<{el.tag}")
            el.drop_tree()
    resource_attributes = {
        "src", "srcset", "imagesrcset", "href", "xlink:href", "data", "poster", "background", "action", "formaction",
        "codebase", "classid", "archive", "longdesc", "lowsrc", "dynsrc", "usemap", "manifest", "ping", "profile", "icon",
    }
    loads_something = re.compile(r"url\(|image|attr\(|\\|expression|@import|/\*|src\s*\(|behavior|binding", re.I)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in list(el.attrib):
            name = attr.lower()
            if (el.tag, name) == ("img", "src"):
                continue
            value = el.get(attr) or ""
            scheme = re.sub(r"[\x00-\x20]+", "", value).lower()
            if name.startswith("on"):
                dropped_things.setdefault(f"the event handler {name}=", name)
            elif scheme.startswith(("javascript:", "vbscript:", "data:", "file:")):
                dropped_things.setdefault(f"a {scheme.split(':')[0]}: URL", scheme.split(":")[0] + ":")
            elif name in resource_attributes and (el.tag, name) != ("a", "href"):
                dropped_things.setdefault(f"the attribute {name}= on <{el.tag}>", f"{name}=")
            elif name == "rel" and "attachment" in value.lower():
                dropped_things.setdefault("rel=attachment", "attachment")
            elif name == "style" and loads_something.search(value):
                dropped_things.setdefault("a style that loads something", "style=")
            else:
                continue
            del el.attrib[attr]
    return list(dropped_things.items())


def _raw_html_line(body: str, body_line: int, needle: str) -> int:
    """The line of the Markdown where ``needle`` first stands outside code (else anywhere, else the body's start)."""
    low = needle.lower()
    for i, text in links.text_lines(body):
        if low in text.lower():
            return body_line + i
    pos = body.lower().find(low)
    return body_line + (body.count("\n", 0, pos) if pos >= 0 else 0)


def _line_finder(body: str, body_line: int):
    def line(needle: str) -> int:
        pos = body.find(needle) if needle else -1
        return body_line + (body.count("\n", 0, pos) if pos >= 0 else 0)

    return line


def _check_image(el, chapter: Chapter, manuscript: Manuscript, line, diags: Collector, strict: bool = False) -> Image | None:
    """An image is a real image file inside the manuscript; on any problem its ``src`` is removed."""
    from urllib.parse import quote, unquote

    src = el.attrib.pop("src", None) or ""  # set again below, to the checked file, when all is well
    if not el.get("alt"):
        el.set("alt", "")
    name = unquote(src).strip()  # pandoc writes a space in a file name as %20
    where = line(src) if src in chapter.body else line(name)
    if re.match(r"^[a-z][a-z0-9+.-]*:", name, re.I):
        (diags.error if strict else diags.warning)(chapter.path, where, f"image {src!r}: only files inside the manuscript can be used; dropped",
                                                   "image.remote")
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
    head = None
    try:
        if path.is_file():  # not a folder, a device or a FIFO
            with open(path, "rb") as f:
                head = f.read(65536)
    except OSError:  # unreadable, or a name too long
        head = None
    if head is None:
        diags.error(chapter.path, where, f"image {src!r} does not exist", "image.missing")
        return None
    if path.suffix.lower() == ".svgz":
        head = (unpack_svgz(path) or b"")[:65536]
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
    problem = undrawable(path, media)
    if problem:
        diags.error(chapter.path, where, f"picture {src!r} cannot be drawn: {problem}", "image.broken")
        return None
    rel_to_root = path.relative_to(manuscript.root.resolve()).as_posix()
    el.set("src", quote(rel_to_root))
    return Image(rel_to_root, media)


def unpack_svgz(path: Path) -> bytes | None:
    """The SVG inside a ``.svgz`` (gzip), or None when it is not gzip or unpacks to more than MAX_SVG_BYTES."""
    import gzip
    import zlib

    try:
        with gzip.open(path, "rb") as f:
            data = f.read(MAX_SVG_BYTES + 1)
    except (OSError, EOFError, zlib.error):
        return None
    return data if len(data) <= MAX_SVG_BYTES else None


def undrawable(path: Path, media: str) -> str | None:
    """Why a picture cannot be drawn (truncated, corrupt, a decompression bomb), or None when it can."""
    if media == "image/svg+xml":
        data = unpack_svgz(path) if path.suffix.lower() == ".svgz" else path.read_bytes()
        if data is None:
            return "not a gzip-compressed SVG, or one that unpacks to more than 20 MB"
        try:
            parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
            root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            return f"the SVG is not well-formed XML ({exc.msg})"
        if etree.QName(root).localname != "svg":
            return "the file is not an SVG picture"
        return None
    from PIL import Image as PILImage
    from PIL import ImageFile

    truncated_ok, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False  # WeasyPrint sets it
    try:
        with PILImage.open(path) as im:
            if im.width * im.height > MAX_PIXELS:
                return f"{im.width} × {im.height} pixels is too large (a decompression bomb?)"
            im.load()  # decodes every pixel: a truncated file fails here
    except PILImage.DecompressionBombError:
        return "too many pixels (a decompression bomb?)"
    except (OSError, SyntaxError, ValueError) as exc:
        return str(exc) or type(exc).__name__
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated_ok
    return None


def check_references(converted, diags: Collector) -> None:
    """Ids unique across the book; every internal link has a target."""
    owner: dict[str, ConvertedChapter] = {}
    for cc in converted:
        for anchor in cc.anchors:
            if anchor in owner and owner[anchor] is not cc:
                diags.error(
                    cc.chapter.path,
                    _line_finder(cc.chapter.body, cc.chapter.body_line)("#" + anchor),
                    f"id {anchor!r} is already used in {owner[anchor].chapter.rel}",
                    "id.duplicate",
                )
            owner.setdefault(anchor, cc)
    for cc in converted:
        for target in dict.fromkeys(cc.links):
            if target not in owner:
                diags.error(
                    cc.chapter.path,
                    _line_finder(cc.chapter.body, cc.chapter.body_line)("#" + target),
                    f"link to #{target}, which no chapter defines",
                    "link.undefined",
                )
