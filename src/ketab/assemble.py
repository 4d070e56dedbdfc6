"""Stage 3 — assemble the book from its converted chapters.

Gather, then write: here the whole book is known, so this is where the parts
are ordered (front matter, text, back matter), the contents is made, and the
index entries are collected and sorted in the book's alphabetical order.
Page numbers are not known yet: the print layout resolves them.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from ketab.config import BookConfig
from ketab.convert import ConvertedChapter, Heading
from ketab.language import Language
from ketab.manuscript import Manuscript
from ketab.persian.collation import _FOLD


@dataclass(frozen=True)
class Part:
    """A chapter in its place in the book."""

    converted: ConvertedChapter
    section: str
    """``front``, ``body`` or ``back``: front matter is numbered separately."""
    filename: str
    """File name of the chapter in the EPUB."""

    @property
    def id(self) -> str:
        return self.converted.chapter.id

    @property
    def title(self) -> str:
        return self.converted.chapter.title

    @property
    def headings(self) -> tuple[Heading, ...]:
        return self.converted.headings


@dataclass(frozen=True)
class IndexEntry:
    heading: str
    places: tuple[tuple[str, str], ...]
    """(part id, anchor id) of each marked place, in reading order."""
    see: str | None = None
    """For a see-reference («تاجکستان ← تاجیکستان»): the heading it sends the reader to."""


@dataclass(frozen=True)
class Book:
    config: BookConfig
    parts: tuple[Part, ...]
    index: tuple[IndexEntry, ...]
    index_part: Part | None
    """The generated index's place, if book.yaml asks for one."""
    anchor_part: dict
    """Anchor id → id of the part that holds it (cross-references, EPUB hrefs)."""
    source_numbers: dict = None
    """Source id → the number the book shows for it (see Manuscript.source_number)."""

    @property
    def language(self) -> Language:
        return self.config.language

    @property
    def front(self) -> tuple[Part, ...]:
        return tuple(p for p in self.parts if p.section == "front")

    @property
    def body(self) -> tuple[Part, ...]:
        return tuple(p for p in self.parts if p.section != "front")

    def part(self, part_id: str) -> Part:
        return next(p for p in self.parts if p.id == part_id)


RESERVED_NAMES = frozenset({"nav", "cover", "titlepage", "toc", "style", "ncx", "cover-image"})
"""File names and manifest ids the EPUB writer uses for its own documents (a chapter id cannot hold a dot,
so ``<id>.chapter.xhtml`` is never another chapter's name)."""


def assemble(manuscript: Manuscript, converted: tuple[ConvertedChapter, ...]) -> Book:
    parts = []
    index_part = None
    for cc in converted:
        ch = cc.chapter
        section = "front" if ch.kind == "frontmatter" else ("back" if ch.kind == "backmatter" else "body")
        # a chapter called nav, cover or titlepage must not replace the EPUB's own document of that name
        part = Part(cc, section, f"{ch.id}.xhtml" if ch.id not in RESERVED_NAMES else f"{ch.id}.chapter.xhtml")
        if ch.generate == "index":
            index_part = part
        parts.append(part)
    anchor_part = {a: p.id for p in parts for a in p.converted.anchors}
    return Book(
        config=manuscript.config,
        parts=tuple(parts),
        index=collect_index(parts, manuscript.config.language, manuscript.register),
        index_part=index_part,
        anchor_part=anchor_part,
        source_numbers={s.id: manuscript.source_number(s.id) for s in manuscript.sources},
    )


def collect_index(parts, language: Language, register=None) -> tuple[IndexEntry, ...]:
    """Every index heading with its places, and the register's see-references, in alphabetical order."""
    places: dict[str, list] = {}
    for part in parts:
        for mark in part.converted.index_marks:
            places.setdefault(mark.entry, []).append((part.id, mark.id))
    entries = [IndexEntry(h, tuple(p)) for h, p in places.items()]
    for name in register.see_references if register else ():
        if name.see in places:  # a see-reference to an entry the text never mentions would mislead
            entries.append(IndexEntry(name.entry, (), see=name.see))
    key = language.sort_key
    return tuple(sorted(entries, key=lambda e: key(e.heading)))


def index_letter(heading: str, language: Language) -> str:
    """The letter an index heading is filed under («آ» and «ا» together under «ا»; Latin case folded)."""
    for ch in unicodedata.normalize("NFC", heading):
        ch = _FOLD.get(ch, ch)
        if ch == "آ":
            return "ا"
        if ch.isalpha():
            return ch.upper() if not language.is_rtl else ch
    return "#"


