"""Diagnostics: one format everywhere.

``manuscript/chapters/03.md:42: error: footnote [^7] is never defined [note.undefined]``

Every expected failure is a :class:`Diagnostic`; a stage that finds errors
collects them all and raises :class:`BuildError` once, so an editor sees every
problem of a run together.  Only real bugs print a traceback.

Every code is in :data:`CODES`, with its severity and meaning; ``docs/diagnostics.md``
is generated from it (``python -m ketab.diagnostics > docs/diagnostics.md``) and a
test keeps the two, and the codes the source uses, in step.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from pathlib import Path


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One message about one place in the manuscript."""

    path: str
    """File the message is about, relative to the working directory where possible."""
    line: int | None
    """1-based line, or None when the message is about the whole file."""
    severity: Severity
    message: str
    code: str
    """Stable machine-readable code such as ``note.undefined``."""

    def __str__(self) -> str:
        path = printable(self.path)
        where = path if self.line is None else f"{path}:{self.line}"
        return f"{where}: {self.severity.value}: {printable(self.message)} [{self.code}]"

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


@dataclass(frozen=True)
class Code:
    severity: Severity
    """The severity it is reported with (a linter finding is an error with ``--strict``)."""
    meaning: str


E, W = Severity.ERROR, Severity.WARNING
CODES: dict[str, Code] = {
    # book.yaml
    "config.missing": Code(E, "The manuscript folder has no book.yaml."),
    "config.syntax": Code(E, "book.yaml is not valid YAML."),
    "config.type": Code(E, "book.yaml is not a mapping of keys to values."),
    "config.required": Code(E, "A required key of book.yaml is missing."),
    "config.value": Code(E, "A value in book.yaml does not fit its key (including the lint: settings)."),
    "config.unknown-key": Code(W, "book.yaml has a key ketab does not know; it is ignored."),
    "config.path": Code(E, "A chapter or data path in book.yaml leaves the manuscript folder."),
    "encoding.utf8": Code(E, "A file is not UTF-8."),
    "encoding.bom": Code(W, "A file starts with a byte-order mark, which is removed."),
    # chapters and their front matter
    "chapter.missing": Code(E, "A chapter book.yaml lists does not exist."),
    "chapter.outside": Code(E, "A chapter path points outside the manuscript folder."),
    "chapter.duplicate": Code(E, "A chapter is listed twice in book.yaml."),
    "chapter.duplicate-id": Code(E, "Two chapters have the same id."),
    "chapter.empty": Code(E, "A chapter has no text after its front matter."),
    "chapter.source": Code(E, "A chapter's source has no record in sources/."),
    "front-matter.missing": Code(E, "A chapter does not start with YAML front matter."),
    "front-matter.unclosed": Code(E, "A chapter's front matter is never closed with ---."),
    "front-matter.syntax": Code(E, "A chapter's front matter is not valid YAML."),
    "front-matter.type": Code(E, "A chapter's front matter is not a mapping."),
    "front-matter.title": Code(E, "A chapter's front matter has no title."),
    "front-matter.value": Code(E, "A front-matter value does not fit its key (kind, id, lint)."),
    "front-matter.unknown-key": Code(W, "A front-matter key ketab does not know; it is ignored."),
    # the text
    "note.undefined": Code(E, "A footnote is referenced but never defined."),
    "note.duplicate": Code(W, "A footnote is defined twice; pandoc uses the last definition."),
    "chapter.tracked-change": Code(W, "A tracked change from Word is still marked in the text (ketab import --track-changes)."),
    "note.unused": Code(W, "A footnote is defined but never referenced."),
    "date.invalid": Code(E, "A {.shamsi} or {.miladi} date cannot be read or does not exist."),
    "html.refused": Code(W, "Raw HTML that could run code or load content (scripts, frames, forms, handlers, inline SVG) "
                            "was dropped; an error with --strict."),
    "html.repaired": Code(W, "HTML that is not valid XHTML in a book (a figcaption outside a figure) was repaired; an error with --strict."),
    "html.no-search": Code(W, "pagefind is not installed: the web edition has no search."),
    "id.duplicate": Code(W, "An id the author wrote is already used (in the book: renamed; in the chapter: the second dropped); "
                            "an error with --strict."),
    "link.undefined": Code(W, "A link points nowhere (no chapter, heading or id has it): its text is kept; an error with --strict."),
    "lists.empty": Code(W, "a list of figures or tables has nothing to list (no caption in the book): the part is left out."),
    "xref.undefined": Code(W, "@fig:…, @tbl:… or @eq:… names no figure, table or equation; an error with --strict."),
    "citation.undefined": Code(W, "A citation's key is not in the bibliography, or book.yaml names none; an error with --strict."),
    "citation.file": Code(E, "A bibliography or CSL file book.yaml names is not in the manuscript."),
    "font.missing-glyph": Code(W, "A character is in none of the book's fonts (it would print as an empty box)."),
    "image.missing": Code(E, "An image file does not exist."),
    "image.outside": Code(E, "An image path points outside the manuscript folder."),
    "image.remote": Code(W, "An image is a URL: only files inside the manuscript are used; dropped (an error with --strict)."),
    "image.type": Code(E, "An image file is not PNG, JPEG, GIF, WebP or SVG."),
    "lint.<rule>": Code(W, "A finding of the editorial linter's rule <rule> (see the table of rules below)."),
    "lint.io": Code(E, "ketab lint could not read a file or folder."),
    # sources and generated parts
    "source.outside": Code(E, "sources/ or a source record points outside the manuscript folder."),
    "source.syntax": Code(E, "A source record is not valid YAML."),
    "source.type": Code(E, "A source record is not a mapping with an id."),
    "chronology.missing": Code(E, "The chronology's data file does not exist."),
    "chronology.syntax": Code(E, "The chronology's data file is not valid YAML."),
    "chronology.type": Code(E, "The chronology is not a list of events with date and event."),
    "chronology.misquote": Code(W, "A chronology event quotes its source's chapters, but not as they read."),
    "register.missing": Code(E, "The register of names' data file does not exist."),
    "register.syntax": Code(E, "The register of names' data file is not valid YAML."),
    "register.type": Code(E, "The register of names is not a list of {entry, kind, forms}."),
    "glossary.missing": Code(E, "The glossary's data file does not exist."),
    "glossary.syntax": Code(E, "The glossary's data file is not valid YAML."),
    "glossary.type": Code(E, "The glossary is not a list of words with their explanations."),
    "abbreviations.missing": Code(E, "The list of abbreviations' data file does not exist."),
    "abbreviations.syntax": Code(E, "The list of abbreviations' data file is not valid YAML."),
    "abbreviations.type": Code(E, "The list of abbreviations is not a list of abbreviations with what they stand for."),
    "register.unknown-key": Code(W, "A register entry has a key ketab does not know; it is ignored."),
    "register.value": Code(E, "A register entry's kind is not one ketab knows."),
    "register.duplicate": Code(E, "A name is registered twice."),
    "register.see": Code(E, "A see-reference points to a name that is not registered."),
    "register.ambiguous": Code(E, "A spelling is both rejected and a form of another entry."),
    # the tools
    "pandoc.error": Code(E, "pandoc failed on a chapter."),
    "pandoc.warning": Code(W, "pandoc warned about a chapter (its lines counted in the chapter's file)."),
    "layout.warning": Code(W, "WeasyPrint warned while laying out a chapter (e.g. an image it cannot read), or set a line of it past the side of its text block (a word no line holds; quoted)."),
    "proof.git": Code(E, "ketab proof could not read the revision from git."),
    "pandoc.timeout": Code(E, "pandoc did not finish a chapter in time (runs of unmatched brackets or emphasis marks)."),
    "layout.timeout": Code(E, "WeasyPrint did not finish laying out a part of the book in time."),
    "config.too-large": Code(E, "book.yaml is larger than ketab reads."),
    "config.outside": Code(E, "book.yaml is not read: it is a link out of the manuscript or not a plain file."),
    "config.unreadable": Code(E, "book.yaml cannot be read."),
    "chapter.too-large": Code(E, "A chapter file is larger than ketab reads."),
    "chapter.nesting": Code(E, "A chapter's text is nested deeper than a book can lay out."),
    "image.too-large": Code(E, "A picture has more pixels or bytes than a book can hold."),
    "image.broken": Code(E, "A picture is truncated or corrupt and cannot be drawn."),
    "output.manuscript": Code(E, "The output folder is the manuscript folder or holds it."),
    "output.unwritable": Code(E, "The output folder cannot be written."),
    "press.refused": Code(W, "Something on a print page cannot be made press-ready."),
    "print.margin": Code(E, "A page margin is smaller than the print-on-demand preset's minimum (the inner one by page count)."),
    "print.preset": Code(W, "book.yaml's bleed differs from what the print-on-demand preset asks for."),
    # ketab check (the preflight of the outputs)
    "check.missing-output": Code(E, "ketab check: an output to check has not been built."),
    "note.call-missing": Code(E, "ketab check: a note's call is not on the print page."),
    "note.missing": Code(E, "ketab check: a note's text is not in the print PDF."),
    "note.off-page": Code(E, "ketab check: a note's text is not on the page of its call."),
    "note.duplicated": Code(E, "ketab check: a note's text is printed more than once."),
    "note.order": Code(E, "ketab check: a page prints its notes out of order."),
    "note.page-of-notes": Code(E, "ketab check: a page holds notes and none of their calls."),
    "pdfx.output-intent": Code(E, "ketab check: the print PDF has no PDF/X output intent."),
    "pdfx.version": Code(E, "ketab check: the print PDF does not name its PDF/X version."),
    "pdfx.trapped": Code(E, "ketab check: the print PDF's Trapped key is not True or False."),
    "pdfx.title": Code(E, "ketab check: the print PDF has no title."),
    "pdfx.xmp": Code(E, "ketab check: the XMP metadata does not identify the PDF/X version."),
    "pdfx.annotations": Code(E, "ketab check: the print PDF has annotations (links)."),
    "pdfx.encrypted": Code(E, "ketab check: the print PDF is encrypted."),
    "pdfx.boxes": Code(E, "ketab check: page boxes (media, bleed, trim) are missing or inconsistent."),
    "press.font-embedding": Code(E, "ketab check: a font is not embedded."),
    "press.font-foreign": Code(E, "ketab check: a font is not one of the book's (a system font filled in glyphs)."),
    "press.font-programs": Code(E, "ketab check: one face is embedded as several font programs."),
    "press.text-block": Code(E, "ketab check: text stands within 5 mm of the trim or in the bleed."),
    "layout.spread": Code(W, "ketab check: the two pages of a spread the text runs on from end on different lines (print: {bottom: ragged}, or a page short of more than five lines)."),
    "cover.spine": Code(E, "ketab check: the cover's spine does not match the paper's (or the preset's) formula for the page count."),
    "xref.page-number": Code(E, "ketab check: a printed cross-reference names the wrong page."),
    "xref.dangling": Code(E, "ketab check: a link in the PDF goes nowhere."),
    "epub.structure": Code(E, "ketab check: the EPUB's zip structure is wrong (mimetype first, stored)."),
    "epub.note": Code(E, "ketab check: a note is missing from the EPUB or not linked both ways."),
    "epub.epubcheck": Code(E, "ketab check: epubcheck reports an error (or a warning)."),
    "thumbnails.missing": Code(E, "ketab thumbnails found no print PDF to show."),
}
"""Every diagnostic code: its severity and what it means."""


def registered(code: str) -> bool:
    """Whether ``code`` is in :data:`CODES` (``lint.fa-yeh`` is an instance of ``lint.<rule>``)."""
    return code in CODES or (code.startswith("lint.") and "lint.<rule>" in CODES)


def markdown_table() -> str:
    """docs/diagnostics.md: the table of :data:`CODES`, then the editorial linter's rules."""
    from ketab.persian.lint import RULES

    lines = [
        "# Diagnostics",
        "",
        "Every message of `ketab build`, `ketab lint`, `ketab proof` and `ketab thumbnails` has one form:",
        "",
        "```",
        "manuscript/chapters/03.md:42: error: footnote [^7] is never defined [note.undefined]",
        "```",
        "",
        "Errors stop the build (exit status 1; the previous outputs are left as they were); warnings do not.",
        "This file is generated from `ketab.diagnostics.CODES`: `python -m ketab.diagnostics > docs/diagnostics.md`.",
        "",
        "| code | severity | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| `{code}` | {c.severity.value} | {c.meaning} |" for code, c in CODES.items()]
    lines += ["", "## The editorial linter's rules (`lint.<rule>`)", "",
              "Warnings, or errors with `ketab build --strict`.", "", "| rule | fixable | profiles | what it checks |", "|---|---|---|---|"]
    lines += [f"| `{r.code}` | {'yes' if r.fixable else 'no'} | {', '.join(sorted(r.profiles))} | {' '.join(r.description.split())} |" for r in RULES]
    return "\n".join(lines) + "\n"


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with the characters that could forge or reorder a diagnostic line written as escapes: line
    breaks and other control characters, and the bidi embeddings, overrides and isolates (a file named
    «a\u202e…» would otherwise print its line number backwards).  ZWNJ and the marks Persian needs stay."""
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}" if ord(m.group()) > 0xff else f"\\x{ord(m.group()):02x}", str(text))


class ExitCode(enum.IntEnum):
    """Exit status of the CLI, one per class of failure."""

    OK = 0
    MANUSCRIPT = 1  # the manuscript has errors: the editor fixes them
    LOCKED = 3  # another build holds the lock
    INTERRUPTED = 130


class BuildError(Exception):
    """An expected failure: the manuscript (or its environment) is wrong."""

    exit_code = ExitCode.MANUSCRIPT

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]):
        self.diagnostics = tuple(sorted(diagnostics, key=_sort_key))
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def _sort_key(d: Diagnostic):
    return (d.path, d.line or 0, d.severity != Severity.ERROR, d.code)


def display_path(path: Path | str) -> str:
    """A path as the editor typed it: relative to the working directory if inside it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


class Collector:
    """Gathers diagnostics during a stage; :meth:`raise_if_errors` ends the stage."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def error(self, path, line, message: str, code: str) -> None:
        assert registered(code), f"diagnostic code {code!r} is not in ketab.diagnostics.CODES"
        self.items.append(Diagnostic(display_path(path), line, Severity.ERROR, message, code))

    def warning(self, path, line, message: str, code: str) -> None:
        assert registered(code), f"diagnostic code {code!r} is not in ketab.diagnostics.CODES"
        self.items.append(Diagnostic(display_path(path), line, Severity.WARNING, message, code))

    def extend(self, diagnostics) -> None:
        self.items.extend(diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if not d.is_error]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise BuildError(self.items)


if __name__ == "__main__":
    print(markdown_table(), end="")
