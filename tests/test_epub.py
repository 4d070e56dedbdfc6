"""The EPUB: epubcheck with zero messages, and its structure parsed."""

from __future__ import annotations

import pytest

from support import NS, Epub, epubcheck_messages

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.mark.parametrize("fixture", ["persian_book", "english_book"])
def test_epubcheck_reports_nothing(fixture, request):
    built = request.getfixturevalue(fixture)
    messages = epubcheck_messages(built.path("epub"))
    assert messages == [], "\n".join(f"{m['ID']} {m['severity']}: {m['message']} {m['locations'][:1]}" for m in messages)
    # With usage notes on (-u), the only remark is CSS-028 "font-face declaration":
    # embedding the book's fonts is deliberate.
    usage = {m["ID"] for m in epubcheck_messages(built.path("epub"), usage=True)}
    assert usage <= {"CSS-028"}, usage


def test_rtl_package_spine_and_documents(persian_book):
    book = Epub(persian_book.path("epub"))
    assert book.opf.get("dir") == "rtl"
    assert book.opf.find("opf:spine", NS).get("page-progression-direction") == "rtl"
    assert book.opf.find(".//dc:language", NS).text == "fa-AF"
    metas = {m.get("name"): m.get("content") for m in book.opf.iterfind(".//opf:meta[@name]", NS)}
    assert metas.get("primary-writing-mode") == "horizontal-rl"
    docs = list(book.documents())
    assert len(docs) >= 5
    for href, doc in docs:
        assert doc.get("lang") == "fa-AF" and doc.get(XML_LANG) == "fa-AF", href
        assert doc.get("dir") == "rtl", href


def test_nav_has_contents_and_landmarks(persian_book):
    nav = Epub(persian_book.path("epub")).nav()
    assert nav.get("dir") == "rtl"
    toc = nav.find(".//x:nav[@epub:type='toc']", NS)
    labels = ["".join(a.itertext()) for a in toc.iterfind(".//x:a", NS)]
    assert labels[:3] == ["پیشگفتار", "فصل نخست", "بخش دوم"]
    landmarks = {a.get("{%s}type" % NS["epub"]) for a in nav.iterfind(".//x:nav[@epub:type='landmarks']//x:a", NS)}
    assert {"cover", "titlepage", "toc", "bodymatter", "index"} <= landmarks


def test_notes_are_popup_footnotes_with_back_links(persian_book):
    book = Epub(persian_book.path("epub"))
    doc = book.read("ch-01-first.xhtml")
    EPUB_TYPE = "{%s}type" % NS["epub"]
    refs = [a for a in doc.iter("{%s}a" % NS["x"]) if a.get(EPUB_TYPE) == "noteref"]
    asides = [a for a in doc.iter("{%s}aside" % NS["x"]) if a.get(EPUB_TYPE) == "footnote"]
    assert [r.text for r in refs] == ["۱", "۲"]
    assert [a.get("id") for a in asides] == [r.get("href")[1:] for r in refs]
    texts = ["".join(a.itertext()) for a in asides]
    assert texts[0].rstrip().endswith("ـ م.") and texts[1].rstrip().endswith("ـ و.")
    backs = [a.find(".//x:a[@role='doc-backlink']", NS).get("href")[1:] for a in asides]
    assert backs == [r.get("id") for r in refs]


def test_english_epub_is_ltr(english_book):
    book = Epub(english_book.path("epub"))
    assert book.opf.find("opf:spine", NS).get("page-progression-direction") == "ltr"
    for _href, doc in book.documents():
        assert doc.get("dir") == "ltr" and doc.get("lang") == "en"


def test_fonts_are_embedded(persian_book):
    book = Epub(persian_book.path("epub"))
    fonts = [i.get("href") for i in book.manifest().values() if i.get("media-type") == "font/ttf"]
    assert {"fonts/Parastoo.ttf", "fonts/Parastoo-Bold.ttf"} <= set(fonts)


def _plain_letters(text: str) -> str:
    """Text extracted from a PDF puts combining marks (ezafe hamza) out of order and drops
    ZWNJ: compare without them."""
    import unicodedata

    return "".join(c for c in text if c != "\u200c" and unicodedata.category(c) != "Mn")


def test_page_list_points_at_the_text_that_begins_each_print_page(persian_book):
    import pikepdf
    import pypdfium2 as pdfium

    book = Epub(persian_book.path("epub"))
    nav = book.nav()
    entries = [(a.get("href"), a.text) for a in nav.iterfind(".//x:nav[@epub:type='page-list']//x:a", NS)]
    assert len(entries) >= 4
    pdf = pikepdf.open(persian_book.path("print"))
    front = int(pdf.Root.PageLabels.Nums[2])
    doc = pdfium.PdfDocument(str(persian_book.path("print")))
    digits = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
    for href, label in entries:
        file, anchor = href.split("#")
        xhtml = book.read(file)
        marker = xhtml.find(f".//*[@id='{anchor}']", NS)
        assert marker is not None and marker.get("{%s}type" % NS["epub"]) == "pagebreak"
        parent = marker.getparent()
        words = _plain_letters("".join(parent.itertext())).split()[:2]
        page_text = _plain_letters(doc[front + int(label.translate(digits)) - 1].get_textpage().get_text_range())
        assert all(w in page_text for w in words), (label, words)


def test_cover_image_and_accessibility_metadata(persian_book):
    book = Epub(persian_book.path("epub"))
    items = book.manifest()
    assert items["cover-image"].get("properties") == "cover-image"
    props = {m.get("property") for m in book.opf.iterfind(".//opf:meta[@property]", NS)}
    assert {"schema:accessMode", "schema:accessModeSufficient", "schema:accessibilityFeature",
            "schema:accessibilityHazard", "schema:accessibilitySummary", "dcterms:conformsTo", "pageBreakSource"} <= props
    modified = book.opf.find(".//opf:meta[@property='dcterms:modified']", NS).text
    assert modified == "2026-11-01T00:00:00Z"


def test_cross_chapter_links_resolve_to_files(persian_book):
    book = Epub(persian_book.path("epub"))
    doc = book.read("ch-02-second.xhtml")
    hrefs = [a.get("href") for a in doc.iter("{%s}a" % NS["x"]) if "xref" in (a.get("class") or "")]
    assert hrefs == ["ch-01-first.xhtml#q-first"]


def test_figures_travel_with_the_book(english_book):
    book = Epub(english_book.path("epub"))
    images = {i.get("href"): i.get("media-type") for i in book.manifest().values() if i.get("media-type") == "image/png"}
    doc = book.read("ch-02-two.xhtml")
    srcs = [img.get("src") for img in doc.iter("{%s}img" % NS["x"])]
    assert srcs and all(images.get(src) == "image/png" for src in srcs), (srcs, images)
    assert book.zip.read(book.base + srcs[0]).startswith(b"\x89PNG")


def test_generated_parts_are_titled_in_the_books_language(write_book, tmp_path):
    """{generate: sources} without a title is headed «Sources» in an English book."""
    from ketab import pipeline

    root = write_book(
        "title: T\nlanguage: en\nslug: t\nidentifier: urn:uuid:0b8c2d55-7f3a-4b8e-9d0a-5f2c9e1d3b77\n"
        "chapters: [a.md, {generate: sources}]\n",
        {"a.md": "---\ntitle: A\n---\n\nText.\n", "sources/001.yaml": "id: '001'\ntitle: A source\n"},
    )
    result = pipeline.build(root, tmp_path / "out", formats=("epub",))
    doc = Epub(result.outputs["epub"]).read("sources.xhtml")
    assert "".join(doc.find(".//x:h1", NS).itertext()) == "Sources"
