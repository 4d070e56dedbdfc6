"""The Word review copy (``--format docx``): right to left, the book's faces, real footnotes, heading styles,
a section per chapter, line numbers — checked in the XML and by LibreOffice turning it into a PDF we look at."""

from __future__ import annotations

import re
import shutil
import uuid
import zipfile
from pathlib import Path

import pypdfium2
import pytest
from lxml import etree
from tests.office import soffice, to_pdf

from ketab import pipeline

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = ROOT / "tests" / "projects"
SHOTS = ROOT / "build" / "docx"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
NS = {"w": W[1:-1]}


@pytest.fixture(scope="module")
def review_copy(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("docx")
    root = base / "ms"
    shutil.copytree(PROJECTS / "persian-small", root)
    return pipeline.build(root, base / "build", ("docx",)).outputs["docx"]


def part(docx: Path, name: str):
    return etree.fromstring(zipfile.ZipFile(docx).read(name))


def written_chapters():
    return sorted((PROJECTS / "persian-small" / "chapters").glob("*.md"))


def test_text_runs_right_to_left_in_the_books_faces(review_copy):
    doc = part(review_copy, "word/document.xml")
    paragraphs = doc.findall(".//w:body/w:p", NS)
    text_paragraphs = [p for p in paragraphs if "".join(p.itertext()).strip()]
    assert all(p.find("w:pPr/w:bidi", NS) is not None for p in text_paragraphs)
    runs = [r for r in doc.iterfind(".//w:r", NS) if r.find("w:t", NS) is not None and re.search("[\u0600-\u06ff]", r.find("w:t", NS).text or "")]
    assert runs and all(r.find("w:rPr/w:rtl", NS) is not None for r in runs)
    styles = part(review_copy, "word/styles.xml")
    fonts = styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:rFonts", NS)
    assert fonts.get(W + "cs") == "Parastoo" and fonts.get(W + "ascii") == "Parastoo"
    assert styles.find("w:docDefaults/w:rPrDefault/w:rPr/w:lang", NS).get(W + "bidi") == "fa-AF"
    heading = styles.find("w:style[@w:styleId='Heading1']/w:rPr/w:rFonts", NS)
    assert heading.get(W + "cs") == "Vazirmatn"


def test_notes_are_word_footnotes_and_headings_are_word_styles(review_copy):
    doc = part(review_copy, "word/document.xml")
    markdown = [p.read_text(encoding="utf-8") for p in written_chapters()]
    notes = sum(len(re.findall(r"^\[\^[^\]]+\]:", m, re.M)) for m in markdown)
    refs = doc.findall(".//w:footnoteReference", NS)
    assert len(refs) == notes
    footnotes = part(review_copy, "word/footnotes.xml")
    bodies = {f.get(W + "id"): "".join(f.itertext()) for f in footnotes.findall("w:footnote", NS)}
    assert all(bodies[r.get(W + "id")].strip() for r in refs)
    assert any("م: این یادداشت مترجم است." in t for t in bodies.values())
    styles = [p.find("w:pPr/w:pStyle", NS).get(W + "val") for p in doc.iterfind(".//w:body/w:p", NS) if p.find("w:pPr/w:pStyle", NS) is not None]
    assert styles.count("Heading1") == len(markdown)
    assert styles.count("Heading2") == sum(len(re.findall(r"^## ", m, re.M)) for m in markdown)


def test_each_chapter_is_a_section_with_line_numbers(review_copy):
    doc = part(review_copy, "word/document.xml")
    sections = doc.findall(".//w:sectPr", NS)
    assert len(sections) == len(written_chapters()) + 1  # the title page, then one per chapter
    for s in sections:
        assert s.find("w:type", NS).get(W + "val") == "nextPage"
        assert s.find("w:lnNumType", NS).get(W + "countBy") == "1"
        assert s.find("w:bidi", NS) is not None


def test_the_faces_travel_inside_the_file(review_copy):
    z = zipfile.ZipFile(review_copy)
    table = part(review_copy, "word/fontTable.xml")
    rels = {r.get("Id"): r.get("Target") for r in part(review_copy, "word/_rels/fontTable.xml.rels")}
    embedded = table.findall(".//w:embedRegular", NS)
    assert {e.getparent().get(W + "name") for e in embedded} == {"Parastoo", "Vazirmatn"}
    e = next(e for e in embedded if e.getparent().get(W + "name") == "Parastoo")
    data = bytearray(z.read("word/" + rels[e.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")]))
    key = bytes.fromhex(str(uuid.UUID(e.get(W + "fontKey"))).replace("-", ""))[::-1]
    for i in range(32):
        data[i] ^= key[i % 16]
    assert bytes(data) == (ROOT / "templates" / "fonts" / "parastoo" / "Parastoo.ttf").read_bytes()


def test_the_markup_is_kept_legible(review_copy):
    text = "".join(part(review_copy, "word/document.xml").itertext())
    assert "۱۱ سنبلهٔ ۱۳۳۲" in text or "11 سنبله 1332" in text  # the date as written…
    assert "(حدود ۲ سپتمبر ۱۹۵۳)" in text  # …and its gloss, in a style the import drops


@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed (make test installs it)")
def test_libreoffice_opens_it_with_the_books_faces(review_copy, tmp_path):
    pdf = to_pdf(review_copy, tmp_path)
    doc = pypdfium2.PdfDocument(pdf)
    assert len(doc) >= len(written_chapters()) + 1  # a title page and a new page for each chapter
    fonts = set()
    import pikepdf

    with pikepdf.open(pdf) as p:
        for page in p.pages:
            for font in (page.Resources.get("/Font") or {}).values():
                fonts.add(str(font.get("/BaseFont")).split("+")[-1])
    assert any(f.startswith("Parastoo") for f in fonts) and any(f.startswith("Vazirmatn") for f in fonts), fonts
    SHOTS.mkdir(parents=True, exist_ok=True)
    for i in range(min(len(doc), 4)):
        doc[i].render(scale=1).to_pil().save(SHOTS / f"page-{i + 1}.png")
    second = doc[2].get_textpage().get_text_range()
    assert "فصل نخست" in second or "فصل نخست"[::-1] in second
