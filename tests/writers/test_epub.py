"""The EPUB: epubcheck with zero messages, and its structure parsed."""

from __future__ import annotations

import pytest
from lxml import etree

from support import NS, Epub

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


@pytest.mark.parametrize("fixture", ["persian_book", "english_book"])
def test_epubcheck_reports_nothing(fixture, request, epubcheck):
    built = request.getfixturevalue(fixture)
    report = epubcheck(built.path("epub"))
    messages = [m for m in report if m["severity"] != "USAGE"]
    assert messages == [], "\n".join(f"{m['ID']} {m['severity']}: {m['message']} {m['locations'][:1]}" for m in messages)
    # Of the usage notes (-u), the only remark is CSS-028 "font-face declaration":
    # embedding the book's fonts is deliberate.
    usage = {m["ID"] for m in report if m["severity"] == "USAGE"}
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


def _fonts(book: Epub) -> dict:
    import io

    from fontTools.ttLib import TTFont

    return {i.get("href"): TTFont(io.BytesIO(book.zip.read(book.base + i.get("href"))))
            for i in book.manifest().values() if (i.get("media-type") or "").startswith("font/")}


def _book_text(book: Epub) -> str:
    return "".join("".join(doc.find("x:body", NS).itertext()) for _, doc in book.documents())


def test_fonts_are_subsets_that_keep_shaping(persian_book):
    book = Epub(persian_book.path("epub"))
    fonts = _fonts(book)
    body = fonts["fonts/Parastoo.ttf"]
    # the body face has every Persian letter of the book, and its joining forms and ligatures (GSUB); Latin
    # letters are set in Noto Serif (the next family of the list, which has them)
    letters = {c for c in _book_text(book) if c.isalpha()} - {"\u0640"}  # the signs' tatweel is Vazirmatn's
    assert {c for c in letters if "\u0600" <= c <= "\u06ff"} <= {chr(u) for u in body.getBestCmap()}
    assert letters <= {chr(u) for face in fonts.values() for u in face.getBestCmap()}
    gsub = {f.FeatureTag for f in body["GSUB"].table.FeatureList.FeatureRecord}
    assert {"init", "medi", "fina"} <= gsub, gsub
    assert "GPOS" in body
    # cut down: far fewer glyphs than the full font, and no face the book does not use
    from fontTools.ttLib import TTFont

    full = TTFont(str(__import__("ketab.render", fromlist=["x"]).default_templates() / "fonts/parastoo/Parastoo.ttf"))
    assert len(body.getGlyphOrder()) < 0.5 * len(full.getGlyphOrder())
    css = book.zip.read(book.base + "css/book.css").decode()
    assert set(fonts) == {f"fonts/{name}" for name in __import__("re").findall(r"url\(\"?\.\./fonts/([^\")]+)", css)}


def test_an_english_book_carries_no_persian_glyphs(english_book):
    fonts = _fonts(Epub(english_book.path("epub")))
    assert fonts
    for href, font in fonts.items():
        arabic = [u for u in font.getBestCmap() if 0x0600 <= u <= 0x06FF or 0xFB50 <= u <= 0xFEFF]
        assert set(arabic) <= {0x060C, 0x061B, 0x061F} | set(range(0x06F0, 0x06FA)) | set(range(0x0660, 0x066A)), (href, [hex(u) for u in arabic][:10])


def _plain_letters(text: str) -> str:
    """Text extracted from a PDF puts combining marks (ezafe hamza) out of order and drops
    ZWNJ: compare without them."""
    import unicodedata

    return "".join(c for c in text if c != "\u200c" and unicodedata.category(c) != "Mn")


def test_page_list_points_at_the_text_that_begins_each_print_page(persian_book):
    import pypdfium2 as pdfium

    book = Epub(persian_book.path("epub"))
    nav = book.nav()
    entries = [(a.get("href"), a.text) for a in nav.iterfind(".//x:nav[@epub:type='page-list']//x:a", NS)]
    doc = pdfium.PdfDocument(str(persian_book.path("print")))
    assert len(entries) == len(doc), "every page of the print edition"
    digits = str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")
    front = [doc.get_page_label(i).translate(digits) for i in range(len(doc))].index("1")
    assert [label.translate(digits) for _, label in entries[front:]] == [str(n) for n in range(1, len(doc) - front + 1)]
    inside = 0
    for i, (href, label) in enumerate(entries):
        file, anchor = href.split("#")
        xhtml = book.read(file)
        marker = xhtml.find(f".//*[@id='{anchor}']", NS)
        assert marker is not None and marker.get("{%s}type" % NS["epub"]) == "pagebreak" and marker.get("aria-label") == label
        page_text = _plain_letters(doc[i].get_textpage().get_text_range())
        if not page_text.strip():
            continue  # a blank page
        # the two words right after the marker are on the page it marks
        after = (marker.tail or "") + "".join(
            "".join(e.itertext()) + (e.tail or "") for e in marker.itersiblings())
        words = [w for w in _plain_letters(after).split() if any(c.isalpha() for c in w)][:2]
        # (PDF text extraction turns «لا» into «ال»: compare without those two letters)
        strip = str.maketrans("", "", "لا")
        assert words and all(w.translate(strip) in page_text.translate(strip) for w in words), (label, words)
        inside += bool((marker.getparent().text or "").strip())
    assert inside, "some print pages begin inside a paragraph, and their markers with them"


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


def test_one_creator_per_person_with_each_of_their_roles(write_book, tmp_path):
    from ketab import pipeline

    root = write_book(
        "title: T\nlanguage: fa\nslug: t\nidentifier: urn:uuid:0b8c2d55-7f3a-4b8e-9d0a-5f2c9e1d3b77\n"
        "creators:\n  - {name: الف, role: compiler}\n  - {name: الف, role: translator}\n  - {name: ب, role: translator}\n"
        "isbn: 978-0-306-40615-7\nchapters: [a.md]\n",
        {"a.md": "---\ntitle: A\n---\n\nمتن.\n"},
    )
    book = Epub(pipeline.build(root, tmp_path / "out", formats=("epub",)).outputs["epub"])
    refines = {}
    for m in book.opf.iterfind(".//opf:meta[@property='role']", NS):
        refines.setdefault(m.get("refines")[1:], []).append(m.text)
    creators = {c.text: refines[c.get("id")] for c in book.opf.iterfind(".//dc:creator", NS)}
    contributors = {c.text: refines[c.get("id")] for c in book.opf.iterfind(".//dc:contributor", NS)}
    assert creators == {"الف": ["com", "trl"]}
    assert contributors == {"ب": ["trl"]}
    # the ISBN is an identifier beside the package's own
    assert [i.text for i in book.opf.iterfind(".//dc:identifier", NS)] == ["urn:uuid:0b8c2d55-7f3a-4b8e-9d0a-5f2c9e1d3b77", "urn:isbn:9780306406157"]


def _calibre(path):
    import shutil
    import subprocess

    if not shutil.which("calibre-debug"):
        pytest.skip("calibre is not installed (make test installs Debian's calibre)")
    script = (
        "import json,sys\nfrom calibre.ebooks.metadata.meta import get_metadata\n"
        "mi = get_metadata(open(sys.argv[-1], 'rb'), 'epub')\n"
        "print(json.dumps({'title': mi.title, 'authors': mi.authors, 'author_sort': mi.author_sort, 'languages': mi.languages,"
        " 'publisher': mi.publisher, 'uuid': mi.uuid, 'identifiers': mi.identifiers, 'pubdate': mi.pubdate.isoformat()[:10]}))\n"
    )
    out = subprocess.run(["calibre-debug", "-c", script, str(path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("fixture, authors", [("persian_book", ["گروه ویراستاران"]), ("english_book", ["Test Author"])])
def test_calibre_reads_the_metadata(fixture, authors, request):
    """calibre (ebook-meta, and every conversion from it) reads title, authors, language,
    publisher, identifier and date; an editor is the author of a book that has none."""
    built = request.getfixturevalue(fixture)
    meta = _calibre(built.path("epub"))
    book = Epub(built.path("epub"))
    assert meta["title"] == book.opf.find(".//dc:title", NS).text
    assert meta["authors"] == authors and meta["author_sort"] != "Unknown"
    # calibre keeps the ISO 639 language only (fa-AF → fas); the package keeps the region
    assert meta["languages"] == [{"fa": "fas", "en": "eng"}[book.opf.find(".//dc:language", NS).text.split("-")[0]]]
    assert meta["publisher"] == book.opf.find(".//dc:publisher", NS).text
    assert "urn:uuid:" + meta["uuid"] == book.opf.find(".//dc:identifier", NS).text
    date = book.opf.find(".//dc:date", NS).text
    # calibre moves a date-only 1st of the month to the 2nd, so that no time zone shows the month
    # before (calibre.utils.date.fix_only_date)
    assert meta["pubdate"] == date or (date.endswith("-01") and meta["pubdate"] == date[:-2] + "02")


def test_ncx_is_hierarchical_with_a_page_list(persian_book):
    book = Epub(persian_book.path("epub"))
    ncx = etree.fromstring(book.zip.read(book.base + "toc.ncx"))
    assert ncx.find(".//ncx:meta[@name='dtb:depth']", NS).get("content") == "2"
    assert ncx.find(".//ncx:navPoint/ncx:navPoint", NS) is not None
    targets = ncx.findall(".//ncx:pageList/ncx:pageTarget", NS)
    nav = book.nav()
    labels = ["".join(a.itertext()) for a in nav.iterfind(".//x:nav[@epub:type='page-list']//x:a", NS)]
    assert ["".join(t.find("ncx:navLabel/ncx:text", NS).itertext()) for t in targets] == labels
    assert [t.get("value") for t in targets if t.get("type") == "normal"][:3] == ["1", "2", "3"]
    orders = [int(p.get("playOrder")) for p in ncx.iter("{%s}navPoint" % NS["ncx"], "{%s}pageTarget" % NS["ncx"])]
    assert min(orders) == 1


def test_navs_are_labelled_apart_and_unnumbered(persian_book):
    nav = Epub(persian_book.path("epub")).nav()
    names = []
    for n in nav.iterfind(".//x:nav", NS):
        heading = n.find("x:h1", NS)
        names.append(n.get("aria-label") or "".join(heading.itertext()))
    assert len(names) == len(set(names)) == 3, names
    css = Epub(persian_book.path("epub")).zip.read("EPUB/css/book.css").decode()
    assert "html[lang] nav ol { list-style: none" in css


def test_index_locators_are_page_numbers(persian_book):
    book = Epub(persian_book.path("epub"))
    index = book.read("index.xhtml")
    locators = ["".join(a.itertext()) for a in index.iter("{%s}a" % NS["x"])]
    pages = {"".join(a.itertext()) for a in book.nav().iterfind(".//x:nav[@epub:type='page-list']//x:a", NS)}
    assert locators and {p for loc in locators for p in loc.split("–")} <= pages
    ents = [li for li in index.iter("{%s}li" % NS["x"]) if "احمدشاه" in "".join(li.itertext())]
    assert ents and "".join(ents[0].itertext()) != "احمدشاه مسعود، ۱، ۲"
