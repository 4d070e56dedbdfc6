"""The print PDF's fonts: one program per face that draws every glyph each unit drew, and web fonts
unpacked once per build without changing a byte of the layout."""

from __future__ import annotations

import io
from pathlib import Path

import jinja2
import pikepdf
from fontTools.ttLib import TTFont

from ketab import fonts
from ketab.writers.fonts import _face_name, _fonts_in_use, _read_widths

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "templates"


def _programs_by_face(pdf: pikepdf.Pdf) -> dict[str, list[tuple[bytes, int]]]:
    """Face → [(font program, the last glyph id its unit draws)]."""
    faces: dict[str, dict] = {}
    for font in _fonts_in_use(pdf):
        if font.get("/Subtype") == "/Type0":
            descendant = font.DescendantFonts[0]
            program = descendant.FontDescriptor.FontFile2
            faces.setdefault(_face_name(font), {})[program.objgen] = (program.read_bytes(), max(_read_widths(descendant.get("/W"))))
    return {face: list(programs.values()) for face, programs in faces.items()}


def test_the_merged_program_draws_every_glyph_each_unit_drew(persian_book):
    """The screen PDF keeps each unit's subsets; the print PDF has one program per face, merged glyph by
    glyph: every simple glyph a unit draws has the same outline under the same id in it."""
    with pikepdf.open(persian_book.path("screen")) as screen, pikepdf.open(persian_book.path("print")) as printed:
        units, merged = _programs_by_face(screen), _programs_by_face(printed)
        assert set(units) == set(merged) and all(len(p) == 1 for p in merged.values()), merged.keys()
        assert any(len(p) > 1 for p in units.values()), "the sample book has one unit: nothing was merged"
        for face, programs in units.items():
            kept = TTFont(io.BytesIO(merged[face][0][0]))
            kept_glyf, kept_order = kept["glyf"], kept.getGlyphOrder()
            for data, last in programs:
                unit = TTFont(io.BytesIO(data))
                glyf, order = unit["glyf"], unit.getGlyphOrder()
                for gid in range(min(last + 1, len(order))):
                    glyph = glyf[order[gid]]
                    if glyph.numberOfContours > 0:
                        assert kept_glyf[kept_order[gid]].compile(kept_glyf) == glyph.compile(glyf), f"{face}: glyph {gid}"


def test_pages_look_the_same_with_the_merged_fonts(persian_book):
    """Every page of the screen PDF (the units' own subsets), with its fonts merged as the print PDF's are,
    renders as before: no letter drawn with another unit's glyph.  (HarfBuzz renumbers the components of
    composite glyphs past a unit's last drawn glyph — Vazirmatn's «ی», Parastoo's «گ» — and merging them by
    id drew «اسپوتنیک» with a dotless medial yeh in the book's print PDF.)"""
    import pypdfium2 as pdfium
    from PIL import ImageChops

    from ketab.writers.fonts import merge_fonts

    before = persian_book.path("screen").read_bytes()
    with pikepdf.open(io.BytesIO(before)) as pdf:
        merge_fonts(pdf)
        buffer = io.BytesIO()
        pdf.save(buffer)
    a, b = pdfium.PdfDocument(before), pdfium.PdfDocument(buffer.getvalue())
    for i in range(len(a)):
        diff = ImageChops.difference(a[i].render(scale=2).to_pil().convert("L"), b[i].render(scale=2).to_pil().convert("L"))
        assert diff.getextrema()[1] < 128, f"page {i + 1} draws other glyphs with the merged fonts (at {diff.getbbox()})"


def _layout(tmp_path) -> bytes:
    """A small unit in Noto Serif (WOFF2 files), laid out by a new engine (a font configuration of its own)."""
    from ketab.layout.engine import Engine

    css = jinja2.Template((TEMPLATES / "fonts.css.j2").read_text()).render(fonts=(TEMPLATES / "fonts").as_uri())
    css += '@page { size: 120mm 120mm; margin: 10mm } body { font-family: "Noto Serif"; font-size: 10pt } em { font-style: italic } b { font-weight: 700 }'
    html = "<html lang='en'><body><p>Ṭūṣī wrote <em>al-Tadhkira</em> in <b>Marāgha</b>, 1261.</p></body></html>"
    return Engine(tmp_path, [TEMPLATES, tmp_path]).render(html, css)[0]


def test_web_fonts_unpacked_once_lay_out_the_same_bytes(tmp_path, monkeypatch):
    """A unit laid out with the WOFF2 faces unpacked beforehand (what a build does: the fetcher serves the
    TrueType bytes) is the same PDF, byte for byte, as one where WeasyPrint unpacks them itself."""
    from ketab.fetcher import SandboxFetcher

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    monkeypatch.setattr(fonts, "_UNPACKED", {})
    woff2 = [p for p in fonts.font_files(TEMPLATES) if p.suffix == ".woff2"]
    assert woff2, "the vendored faces have WOFF2 files"
    itself = _layout(tmp_path)
    fonts.unpack_web_fonts(fonts.font_files(TEMPLATES))
    served = SandboxFetcher([TEMPLATES]).fetch(woff2[0].resolve().as_uri())
    assert served.read()[:4] == b"\x00\x01\x00\x00", "the fetcher serves the unpacked TrueType bytes"
    assert _layout(tmp_path) == itself


def test_unpacked_fonts_come_from_the_build_cache_the_next_time(tmp_path, monkeypatch):
    from ketab.cache import BuildCache

    cache = BuildCache(tmp_path / "cache", {"test": "1"})
    monkeypatch.setattr(fonts, "_UNPACKED", {})
    fonts.unpack_web_fonts(fonts.font_files(TEMPLATES), cache)
    first = dict(fonts._UNPACKED)
    monkeypatch.setattr(fonts, "_UNPACKED", {})
    from fontTools.ttLib import woff2

    def refuse(*args, **kwargs):
        raise AssertionError("unpacked again")

    monkeypatch.setattr(woff2, "decompress", refuse)
    fonts.unpack_web_fonts(fonts.font_files(TEMPLATES), cache)
    assert fonts._UNPACKED == first and len(first) == sum(1 for p in fonts.font_files(TEMPLATES) if p.suffix == ".woff2")


def test_a_changed_web_font_is_not_served_from_the_unpacked_copy(tmp_path, monkeypatch):
    import os
    import shutil

    monkeypatch.setattr(fonts, "_UNPACKED", {})
    source = next(p for p in fonts.font_files(TEMPLATES) if p.suffix == ".woff2")
    copy = tmp_path / source.name
    shutil.copy(source, copy)
    fonts.unpack_web_fonts([copy])
    assert fonts.unpacked(copy)[:4] == b"\x00\x01\x00\x00"
    copy.write_bytes(copy.read_bytes() + b"\0")
    os.utime(copy, ns=(1, 1))
    assert fonts.unpacked(copy) is None


def test_epub_font_subsets_are_kept_in_the_cache_under_the_epoch(tmp_path, monkeypatch):
    """A rebuild cuts a face for the EPUB again only if its characters (or the epoch fontTools stamps
    the subset with) changed; what the cache gives is what cutting it would give."""
    from ketab.cache import BuildCache
    from ketab.writers import epub_fonts

    cache = BuildCache(tmp_path / "cache", {"test": "1"})
    data = (TEMPLATES / "fonts" / "vazirmatn" / "Vazirmatn-Regular.ttf").read_bytes()
    chars = set("کتاب دو مسعود ۱۲۳")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = epub_fonts.subset_font_cached(data, chars, cache)
    assert first == epub_fonts.subset_font(data, chars)
    cut = []
    monkeypatch.setattr(epub_fonts, "subset_font", lambda d, c: cut.append(1) or b"cut")
    assert epub_fonts.subset_font_cached(data, chars, cache) == first and not cut
    assert epub_fonts.subset_font_cached(data, chars | {"گ"}, cache) == b"cut"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000001")
    assert epub_fonts.subset_font_cached(data, chars, cache) == b"cut" and len(cut) == 2


def test_two_files_of_one_family_print_each_with_its_own_program(tmp_path):
    """A face split by unicode-range (one family, two files) in one unit: each file's subset has a tag of
    its own, which names the file, and the print PDF keeps a program for each (WeasyPrint tagged the
    subsets by the family alone, and embedded one file's program for both)."""
    import weasyprint

    from ketab.layout import weasyfix
    from ketab.writers.fonts import file_tag, merge_fonts

    assert weasyfix.apply()["font-file"]
    faces = TEMPLATES / "fonts" / "noto-serif"
    css = "".join(
        f'@font-face {{ font-family: "Split"; src: url("{(faces / f"noto-serif-{part}-400-normal.woff2").as_uri()}"); unicode-range: {r}; }}'
        for part, r in (("latin", "U+0000-00FF"), ("latin-ext", "U+0100-024F"))
    ) + 'body { font-family: "Split"; }'
    fonts_config = weasyprint.text.fonts.FontConfiguration()
    document = weasyprint.HTML(string="<p>Quiet Vesper Ātaš Šāh</p>").render(
        stylesheets=[weasyprint.CSS(string=css, font_config=fonts_config)], font_config=fonts_config)
    path = tmp_path / "split.pdf"
    document.write_pdf(path)
    from fontTools.ttLib import woff2

    unpacked = set()
    for part in ("latin", "latin-ext"):
        out = io.BytesIO()
        woff2.decompress(io.BytesIO((faces / f"noto-serif-{part}-400-normal.woff2").read_bytes()), out)
        unpacked.add(file_tag(out.getvalue()))
    with pikepdf.open(path) as pdf:
        tags = {str(f.BaseFont)[1:7] for f in _fonts_in_use(pdf)}
        assert len(tags) == 2 and {t[3:] for t in tags} == unpacked, tags
        assert merge_fonts(pdf) == 2
        names = sorted(str(f.BaseFont).split("+")[1] for f in _fonts_in_use(pdf))
        programs = {f.DescendantFonts[0].FontDescriptor.FontFile2.objgen for f in _fonts_in_use(pdf)}
    assert names == ["Split", "Split-2"] and len(programs) == 2


def test_every_subset_names_its_font_file(persian_book, english_book):
    """The tag of every subset the units embed names one of the book's font files (so the print PDF's
    merged program of that file is the file itself cut to the glyphs drawn, not a merge of subsets)."""
    from ketab.fonts import font_files
    from ketab.writers.fonts import originals

    files = originals(font_files(TEMPLATES))
    assert len(files) == len(font_files(TEMPLATES))
    for built in (persian_book, english_book):
        with pikepdf.open(built.path("screen")) as pdf:  # the units' own subsets, as WeasyPrint wrote them
            tags = {str(f.BaseFont)[1:7] for f in _fonts_in_use(pdf) if f.get("/Subtype") == "/Type0"}
        assert tags and all(tag[3:] in files for tag in tags), tags
