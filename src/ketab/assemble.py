"""Stage 3 — assemble the book from its converted chapters.

Gather, then write: here the whole book is known, so this is where the parts
are ordered (front matter, text, back matter), the contents is made, and the
index entries are collected and sorted in the book's alphabetical order.
Page numbers are not known yet: the print layout resolves them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketab.config import BookConfig
from ketab.convert import ConvertedChapter, Heading
from ketab.language import Language
from ketab.manuscript import Manuscript


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


def assemble(manuscript: Manuscript, converted: tuple[ConvertedChapter, ...]) -> Book:
    parts = []
    index_part = None
    for cc in converted:
        ch = cc.chapter
        section = "front" if ch.kind == "frontmatter" else ("back" if ch.kind == "backmatter" else "body")
        part = Part(cc, section, f"{ch.id}.xhtml")
        if ch.generate == "index":
            index_part = part
        parts.append(part)
    anchor_part = {a: p.id for p in parts for a in p.converted.anchors}
    return Book(
        config=manuscript.config,
        parts=tuple(parts),
        index=collect_index(parts, manuscript.config.language),
        index_part=index_part,
        anchor_part=anchor_part,
        source_numbers={s.id: manuscript.source_number(s.id) for s in manuscript.sources},
    )


def collect_index(parts, language: Language) -> tuple[IndexEntry, ...]:
    places: dict[str, list] = {}
    for part in parts:
        for mark in part.converted.index_marks:
            places.setdefault(mark.entry, []).append((part.id, mark.id))
    key = language.sort_key
    return tuple(IndexEntry(h, tuple(p)) for h, p in sorted(places.items(), key=lambda kv: key(kv[0])))


