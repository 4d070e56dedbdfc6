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
import re
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pypandoc
from lxml import etree
from lxml import html as lxml_html

from ketab.cache import digest
from ketab.diagnostics import Collector
from ketab.manuscript import Chapter, Manuscript, safe_path
from ketab.persian import bidi
from ketab.persian import dates as pdates
from ketab import safeio
from ketab.register import mark_names
from ketab.sanitize import UnsafeSvg, clean_svg, sanitize_html

FILTER = Path(__file__).parent / "filters" / "notes.lua"
PANDOC_FROM = "markdown-auto_identifiers-raw_attribute"
PANDOC_ARGS = ("--wrap=none", "--eol=lf", f"--lua-filter={FILTER}")
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".svg": "image/svg+xml", ".webp": "image/webp"}
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


def pandoc_version() -> str:
    return pypandoc.get_pandoc_version()


def convert_chapters(manuscript: Manuscript, markdown_for=None, cache=None, stats=None):
    """Convert every written chapter: (ConvertedChapter…, warnings).

    pandoc runs once per chapter, in parallel, and only for Markdown it has not
    converted before (``cache``).  ``markdown_for(chapter)`` supplies the
    Markdown of generated parts.  ``stats`` (a dict) counts conversions.
    """
    diags = Collector()
    bodies = [markdown_for(ch) if ch.generate else ch.body for ch in manuscript.chapters]
    keys = [digest("pandoc", PANDOC_FROM, *PANDOC_ARGS[:-1], FILTER.read_bytes(), body) for body in bodies]
    htmls: list = [None] * len(bodies)
    if cache is not None:
        for i, key in enumerate(keys):
            blob = cache.get("pandoc", key)
            htmls[i] = blob.decode("utf-8") if blob is not None else None
    missing = [i for i, h in enumerate(htmls) if h is None]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        try:
            for i, html in zip(missing, pool.map(_run_pandoc_safely, [bodies[i] for i in missing])):
                htmls[i] = html
                if cache is not None and isinstance(html, str):
                    cache.put("pandoc", keys[i], html.encode("utf-8"))
        except BaseException:  # Ctrl-C, SIGTERM: the pandoc processes go with the build, at once
            pool.shutdown(wait=False, cancel_futures=True)
            kill_pandoc()
            raise
    if stats is not None:
        stats["converted"] = [manuscript.chapters[i].id for i in missing]
    converted = []
    for chapter, body, result in zip(manuscript.chapters, bodies, htmls):
        if isinstance(result, PandocTimeout):
            diags.error(chapter.path, chapter.body_line,
                        f"pandoc did not finish this chapter in {result.seconds:g} s (long runs of unmatched brackets or "
                        "emphasis marks make it search for ever); simplify or escape them", "pandoc.timeout")
            continue
        if isinstance(result, Exception):
            diags.error(chapter.path, chapter.body_line, f"pandoc failed: {result}", "pandoc.error")
            continue
        converted.append(read_html(chapter, body, result, manuscript, diags))
    check_references(converted, diags)
    from ketab.generate import check_chronology_quotes  # generate imports this module

    check_chronology_quotes(manuscript, converted, diags)
    diags.raise_if_errors()
    return tuple(converted), tuple(diags.items)


def _run_pandoc_safely(markdown: str):
    try:
        return run_pandoc(markdown)
    except RuntimeError as exc:
        return exc


PANDOC_TIMEOUT = 60.0
"""Seconds pandoc may take on one chapter (``KETAB_PANDOC_TIMEOUT`` overrides); a long book's chapter takes
well under one."""
PANDOC_MEMORY = "2g"
"""Heap limit of one pandoc (its runtime's ``-M``)."""


class PandocTimeout(RuntimeError):
    def __init__(self, seconds: float):
        super().__init__(f"pandoc took longer than {seconds:g} s")
        self.seconds = seconds


_RUNNING: set = set()
_RUNNING_LOCK = threading.Lock()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """pandoc is killed when the build dies, even by SIGKILL (Linux)."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


try:
    import ctypes

    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None
except (OSError, AttributeError):
    _PRCTL = None


def kill_pandoc() -> None:
    """Kill every pandoc this process is running (an interrupted build stops at once)."""
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for proc in running:
        try:
            proc.kill()
        except OSError:
            pass


def run_pandoc(markdown: str, timeout: float | None = None) -> str:
    """pandoc on one chapter's Markdown, bounded in time and memory; PandocTimeout or RuntimeError."""
    if timeout is None:
        try:
            timeout = float(os.environ.get("KETAB_PANDOC_TIMEOUT", PANDOC_TIMEOUT))
        except ValueError:
            timeout = PANDOC_TIMEOUT
    command = [pypandoc.get_pandoc_path(), "+RTS", f"-M{PANDOC_MEMORY}", "-RTS", f"--from={PANDOC_FROM}", "--to=html5", *PANDOC_ARGS]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_die_with_parent if _PRCTL is not None else None)
    with _RUNNING_LOCK:
        _RUNNING.add(proc)
    try:
        try:
            out, err = proc.communicate(markdown.encode("utf-8"), timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise PandocTimeout(timeout) from None
    finally:
        with _RUNNING_LOCK:
            _RUNNING.discard(proc)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        raise RuntimeError(err.decode("utf-8", "replace").strip() or f"pandoc exited with status {proc.returncode}")
    return out.decode("utf-8")


def read_html(chapter: Chapter, body: str, html: str, manuscript: Manuscript, diags: Collector) -> ConvertedChapter:
    """Walk pandoc's HTML once: ids, notes, index, dates, images, safety, bidi."""
    language = manuscript.config.language
    root = lxml_html.fragment_fromstring(html or "<p></p>", create_parent="div")
    _sanitize(root)
    line = _line_finder(body, chapter.body_line)
    depth, deepest = _deepest(root)
    if depth > MAX_NESTING:
        text = " ".join(deepest.text_content().split())[:40]
        diags.error(chapter.path, line(text) if text else chapter.body_line,
                    f"the text is nested {depth} levels deep (blockquotes, lists, <div>s…); a book can lay out {MAX_NESTING}", "chapter.nesting")
        root = lxml_html.fragment_fromstring("<p></p>", create_parent="div")  # reported: nothing deeper is processed
    if not chapter.generate:
        mark_names(root, manuscript.register)  # every mention of a registered name goes into the index
    walk = _Walk(chapter, manuscript, diags, line, pdates.DateStyle.for_language(language.tag))
    for el in root.iter():
        if isinstance(el.tag, str):
            walk.visit(el)
    _separate_adjacent_notes(root, language.list_separator)
    return _converted(chapter, root, walk, language.tag)


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
    notes: int = 0
    blocks: int = 0
    sections: int = 0
    marks: list = field(default_factory=list)
    links: list = field(default_factory=list)
    images: list = field(default_factory=list)

    def visit(self, el) -> None:
        classes = (el.get("class") or "").split()
        if el.tag == "pre":
            el.set("dir", "ltr")  # code reads left to right in any book
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
            image = _check_image(el, self.chapter, self.manuscript, self.line, self.diags)
            if image:
                self.images.append(image)
        if el.tag == "a" and (el.get("href") or "").startswith("#"):
            self.links.append(el.get("href")[1:])
            el.set("class", " ".join(classes + ["xref"]))

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
            self.diags.error(self.chapter.path, self.line(text), f"date [{text}]{{.{kind}}}: {exc.message}", "date.invalid")
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


MAX_NESTING = 64
"""Deepest nesting of elements in a chapter (WeasyPrint and the passes over the tree recurse per level; 3000
nested blockquotes would exhaust Python's stack)."""


def _deepest(root) -> tuple[int, object]:
    """(depth, element) of the most deeply nested element under ``root``, without recursion."""
    best, stack = (0, root), [(root, 0)]
    while stack:
        el, depth = stack.pop()
        if depth > best[0]:
            best = (depth, el)
        stack.extend((child, depth + 1) for child in el if isinstance(child.tag, str))
    return best


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
    return out


def _sanitize(root) -> None:
    """Nothing that could run code or fetch a resource reaches an output (:func:`ketab.sanitize.sanitize_html`).

    ``check_body`` refuses the raw HTML it sees on Markdown lines; this pass makes the HTML safe whatever got
    past it.  Media pandoc writes for ``![…](file)`` when the file is not an image (``embed``, ``video``,
    ``audio``) become ``img`` first, so that :func:`_check_image` checks and reports them."""
    for el in list(root.iter("embed", "video", "audio")):
        if el.get("src") is not None and el.getparent() is not None:
            img = el.makeelement("img", {"src": el.get("src"), "alt": ""})
            img.tail = el.tail
            el.getparent().replace(el, img)
    sanitize_html(root)


def _line_finder(body: str, body_line: int):
    def line(needle: str) -> int:
        pos = body.find(needle) if needle else -1
        return body_line + (body.count("\n", 0, pos) if pos >= 0 else 0)

    return line


def _check_image(el, chapter: Chapter, manuscript: Manuscript, line, diags: Collector) -> Image | None:
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
        diags.error(chapter.path, where, f"image {src!r}: only files inside the manuscript can be used", "image.remote")
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


MAX_PIXELS = 60_000_000
"""Largest picture, in pixels, that a book may hold (a 20000 × 20000 PNG is 400 million: 1.6 GB decoded)."""


def picture_problem(data: bytes, media: str) -> tuple[str, str] | None:
    """(code, message) when a picture cannot be drawn safely — broken, too large, an SVG with active
    content or too much to draw — else None.  Raster pictures are decoded whole (a truncated file only
    shows at its end); SVG goes through :func:`ketab.sanitize.clean_svg`."""
    if media == "image/svg+xml":
        try:
            clean_svg(data)
        except UnsafeSvg as exc:
            return "image.type", f"the SVG picture is refused: {exc}"
        return None
    import io
    import warnings

    from PIL import Image as PILImage
    from PIL import ImageFile

    lenient = ImageFile.LOAD_TRUNCATED_IMAGES  # WeasyPrint turns it on for the whole process when imported
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with PILImage.open(io.BytesIO(data)) as picture:
                width, height = picture.size
                if width * height > MAX_PIXELS:
                    return "image.too-large", f"{width} × {height} pixels is more than a book can hold ({MAX_PIXELS // 1_000_000} million)"
                picture.load()
    except PILImage.DecompressionBombError:
        return "image.too-large", "the picture is larger than a book can hold"
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        return "image.broken", f"the picture cannot be drawn: it is truncated or corrupt ({exc})"
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient
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
