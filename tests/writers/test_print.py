"""The print and screen PDFs, checked through pikepdf and pypdfium2."""

from __future__ import annotations

import re

import pikepdf
import pypdfium2 as pdfium

MM = 72 / 25.4


def box(page, name):
    return [float(x) for x in page.obj[name]]


def size_mm(b):
    return round((b[2] - b[0]) / MM, 1), round((b[3] - b[1]) / MM, 1)


def front_pages(pdf: pikepdf.Pdf) -> int:
    from support import text_start

    return text_start(pdf)


def page_texts(path):
    doc = pdfium.PdfDocument(str(path))
    return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]


def test_print_boxes_trim_and_bleed(persian_book):
    pdf = pikepdf.open(persian_book.path("print"))
    for page in pdf.pages:
        assert size_mm(box(page, "/TrimBox")) == (145.0, 215.0)
        assert size_mm(box(page, "/MediaBox")) == (151.0, 221.0)  # 3 mm bleed each side
        assert size_mm(box(page, "/BleedBox")) == (151.0, 221.0)


def test_print_reads_right_to_left_in_viewers(persian_book):
    pdf = pikepdf.open(persian_book.path("print"))
    assert pdf.Root.ViewerPreferences.Direction == pikepdf.Name.R2L
    assert str(pdf.Root.Lang) == "fa-AF"


def test_print_is_padded_to_the_signature(persian_book):
    pdf = pikepdf.open(persian_book.path("print"))
    assert len(pdf.pages) % 16 == 0
    screen = pikepdf.open(persian_book.path("screen"))
    assert len(screen.pages) == persian_book.result.pages < len(pdf.pages)


def test_folios_are_persian_digits_and_text_starts_at_one(persian_book):
    pdf = pikepdf.open(persian_book.path("print"))
    first = front_pages(pdf)
    assert first % 2 == 0, "the text must start on a recto (odd page of the PDF)"
    texts = page_texts(persian_book.path("print"))
    body = texts[first : first + persian_book.result.pages - first]
    lines = [set(t.split()) for t in body]
    assert "۱" in lines[0], "the first page of the text is folio ۱"
    assert "۳" in lines[2]
    assert not any(re.search(r"[0-9]", t) for t in body[:1])


def _region_text(page, left, bottom, right, top):
    return page.get_textpage().get_text_bounded(left=left, bottom=bottom, right=right, top=top)


def test_every_folio_and_running_head_is_in_its_place(persian_book):
    """Folios in the outer top corner (recto = left page in a right-to-left book), the chapter
    title over rectos and the book title over versos; chapter openings: folio at the foot, no head."""
    pdf = pikepdf.open(persian_book.path("screen"))
    first = front_pages(pdf)
    with pdf.open_outline() as outline:
        openings = {pikepdf.Page(item.destination[0]).index: item.title for item in outline.root}
    doc = pdfium.PdfDocument(str(persian_book.path("screen")))
    digits = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    chapter = None
    checked = 0
    for index in range(first, len(doc)):
        page = doc[index]
        width, height = page.get_size()
        folio = str(index - first + 1).translate(digits)
        # the head band: above the text block (its top margin is 20 mm = 57 pt; a page's first
        # line — an index letter — can reach 3 pt into a 60 pt band)
        top_left = _region_text(page, 0, height - 52, width / 3, height).split()
        top_right = _region_text(page, 2 * width / 3, height - 52, width, height).split()
        head = _region_text(page, width / 3, height - 52, 2 * width / 3, height)
        foot = _region_text(page, width / 3, 0, 2 * width / 3, 50).split()
        if not page.get_textpage().get_text_range().strip():
            continue  # a blank page before a chapter opening
        if index in openings:
            chapter = openings[index]
            assert foot == [folio] and not head.strip() and not top_left and not top_right, (index, head)
        elif (index - first) % 2 == 0:  # odd folio: recto, a left page
            assert top_left == [folio] and head.strip() == chapter, (index, top_left, head)
        else:
            assert top_right == [folio] and head.strip() == "کتاب آزمایشی", (index, top_right, head)
        checked += 1
    assert checked >= 6


def test_fonts_are_embedded_and_subset(persian_book):
    pdf = pikepdf.open(persian_book.path("print"))
    names = set()
    for page in pdf.pages:
        for _, font in page.obj.Resources.get("/Font", {}).items():
            descendants = font.get("/DescendantFonts")
            target = descendants[0] if descendants else font
            descriptor = target.FontDescriptor
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), font.BaseFont
            assert re.match(r"/[A-Z]{6}\+", str(font.BaseFont)), font.BaseFont
            names.add(str(font.BaseFont).split("+")[1])
    assert any(n.startswith("Parastoo") for n in names) and any(n.startswith("Vazirmatn") for n in names)


def test_chapters_open_on_rectos_with_outline(persian_book):
    pdf = pikepdf.open(persian_book.path("print"))
    first = front_pages(pdf)
    with pdf.open_outline() as outline:
        titles = [item.title for item in outline.root]
        pages = [pikepdf.Page(item.destination[0]).index for item in outline.root]
    assert titles[:3] == ["پیشگفتار", "فصل نخست", "فصل دوم"]
    for title, index in zip(titles[1:], pages[1:]):
        assert (index - first) % 2 == 0, f"{title} opens on a verso"


def test_notes_sit_on_the_page_with_both_signs(persian_book):
    texts = page_texts(persian_book.path("screen"))
    page = next(t for t in texts if "مترجم است" in t)
    assert "ـ م." in page and "ـ و." in page


def test_screen_pdf_is_trimmed_without_marks(persian_book):
    pdf = pikepdf.open(persian_book.path("screen"))
    for page in pdf.pages:
        assert size_mm(box(page, "/MediaBox")) == (145.0, 215.0)
        assert "/BleedBox" not in page.obj
    assert pdf.Root.ViewerPreferences.Direction == pikepdf.Name.R2L


def test_metadata_comes_from_book_yaml(persian_book):
    pdf = pikepdf.open(persian_book.path("print"))
    assert str(pdf.docinfo.Title) == "کتاب آزمایشی"
    assert str(pdf.docinfo.CreationDate).startswith("D:20261101")
    with pdf.open_metadata() as meta:
        assert meta["dc:title"] == "کتاب آزمایشی"


def test_cross_reference_shows_the_target_page(persian_book):
    """«(ص ۱)»: the page number of the target is drawn right after «ص» (to its left, in
    right-to-left text), in the slot the layout kept for it."""
    pdf = pikepdf.open(persian_book.path("screen"))
    first = front_pages(pdf)
    doc = pdfium.PdfDocument(str(persian_book.path("screen")))
    index = next(i for i in range(len(doc)) if "ببینید" in doc[i].get_textpage().get_text_range())
    textpage = doc[index].get_textpage()
    text = textpage.get_text_range()
    at = text.index("ص", text.index("ببینید") - 5)
    left, bottom, right, top = textpage.get_charbox(at)
    number = textpage.get_text_bounded(left=left - 25, bottom=bottom - 2, right=left, top=top + 2).split()
    assert "۱" in number, number  # «q-first» is in chapter 1, which opens the text on page ۱
    assert index - first + 1 == 3

def test_english_book_is_left_to_right_with_latin_folios(english_book):
    pdf = pikepdf.open(english_book.path("print"))
    assert "/Direction" not in pdf.Root.ViewerPreferences
    assert size_mm(box(pdf.pages[0], "/TrimBox")) == (148.0, 210.0)
    assert len(pdf.pages) % 8 == 0
    first = front_pages(pdf)
    texts = page_texts(english_book.path("print"))
    assert "1" in texts[first].split()
    assert not re.search("[۰-۹]", "".join(texts))


def test_note_numbers_restart_in_each_chapter(persian_book):
    texts = page_texts(persian_book.path("screen"))
    second = next(t for t in texts if "ویژه" in t)
    assert re.search(r"(^|\n)\.?۱\.? ", second.replace("\r", "")), "the first note of chapter 2 is numbered ۱"


def test_index_is_in_persian_alphabetical_order(persian_book):
    texts = page_texts(persian_book.path("screen"))
    index = next(t for t in reversed(texts) if "نمایه" in t)
    entries = [w for w in ("احمدشاه", "پنجشیر", "جنگلک") if w in index]
    assert entries == ["احمدشاه", "پنجشیر", "جنگلک"]
    # The index is set in two columns, so the page's text is not in reading order: read the order the index is
    # printed in from its layout unit's HTML (one heading per entry, in the order WeasyPrint fills the columns).
    from ketab.assemble import assemble
    from ketab.convert import convert_chapters
    from ketab.generate import generated_markdown
    from ketab.manuscript import load_manuscript

    ms = load_manuscript(persian_book.root)
    converted, _ = convert_chapters(ms, lambda ch: generated_markdown(ms, ch))
    headings = [e.heading for e in assemble(ms, converted).index]
    positions = [next(i for i, h in enumerate(headings) if h.startswith(w)) for w in entries]
    assert positions == sorted(positions), "پ files before ج in Persian order"


def test_cover_width_is_two_panels_plus_spine_plus_bleed(persian_book):
    """The spine is as thick as the printed book: its leaves after signature padding, 0.1 mm each."""
    cover = pikepdf.open(persian_book.out / "azmayeshi-cover.pdf")
    (page,) = cover.pages
    pages = len(pikepdf.open(persian_book.path("print")).pages)
    assert pages % 16 == 0 and pages > persian_book.result.pages  # 19 pages laid out, 32 printed
    spine = ((pages + 1) // 2) * 0.1
    assert size_mm(box(page, "/TrimBox")) == (round(2 * 145 + spine, 1), 215.0)
    assert size_mm(box(page, "/MediaBox")) == (round(2 * 145 + spine + 6, 1), 221.0)


def test_outputs_are_byte_identical_for_identical_input(persian_book, tmp_path):
    from ketab import pipeline

    again = pipeline.build(persian_book.root, tmp_path / "again", use_cache=False)
    for fmt, path in persian_book.result.outputs.items():
        assert again.outputs[fmt].read_bytes() == path.read_bytes(), fmt


def test_contents_and_index_links_lead_to_their_pages(persian_book):
    pdf = pikepdf.open(persian_book.path("screen"))
    names = pikepdf.NameTree(pdf.Root.Names.Dests)
    with pdf.open_outline() as outline:
        openings = {item.title: pikepdf.Page(item.destination[0]).index for item in outline.root}

    def targets(page):
        out = []
        for annot in page.obj.get("/Annots", []):
            assert "/A" not in annot or "/URI" not in annot.A or not str(annot.A.URI).startswith("ketab-anchor:")
            if "/Dest" in annot:
                out.append(pikepdf.Page(names[str(annot.Dest)][0]).index)
        return out

    contents = next(p for p in pdf.pages if "/Annots" in p.obj and len(p.obj.Annots) >= 4)
    assert set(openings.values()) <= set(targets(contents)), "every contents entry links to its chapter"
    index_page = pdf.pages[openings["نمایه"]]
    assert targets(index_page) and all(t < openings["نمایه"] for t in targets(index_page))


def test_a_wide_figure_is_scaled_to_the_text_block(english_book):
    """A 1200 px wide image is drawn within the text block (A5: 148 mm less 35 mm of margins)."""
    doc = pdfium.PdfDocument(str(english_book.path("screen")))
    found = []
    for page in doc:
        for obj in page.get_objects(filter=[pdfium.raw.FPDF_PAGEOBJ_IMAGE]):
            left, bottom, right, top = obj.get_bounds()
            found.append((right - left) / MM)
    assert found, "the figure is in the PDF"
    assert all(0 < w <= 148 - 35 + 0.5 for w in found), found
    assert max(found) > 100, "…and fills the measure"


def test_running_heads_use_the_short_title_or_cut_long_titles_at_a_word():
    from types import SimpleNamespace

    from ketab.layout.pagination import RUNNING_HEAD_MAX, running_head

    def part(title, short=None):
        chapter = SimpleNamespace(running_head=short)
        return SimpleNamespace(title=title, converted=SimpleNamespace(chapter=chapter))

    long = "احمد مسعود، رهبر کلیدی مقاومت ضد طالبان در «آخرین منطقهٔ آزاد» یعنی پنجشیر، کیست؟"
    cut = running_head(part(long))
    assert len(cut) <= RUNNING_HEAD_MAX + 1 and cut.endswith("…") and long.startswith(cut[:-1])
    assert long[len(cut) - 1] == " ", "cut between words"
    assert running_head(part(long, "رهبر مقاومت پنجشیر")) == "رهبر مقاومت پنجشیر"
    assert running_head(part("فصل دوم")) == "فصل دوم"
