"""The schema of ``book.yaml``: one declaration per key, each with its docstring.

Validation collects every error (with its line) and reports them all at once;
unknown keys warn.  The result is a frozen :class:`BookConfig`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ketab import safeio, yamlnodes
from ketab.configvalues import (  # noqa: F401 (re-exported: the values of book.yaml's keys)
    FONT_ROLES,
    FONT_STYLES,
    PRESETS,
    PRINT_MARKS,
    PRINT_PROFILES,
    PRINT_STANDARDS,
    VENDORED_FAMILIES,
    Invalid,
    PrintSettings,
    _count,
    _fonts,
    _inside,
    _isbn,
    _print,
    _text,
    _toc_depth,
)
from ketab.diagnostics import Collector
from ketab.language import Language, default_direction, known_languages, label_key
from ketab.persian.lint import LintConfig, LintConfigError

TRIMS_MM = {
    "raqi": (145.0, 215.0),  # رقعی
    "vaziri": (165.0, 235.0),  # وزیری
    "jibi": (110.0, 165.0),  # جیبی
    "a5": (148.0, 210.0),
    "a4": (210.0, 297.0),
    "b5": (176.0, 250.0),
    "us-trade": (152.4, 228.6),  # 6 × 9 in
}

GENERATED_KINDS = ("chronology", "sources", "index", "glossary", "abbreviations", "references", "figures", "tables")
CHAPTER_KINDS = ("frontmatter", "chapter", "appendix", "backmatter")
ROLES = ("author", "editor", "translator", "compiler", "publisher", "illustrator", "typesetter", "cover-designer")


@dataclass(frozen=True)
class Creator:
    name: str
    role: str


@dataclass(frozen=True)
class Trim:
    """The trimmed page size in millimetres (``name`` is None for explicit sizes)."""

    width: float
    height: float
    name: str | None = None


@dataclass(frozen=True)
class ChapterRef:
    """One entry of ``chapters``: a Markdown file, or a part ketab generates."""

    path: str | None
    """Path relative to the manuscript folder, for a written chapter."""
    generate: str | None = None
    """What a generated part is: one of :data:`GENERATED_KINDS`."""
    title: str | None = None
    data: str | None = None
    """For ``chronology``: the YAML data file, relative to the manuscript folder."""
    line: int = 1
    """Line of this entry in book.yaml."""


@dataclass(frozen=True)
class BookConfig:
    """A validated ``book.yaml``."""

    path: Path
    title: str
    language: Language
    slug: str
    identifier: str
    chapters: tuple[ChapterRef, ...]
    subtitle: str | None = None
    creators: tuple[Creator, ...] = ()
    publisher: str | None = None
    date: str | None = None
    rights: str | None = None
    edition: str | None = None
    description: str | None = None
    trim: Trim = Trim(*TRIMS_MM["raqi"], "raqi")
    bleed: float = 3.0
    signature: int = 16
    caliper: float = 0.1
    print: PrintSettings = PrintSettings()
    lint: dict = field(default_factory=dict)
    isbn: str | None = None
    """ISBN-13 (digits only), checked; None when the book has none (nothing is invented)."""
    place: str | None = None
    print_run: int | None = None
    toc_depth: int | None = None
    """Heading levels in the contents and the EPUB navigation (1: chapters only); default: 1 in print, 2 in the EPUB."""
    bibliography: tuple[str, ...] = ()
    """Bibliography files (BibTeX, CSL JSON or CSL YAML), relative to the manuscript folder: citations go through citeproc."""
    fonts: dict = field(default_factory=dict)
    """Role (body, headings, latin, mono) → a vendored family name, or {style: file in the manuscript}
    (styles: regular, bold, italic, bold_italic)."""
    csl: str | None = None
    """A CSL style file, relative to the manuscript folder (default: pandoc's Chicago author-date)."""
    lines: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def direction(self) -> str:
        return self.language.direction

    def creators_with(self, role: str) -> tuple[Creator, ...]:
        return tuple(c for c in self.creators if c.role == role)

    @property
    def date_value(self) -> dt.date | None:
        return dt.date.fromisoformat((self.date + "-01-01")[:10]) if self.date else None  # a year or a month: its first day


# --- the schema -------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    doc: str
    parse: Callable
    required: bool = False


def _language(v):
    tag = _text(v)
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", tag):
        raise Invalid(f"{tag!r} is not a BCP 47 language tag (e.g. fa-AF, en)")
    if label_key(tag) not in known_languages():
        raise Invalid(f"unknown language {tag!r}: ketab has labels for {', '.join(known_languages())}")
    return tag


def _direction(v):
    if v not in ("rtl", "ltr"):
        raise Invalid("expected rtl or ltr")
    return v


def _slug(v):
    s = _text(v)
    if not re.fullmatch(r"[a-z0-9][a-z0-9._-]*", s):
        raise Invalid("expected lowercase ASCII letters, digits, '-', '_' or '.' (it names the output files)")
    return s


def _identifier(v):
    s = _text(v)
    if s.lower().startswith("urn:uuid:"):
        try:
            uuid.UUID(s[9:])
        except ValueError:
            raise Invalid(f"{s!r} is not a valid urn:uuid") from None
    elif not re.fullmatch(r"(urn:[a-z0-9][a-z0-9-]{0,31}:\S+|isbn:[0-9-]{10,17}X?)", s, re.I):
        raise Invalid("expected a stable identifier such as urn:uuid:… or urn:isbn:…")
    return s


def _date(v):
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    s = _text(v)
    if re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", s):
        try:
            dt.date.fromisoformat(s if len(s) == 10 else (s + "-01-01")[:10])
            return s
        except ValueError:
            pass
    raise Invalid(f"{s!r} is not an ISO date (YYYY-MM-DD)")


def _trim(v):
    if isinstance(v, str):
        name = v.strip().lower()
        if name not in TRIMS_MM:
            raise Invalid(f"unknown trim {v!r}: use one of {', '.join(TRIMS_MM)} or {{width: mm, height: mm}}")
        return Trim(*TRIMS_MM[name], name)
    if isinstance(v, dict) and set(v) == {"width", "height"}:
        w, h = v["width"], v["height"]
        if all(isinstance(x, (int, float)) and not isinstance(x, bool) and 50 <= x <= 1000 for x in (w, h)):
            return Trim(float(w), float(h))
    raise Invalid(f"expected a named trim ({', '.join(TRIMS_MM)}) or {{width: mm, height: mm}} between 50 and 1000")


def _number(lo, hi):
    def parse(v):
        if isinstance(v, (int, float)) and not isinstance(v, bool) and lo <= v <= hi:
            return float(v)
        raise Invalid(f"expected a number between {lo} and {hi}")

    return parse


def _signature(v):
    if v in (4, 8, 12, 16, 24, 32, 1):
        return int(v)
    raise Invalid("expected a signature size of 4, 8, 12, 16, 24 or 32 pages (1 for none)")


def _creators(v):
    if not isinstance(v, list):
        raise Invalid("expected a list of {name, role}")
    out = []
    for i, item in enumerate(v):
        if not isinstance(item, dict) or "name" not in item:
            raise Invalid(f"item {i + 1}: expected {{name: …, role: …}}")
        role = str(item.get("role", "author"))
        if role not in ROLES:
            raise Invalid(f"item {i + 1}: unknown role {role!r} (use {', '.join(ROLES)})")
        out.append(Creator(_text(item["name"]), role))
    return tuple(out)


def _lint(v):
    if not isinstance(v, dict):
        raise Invalid("expected a mapping such as {profile: dari, disable: [fa-zwnj-he]}")
    return dict(v)


def _chapters(v):
    if not isinstance(v, list) or not v:
        raise Invalid("expected a non-empty list of chapter files")
    return v  # entries are checked one by one in _chapter_refs, with their own lines


SCHEMA: dict[str, Key] = {
    "title": Key("The book's title.", _text, required=True),
    "subtitle": Key("Optional subtitle, shown on the title page.", _text),
    "language": Key("BCP 47 tag (fa-AF, fa, en…): drives direction, digits and labels.", _language, True),
    "direction": Key("rtl or ltr; derived from the language when absent.", _direction),
    "slug": Key("Stem of the output files: <slug>-print.pdf, <slug>-screen.pdf, <slug>.epub.", _slug, True),
    "identifier": Key("Stable identifier, e.g. urn:uuid:… (the EPUB's unique identifier).", _identifier, True),
    "creators": Key("List of {name, role}; roles: " + ", ".join(ROLES) + ".", _creators),
    "publisher": Key("Publisher's name.", _text),
    "date": Key("Publication date (ISO); every date in the outputs comes from here.", _date),
    "rights": Key("Rights statement.", _text),
    "edition": Key("Edition statement for the identity page, e.g. «چاپ نخست».", _text),
    "description": Key("A short description (EPUB and PDF metadata).", _text),
    "trim": Key("Trimmed page size: " + ", ".join(TRIMS_MM) + ", or {width, height} in mm.", _trim),
    "bleed": Key("Bleed in mm around the trim of the print PDF (default 3).", _number(0, 10)),
    "signature": Key("Print page count is padded to a multiple of this (default 16).", _signature),
    "caliper": Key("Paper thickness per leaf (two pages) in mm, for the spine width (default 0.1); print: {paper} wins.", _number(0.03, 1)),
    "print": Key("The print PDF: {standard: x-4|x-1a, profile: pso-uncoated, marks: none|crop, preset: kdp|ingramspark|lulu, "
                 "paper: NAME|{caliper: mm a leaf}|{ppi}, margins: {top, outer, bottom, inner}, bottom: flush|ragged} (docs/print-presets.md).", _print),
    "lint": Key("Linter settings for the whole book: {profile: dari|iranian, disable: [codes]}.", _lint),
    "isbn": Key("ISBN-13 of this edition, when it has one (the identity page and the back cover's barcode).", _isbn),
    "place": Key("Place of publication, for the identity page.", _text),
    "print_run": Key("Number of copies printed (شمارگان), for the identity page.", _count),
    "chapters": Key("Reading order: paths relative to the manuscript folder, or {generate: …}.", _chapters, True),
    "toc_depth": Key("Heading levels in the contents and the EPUB navigation: 1 (chapters) to 4; default 1 in print, 2 in the EPUB.",
                     _toc_depth),
    "bibliography": Key("Bibliography file(s) for citations ([@key]): BibTeX (.bib), CSL JSON or YAML; paths in the manuscript.",
                        lambda v: tuple(_inside(x) for x in (v if isinstance(v, list) else [v]))),
    "csl": Key("CSL style file for citations, a path in the manuscript.", lambda v: _inside(v)),
    "fonts": Key("Faces for body, headings, latin, mono: a vendored family (" + ", ".join(VENDORED_FAMILIES) + ") or font files in the "
                 "manuscript ({regular, bold, italic, bold_italic} or one path).", lambda v: _fonts(v)),
}


def read_book_yaml(path: Path, diags: Collector) -> yamlnodes.LocatedYaml | None:
    """``book.yaml`` decoded and parsed into a mapping with the line of every key, or None after an error.

    The one reader of the file: the build (:func:`load_config`) and ``ketab lint`` (:func:`lint_settings`)."""
    try:
        # regular file inside the manuscript, bounded: never a symlink out, a FIFO or /dev/zero
        raw = safeio.read_bytes(path.parent, path.name, "config")
    except safeio.Refused as exc:
        if exc.reason == "missing" and not os.path.lexists(path):
            diags.error(path, None, "book.yaml not found: a manuscript folder needs one", "config.missing")
        elif exc.reason == "too-large":
            diags.error(path, None, f"book.yaml is too large: {exc.message}", "config.too-large")
        elif exc.reason == "outside":
            diags.error(path, None, f"book.yaml is not read: {exc.message}", "config.outside")
        else:
            diags.error(path, None, f"book.yaml cannot be read: {exc.message}", "config.unreadable")
        return None
    before = len(diags.errors)
    text = decode_text(raw, path, diags)
    if len(diags.errors) > before:
        return None
    try:
        doc = yamlnodes.load(text)
    except yamlnodes.YamlSyntaxError as exc:
        diags.error(path, exc.line, exc.message, "config.syntax")
        return None
    if not isinstance(doc.value, dict):
        diags.error(path, 1, "book.yaml must be a mapping of keys to values", "config.type")
        return None
    return doc


def book_lint(language: Language, mapping, path: Path, line: int, diags: Collector) -> LintConfig:
    """The book's linter settings: its ``lint:`` mapping on top of the profile its language implies."""
    base = LintConfig(language.lint_profile)
    if not mapping:
        return base
    try:
        return LintConfig.from_mapping(mapping, base=base)
    except LintConfigError as exc:
        diags.error(path, line, f"lint: {exc}", "config.value")
        return base


@dataclass(frozen=True)
class LintSettings:
    """What ``ketab lint`` needs of a book.yaml, read as the build reads it (the rest need not be valid)."""

    lint: LintConfig
    chapters: tuple[ChapterRef, ...] | None
    """The reading order, when book.yaml has a valid one."""


def lint_settings(path: Path, diags: Collector) -> LintSettings:
    """The linter settings and reading order of ``book.yaml``, with the build's parsers and defaults."""
    doc = read_book_yaml(path, diags)
    if doc is None:
        return LintSettings(LintConfig(), None)
    values = {}
    for key in ("language", "direction", "lint", "chapters"):
        if key in doc.value:
            try:
                values[key] = SCHEMA[key].parse(doc.value[key])
            except Invalid as exc:
                diags.error(path, doc.line(key), f"{key}: {exc}", "config.value")
    tag = values.get("language", "")
    language = Language(tag, values.get("direction") or default_direction(tag or "en"))
    lint = book_lint(language, values.get("lint"), path, doc.line("lint"), diags)
    chapters = _chapter_refs(values["chapters"], doc, path, diags) if "chapters" in values else None
    return LintSettings(lint, chapters)


REQUIRED_FOR_A_BOOK = ("title", "language", "slug", "identifier", "chapters")


def load_config(path: Path, partial: bool = False) -> tuple[BookConfig, list]:
    """Read and validate ``book.yaml``: (config, warnings), or BuildError listing every problem.

    ``partial``: when only optional keys are wrong, their defaults stand in and their errors come back with
    the warnings (the chapters are then checked in the same run)."""
    diags = Collector()
    doc = read_book_yaml(path, diags)
    diags.raise_if_errors()

    values = {}
    for key, value in doc.value.items():
        spec = SCHEMA.get(key)
        if spec is None:
            diags.warning(path, doc.line(key), f"unknown key {key!r} is ignored{did_you_mean(key, SCHEMA)}", "config.unknown-key")
            continue
        try:
            values[key] = spec.parse(value)
        except Invalid as exc:
            diags.error(path, doc.line(key), f"{key}: {exc}", "config.value")
    for key, spec in SCHEMA.items():
        if spec.required and key not in doc.value:
            typo = difflib.get_close_matches(key, [k for k in doc.value if k not in SCHEMA], n=1, cutoff=0.6)
            if typo:
                diags.error(path, doc.line(typo[0]), f"missing required key {key!r} (is {typo[0]!r} a typo?): {spec.doc}", "config.required")
            else:
                diags.error(path, 1, f"missing required key {key!r}: {spec.doc}", "config.required")
    if "chapters" in values:
        values["chapters"] = _chapter_refs(values["chapters"], doc, path, diags)
    if not (partial and all(key in values for key in REQUIRED_FOR_A_BOOK)):
        diags.raise_if_errors()

    _apply_preset(values, doc, path, diags)
    if not partial:
        diags.raise_if_errors()
    tag = values.pop("language")
    language = Language(tag, values.pop("direction", None) or default_direction(tag))
    return BookConfig(path=path, language=language, lines=doc.lines, **values), diags.items


def _apply_preset(values: dict, doc, path: Path, diags: Collector) -> None:
    """``print: {preset}``: the service's trim and bleed where book.yaml gives none; a margin under its minimum is an error."""
    settings = values.get("print")
    if settings is None or not settings.preset:
        return
    preset = PRESETS[settings.preset]
    if "trim" not in values:
        values["trim"] = Trim(*TRIMS_MM[preset.trim], preset.trim)
    if "bleed" not in values:
        values["bleed"] = round(preset.bleed, 3)
    elif abs(values["bleed"] - preset.bleed) > 0.05:
        diags.warning(path, doc.line("bleed"), f"bleed {values['bleed']:g} mm: {settings.preset} asks for {preset.bleed:.3f} mm", "print.preset")
    for side, what in settings.margin_problems():
        diags.error(path, doc.line("print", "margins", side), f"print: {what}", "print.margin")


def did_you_mean(word, choices) -> str:
    """«; did you mean 'language'?» for a near miss among ``choices``, else nothing."""
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _chapter_refs(entries, doc, path, diags) -> tuple[ChapterRef, ...]:
    refs = []
    seen = {}
    for i, entry in enumerate(entries):
        line = doc.line("chapters", i)
        if isinstance(entry, str) and entry.strip():
            rel = entry.strip()
            if Path(rel).is_absolute() or ".." in Path(rel).parts or "\x00" in rel:
                diags.error(path, line, f"chapter path {rel!r} must stay inside the manuscript folder", "config.path")
                continue
            if rel in seen:
                diags.error(path, line, f"chapter {rel!r} is listed twice (first on line {seen[rel]})", "chapter.duplicate")
                continue
            seen[rel] = line
            refs.append(ChapterRef(path=rel, line=line))
        elif isinstance(entry, dict) and entry.get("generate") in GENERATED_KINDS:
            unknown = set(entry) - {"generate", "title", "data"}
            if unknown:
                diags.warning(path, line, f"unknown keys {sorted(unknown)} in a generated part", "config.unknown-key")
            data, title = entry.get("data"), entry.get("title")
            try:
                title = None if title is None else _text(title)
                if data is not None and not isinstance(data, str):
                    raise Invalid("data: expected a path relative to the manuscript folder")
            except Invalid as exc:
                diags.error(path, line, f"{entry['generate']}: {exc}", "config.value")
                continue
            if entry["generate"] in ("chronology", "glossary", "abbreviations") and not data:
                diags.error(path, line, f"a {entry['generate']} needs `data:` (a YAML file)", "config.value")
                continue
            if data and (Path(data).is_absolute() or ".." in Path(data).parts or "\x00" in data):
                diags.error(path, line, f"data path {data!r} must stay inside the manuscript folder", "config.path")
                continue
            refs.append(
                ChapterRef(path=None, generate=entry["generate"], title=title, data=data, line=line)
            )
        else:
            diags.error(
                path,
                line,
                "a chapter entry is a file path or {generate: " + "|".join(GENERATED_KINDS) + "}",
                "config.value",
            )
    return tuple(refs)


def decode_text(raw: bytes, path: Path, diags: Collector) -> str:
    """UTF-8 text with a BOM dropped (warning) and CRLF line ends accepted."""
    if raw.startswith(b"\xef\xbb\xbf"):
        diags.warning(path, 1, "byte-order mark removed; save the file as UTF-8 without BOM", "encoding.bom")
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        diags.error(path, line, f"the file is not UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8", "encoding.utf8")
        return ""
    return text.replace("\r\n", "\n").replace("\r", "\n")
