"""The print PDF: PDF/X keys, boxes, colour and transparency, fonts, the text block."""

from __future__ import annotations

import re
from pathlib import Path

from ketab.diagnostics import display_path
from ketab.preflight import _DIGITS, MM, Report, _destinations, _letters, check_notes, manuscript_notes  # noqa: F401


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
    from ketab.preflight.spreads import check_spreads

    check_spreads(book, pdf_path, report)


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


def _check_colour(pdf, path, report: Report) -> None:
    findings: dict[str, list] = {}

    def note(what, page):
        pages = findings.setdefault(what, [])
        if page not in pages:
            pages.append(page)

    for number, page in enumerate(pdf.pages, 1):
        group = page.obj.get("/Group")
        if group is not None and group.get("/S") == "/Transparency":
            note(_GROUP, number)
        _colour_in(page, page.obj.get("/Resources"), lambda what, n=number: note(what, n), set())
    for what, pages in findings.items():
        report.error(path, f"{what} (pages {_pages(pages)})", "press.colour" if "transparen" not in what else "press.transparency")


_GROUP = "a transparency group (a PDF/X conversion rasterises the page)"


def _colour_in(owner, resources, note, seen: set) -> None:
    """Report (``note(what)``) every colour, image and transparency of a content stream and the forms it draws."""
    import pikepdf

    try:
        instructions = pikepdf.parse_content_stream(owner)
    except pikepdf.PdfError:
        note("an unreadable content stream")
        return
    for operands, operator in instructions:
        what = _colour_operator(str(operator), operands)
        if what:
            note(what)
    if resources is None:
        return
    for gs in (resources.get("/ExtGState") or {}).values():
        for what in _transparency(gs):
            note(what)
    for xobject in (resources.get("/XObject") or {}).values():
        if xobject.objgen in seen:
            continue
        seen.add(xobject.objgen)
        group = xobject.get("/Group")
        if group is not None and group.get("/S") == "/Transparency":
            note(_GROUP)
        if xobject.get("/Subtype") == "/Form":
            _colour_in(xobject, xobject.get("/Resources"), note, seen)
        elif xobject.get("/Subtype") == "/Image":
            if xobject.get("/ImageMask") is not True and xobject.get("/ColorSpace") != pikepdf.Name.DeviceGray:
                note(f"an image in {xobject.get('/ColorSpace')}")
            if "/SMask" in xobject:
                note("an image with transparency (soft mask)")


def _colour_operator(op: str, operands) -> str | None:
    if op in ("rg", "RG"):
        return "DeviceRGB colour (rg/RG): black would print as four-colour black"
    if op in ("k", "K") and any(float(v) > 0.001 for v in list(operands)[:3]):
        return "CMYK colour that is not pure K"
    if op in ("cs", "CS") and str(operands[0]) != "/DeviceGray":
        return f"colour space {operands[0]}"
    if op == "sh":
        return "a shading (gradient)"
    if op == "INLINE IMAGE":
        return "an inline image"
    return None


def _transparency(gs) -> list[str]:
    import pikepdf

    out = []
    if any(k in gs and float(gs[k]) < 1 for k in ("/ca", "/CA")):
        out.append("transparency (opacity below 1)")
    if "/SMask" in gs and gs.SMask != pikepdf.Name("/None"):
        out.append("transparency (soft mask)")
    if "/BM" in gs and str(gs.BM) not in ("/Normal", "/Compatible"):
        out.append("transparency (blend mode)")
    return out


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

    top, outer, bottom, inner = book.config.print.margins
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


