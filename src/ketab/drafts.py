"""The changed chapters' new text for ``ketab watch``'s preview, before their pages are laid out.

On a save the watcher does not wait for the whole build.  A :class:`Drafter` keeps the book as the convert
stage last made it (the manuscript, every chapter's pandoc output and its :class:`ketab.convert.ConvertedChapter`);
a saved chapter is read again, converted through the build cache (pandoc, the Lua filter) and walked
(:func:`ketab.convert.read_html`, with the book's ids and links), the book assembled again with it, and the
chapter's section rendered as the EPUB writer renders it (:func:`ketab.writers.epub._chapter_content`: its
notes, its links across files).  The preview splices that section into the chapter's page of the last good
build (:func:`splice`) and marks it "text updated, pages pending" until the build's EPUB, with its print page
numbers, replaces it.  The pandoc run made here is the one the next build finds in the cache.

A draft has no page numbers (they come from the layout) and no diagnostics: a chapter the build would refuse
gets no draft — the build that follows says why.  The other chapters are taken as they were: what a saved
chapter changes in them (an id another chapter now takes first) waits for the build.  A change to anything
but a chapter file (book.yaml, data, sources) makes the drafter read the whole manuscript again.
"""

from __future__ import annotations

import dataclasses
import posixpath
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
DRAFT_CLASS = "ketab-draft"
"""The class of a section whose text is newer than its pages (the preview's stylesheet marks it)."""


@dataclass
class _Converted:
    """The convert stage's state, chapter by chapter (index in the reading order)."""

    manuscript: object
    bodies: list
    extras: list
    salt: bytes
    results: list
    entries: dict
    """Chapter index → its entry in the :class:`ketab.links.Linker` (id, path, ids, title)."""
    converted: dict
    """Chapter index → ConvertedChapter."""


class Drafter:
    """New text of saved chapters, for the preview (see the module's documentation)."""

    def __init__(self, manuscript_dir: Path, templates: Path, cache):
        """``cache``: the build cache (:class:`ketab.cache.BuildCache`) the builds use."""
        self.root = Path(manuscript_dir)
        self.templates = Path(templates)
        self.cache = cache
        self._state: _Converted | None = None
        self._shown: dict[int, tuple[str, str, str, str]] = {}
        """Chapter index → (Markdown, EPUB file, section id, section XHTML) of the long chapters' text the
        preview shows, for :mod:`ketab.quickdraft`."""

    def warm(self) -> None:
        """Read and convert the whole manuscript now (through the cache), so that the first save is quick."""
        if self._state is None:
            self._state = self._load()
            written = [i for i, ch in enumerate(self._state.manuscript.chapters) if not ch.generate] if self._state else []
            if written:
                self._again(self._state, written[0])  # once through the quick path too (its first run is slower)
                from ketab.quickdraft import QUICK_CHARS

                long = {_resolved(ch.path) for ch in self._state.manuscript.chapters if not ch.generate and len(ch.body) >= QUICK_CHARS}
                if long:  # the sections a save's one-paragraph draft starts from
                    self._render(self._state, long)

    def drafts(self, changed) -> dict[str, tuple[str, str]]:
        """EPUB file name → (section id, section XHTML) for each chapter among ``changed`` (paths of saved files);
        empty when no chapter changed or its text does not convert."""
        root = _resolved(self.root)
        changed = {_resolved(p) for p in changed} - {root / "book.yaml.lock"}
        changed = {p for p in changed if p.is_relative_to(root)}  # the templates change no text
        if not changed:
            return {}
        state = self._state
        if state is not None:
            paths = {_resolved(ch.path): i for i, ch in enumerate(state.manuscript.chapters) if not ch.generate}
            if changed <= set(paths):
                quick = self._quick(state, [paths[p] for p in changed])
                if quick:
                    return quick
                for path in changed:
                    state = self._again(state, paths[path])
                    if state is None:
                        return {}
            else:
                state = None  # book.yaml, data, a new chapter…: read everything again
                self._shown.clear()
        if state is None:
            state = self._load()
        self._state = state
        if state is None:
            return {}
        return self._render(state, changed)

    # --- the convert stage, whole or for one chapter ------------------------------------------

    def _load(self) -> _Converted | None:
        from ketab import links
        from ketab.convert import citeproc_args, parse_chapters, read_html
        from ketab.diagnostics import Collector
        from ketab.generate import generated_markdown
        from ketab.manuscript import load_manuscript

        diags = Collector()
        try:
            manuscript = load_manuscript(self.root, collect=[])
        except Exception:  # a book.yaml that gives no book: the build says why
            return None
        chapters = manuscript.chapters
        bodies = [generated_markdown(manuscript, ch) if ch.generate else ch.body for ch in chapters]
        args, salt = citeproc_args(manuscript, diags)
        # as convert_chapters: a references part prints the bibliography, the other parts do not
        references = any(c.generate == "references" for c in chapters)
        extras = [args + (("--metadata=suppress-bibliography=true",) if args and ch.generate != "references" and references else ())
                  for ch in chapters]
        results, sources, trees = parse_chapters(chapters, bodies, self.cache, extras, salt, diags)
        entries = {i: _entry(chapters[i], tree) for i, tree in trees.items()}
        linker = links.Linker([entries[i] for i in sorted(entries)])
        converted = {i: read_html(chapters[i], bodies[i], tree, manuscript, diags, linker, False, sources[i]) for i, tree in trees.items()}
        return _Converted(manuscript, bodies, extras, salt, results, entries, converted)

    def _again(self, state: _Converted, i: int) -> _Converted | None:
        """``state`` with chapter ``i`` read from its file and converted again; None if it does not convert."""
        from ketab import links
        from ketab.convert import parse_chapters, read_html
        from ketab.diagnostics import Collector

        diags = Collector()
        chapter = _read_chapter(state.manuscript, state.manuscript.chapters[i], diags)
        if chapter is None or diags.errors:
            return None
        chapters = tuple(chapter if k == i else ch for k, ch in enumerate(state.manuscript.chapters))
        manuscript = dataclasses.replace(state.manuscript, chapters=chapters)
        bodies = [chapter.body if k == i else b for k, b in enumerate(state.bodies)]
        # a cache hit but for chapter i
        results, sources, trees = parse_chapters(chapters, bodies, self.cache, state.extras, state.salt, diags)
        tree = trees.get(i)
        if tree is None:
            return None
        entries = {**state.entries, i: _entry(chapter, tree)}
        linker = links.Linker([entries[k] for k in sorted(entries)])
        converted = {**state.converted, i: read_html(chapter, chapter.body, tree, manuscript, diags, linker, False, sources[i])}
        if diags.errors:
            return None
        return _Converted(manuscript, bodies, state.extras, state.salt, results, entries, converted)

    def _render(self, state: _Converted, changed: set) -> dict[str, tuple[str, str]]:
        from ketab import quickdraft, render
        from ketab.assemble import assemble
        from ketab.writers.epub import _chapter_content

        book = assemble(state.manuscript, tuple(state.converted[k] for k in sorted(state.converted)))
        env = render.environment(self.templates)
        drafts = {}
        for part in book.parts:
            chapter = part.converted.chapter
            if not chapter.generate and _resolved(chapter.path) in changed:
                drafts[part.filename] = (part.id, _chapter_content(book, env, part, {})[0])
                if len(chapter.body) >= quickdraft.QUICK_CHARS:
                    index = next(k for k, ch in enumerate(state.manuscript.chapters) if ch.id == chapter.id)
                    self._shown[index] = (chapter.body, part.filename, part.id, drafts[part.filename][1])
        return drafts

    def _quick(self, state: _Converted, indexes) -> dict[str, tuple[str, str]]:
        """The drafts of the long chapters ``indexes`` by their edited paragraph alone (:mod:`ketab.quickdraft`);
        empty unless every one of them can be drafted so."""
        from ketab import quickdraft
        from ketab.diagnostics import Collector

        drafts, shown = {}, {}
        for i in indexes:
            if i not in self._shown:
                return {}
            body, filename, section_id, section = self._shown[i]
            diags = Collector()
            chapter = _read_chapter(state.manuscript, state.manuscript.chapters[i], diags)
            if chapter is None or diags.errors or dataclasses.replace(chapter, body="") != dataclasses.replace(state.manuscript.chapters[i], body=""):
                return {}  # the front matter changed too: the whole chapter
            new = quickdraft.draft(state, i, chapter, (body, section), self.cache, self.templates)
            if new is None:
                return {}
            drafts[filename] = (section_id, new)
            shown[i] = (chapter.body, filename, section_id, new)
        self._shown.update(shown)
        return drafts


def _entry(chapter, tree) -> tuple:
    """The chapter's entry in the book's :class:`ketab.links.Linker`, from its pandoc output (as convert_chapters)."""
    from ketab import treepasses

    ids = [el.get("id") for el in tree.iter() if isinstance(el.tag, str) and el.get("id") and not treepasses.CODE_ID.match(el.get("id"))]
    return (chapter.id, chapter.rel, ids, chapter.title)


def _read_chapter(manuscript, old, diags):
    """The chapter ``old`` as its file now reads (the manuscript's own reader, its linter's findings dropped)."""
    from ketab import config as cfg
    from ketab.manuscript import _load_chapter

    config = manuscript.config
    ref = config.chapters[old.number - 1]
    book_lint = cfg.book_lint(config.language, config.lint, config.path, config.lines.get(("lint",), 1), diags)
    folders = [posixpath.dirname(posixpath.normpath(r.path)) for r in config.chapters if not r.generate and r.path]
    common = posixpath.commonpath(folders) if folders and all(not f.startswith("..") for f in folders) else ""
    return _load_chapter(manuscript.root, ref, old.number, config, book_lint, diags, common)


def splice(xhtml: bytes, section_id: str, section: str) -> bytes | None:
    """The page ``xhtml`` with its element ``section_id`` replaced by ``section`` (marked as a draft);
    None when the page has no such element or the draft does not parse (the page is then shown as built)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        tree = etree.fromstring(xhtml, parser)
        new = etree.fromstring(f'<div xmlns="{XHTML_NS}" xmlns:epub="{EPUB_NS}">{section}</div>'.encode("utf-8"), parser)
    except etree.XMLSyntaxError:
        return None
    old = next((el for el in tree.iter() if isinstance(el.tag, str) and el.get("id") == section_id), None)
    fresh = next((el for el in new if el.get("id") == section_id), None)
    if old is None or fresh is None:
        return None
    fresh.set("class", f"{fresh.get('class') or ''} {DRAFT_CLASS}".strip())
    fresh.tail = old.tail
    old.getparent().replace(old, fresh)
    return etree.tostring(tree, encoding="utf-8", xml_declaration=True, doctype="<!DOCTYPE html>")


def _resolved(path) -> Path:
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError):
        return Path(path)
