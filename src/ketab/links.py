"""Links across the book: pandoc converts one chapter at a time, so what crosses chapters is done here.

* **References defined in another chapter.** A book split into files keeps using ``[Haskell]`` (a reference
  defined in another chapter) and ``[Pandoc's Markdown]`` (pandoc's implicit reference to a heading of another
  chapter).  :func:`missing_references` finds, on the Markdown, the labels a chapter uses but does not define
  and that another chapter defines; the chapter is converted again with those definitions appended.
* **Ids unique across the book.** pandoc's automatic heading ids are kept; where an id is already used by an
  earlier chapter it becomes ``id-1``, ``id-2``… and every link to it follows (:class:`Linker`).
* **Links to chapter files** (``other.md``, ``other.md#section``, ``../part/file.md``) become links to the
  chapter's place in the book; a link to nothing is a warning and its text stays, unlinked.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import unquote

from lxml import html as lxml_html

from ketab.persian.markdown import masked

_REF_DEF = re.compile(r"^ {0,3}\[((?:[^\[\]\\]|\\.)+)\]:[ \t]*(\S.*)$")
_ATX = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*(\{[^{}]*\})?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_LABEL_USE = re.compile(r"(?<![\\\]])!?\[((?:[^\[\]\\]|\\.)+)\](?:[ \t]?\[((?:[^\[\]\\]|\\.)*)\])?(?![(\[:])")


def label_key(label: str) -> str:
    """pandoc's reference key: case and runs of white space do not count."""
    return " ".join(label.split()).casefold()


def text_lines(body: str, nonprose=()):
    """(index, line) of every line of ``body``, with what pandoc parsed as code or raw HTML (``nonprose``:
    :func:`ketab.sourcemap.nonprose_spans`) blanked out: a reference written in code or a comment is none."""
    for i, line in enumerate(masked(body, list(nonprose)).split("\n")):
        yield i, line


@dataclass(frozen=True)
class Labels:
    """What one chapter's Markdown defines and uses, by reference key."""

    definitions: dict
    """key → the definition line as written (``[label]: url "title"``)."""
    headings: tuple
    """Source text of each heading, in order (pandoc makes an implicit reference of each)."""
    uses: dict
    """key → label as written, of every ``[label]``, ``[text][label]``, ``[label][]`` outside code."""


def read_labels(body: str, nonprose=()) -> Labels:
    """What ``body`` defines and uses, outside what pandoc parsed as code or raw HTML (``nonprose``)."""
    definitions, headings, uses = {}, [], {}
    lines = list(text_lines(body, nonprose))
    previous = None
    for i, line in lines:
        d = _REF_DEF.match(line)
        if d and not d.group(1).startswith("^"):
            definitions.setdefault(label_key(d.group(1)), line.strip())
            previous = None
            continue
        a = _ATX.match(line)
        if a and a.group(1).strip():
            headings.append(a.group(1).strip())
        elif _SETEXT.match(line) and previous is not None and previous[0] == i - 1 and previous[1].strip():
            headings.append(previous[1].strip())
        for m in _LABEL_USE.finditer(line):
            label = m.group(2) if m.group(2) else m.group(1)
            if label.startswith("^"):
                continue
            uses.setdefault(label_key(label), label)
        previous = (i, line)
    return Labels(definitions, tuple(headings), uses)


def auto_identifier(text: str) -> str:
    """pandoc's ``auto_identifiers`` algorithm on plain text."""
    out = []
    for ch in unicodedata.normalize("NFC", text).lower():
        if ch.isalnum() or ch in "_-.":
            out.append(ch)
        elif ch.isspace():
            out.append("-")
    ident = "".join(out)
    ident = re.sub(r"^[^a-z\u00c0-\uffff]+", "", ident) if ident else ident
    return ident or "section"


@dataclass
class Linker:
    """Ids and link targets for the whole book, from the ids each chapter's pandoc output defines.

    ``chapters``: [(chapter id, chapter path relative to the manuscript, [ids in order], title)…] in reading order."""

    chapters: list
    renamed: dict = field(default_factory=dict)
    """chapter id → {pandoc id → id in the book}."""
    owner: dict = field(default_factory=dict)
    """pandoc id → chapter id of its first definition."""
    by_path: dict = field(default_factory=dict)
    aliases: dict = field(default_factory=dict)
    """auto id of a chapter title → chapter id (a heading that became the chapter's title)."""
    numbers: dict = field(default_factory=dict)
    """``fig:x``, ``tbl:x``, ``eq:x`` → its number in the book (pandoc-crossref's labels), in reading order."""

    def __post_init__(self):
        used: set = set()
        for chapter_id, _rel, _ids, _title in self.chapters:
            used.add(chapter_id)
        for chapter_id, rel, ids, _title in self.chapters:
            self.by_path[posixpath.normpath(rel)] = chapter_id
            mapping = {}
            for ident in ids:
                if ident in mapping:
                    continue
                if ident not in used:
                    mapping[ident] = ident
                else:
                    n = 1
                    while f"{ident}-{n}" in used:
                        n += 1
                    mapping[ident] = f"{ident}-{n}"
                used.add(mapping[ident])
                self.owner.setdefault(ident, chapter_id)
            self.renamed[chapter_id] = mapping
        counters: dict = {}
        for _chapter_id, _rel, ids, _title in self.chapters:
            for ident in ids:
                kind = ident.split(":", 1)[0] if ":" in ident else None
                if kind in ("fig", "tbl", "eq") and ident not in self.numbers:
                    counters[kind] = counters.get(kind, 0) + 1
                    self.numbers[ident] = counters[kind]
        for chapter_id, _rel, _ids, title in self.chapters:
            alias = auto_identifier(title or "")
            if alias and alias not in self.owner and alias not in self.aliases:
                self.aliases[alias] = chapter_id

    def new_id(self, chapter_id: str, ident: str) -> str:
        return self.renamed.get(chapter_id, {}).get(ident, ident)

    def resolve(self, chapter_id: str, chapter_rel: str, href: str):
        """The book-internal target (``#id``) of a link, or (None, why) for a link into the book that goes nowhere,
        or (href, None) for a link that leaves the book."""
        if re.match(r"^[a-z][a-z0-9+.-]*:", href, re.I) or href.startswith("//"):
            return href, None
        path, _, fragment = href.partition("#")
        fragment = unquote(fragment)
        if path:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(chapter_rel), unquote(path)))
            other = self.by_path.get(target)
            if other is None:
                for ext in (".md", ".markdown", ".txt"):
                    stem = re.sub(r"\.(x?html?)$", "", target)
                    other = self.by_path.get(stem + ext) or other
            if other is None:
                return None, f"{path!r} is not a chapter of the book"
            if not fragment:
                return "#" + other, None
            if fragment in self.renamed.get(other, {}):
                return "#" + self.renamed[other][fragment], None
            if self.aliases.get(fragment) == other or fragment == other:
                return "#" + other, None
            return None, f"{path!r} has no #{fragment}"
        if not fragment:
            return None, "the link has no target"
        if fragment in self.renamed.get(chapter_id, {}):
            return "#" + self.renamed[chapter_id][fragment], None
        if fragment in self.owner:
            owner = self.owner[fragment]
            return "#" + self.renamed[owner][fragment], None
        if fragment in self.aliases:
            return "#" + self.aliases[fragment], None
        if any(fragment == other for other, _rel, _ids, _title in self.chapters):  # a part by its id: #glossary, #index
            return "#" + fragment, None
        return None, f"no chapter defines #{fragment}"


def report_written_duplicates(chapters, bodies, trees, linker, report) -> None:
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


def heading_ids(html: str) -> list[tuple[str, str]]:
    """(id, plain text) of each heading pandoc wrote, in order."""
    root = lxml_html.fragment_fromstring(html or "<p></p>", create_parent="div")
    return [(h.get("id") or "", " ".join(h.text_content().split())) for h in root.iter("h1", "h2", "h3", "h4", "h5", "h6")]


def _loose(text: str) -> str:
    text = re.sub(r"\]\([^)]*\)", "", text)  # a link's destination is not part of the heading's text
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def borrowed_definitions(chapters, labels, headings) -> list[list[str]]:
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
                    offered.setdefault(label_key(text), (i, None, html_headings[j][0]))
                    at = j + 1
                    break
        if ch.title:
            offered.setdefault(label_key(ch.title), (i, None, ""))
    out = []
    for i, (ch, lab) in enumerate(zip(chapters, labels)):
        defs = []
        if lab is not None:
            own = set(lab.definitions) | {label_key(t) for t in lab.headings}
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
