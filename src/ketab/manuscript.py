"""Stage 1 — load and validate the manuscript.

Reads ``book.yaml`` and every chapter it lists, parses front matter, and reports
every problem with its file and line before any conversion runs.  What a chapter's
text holds (notes, dates, raw HTML) is checked on pandoc's parse of it, in the
conversion (:mod:`ketab.bodychecks`).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from ketab import config as cfg
from ketab import safeio, yamlnodes
from ketab.diagnostics import BuildError, Collector, Diagnostic
from ketab.persian.lint import LintConfig, LintConfigError, lint_markdown
from ketab.register import Register, parse_register

FRONT_MATTER_KEYS = {
    "title": "The chapter's title (required).",
    "subtitle": "Optional subtitle under the chapter title.",
    "kind": "frontmatter, chapter, appendix or backmatter (default chapter).",
    "source": "Id of the source record this chapter comes from (manuscript/sources/<id>.yaml).",
    "author": "Author of the original text.",
    "translator": "Translator of this chapter.",
    "lint": "Linter settings for this chapter: {profile: dari|iranian, disable: [codes]}.",
    "id": "Stable id of the chapter (ASCII); derived from the chapter's path when absent (part/intro.md → part-intro).",
    "running_head": "A short title for the running heads (default: the title, shortened if long).",
}



@dataclass(frozen=True)
class Chapter:
    """One written chapter, read and checked but not yet converted."""

    number: int
    """Position in the reading order (1-based)."""
    id: str
    """Stable ASCII id (file stem), used for file names and anchors."""
    path: Path
    rel: str
    """Path relative to the manuscript folder."""
    title: str
    kind: str
    body: str
    """Markdown body (front matter removed; CRLF normalised)."""
    body_line: int
    """Line of the file on which ``body`` starts."""
    subtitle: str | None = None
    source: str | None = None
    author: str | None = None
    translator: str | None = None
    lint: LintConfig = LintConfig()
    generate: str | None = None
    """For a generated part (chronology, sources, index, figures…), what to generate."""
    running_head: str | None = None
    """Short title for the running heads, when the title is too long for them."""
    source_line: int = 1
    """Line of the ``source:`` key in the front matter."""


@dataclass(frozen=True)
class SourceRecord:
    """A provenance record from ``manuscript/sources/<id>.yaml``."""

    id: str
    path: Path
    fields: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Manuscript:
    """The whole manuscript: configuration, chapters in reading order, sources."""

    root: Path
    config: cfg.BookConfig
    chapters: tuple[Chapter, ...]
    sources: tuple[SourceRecord, ...] = ()
    warnings: tuple[Diagnostic, ...] = ()
    register: Register = Register(None)
    """The register of names that drives the index (``{generate: index, data: …}``), empty if none."""

    def source_number(self, source_id: str) -> int | None:
        """The source's number as the book shows it: its place (from 1) in id order.
        (Ids like «000» would print as dots: the Persian zero is a dot.)"""
        ids = sorted(s.id for s in self.sources)
        return ids.index(source_id) + 1 if source_id in ids else None


def load_manuscript(root: Path, strict: bool = False, collect: list | None = None) -> Manuscript:
    """Read ``root/book.yaml`` and its chapters; raise BuildError with every error found.

    (``strict`` changes nothing here: the editorial linter, whose findings it makes errors, runs in the
    conversion, on pandoc's parse of each chapter — :mod:`ketab.bodychecks`.)  With ``collect`` (a list), the
    errors of chapters and of book.yaml's optional keys are added to it instead and the manuscript is
    returned without the chapters that could not be read (so that the conversion can report its own errors
    in the same run); BuildError is still raised when book.yaml cannot give a book at all."""
    root = Path(root)
    config, warnings = cfg.load_config(root / "book.yaml", partial=collect is not None)
    diags = Collector()
    diags.extend(warnings)
    book_lint = cfg.book_lint(config.language, config.lint, config.path, config.lines.get(("lint",), 1), diags)
    chapters = []
    folders = [posixpath.dirname(posixpath.normpath(ref.path)) for ref in config.chapters if not ref.generate and ref.path]
    common = posixpath.commonpath(folders) if folders and all(not f.startswith("..") for f in folders) else ""
    for number, ref in enumerate(config.chapters, start=1):
        if ref.generate:
            chapters.append(_generated(number, ref, book_lint, config.language.labels, chapters))
            continue
        chapter = _load_chapter(root, ref, number, config, book_lint, diags, common)
        if chapter is not None:
            chapters.append(chapter)
    _check_unique_ids(chapters, diags)
    sources = _load_sources(root, diags)
    register = load_register(root, config.chapters, config.path, diags)
    known = {s.id for s in sources}
    for ch in chapters:
        if ch.source and ch.source not in known:
            diags.error(ch.path, ch.source_line, f"source {ch.source!r} has no record in sources/", "chapter.source")
    if collect is not None:
        collect.extend(d for d in diags.items if d.is_error)
        return Manuscript(root, config, tuple(chapters), sources, tuple(d for d in diags.items if not d.is_error), register)
    diags.raise_if_errors()
    return Manuscript(root, config, tuple(chapters), sources, tuple(diags.items), register)


def lint_book_texts(texts, register: Register, book_lint: LintConfig, diags: Collector, strict: bool = False) -> None:
    """The book-wide rules over ``(path, text, nonprose)`` of every chapter, for the build and for ``ketab lint``
    (``nonprose``: the spans of the text pandoc parsed as code or raw HTML)."""
    from ketab.persian.lint.book import book_findings

    paths = {str(t[0]): t[0] for t in texts}
    report = diags.error if strict else diags.warning
    for f in book_findings([(str(p), *rest) for p, *rest in texts], register.rejected(), book_lint.disabled):
        report(paths[f.path], f.line, f"{f.message} (column {f.col})", f"lint.{f.code}")


def load_data_file(root: Path, rel: str, diags: Collector, what: str, line_in_config: int = 1, config_path=None):
    """A YAML data file of the manuscript (chronology, register, glossary…) as located YAML, or None with the
    problem reported: ``what`` is the diagnostic code's prefix."""
    path = safe_path(root, rel)
    try:
        found = path is not None and path.is_file()
    except OSError:  # e.g. a file name too long
        found = False
    if not found:
        diags.error(config_path or root / "book.yaml", line_in_config, f"{what} data {rel!r} not found", f"{what}.missing")
        return None
    before = len(diags.errors)
    try:
        raw = safeio.read_bytes(root, rel, "data")  # regular, inside, bounded
    except safeio.Refused as exc:
        diags.error(config_path or root / "book.yaml", line_in_config, f"{what} data {rel!r} cannot be read: {exc.message}", f"{what}.missing")
        return None
    text = cfg.decode_text(raw, path, diags)
    if len(diags.errors) > before:
        return None
    try:
        return yamlnodes.load(text)
    except yamlnodes.YamlSyntaxError as exc:
        diags.error(path, exc.line, exc.message, f"{what}.syntax")
        return None


def load_register(root: Path, chapters, config_path: Path, diags: Collector) -> Register:
    """The register of names the reading order's index names (``{generate: index, data: …}``), or an empty one."""
    ref = next((r for r in chapters if r.generate == "index" and r.data), None)
    if ref is None:
        return Register(None)
    doc = load_data_file(root, ref.data, diags, "register", ref.line, config_path)
    return parse_register(doc, root / ref.data, diags) if doc is not None else Register(None)


LISTS = ("figures", "tables")
"""Generated lists whose place decides their part of the book: before the text's first chapter, the front matter."""


def _generated(number, ref: cfg.ChapterRef, book_lint, labels, before=()) -> Chapter:
    default_title = {"chronology": labels.chronology, "sources": labels.sources, "index": labels.index,
                     "glossary": labels.glossary, "abbreviations": labels.abbreviations,
                     "references": labels.references, "figures": labels.figures, "tables": labels.tables}[ref.generate]
    return Chapter(
        number=number,
        id=f"list-of-{ref.generate}" if ref.generate in LISTS else ref.generate,  # not a chapter's tables.md
        path=Path(ref.data or "book.yaml"),
        rel=ref.data or "book.yaml",
        title=ref.title or default_title,
        kind="frontmatter" if ref.generate in LISTS and all(ch.kind == "frontmatter" for ch in before) else "backmatter",
        body="",
        body_line=ref.line,
        lint=book_lint,
        generate=ref.generate,
    )


def _read_chapter(root, ref, config, diags: Collector):
    """(path, text) of a chapter file — inside the manuscript, regular, bounded, UTF-8 — or (path, None)
    after reporting why it cannot be read."""
    path = safe_path(root, ref.path)
    if path is None:
        diags.error(config.path, ref.line, f"chapter {ref.path!r} points outside the manuscript folder", "chapter.outside")
        return None, None
    try:
        exists = path.is_file()
    except OSError:  # e.g. a file name too long
        exists = False
    if not exists:
        diags.error(config.path, ref.line, f"chapter file {ref.path!r} does not exist", "chapter.missing")
        return path, None
    before = len(diags.errors)
    try:
        raw = safeio.read_bytes(root, ref.path, "chapter")
    except safeio.Refused as exc:
        code = {"outside": "chapter.outside", "too-large": "chapter.too-large"}.get(exc.reason, "chapter.missing")
        diags.error(config.path, ref.line, f"chapter {ref.path!r} cannot be read: {exc.message}", code)
        return path, None
    text = cfg.decode_text(raw, path, diags)
    return path, (text if len(diags.errors) == before else None)


def _load_chapter(root, ref, number, config, book_lint, diags: Collector, common: str = "") -> Chapter | None:
    path, text = _read_chapter(root, ref, config, diags)
    if text is None:
        return None
    meta, body, body_line = split_front_matter(text, path, diags)
    if meta is None:
        return None
    for key in meta.value:
        if key not in FRONT_MATTER_KEYS:
            diags.warning(path, meta.line(key), f"unknown front-matter key {key!r} is ignored{cfg.did_you_mean(key, FRONT_MATTER_KEYS)}", "front-matter.unknown-key")
    title = meta.value.get("title")
    if not isinstance(title, str) or not title.strip():
        diags.error(path, meta.line("title"), "front matter needs a `title`", "front-matter.title")
    kind = meta.value.get("kind", "chapter")
    if kind not in cfg.CHAPTER_KINDS:
        diags.error(path, meta.line("kind"), f"kind {kind!r}: use one of {', '.join(cfg.CHAPTER_KINDS)}", "front-matter.value")
    if not body.strip():
        diags.error(path, body_line, "the chapter is empty", "chapter.empty")
    chapter_id = str(meta.value.get("id") or _id_from_path(ref.path, common))
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", chapter_id):
        diags.error(path, meta.line("id"), f"chapter id {chapter_id!r} must be ASCII letters, digits, - or _ (starting with a letter)", "front-matter.value")
    lint = chapter_lint(meta, book_lint, path, diags)
    # what the text holds (notes, dates, tracked changes) and the linter's rules are checked on pandoc's parse
    # of it, in the conversion (ketab.bodychecks)
    source = meta.value.get("source")
    return Chapter(
        number=number,
        id=chapter_id,
        path=path,
        rel=ref.path,
        title=str(title or "").strip(),
        kind=kind if kind in cfg.CHAPTER_KINDS else "chapter",
        body=body,
        body_line=body_line,
        subtitle=_opt(meta.value.get("subtitle")),
        source=None if source is None else str(source),
        author=_opt(meta.value.get("author")),
        translator=_opt(meta.value.get("translator")),
        lint=lint,
        running_head=_opt(meta.value.get("running_head")),
        source_line=meta.line("source"),
    )


def _opt(v):
    return None if v is None else str(v).strip()


def _id_from_path(rel: str, common: str = "") -> str:
    """The chapter's path below the folder all chapters share, without its extension: ``part/intro.md`` → ``part-intro``
    (so two ``intro.md`` in different folders are two chapters)."""
    rel = posixpath.normpath(rel)
    if common and rel.startswith(common + "/"):
        rel = rel[len(common) + 1 :]
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", posixpath.splitext(rel)[0]).strip("-")
    return stem if stem[:1].isalpha() else f"ch-{stem}"


def safe_path(root: Path, rel: str) -> Path | None:
    """``root/rel`` resolved, or None if it (or a symlink in it) leads outside ``root``."""
    try:
        base = root.resolve()
        target = (root / rel).resolve()
    except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL byte, a name too long
        return None
    if not target.is_relative_to(base):
        return None
    return target


def chapter_lint(meta: yamlnodes.LocatedYaml, book_lint: LintConfig, path: Path, diags: Collector) -> LintConfig:
    """A chapter's linter settings: its front matter's ``lint:`` on top of the book's."""
    if not isinstance(meta.value.get("lint"), dict):
        return book_lint
    try:
        return LintConfig.from_mapping(meta.value["lint"], base=book_lint)
    except LintConfigError as exc:
        diags.error(path, meta.line("lint"), f"lint: {exc}", "front-matter.value")
        return book_lint


def lint_text(text: str, path: Path, lint: LintConfig, diags: Collector, strict: bool = False, skip=(), nonprose=()) -> None:
    """The editorial linter's findings on a chapter's text: warnings (errors when ``strict``); the rules
    in ``skip`` are left to the build's own checks; ``nonprose``: the spans of ``text`` pandoc parsed as code
    or raw HTML."""
    report = diags.error if strict else diags.warning
    for finding in lint_markdown(text, str(path), lint, nonprose):
        if finding.code in skip:
            continue
        report(path, finding.line, f"{finding.message} (column {finding.col})", f"lint.{finding.code}")


def split_front_matter(text: str, path: Path, diags: Collector):
    """(LocatedYaml, body, body_line) — or (None, "", 0) after reporting an error."""
    if not text.startswith("---\n"):
        diags.error(path, 1, "a chapter starts with YAML front matter between '---' lines", "front-matter.missing")
        return None, "", 0
    end = re.search(r"^(---|\.\.\.)[ \t]*$", text[4:], re.M)
    if end is None:
        diags.error(path, 1, "the front matter is never closed with '---'", "front-matter.unclosed")
        return None, "", 0
    yaml_text = text[4 : 4 + end.start()]
    body = text[4 + end.end() :]
    body = body[1:] if body.startswith("\n") else body
    body_line = yaml_text.count("\n") + 3
    try:
        meta = yamlnodes.load(yaml_text, first_line=2)
    except yamlnodes.YamlSyntaxError as exc:
        diags.error(path, exc.line, exc.message, "front-matter.syntax")
        return None, "", 0
    if meta.value is None:
        meta = yamlnodes.LocatedYaml({}, {}, 2)
    if not isinstance(meta.value, dict):
        diags.error(path, 2, "front matter must be a mapping of keys to values", "front-matter.type")
        return None, "", 0
    return meta, body, body_line


def _check_unique_ids(chapters, diags: Collector) -> None:
    seen: dict[str, Chapter] = {}
    for ch in chapters:
        if ch.id in seen:
            diags.error(ch.path, 1, f"chapter id {ch.id!r} is already used by {seen[ch.id].rel}", "chapter.duplicate-id")
        seen.setdefault(ch.id, ch)


def _load_sources(root: Path, diags: Collector) -> tuple[SourceRecord, ...]:
    folder = root / "sources"
    records = []
    if not folder.is_dir():
        return ()
    if safe_path(root, "sources") is None:
        diags.error(folder, 1, "sources/ points outside the manuscript folder", "source.outside")
        return ()
    for path in sorted(folder.glob("*.yaml")):
        resolved = safe_path(root, path.relative_to(root).as_posix())
        if resolved is None:
            diags.error(path, 1, "this source record points outside the manuscript folder", "source.outside")
            continue
        try:
            raw = safeio.read_bytes(root, path.relative_to(root).as_posix(), "data")
        except safeio.Refused as exc:
            if exc.reason == "not-file":  # a folder, a FIFO: not a record
                continue
            diags.error(path, None, f"this source record cannot be read: {exc.message}", "source.outside" if exc.reason == "outside" else "source.unreadable")
            continue
        text = cfg.decode_text(raw, path, diags)
        try:
            doc = yamlnodes.load(text)
        except yamlnodes.YamlSyntaxError as exc:
            diags.error(path, exc.line, exc.message, "source.syntax")
            continue
        if not isinstance(doc.value, dict) or "id" not in doc.value:
            diags.error(path, 1, "a source record is a mapping with at least an `id`", "source.type")
            continue
        records.append(SourceRecord(str(doc.value["id"]), path, dict(doc.value)))
    return tuple(records)


__all__ = ["Chapter", "Manuscript", "SourceRecord", "load_manuscript", "BuildError"]
