"""The changed chapters' new text for ``ketab watch``'s preview, before their pages are laid out.

On a save the watcher does not wait for the whole build: it runs the build's own first stages — the
manuscript read, every chapter converted through the build cache (pandoc runs only for the chapter that
changed; the others are cache hits), the book assembled — and renders each changed chapter's section as the
EPUB writer renders it (:func:`ketab.writers.epub._chapter_content`: its notes, its links across files).
The preview splices that section into the chapter's page of the last good build (:func:`splice`) and marks
it "text updated, pages pending" until the build's EPUB, with its print page numbers, replaces it.

A draft has no page numbers (they come from the layout) and no diagnostics: a chapter the build would refuse
gets no draft — the build that follows says why.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
DRAFT_CLASS = "ketab-draft"
"""The class of a section whose text is newer than its pages (the preview's stylesheet marks it)."""


def chapter_drafts(manuscript_dir: Path, templates: Path, cache, changed) -> dict[str, tuple[str, str]]:
    """EPUB file name → (section id, section XHTML) for each chapter among ``changed`` (paths of saved files).

    ``cache`` is the build cache (:class:`ketab.cache.BuildCache`), shared with the builds: the pandoc run made
    here is the one the next build finds.  Empty when no chapter changed or the text does not convert."""
    from ketab import pipeline, render
    from ketab.assemble import assemble
    from ketab.diagnostics import BuildError
    from ketab.writers.epub import _chapter_content

    wanted = {_resolved(p) for p in changed if str(p).endswith(".md")}
    if not wanted:
        return {}
    try:
        manuscript, converted, _ = pipeline._load_and_convert(Path(manuscript_dir), False, cache, lambda stage: None, _NoClock(), [])
    except BuildError:
        return {}
    book = assemble(manuscript, converted)
    env = render.environment(Path(templates))
    drafts = {}
    for part in book.parts:
        chapter = part.converted.chapter
        if chapter.generate or _resolved(chapter.path) not in wanted:
            continue
        content, _ = _chapter_content(book, env, part, {})
        drafts[part.filename] = (part.id, content)
    return drafts


def splice(xhtml: bytes, section_id: str, section: str) -> bytes | None:
    """The page ``xhtml`` with its element ``section_id`` replaced by ``section`` (marked as a draft);
    None when the page has no such element or the draft does not parse (the page is then shown as built)."""
    try:
        tree = etree.fromstring(xhtml, etree.XMLParser(resolve_entities=False, no_network=True))
        new = etree.fromstring(f'<div xmlns="{XHTML_NS}" xmlns:epub="{EPUB_NS}">{section}</div>'.encode("utf-8"),
                               etree.XMLParser(resolve_entities=False, no_network=True))
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


class _NoClock:
    def lap(self, name: str) -> None:
        pass
