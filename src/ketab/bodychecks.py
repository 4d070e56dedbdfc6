"""Checks on what a chapter's text holds, read from pandoc's parse of it (:mod:`ketab.sourcemap`).

Note calls without a definition, definitions never called or given twice, tracked changes left from Word,
and the editorial linter's rules.  None of them reads the Markdown with patterns of its own: what is code or
raw HTML (an HTML comment, an indented block) is what pandoc parsed as such, and is never taken for markup.
"""

from __future__ import annotations

import re

from ketab import config as cfg
from ketab.diagnostics import Collector
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


def lint_chapters(manuscript, sources: dict, diags: Collector, strict: bool = False, cache=None) -> None:
    """The editorial linter on every written chapter pandoc parsed (``sources``: chapter id → SourceMap),
    then its book-wide rules; code and raw HTML as pandoc parsed them are left alone.  ``cache`` (the build
    cache, may be None) keeps each chapter's findings and its share of the book-wide rules under its text, so
    an edit lints the chapter it touched and only counts the others again."""
    from ketab.persian.lint.book import findings_from_facts

    config = manuscript.config
    if not config.language.linted:
        return
    book_lint = cfg.book_lint(config.language, config.lint, config.path, config.lines.get(("lint",), 1), Collector())
    rejected = manuscript.register.rejected()
    report = diags.error if strict else diags.warning
    files, paths = [], {}
    for chapter in manuscript.chapters:
        source = sources.get(chapter.id)
        if chapter.generate or source is None:
            continue
        pad = "\n" * (chapter.body_line - 1)  # the lines as in the file (the front matter is not linted)
        nonprose = tuple((a + len(pad), b + len(pad)) for a, b in source.spans)
        text = pad + chapter.body
        facts = _chapter_facts(text, chapter, nonprose, rejected, book_lint.disabled, cache)
        for line, col, code, message in facts["findings"]:
            if code != "fa-date":  # a date markup that cannot be read is the conversion's error (date.invalid)
                report(chapter.path, line, f"{message} (column {col})", f"lint.{code}")
        files.append((str(chapter.path), text, nonprose, facts))
        paths[str(chapter.path)] = chapter.path
    for f in findings_from_facts(files, book_lint.disabled):
        report(paths[f.path], f.line, f"{f.message} (column {f.col})", f"lint.{f.code}")


def _chapter_facts(text: str, chapter, nonprose, rejected: dict, disabled, cache) -> dict:
    """The linter's findings on one chapter ([line, col, code, message]) and its facts for the book-wide rules
    (:func:`ketab.persian.lint.book.file_facts`), from the cache when the chapter's text is the same."""
    import json

    from ketab.cache import digest
    from ketab.persian.lint.book import file_facts
    from ketab.persian.lint.runner import lint_markdown

    lint = chapter.lint
    key = digest("lint/1", str(chapter.path), text, lint.profile, ",".join(sorted(lint.disabled)), json.dumps(nonprose),
                 json.dumps(sorted(rejected.items()), ensure_ascii=False), ",".join(sorted(disabled)))
    blob = cache.get("lint", key) if cache is not None else None
    if blob is not None:
        try:
            return json.loads(blob)
        except ValueError:
            pass
    findings = [[f.line, f.col, f.code, f.message] for f in lint_markdown(text, str(chapter.path), lint, nonprose)]
    facts = {"findings": findings, **file_facts(text, nonprose, rejected, disabled)}
    if cache is not None:
        cache.put("lint", key, json.dumps(facts, ensure_ascii=False).encode())
    return facts
