"""Checks on what a chapter's text holds, read from pandoc's parse of it (:mod:`ketab.sourcemap`).

Note calls without a definition, definitions never called or given twice, tracked changes left from Word,
and the editorial linter's rules.  None of them reads the Markdown with patterns of its own: what is code or
raw HTML (an HTML comment, an indented block) is what pandoc parsed as such, and is never taken for markup.
"""

from __future__ import annotations

import re

from ketab import config as cfg
from ketab.diagnostics import Collector
from ketab.manuscript import lint_book_texts, lint_text
from ketab.sourcemap import SourceMap

_UNUSED = re.compile(r"^Note with key '(.+)' defined at (?:.* )?line (\d+) column \d+ but not used")
_DUPLICATE = re.compile(r"^Duplicate note reference '(.+)' at (?:.* )?line (\d+) column \d+")


def note_warning(chapter, message: str, source: SourceMap, diags: Collector) -> bool:
    """pandoc's warning on a note definition as ketab's own diagnostic (True); False for any other warning."""
    if chapter.generate:
        return False
    m = _UNUSED.match(message)
    if m:
        diags.warning(chapter.path, chapter.body_line + int(m[2]) - 1, f"footnote [^{m[1]}] is defined but never referenced", "note.unused")
        return True
    m = _DUPLICATE.match(message)
    if m:
        first = source.line(f"[^{m[1]}]:")
        diags.warning(chapter.path, chapter.body_line + int(m[2]) - 1,
                      f"footnote [^{m[1]}] is defined again (first on line {first}); the last definition is used", "note.duplicate")
        return True
    return False


def check_parsed(chapter, source: SourceMap, diags: Collector) -> None:
    """Note calls pandoc found no definition for (errors), tracked changes still marked (warnings)."""
    parsed = source.parsed
    if parsed is None:
        return
    for label in parsed.unresolved:
        diags.error(chapter.path, source.line(f"[^{label}]"), f"footnote [^{label}] is never defined", "note.undefined")
    if chapter.generate:
        return
    for kind in ("insertion", "deletion"):
        count = sum(1 for c, _ in parsed.spans if c == kind)
        lines = source.lines_of(f"]{{.{kind}")
        for i in range(count):
            diags.warning(chapter.path, lines[i] if i < len(lines) else chapter.body_line,
                          f"a tracked {kind} from Word is still marked: keep or drop its text and remove the mark "
                          "(ketab import --track-changes accept|reject settles them all)", "chapter.tracked-change")


def lint_chapters(manuscript, sources: dict, diags: Collector, strict: bool = False) -> None:
    """The editorial linter on every written chapter pandoc parsed (``sources``: chapter id → SourceMap),
    then its book-wide rules; code and raw HTML as pandoc parsed them are left alone."""
    config = manuscript.config
    if not config.language.linted:
        return
    texts = []
    for chapter in manuscript.chapters:
        source = sources.get(chapter.id)
        if chapter.generate or source is None:
            continue
        pad = "\n" * (chapter.body_line - 1)  # the lines as in the file (the front matter is not linted)
        nonprose = [(a + len(pad), b + len(pad)) for a, b in source.spans]
        # a date markup that cannot be read is the conversion's error (date.invalid), not again a fa-date
        lint_text(pad + chapter.body, chapter.path, chapter.lint, diags, strict, skip={"fa-date"}, nonprose=nonprose)
        texts.append((chapter.path, pad + chapter.body, nonprose))
    book_lint = cfg.book_lint(config.language, config.lint, config.path, config.lines.get(("lint",), 1), Collector())
    lint_book_texts(texts, manuscript.register, book_lint, diags, strict)
