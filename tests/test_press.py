"""Press-ready print PDF and ``ketab check``: the book passes, and each defect put back is reported."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pikepdf
import pytest

from ketab.preflight import _destinations, preflight

ROOT = Path(__file__).resolve().parents[1]
MM = 72 / 25.4


def errors(findings, code=None):
    return [d for d in findings if d.is_error and (code is None or d.code == code)]


@pytest.fixture
def broken(persian_book, tmp_path):
    """A copy of the built persian book's outputs, to damage: (manuscript, out dir, print PDF path)."""
    out = tmp_path / "build"
    shutil.copytree(persian_book.out, out)
    return persian_book.root, out, out / persian_book.path("print").name


def damage(path: Path, change) -> None:
    pdf = pikepdf.open(path, allow_overwriting_input=True)
    change(pdf)
    pdf.save(path)


# --- the outputs as built ----------------------------------------------------------


@pytest.mark.parametrize("book", ["persian_book", "english_book"])
def test_check_passes_on_the_sample_books(book, request):
    built = request.getfixturevalue(book)
    findings = preflight(built.root, built.out)
    assert not errors(findings), "\n".join(map(str, findings))


def test_check_passes_on_a_book_dense_with_notes(tmp_path):
    """Every note on its call's page: ~14 notes a page, calls in runs, lists and quotes, long notes."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from make_notes_book import make

    from ketab import pipeline

    root = make(tmp_path / "notes", seed=7, chapters=2, paragraphs=(10, 14), long_notes=False)
    out = tmp_path / "out"
    pipeline.build(root, out, formats=("print", "screen", "epub"))
    findings = preflight(root, out)
    assert not errors(findings), "\n".join(map(str, findings))
    pdf = pikepdf.open(out / "notes-print.pdf")
    assert sum(1 for name in _destinations(pdf) if name.endswith("-call")) > 100


def test_print_pdf_is_gray_pdfx_without_links(persian_book):
    pdf = pikepdf.open(persian_book.path("print"))
    assert str(pdf.trailer.Info.GTS_PDFXVersion) == "PDF/X-4"
    assert pdf.trailer.Info.Trapped == pikepdf.Name("/False")
    (intent,) = pdf.Root.OutputIntents
    assert str(intent.OutputConditionIdentifier) == "FOGRA47"
    assert len(intent.DestOutputProfile.read_bytes()) > 1_000_000
    for page in pdf.pages:
        assert "/Annots" not in page.obj
        ops = {str(op) for _, op in pikepdf.parse_content_stream(page)}
        assert not ops & {"rg", "RG", "k", "K"}
    screen = pikepdf.open(persian_book.path("screen"))
    assert any("/Annots" in p.obj for p in screen.pages), "the screen PDF keeps its links"


def test_crop_marks_lie_outside_the_bleed(project, tmp_path):
    from ketab import pipeline

    root = project("persian-small")
    (root / "book.yaml").write_text((root / "book.yaml").read_text(encoding="utf-8") + "print: {marks: crop}\n", encoding="utf-8")
    result = pipeline.build(root, tmp_path / "out", formats=("print",))
    pdf = pikepdf.open(result.outputs["print"])
    page = pdf.pages[0]
    media, bleed = [float(v) for v in page.obj.MediaBox], [float(v) for v in page.obj.BleedBox]
    assert media[0] < bleed[0] - 5 * MM and media[1] < bleed[1] - 5 * MM
    strokes = [ops for ops, op in pikepdf.parse_content_stream(page) if str(op) in ("m", "l")]
    outside = [o for o in strokes if float(o[0]) < bleed[0] or float(o[0]) > bleed[2] or float(o[1]) < bleed[1] or float(o[1]) > bleed[3]]
    assert len(outside) >= 16, "eight mark strokes, both ends outside the BleedBox"
    assert not errors(preflight(root, tmp_path / "out"), "pdfx.boxes")


# --- real tools ----------------------------------------------------------------------


needs = lambda tool: pytest.mark.skipif(not shutil.which(tool), reason=f"{tool} is not installed (make test installs it)")  # noqa: E731


@needs("gs")
def test_ghostscript_sees_only_black_ink(persian_book):
    out = subprocess.run(["gs", "-q", "-o", "-", "-sDEVICE=inkcov", str(persian_book.path("print"))], capture_output=True, text=True, check=True).stdout
    rows = [[float(x) for x in line.split()[:4]] for line in out.splitlines() if line.strip()]
    assert rows and all(c == m == y == 0 for c, m, y, _ in rows)
    assert any(k > 0 for *_, k in rows)


@needs("gs")
@needs("pdfimages")
def test_ghostscript_makes_pdfx3_without_rasterising(persian_book, tmp_path):
    target = tmp_path / "x3.pdf"
    subprocess.run(["gs", "-q", "-dPDFX", "-dBATCH", "-dNOPAUSE", "-sDEVICE=pdfwrite", "-sColorConversionStrategy=Gray",
                    f"-sOutputFile={target}", str(persian_book.path("print"))], check=True, capture_output=True)
    listing = subprocess.run(["pdfimages", "-list", str(target)], capture_output=True, text=True, check=True).stdout
    assert len(listing.strip().splitlines()) == 2, listing  # the header only: no page became an image


@needs("pdffonts")
def test_pdffonts_one_program_per_face(persian_book):
    listing = subprocess.run(["pdffonts", str(persian_book.path("print"))], capture_output=True, text=True, check=True).stdout
    names = [line.split()[0] for line in listing.splitlines()[2:]]
    faces = [n.split("+", 1)[-1] for n in names]
    assert names and len(faces) == len(set(faces)), listing


def _outline(font, gid: int):
    glyf = font["glyf"]
    glyph = glyf[font.getGlyphOrder()[gid]]
    return [tuple(p) for p in glyph.getCoordinates(glyf)[0]] if glyph.numberOfContours else []


def _cid_map(data: bytes) -> dict[int, int]:
    """An encoding CMap's code → CID (single codes and ranges)."""
    mapping = {int(code, 16): int(cid) for block in re.findall(rb"begincidchar(.*?)endcidchar", data, re.S)
               for code, cid in re.findall(rb"<([0-9a-fA-F]+)>\s*(\d+)", block)}
    for block in re.findall(rb"begincidrange(.*?)endcidrange", data, re.S):
        for lo, hi, cid in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(\d+)", block):
            mapping.update({code: int(cid) + code - int(lo, 16) for code in range(int(lo, 16), int(hi, 16) + 1)})
    return mapping


def _shown_codes(pdf) -> dict:
    """Every font the pages (and their forms) show text with → (the font, the codes it shows)."""
    shown: dict = {}
    seen: set = set()
    stack = [(page.obj, page.obj.get("/Resources")) for page in pdf.pages]
    while stack:
        content, resources = stack.pop()
        fonts = (resources or {}).get("/Font") or {}
        for xobject in ((resources or {}).get("/XObject") or {}).values():
            if xobject.get("/Subtype") == "/Form" and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                stack.append((xobject, xobject.get("/Resources", resources)))
        font = None
        for operands, operator in pikepdf.parse_content_stream(content):
            if str(operator) == "Tf":
                font = fonts[operands[0]]
            elif str(operator) in ("Tj", "TJ", "'", '"'):
                strings = [o for o in (operands[-1] if str(operator) == "TJ" else operands[-1:]) if isinstance(o, pikepdf.String)]
                codes = shown.setdefault(font.objgen, (font, set()))[1]
                for data in map(bytes, strings):
                    codes.update(int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    return shown


@pytest.mark.parametrize("book", ["persian_book", "english_book", "pandoc_tests_book"])
def test_every_glyph_printed_is_the_fonts_own(book, request):
    """Every code the pages show draws, through its font's encoding, the outline the font file has at that
    glyph id, and .notdef only for a character none of the book's fonts has (a subset that renumbered a
    composite's parts printed «اسپوتنـک»; a unit's encoding kept for every unit printed 'q', 'I', 'V', 'N'
    as boxes in pandoc's test documents)."""
    import io

    from fontTools.ttLib import TTFont

    from ketab.writers.fonts import _read_to_unicode

    built = request.getfixturevalue(book)
    files = [TTFont(p) for p in sorted((ROOT / "templates" / "fonts").rglob("*")) if p.suffix in (".ttf", ".woff2")]
    characters = set().union(*(f.getBestCmap() for f in files))
    with pikepdf.open(built.path("print")) as pdf:
        shown = _shown_codes(pdf)
        assert shown
        for font, codes in shown.values():
            descendant = font.DescendantFonts[0]
            program = TTFont(io.BytesIO(descendant.FontDescriptor.FontFile2.read_bytes()))
            encoding = font.Encoding
            cids = {c: c for c in codes} if encoding == pikepdf.Name("/Identity-H") else _cid_map(encoding.read_bytes())
            text = _read_to_unicode(font.ToUnicode.read_bytes())
            notdef = sorted(text.get(c, "") for c in codes if cids.get(c, 0) == 0)
            assert all(ch and ord(ch[0]) not in characters for ch in notdef), f"{font.BaseFont} prints {notdef} as .notdef"
            used = sorted({cids[c] for c in codes if cids.get(c, 0)})
            assert used and all(g < program["maxp"].numGlyphs for g in used), font.BaseFont
            assert any(
                all(g < f["maxp"].numGlyphs and _outline(f, g) == _outline(program, g) for g in used) for f in files
            ), f"{font.BaseFont}: glyphs that are not the font file's"


class _Store(dict):
    """A build cache's get and put, in memory."""

    def get(self, kind, key):
        return super().get((kind, key))

    def put(self, kind, key, payload):
        self[(kind, key)] = payload


def test_a_page_converted_from_the_cache_is_the_page_converted_anew(tmp_path):
    """Each page's conversion to gray is kept under the page's content: read back, it gives the same bytes,
    and what it converted or refused is reported on the page the content is on now."""
    from ketab.writers.press import to_gray

    def book(pages):
        pdf = pikepdf.new()
        for content in pages:
            pdf.add_blank_page()
            pdf.pages[-1].obj.Contents = pdf.make_stream(content)
        return pdf

    red, plain = b"1 0 0 rg 0 0 10 10 re f /Sh0 sh", b"0 0 0 rg 0 0 5 5 re f"
    store = _Store()
    cold, first = book([red, plain]), book([plain, red])
    found_cold = to_gray(cold)
    found_first = to_gray(first, cache=store)
    assert store
    again = book([plain, red])
    found_again = to_gray(again, cache=store)
    assert found_again.converted == found_first.converted == [(2, "colour 1 0 0 rg")]
    assert found_again.refused == found_first.refused == [(2, "a shading (gradient)")]
    assert found_cold.converted == [(1, "colour 1 0 0 rg")]
    assert [p.obj.Contents.read_bytes() for p in again.pages] == [p.obj.Contents.read_bytes() for p in first.pages]
    assert first.pages[1].obj.Contents.read_bytes() == cold.pages[0].obj.Contents.read_bytes()
    assert b"rg" not in first.pages[1].obj.Contents.read_bytes()


def test_the_conversions_of_a_build_are_one_cache_entry_with_this_builds_pages_only():
    """A build's page conversions are read from one entry and written again only when the pages changed,
    with the pages of this build only; a damaged entry is a miss."""
    from ketab.writers.memo import Memo

    store = _Store()
    first = Memo(store, "press-gray", "book")
    first.put("press-gray", "a" * 64, b"one")
    first.put("press-gray", "b" * 64, b"two")
    first.save()
    assert len(store) == 1
    second = Memo(store, "press-gray", "book")
    assert second.get("press-gray", "a" * 64) == b"one"
    second.put("press-gray", "c" * 64, b"three")
    second.save()
    third = Memo(store, "press-gray", "book")
    assert third.get("press-gray", "b" * 64) is None and third.get("press-gray", "c" * 64) == b"three"
    (name, payload), = store.items()
    store[name] = payload[:-1]
    assert Memo(store, "press-gray", "book").get("press-gray", "a" * 64) is None


@needs("qpdf")
def test_qpdf_check_is_clean(persian_book):
    proc = subprocess.run(["qpdf", "--check", str(persian_book.path("print"))], capture_output=True, text=True)
    assert proc.returncode == 0 and "No syntax or stream encoding errors" in proc.stdout


# --- each defect, put back, is reported ------------------------------------------------


def _note_dest(pdf, pick=0):
    names = sorted(n for n in _destinations(pdf) if re.search(r"-n\d+$", n))
    return names[pick]


def _set_dest(pdf, name, dest):
    tree = pikepdf.NameTree(pdf.Root.Names.Dests)
    if dest is None:
        del tree[name]
    else:
        tree[name] = dest


def test_a_lost_note_is_reported(broken):
    root, out, path = broken

    def lose(pdf):
        _set_dest(pdf, _note_dest(pdf), None)

    damage(path, lose)
    assert errors(preflight(root, out), "note.missing")


def test_a_note_off_its_page_is_reported(broken):
    root, out, path = broken

    def move(pdf):
        name = _note_dest(pdf)
        dest = pikepdf.NameTree(pdf.Root.Names.Dests)[name]
        index = next(i for i, p in enumerate(pdf.pages) if p.objgen == dest[0].objgen)
        _set_dest(pdf, name, pikepdf.Array([pdf.pages[index + 1].obj, *list(dest)[1:]]))

    damage(path, move)
    assert errors(preflight(root, out), "note.off-page")


def test_notes_out_of_order_are_reported(broken):
    root, out, path = broken

    def swap(pdf):
        dests = _destinations(pdf)
        by_page = {}
        for name, (page, _) in dests.items():
            if re.search(r"-n\d+$", name):
                by_page.setdefault(page, []).append(name)
        names = next(sorted(v) for v in by_page.values() if len(v) >= 2)
        tree = pikepdf.NameTree(pdf.Root.Names.Dests)
        a, b = tree[names[0]], tree[names[1]]
        tree[names[0]], tree[names[1]] = pikepdf.Array(list(b)), pikepdf.Array(list(a))

    damage(path, swap)
    assert errors(preflight(root, out), "note.order")


def test_a_note_printed_twice_is_reported(broken):
    root, out, path = broken

    def duplicate(pdf):
        # a page with a note long enough to tell from the others (03-long.md's)
        page = next(i for name, (i, _) in _destinations(pdf).items() if re.search(r"long-n\d+$", name))
        pdf.pages.append(pdf.pages[page])  # the page, notes and all, printed again at the end

    damage(path, duplicate)
    assert errors(preflight(root, out), "note.duplicated")


def test_rgb_colour_is_reported(broken):
    root, out, path = broken
    damage(path, lambda pdf: pdf.pages[3].contents_add(pdf.make_stream(b"q 0 0 0 rg 10 10 5 5 re f Q"), prepend=False))
    found = errors(preflight(root, out), "press.colour")
    assert found and "page" in found[0].message and "4" in found[0].message


def test_transparency_is_reported(broken):
    root, out, path = broken

    def group(pdf):
        pdf.pages[2].obj.Group = pikepdf.Dictionary(S=pikepdf.Name.Transparency, CS=pikepdf.Name.DeviceRGB)

    damage(path, group)
    assert errors(preflight(root, out), "press.transparency")


def test_links_and_missing_intent_are_reported(broken):
    root, out, path = broken

    def strip(pdf):
        del pdf.Root["/OutputIntents"]
        pdf.pages[1].obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 10, 10]))]))

    damage(path, strip)
    codes = {d.code for d in errors(preflight(root, out))}
    assert {"pdfx.output-intent", "pdfx.annotations"} <= codes


def test_wrong_trim_box_is_reported(broken):
    root, out, path = broken

    def shrink(pdf):
        trim = [float(v) for v in pdf.pages[0].obj.TrimBox]
        pdf.pages[0].obj.TrimBox = pikepdf.Array([trim[0], trim[1], trim[2] - 10, trim[3]])

    damage(path, shrink)
    assert errors(preflight(root, out), "pdfx.boxes")


def test_two_programs_for_one_face_are_reported(broken):
    root, out, path = broken

    def split(pdf):
        for page in pdf.pages:
            fonts = page.obj.Resources.get("/Font")
            if fonts:
                key = next(iter(fonts.keys()))
                font = fonts[key]
                descendant = font.DescendantFonts[0]
                descriptor = pikepdf.Dictionary({k: v for k, v in descendant.FontDescriptor.items()})
                descriptor.FontFile2 = pdf.make_stream(descendant.FontDescriptor.FontFile2.read_bytes())
                new_descendant = pikepdf.Dictionary({k: v for k, v in descendant.items()})
                new_descendant.FontDescriptor = pdf.make_indirect(descriptor)
                new_font = pikepdf.Dictionary({k: v for k, v in font.items()})
                new_font.DescendantFonts = pikepdf.Array([pdf.make_indirect(new_descendant)])
                fonts[key] = pdf.make_indirect(new_font)  # a second program for the same face
                break

    damage(path, split)
    assert errors(preflight(root, out), "press.font-programs")


def test_text_outside_the_text_block_is_reported(broken):
    root, out, path = broken

    def overflow(pdf):
        page = pdf.pages[5]
        fonts = page.obj.Resources.Font
        key = next(iter(fonts.keys()))
        from ketab.writers.fonts import _read_widths

        widths = _read_widths(fonts[key].DescendantFonts[0].W)
        glyph = max(widths, key=widths.get)  # the subset's widest glyph: not a space
        trim = [float(v) for v in page.obj.TrimBox]
        x = trim[2] - 12 * MM
        # prepended: WeasyPrint's content leaves its own coordinate system in force
        page.contents_add(pdf.make_stream(f"BT {key} 10 Tf 1 0 0 1 {x:.2f} 300 Tm <{glyph:04x}> Tj ET".encode()), prepend=True)

    damage(path, overflow)
    assert errors(preflight(root, out), "press.text-block")


def test_wrong_index_page_number_is_reported(broken):
    root, out, _ = broken
    screen = next(out.glob("*-screen.pdf"))

    def retarget(pdf):
        for page in pdf.pages:
            for annot in page.obj.get("/Annots", []):
                dest = annot.get("/Dest")
                if dest is not None and "-x" in str(dest):  # an index entry's target
                    annot.Dest = pikepdf.String(str(_note_dest(pdf, -1)))
                    return

    damage(screen, retarget)
    assert errors(preflight(root, out), "xref.page-number")


def _rewrite_epub_once(out: Path, pattern: bytes, change) -> None:
    """The first content document of the built EPUB that matches ``pattern`` rewritten by ``change(data)``."""
    epub = next(out.glob("*.epub"))
    with zipfile.ZipFile(epub) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(epub, "w") as z:
        done = False
        for info, data in items:
            if not done and info.filename.endswith(".xhtml") and re.search(pattern, data):
                data, done = change(data), True
            z.writestr(info, data)
    assert done, pattern


def test_a_note_missing_from_the_epub_is_reported(broken):
    root, out, _ = broken
    _rewrite_epub_once(out, rb'id="[^"]*-fn1"', lambda data: re.sub(rb'id="([^"]*)-fn1"', rb'id="\1-gone1"', data, count=1))
    assert errors(preflight(root, out), "epub.note")


def test_what_epubcheck_finds_is_reported_at_its_file_and_line(broken):
    root, out, _ = broken
    _rewrite_epub_once(out, rb"</p>", lambda data: data.replace(b"</p>", b"<ketabbad/></p>", 1))  # no such element in HTML
    found = errors(preflight(root, out), "epub.epubcheck")
    assert found and any("ketabbad" in d.message and re.search(r"\.xhtml:\d+:\d+\)", d.message) for d in found), found


def test_epubcheck_that_stops_without_a_report_is_an_error_not_a_crash(broken, monkeypatch):
    """A JVM that stops (out of memory, out of stack) writes no JSON: ketab check says so, about the EPUB."""
    from ketab.preflight import epub as epubmod

    root, out, _ = broken
    monkeypatch.setattr(epubmod, "JAVA_FLAGS", (*epubmod.JAVA_FLAGS, "-Xmx1m"))  # too little heap to start
    found = errors(preflight(root, out), "epub.epubcheck")
    assert len(found) == 1 and "epubcheck did not finish" in found[0].message and found[0].path.endswith(".epub"), found


def test_cli_check_exit_status(broken):
    from conftest import run_cli

    root, out, path = broken
    assert run_cli("check", root, "--out", out).returncode == 0
    damage(path, lambda pdf: pdf.pages[3].contents_add(pdf.make_stream(b"q 1 0 0 rg 10 10 5 5 re f Q"), prepend=False))
    proc = run_cli("check", root, "--out", out)
    assert proc.returncode == 1
    assert re.search(r": error: .*DeviceRGB.* \[press.colour\]", proc.stderr)


# --- right-to-left layout --------------------------------------------------------------


def test_first_line_indent_is_at_the_start_of_a_right_to_left_line(tmp_path):
    """The indent opens the paragraph on the right; the line still reaches the left edge (justified)."""
    import pypdfium2 as pdfium

    from ketab.layout.engine import Engine

    text = "احمدشاه مسعود در پنجشیر به دنیا آمد و درس خواند. " * 8
    html = f'<html dir="rtl" lang="fa"><body><p>{text}</p><p style="text-indent:0">{text}</p></body></html>'
    css = '@page { size: 120mm 120mm; margin: 10mm } body { font-family: "Vazirmatn"; font-size: 10pt } p { text-align: justify; text-indent: 10mm; margin: 0 0 5mm }'
    engine = Engine(ROOT / "templates", [ROOT / "templates"])
    pdf_path = tmp_path / "p.pdf"
    import jinja2

    fonts_css = jinja2.Template((ROOT / "templates" / "fonts.css.j2").read_text()).render(fonts=(ROOT / "templates" / "fonts").as_uri())
    pdf_path.write_bytes(engine.document(html, fonts_css + css).write_pdf())
    page = pdfium.PdfDocument(str(pdf_path))[0].get_textpage()
    lines, current = [], []
    for i in range(page.count_chars()):
        char = page.get_text_range(i, 1)
        if char in "\r\n":
            if current:
                lines.append(current)
            current = []
        elif not char.isspace():
            current.append(page.get_charbox(i))
    lines.append(current)
    first, second = lines[0], lines[1]
    assert max(b[2] for b in first) < max(b[2] for b in second) - 8 * MM, "the indent is on the right (the line's start)"
    assert abs(min(b[0] for b in first) - min(b[0] for b in second)) < 1.5 * MM, "justified to the left edge"


# --- contents, labels, bookmarks -------------------------------------------------------


def test_every_page_is_labelled_as_it_prints(persian_book):
    """Front matter by its letters, the text by its folios in Persian digits, bookmarks in Persian digits."""
    from support import text_start

    pdf = pikepdf.open(persian_book.path("screen"))
    nums = list(pdf.Root.PageLabels.Nums)
    labels = {int(i): str(style.get("/P", "")) for i, style in zip(nums[::2], nums[1::2])}
    start = text_start(pdf)
    assert start > 0 and all(labels.get(i) for i in range(len(pdf.pages))), "every page has a label"
    assert labels[0] == "الف" and not re.search(r"\d", "".join(labels[i] for i in range(start)).translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")))
    assert labels[start] == "۱" and labels[start + 9] == "۱۰"
    with pdf.open_outline() as outline:
        titles = [item.title for item in outline.root]
    assert titles and not any(re.search(r"[0-9]", t) for t in titles)


def test_contents_numbers_only_the_chapters_with_leaders(persian_book):
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(persian_book.path("screen")))
    text = next(t for t in (doc[i].get_textpage().get_text_range() for i in range(len(doc))) if "فهرست" in t and ". . ." in t)
    lines = [line.strip() for line in text.replace("\r", "").split("\n") if ". . ." in line]
    numbered = [line for line in lines if re.search(r"(^|\s)(\.[۰-۹]+|[۰-۹]+\.)(\s|$)", line)]  # «۱.» comes out as «.۱»
    assert lines and 0 < len(numbered) < len(lines), "the back matter (index) is not numbered"
