"""The EPUB in a real reading-system engine: epub.js in headless Chromium (tests/reader/read.mjs).

What is asserted is what a reader sees on the screen, on the real book (manuscript/) and on the
sample books: the direction pages turn, the side the first page sits on, the font the body text
is drawn with, where a note call leads, where each page-list entry lands (against the print PDF),
the index's locators, links in day and night mode, the cover on one screen.  Screenshots are left
in build/reader/<book>/ for a person to look at.  `make test` installs Chromium (Debian) and the
npm packages; without them these tests are skipped, saying why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest

from support import NS, Epub

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SHOTS = ROOT / "build" / "reader"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BOOKS = ["manuscript", "persian-small", "english-small"]


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return "chromium is not installed (make test installs Debian's chromium with apt-get)"
    if not (HERE / "node_modules" / "epubjs" / "dist" / "epub.min.js").exists():
        return "tests/reader/node_modules is missing (make test runs npm ci in tests/reader)"
    if not shutil.which("node"):
        return "node is not installed"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=_missing() or "")


class Read:
    """A built book and what epub.js showed of it."""

    def __init__(self, name: str, outputs: dict, report: dict):
        self.name, self.outputs, self.report = name, outputs, report
        self.epub = Epub(outputs["epub"])
        self.rtl = report["direction"] == "rtl"


@pytest.fixture(scope="module", params=BOOKS)
def read(request, tmp_path_factory) -> Read:
    from ketab import pipeline

    name = request.param
    base = tmp_path_factory.mktemp(f"reader-{name}")
    if name == "manuscript":
        root = ROOT / "manuscript"
    else:
        root = base / "ms"
        shutil.copytree(HERE.parent / "projects" / name, root)
    result = pipeline.build(root, base / "build", formats=("print", "epub"))
    out = SHOTS / name
    proc = subprocess.run(
        ["node", str(HERE / "read.mjs"), "--epub", str(result.outputs["epub"]), "--out", str(out), "--chromium", CHROMIUM],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["errors"] == [], report["errors"]
    return Read(name, result.outputs, report)


def _digits(text: str) -> str:
    """Any script's decimal digits as ASCII (۱۲ → 12): the value a digit-aware reader reads."""
    return "".join(str(unicodedata.digit(c)) if unicodedata.category(c) == "Nd" else c for c in text)


def _letters(text: str) -> str:
    """Text for comparing the EPUB with text extracted from the PDF: no ZWNJ, no combining marks,
    no spaces (PDF text extraction reorders marks and drops or adds spaces)."""
    return "".join(c for c in unicodedata.normalize("NFC", text) if c not in "\u200c\u200f\u200e\u2066\u2067\u2068\u2069" and not c.isspace() and unicodedata.category(c) != "Mn")


def test_pages_turn_in_the_books_direction(read):
    r = read.report
    assert r["renditionDirection"] == r["direction"] == ("rtl" if read.name != "english-small" else "ltr")
    before, after = r["turn"]["before"], r["turn"]["after"]
    width = before["viewer"]["width"]
    assert 0 <= before["left"] < width, "the probe paragraph is on the first page"
    moved = after["left"] - before["left"]
    # turning to the next page pushes the page read away: to the right in a right-to-left book
    # (the next page comes in from the left), to the left in a left-to-right one
    assert abs(abs(moved) - width) < 2, moved
    assert (moved > 0) == read.rtl, (moved, r["direction"])
    assert r["turn"]["pageAfter"] == 2


def test_first_page_of_a_chapter_is_on_the_side_read_first(read):
    title = read.report["spread"]["title"]
    middle = title["viewer"]["width"] / 2
    if read.rtl:
        assert title["left"] >= middle, title  # right-hand page of the spread
    else:
        assert title["right"] <= middle, title


def test_body_text_is_drawn_with_the_books_embedded_font(read):
    # the book's body face: Parastoo for Persian, the Latin companion (Noto Serif) for an English book
    body = "Parastoo" if read.rtl else "Noto Serif"
    font = read.report["font"]
    assert font["fontFamily"].split(",")[0].strip('"') == body
    drawn = font["platformFonts"]
    assert drawn and drawn[0]["familyName"].startswith(body) and drawn[0]["isCustomFont"], drawn
    # every glyph of the paragraph came from the book's embedded faces (its note calls are set
    # in Vazirmatn), none from a system fallback
    assert all(f["isCustomFont"] for f in drawn), drawn
    assert max(drawn, key=lambda f: f["glyphCount"])["familyName"].startswith(body), drawn
    loaded = {(f["family"], f["weight"]) for f in font["faces"] if f["status"] == "loaded"}
    assert any(family.startswith(body) and weight == "400" for family, weight in loaded)


def test_a_note_call_leads_to_its_note(read):
    note = read.report["note"]
    assert note["call"], "the chapter has a note call"
    assert note["callShown"]
    assert note["noteShown"], note["noteBox"]
    assert note["noteText"].startswith(note["call"]["text"])
    if read.rtl:
        # «ـ و.»: the tatweel is drawn as a stroke (Parastoo's is a dot 0.14 em wide)
        tatweel = note["tatweel"]
        assert tatweel and tatweel["width"] >= 0.4 * tatweel["fontSize"], tatweel


def test_cover_fits_one_screen(read):
    cover = read.report["cover"]
    box = cover["svg"] or cover["image"]
    assert box, cover
    view = box["viewer"]
    assert box["left"] >= -1 and box["top"] >= -1 and box["right"] <= view["width"] + 1 and box["bottom"] <= view["height"] + 1, box
    assert (box["bottom"] - box["top"]) > 0.8 * view["height"] or (box["right"] - box["left"]) > 0.8 * view["width"], box


LETTERS = "الف ب پ ت ث ج چ ح خ د ذ ر ز ژ س ش ص ض ط ظ ع غ ف ق ک گ ل م ن و ه ی".split()
ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


def _front_folio(n: int, rtl: bool) -> str:
    """The n-th folio of the front matter as printed: Persian letters (الف، ب، پ …) or roman."""
    if rtl:
        out = ""
        while n > 0:
            n, r = divmod(n - 1, len(LETTERS))
            out = LETTERS[r] + out
        return out
    out = ""
    for value, numeral in ROMAN:
        while n >= value:
            out += numeral
            n -= value
    return out


def _print_pages(read):
    """[(folio as printed, text of the page)] of every page of the print PDF.  The PDF's page
    labels give the body's numbers; the front matter is numbered with letters (or roman)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(read.outputs["print"]))
    labels = [doc.get_page_label(i) for i in range(len(doc))]
    front = next(i for i, label in enumerate(labels) if label in ("1", "۱"))  # the text's first page (labels in the book's digits)
    persian = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    out = []
    for i in range(len(doc)):
        folio = _front_folio(i + 1, read.rtl) if i < front else labels[i].translate(persian) if read.rtl else labels[i]
        out.append((folio, doc[i].get_textpage().get_text_range()))
    return out


def _page_list(read):
    nav = read.epub.nav()
    return [(a.get("href"), "".join(a.itertext())) for a in nav.iterfind(".//x:nav[@epub:type='page-list']//x:a", NS)]


def _same(text: str) -> str:
    """PDF text extraction turns «لا» into «ال»: compare without those letters."""
    return _letters(text).replace("ل", "").replace("ا", "")


def test_page_list_has_every_printed_page_and_lands_where_it_begins(read):
    printed = _print_pages(read)
    entries = _page_list(read)
    assert [label for _, label in entries] == [folio for folio, _ in printed], "every print page, front matter included, in order"
    assert [p["href"] for p in read.report["pages"]] == [href for href, _ in entries], "epub.js read the whole page-list"
    for seen, (folio, page_text) in zip(read.report["pages"], printed):
        assert seen["shown"], f"page {folio}: its marker is on the screen epub.js shows"
        if not _letters(page_text):
            continue  # a blank page: its marker stands where the next page begins
        # the words right after the marker are in the first line of the print page (a line's words
        # are compared one by one: the PDF's text puts a line's runs in visual order)
        words = [_same("".join(c for c in w if c.isalpha())) for w in (seen["text"] or "").split()[:2]]
        top = _same(page_text)[:120]
        # (and a Latin run in a Persian line comes out in pieces: its letters are compared)
        from collections import Counter

        found = [w in top or (w.isascii() and not Counter(w) - Counter(top)) for w in words if w]
        assert found and all(found), (folio, seen["text"], page_text[:120])


def test_page_list_labels_are_the_printed_folios(read):
    entries = _page_list(read)
    body = [label for _, label in entries if _digits(label).isdigit()]
    assert body, "the body's pages are numbered"
    if read.rtl:
        assert all("۰" <= c <= "۹" for label in body for c in label), "folios in the book's digits"
    # a digit-aware reader reads the body's folios as 1, 2, 3 … in order
    assert [int(_digits(label)) for label in body] == list(range(1, len(body) + 1))
    if not read.rtl:
        parsed = [p["page"] for p in read.report["pages"]]
        assert [n for n in parsed if n is not None] == list(range(1, len(body) + 1)), "epub.js parses Latin folios itself"


def test_index_locators_are_print_page_numbers(read):
    index = read.report.get("index")
    if read.epub.opf.find(".//opf:item[@href='index.xhtml']", NS) is None:
        pytest.skip("the book has no index")
    printed = {label: _letters(text) for label, text in _print_pages(read)}
    for entry in index["entries"]:
        for loc in entry["locators"]:
            if "href" not in loc or not loc["href"] or "#" not in loc["href"]:
                continue
            first = loc["text"].split("–")[0]  # a range of pages («۷–۱۱») leads to its first
            assert first in printed and all(p in printed for p in loc["text"].split("–")), (entry["text"], loc)
            # the place the locator leads to falls on the page it names: the page-list marker
            # before it (before its note's call, for a place in a note: the print sets notes at
            # the foot of the page of their call, the EPUB at the end of the chapter)
            file, anchor = loc["href"].split("#")
            doc = read.epub.read(file)
            place = doc.find(f".//*[@id='{anchor}']")
            note = next((a for a in place.iterancestors() if a.get("{%s}type" % NS["epub"]) == "footnote"), None)
            if note is not None:
                place = doc.find(f".//*[@href='#{note.get('id')}']")
            label = None
            for el in doc.iter():
                if el is place:
                    break
                if el.get("{%s}type" % NS["epub"]) == "pagebreak":
                    label = el.get("aria-label")
            if note is None:
                assert label == first, (entry["text"], loc, label)
            else:  # a note that does not fit under its call goes on to the next page
                assert _digits(first).isdigit() and int(_digits(first)) - int(_digits(label)) in (0, 1), (entry["text"], loc, label)


def test_links_are_visible_by_day_and_by_night(read):
    links = read.report.get("links")
    if links is None:
        pytest.skip("the book has no index")
    for mode in ("day", "night"):
        look = links[mode]
        assert "underline" in look["decoration"] or look["color"] != look["textColor"], (mode, look)


def test_epubcheck_reports_nothing(read):
    from support import epubcheck_messages

    messages = epubcheck_messages(read.outputs["epub"])
    assert messages == [], [(m["ID"], m["message"], m["locations"][:1]) for m in messages]


def test_contents_in_the_book_are_not_numbered(read):
    contents = read.report["contents"]
    assert contents["entries"], contents
    assert contents["listStyles"] == ["none"], contents["listStyles"]
    labels = contents["navLabels"]
    assert len(labels) == len(set(labels)), labels
