"""``ketab check`` — a printer's preflight that knows the manuscript.

The notes are checked here; the print PDF in :mod:`.press`, the page numbers the book
prints in :mod:`.links`, the EPUB in :mod:`.epub`.

It reads the built outputs (print PDF, screen PDF, EPUB) *and* the manuscript
(converted by the build's own stages, through the cache) and reports, in the
diagnostics format:

* **notes** — every note of the manuscript printed exactly once, in order, on the
  page of its call.  The print layout leaves a named destination at each note's
  text (``<note id>``) and at its call (``<note id>-call``); the check compares
  them page by page, and looks for each note's text on its page;
* **text block** — glyphs outside the page's text block (or in the bleed);
* **fonts** — fonts that are not the book's, fonts not embedded, more than one font
  program for one face;
* **colour** — any colour that is not DeviceGray or pure K, images that are not gray,
  transparency (groups, soft masks, opacity, blend modes);
* **boxes and PDF/X** — MediaBox ⊇ BleedBox ⊇ TrimBox, the book's trim and bleed,
  the OutputIntent, ``GTS_PDFXVersion``, ``Trapped``, the XMP identification, no
  annotations in the print PDF;
* **cover** — the wrap's spine against the paper's (or the preset's) formula for the print PDF's
  page count, the margins against the print-on-demand preset's minimum for it (:mod:`.cover`);
* **page numbers** — every page number the contents and the index print (the
  screen PDF's links) against the page its anchor fell on;
* **EPUB** — container, package, manifest and spine, every note present once; and
  epubcheck when Java is present.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ketab.diagnostics import Diagnostic, Severity, display_path

MM = 72 / 25.4
_NOTE = re.compile(r'<span class="note" id="([^"]+)"')
_ARABIC_LETTER = re.compile(r"[\u0621-\u064A\u0671-\u06D3\u06FA-\u06FF]")
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
from ketab.layout.pagination import NOTE_CALL as NOTE_CALL_SUFFIX  # noqa: E402  (the anchor at a note's call)


@dataclass
class Report:
    items: list

    def error(self, path, message: str, code: str, line: int | None = None) -> None:
        self.items.append(Diagnostic(display_path(path), line, Severity.ERROR, message, code))

    def warning(self, path, message: str, code: str, line: int | None = None) -> None:
        self.items.append(Diagnostic(display_path(path), line, Severity.WARNING, message, code))


# --- entry point ----------------------------------------------------------------


def preflight(manuscript_dir: Path, out_dir: Path, templates: Path | None = None) -> list[Diagnostic]:
    """Every finding about the outputs of ``manuscript_dir`` built into ``out_dir``."""
    from ketab import cache as cachemod
    from ketab.assemble import assemble
    from ketab.pipeline import load_and_convert

    manuscript_dir, out_dir = Path(manuscript_dir), Path(out_dir)
    cache = cachemod.BuildCache(out_dir / ".ketab-cache", cachemod.tool_versions())
    manuscript, converted, _ = load_and_convert(manuscript_dir, cache)  # the build's own stages 1–2, through its cache
    book = assemble(manuscript, converted)
    report = Report([])
    slug = book.config.slug
    outputs = {
        "print": out_dir / f"{slug}-print.pdf",
        "screen": out_dir / f"{slug}-screen.pdf",
        "epub": out_dir / f"{slug}.epub",
    }
    missing = [name for name, path in outputs.items() if not path.is_file()]
    for name in missing:
        report.error(outputs[name], f"the {name} output is missing: build the book first", "check.missing-output")
    from ketab.preflight.epub import check_epub
    from ketab.preflight.links import check_page_numbers
    from ketab.preflight.press import check_print_pdf

    if "print" not in missing:
        from ketab.preflight.cover import check_cover

        check_print_pdf(book, outputs["print"], report, templates)
        check_cover(book, out_dir / f"{slug}-cover.pdf", outputs["print"], report)
    if "screen" not in missing:
        check_notes(book, outputs["screen"], report)
        check_page_numbers(book, outputs["screen"], report)
    if "epub" not in missing:
        check_epub(book, outputs["epub"], report)
    return report.items


# --- notes ----------------------------------------------------------------------


def manuscript_notes(book) -> list[tuple]:
    """(part, note id, plain text) of every note, in reading order."""
    from lxml import html as lxml_html

    notes = []
    for part in book.parts:
        body = part.converted.html
        if 'class="note"' not in body:
            continue
        root = lxml_html.fragment_fromstring(body, create_parent="div")
        for span in root.iter("span"):
            if "note" in (span.get("class") or "").split() and span.get("id"):
                notes.append((part, span.get("id"), span.text_content()))
    return notes


def _letters(text: str) -> str:
    """Arabic-script letters only: what survives text extraction of a PDF in order.

    Without lam and alef: the lam-alef ligature comes out of the PDF in visual order
    («ال» for «لا»)."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in _ARABIC_LETTER.findall(text) if c not in "لاأإآ")


def _words(text: str) -> list[str]:
    """The Arabic-script words of a text, as :func:`_letters` keeps them (three letters or more)."""
    return [w for w in (_letters(t) for t in re.split(r"[\s«»،؛.:()\[\]]+", text)) if len(w) >= 3]


def _tokens(text: str) -> list[str]:
    """Words (as :func:`_words`) and numbers (in ASCII digits), in order."""
    out = []
    for t in re.split(r"[\s«»،؛.:()\[\]]+", text.translate(_DIGITS)):
        if t.isdigit():
            out.append(t)
        elif len(_letters(t)) >= 3:
            out.append(_letters(t))
    return out


def _covers(page_words: list[str], note_words: list[str]) -> bool:
    """Does a page's note area hold (at least 80 % of) a note's words?"""
    if not note_words:
        return True
    have = {}
    for w in page_words:
        have[w] = have.get(w, 0) + 1
    found = 0
    for w in note_words:
        if have.get(w, 0) > 0:
            have[w] -= 1
            found += 1
    return found >= 0.8 * len(note_words)


def _has_run(area: list[str], words: list[str], n: int) -> bool:
    """Do ``n`` consecutive words of ``words`` appear consecutively in ``area``?"""
    runs = {tuple(area[i:i + n]) for i in range(len(area) - n + 1)}
    return any(tuple(words[i:i + n]) in runs for i in range(len(words) - n + 1))


def check_notes(book, pdf_path: Path, report: Report) -> None:
    """Each note once, in order, on its call's page; no page of notes without calls."""
    import pikepdf

    lang = book.language
    pdf = pikepdf.open(pdf_path)
    dests = _destinations(pdf)
    notes = manuscript_notes(book)
    body_pages: dict[int, list] = {}
    call_pages: dict[int, list] = {}
    placed = []
    where = display_path(pdf_path)
    for part, note_id, text in notes:
        source = _source(book, part)
        number = lang.digits(note_id.rsplit("-n", 1)[-1]) if "-n" in note_id else note_id
        body = dests.get(note_id)
        call = dests.get(note_id + NOTE_CALL_SUFFIX)
        if call is None:
            report.error(source, f"note {number}: its call is not in {where}", "note.call-missing")
        else:
            call_pages.setdefault(call[0], []).append(note_id)
        if body is None:
            report.error(source, f"note {number}: its text is not in {where}" + (f" (called on page {call[0] + 1})" if call else ""), "note.missing")
            continue
        body_pages.setdefault(body[0], []).append((body[1], part, note_id, number))
        placed.append((part, note_id, number, text, body, call))
        if call is not None and call[0] != body[0]:
            report.error(source, f"note {number}: its text is on page {body[0] + 1}, its call on page {call[0] + 1}", "note.off-page")
    # The text itself, in the note area of each page (below the first note's top).
    tops = {page: max(y for y, *_ in items) for page, items in body_pages.items()}
    areas = _note_area_words(pdf_path, tops)
    token_areas = _note_area_words(pdf_path, {page: 1e6 for page in range(len(pdf.pages))}, _tokens)  # whole pages
    for part, _note_id, number, text, body, _call in placed:
        words = _words(text)
        if len(words) < 2:
            continue
        if not _covers(areas.get(body[0], []), words):
            report.error(_source(book, part), f"note {number}: its text is not printed on page {body[0] + 1} (its place is there, its text is not)", "note.missing")
        # printed again elsewhere: all its words and numbers, in a row (a note that only
        # resembles another — «note 2 …», «note 5 …» — is not the same note)
        tokens = _tokens(text)
        pages = [page for page, area in token_areas.items() if page == body[0] or (len(tokens) >= 5 and _has_run(area, tokens, len(tokens)))]
        if len(pages) > 1:
            report.error(_source(book, part), f"note {number}: its text is printed {len(pages)} times (pages {', '.join(str(p + 1) for p in pages)})", "note.duplicated")
    # Order: top to bottom on each page, page after page, as in the manuscript.
    rank = {note_id: i for i, (_, note_id, _) in enumerate(notes)}
    for page, items in sorted(body_pages.items()):
        printed = [num for _, _, _, num in sorted(items, key=lambda t: -t[0])]
        wanted = [num for _, _, _, num in sorted(items, key=lambda t: rank[t[2]])]
        if printed != wanted:
            report.error(_source(book, items[0][1]), f"page {page + 1} prints notes {' '.join(printed)} out of order", "note.order")
    pages = sorted(body_pages)
    for before, after in zip(pages, pages[1:]):
        last = max(body_pages[before], key=lambda t: rank[t[2]])
        first = min(body_pages[after], key=lambda t: rank[t[2]])
        if rank[first[2]] < rank[last[2]]:
            report.error(_source(book, first[1]), f"note {first[3]} on page {after + 1} comes after note {last[3]} on page {before + 1}", "note.order")
    for page in sorted(set(body_pages) - set(call_pages) if call_pages else ()):
        report.error(_source(book, body_pages[page][0][1]), f"page {page + 1} holds notes and none of their calls", "note.page-of-notes")


def _note_area_words(pdf_path: Path, tops: dict[int, float], split=None) -> dict[int, list[str]]:
    """Page → the words below ``tops[page]`` (the top of the page's first note)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf_path))
    out = {}
    for page, top in tops.items():
        textpage = doc[page].get_textpage()
        left, bottom, right, _ = doc[page].get_mediabox()
        out[page] = (split or _words)(textpage.get_text_bounded(left, bottom, right, top + 2))
    return out


def _source(book, part) -> Path:
    """The file a part's findings are about: its Markdown, or book.yaml for a generated part."""
    return getattr(part.converted.chapter, "path", None) or book.config.path


def _destinations(pdf) -> dict:
    """Named destination → (0-based page, y in points)."""
    import pikepdf

    page_of = {p.objgen: i for i, p in enumerate(pdf.pages)}
    out = {}
    if "/Names" in pdf.Root and "/Dests" in pdf.Root.Names:
        for name, dest in pikepdf.NameTree(pdf.Root.Names.Dests).items():
            if isinstance(dest, pikepdf.Dictionary):
                dest = dest.D
            page = page_of.get(dest[0].objgen)
            if page is None:
                continue
            y = float(dest[3]) if len(dest) > 3 and dest[1] == pikepdf.Name.XYZ and dest[3] is not None else 0.0
            out[str(name)] = (page, y)
    return out
