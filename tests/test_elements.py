"""Every element of pandoc Markdown, typeset — in a right-to-left and a left-to-right book.

One small book per direction, written here and built once: headings a body starts with ``#``, pandoc's heading
ids (colliding across chapters), references and headings of other chapters, links to chapter files, highlighted
code with long lines, every footnote form, raw HTML that cannot go into a book, emphasis, tables, math, lists,
pandoc-crossref numbering, pictures in every format, a character no font of the book has.
"""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from lxml import etree
from PIL import Image as PILImage

from ketab import pipeline
from ketab.diagnostics import BuildError
from support import Epub, epubcheck_messages

XHTML = "{http://www.w3.org/1999/xhtml}"
BOOK = """\
title: {title}
language: {lang}
slug: elements
identifier: urn:uuid:2d1b5b0e-3f7a-4c55-9a55-0d6f3a4f7a{n}
date: 2026-11-01
signature: 1
chapters: [chapters/intro.md, chapters/part/intro.md, chapters/part/second.md]
"""
WORDS = {
    "fa": {"title": "آزمون", "intro": "درآمد", "overview": "نگاه کلی", "em": "تأکید", "text": "متن فارسی کتاب", "second": "دوم",
           "details": "Details", "part": "آغاز بخش", "overview_id": "نگاه-کلی"},
    "en": {"title": "Elements", "intro": "Introduction", "overview": "Overview", "em": "emphasis", "text": "Some English text",
           "second": "Second", "details": "Details", "part": "Part opening", "overview_id": "overview"},
}
LONG_CODE = 'def f():\n    return "' + "x" * 150 + '"  # the end\n'


def intro(w) -> str:
    return f"""---
title: {w['intro']}
---

# {w['overview']}

{w['text']}: [the details](part/second.md#details), [the chapter](part/second.md), [{w['details']}] and [Haskell].

*{w['em']}* **{w['em']}** ***{w['em']}*** *Latin italic*.

A note[^long] and an inline note.^[Inline.]

[^long]:
    First paragraph of the note.

    Second paragraph of the note.

```python
{LONG_CODE}```

<script>alert(1)</script>

<figcaption>stray caption</figcaption>

| Right | Left | Center |
|------:|:-----|:------:|
| 1 | 2 | 3 |

: Numbers {{#tbl:nums}}

![A picture](pic.png){{#fig:pic}}

$$ E = mc^2 $$ {{#eq:e}}

See @fig:pic, @tbl:nums and @eq:e; inline $x^2$.

3. three
4. four

- [ ] to do
- [x] done

Term
:   Definition

A snowman: \u2603.

![jpeg](pic.jpg) ![gif](pic.gif) ![webp](pic.webp) ![svg](pic.svg) ![svgz](pic.svgz)
"""


def part_intro(w) -> str:
    return f"---\ntitle: {w['part']}\n---\n\n## {w['overview']}\n\nBack to [the first](../intro.md#{w['overview_id']}).\n"


def second(w) -> str:
    return f"---\ntitle: {w['second']}\nid: second\n---\n\n## {w['details']}\n\n{w['text']}.\n\n[Haskell]: https://www.haskell.org\n"


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10" fill="#444"/></svg>'


def picture(fmt: str) -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (16, 8), (90, 90, 90)).save(buf, fmt)
    return buf.getvalue()


def write(root, lang: str):
    w = WORDS[lang]
    (root / "chapters" / "part").mkdir(parents=True)
    (root / "book.yaml").write_text(BOOK.format(title=w["title"], lang=lang, n="01" if lang == "fa" else "02"), encoding="utf-8")
    (root / "chapters" / "intro.md").write_text(intro(w), encoding="utf-8")
    (root / "chapters" / "part" / "intro.md").write_text(part_intro(w), encoding="utf-8")
    (root / "chapters" / "part" / "second.md").write_text(second(w), encoding="utf-8")
    for name, fmt in (("pic.png", "PNG"), ("pic.jpg", "JPEG"), ("pic.gif", "GIF"), ("pic.webp", "WEBP")):
        (root / "chapters" / name).write_bytes(picture(fmt))
    (root / "chapters" / "pic.svg").write_bytes(SVG)
    (root / "chapters" / "pic.svgz").write_bytes(gzip.compress(SVG))
    return root


class Built:
    def __init__(self, lang, root, out, result):
        self.lang, self.root, self.out, self.result = lang, root, out, result
        self.epub = Epub(out / "elements.epub")
        self.print = out / "elements-print.pdf"

    def doc(self, name):
        return self.epub.read(name)

    def warnings(self, code):
        return [d for d in self.result.warnings if d.code == code]


@pytest.fixture(scope="module", params=["fa", "en"])
def book(request, tmp_path_factory):
    root = write(tmp_path_factory.mktemp(f"elements-{request.param}") / "ms", request.param)
    out = root.parent / "out"
    return Built(request.param, root, out, pipeline.build(root, out))


def text_of(el) -> str:
    return " ".join("".join(el.itertext()).split())


def pdf_text(path) -> list[str]:
    pdf = pdfium.PdfDocument(path)
    return [page.get_textpage().get_text_range() for page in pdf]


def test_the_book_builds_and_its_epub_passes_epubcheck(book):
    assert [m for m in epubcheck_messages(book.out / "elements.epub") if m["severity"] in ("ERROR", "FATAL")] == []


def test_chapter_ids_come_from_the_path_or_the_id_key(book):
    names = {i.get("href") for i in book.epub.manifest().values()}
    assert {"intro.xhtml", "part-intro.xhtml", "second.xhtml"} <= names


def test_heading_ids_kept_unique_across_the_book_and_links_followed(book):
    intro, part = book.doc("intro.xhtml"), book.doc("part-intro.xhtml")
    ident = WORDS[book.lang]["overview_id"]  # pandoc's automatic id
    assert intro.find(f".//{XHTML}h2[@id='{ident}']") is not None  # the body's # heading, demoted under the title
    assert part.find(f".//{XHTML}h2[@id='{ident}-1']") is not None  # the same id in another chapter
    hrefs = [a.get("href") for a in intro.iter(f"{XHTML}a")]
    assert hrefs.count("second.xhtml#details") == 2  # part/second.md#details and the implicit [Details]
    assert "second.xhtml#second" in hrefs and "https://www.haskell.org" in hrefs  # the chapter file; a reference of another chapter
    assert [a.get("href") for a in part.iter(f"{XHTML}a")] == [f"intro.xhtml#{ident}"]  # ../intro.md#…


def test_demoted_heading_is_in_the_navigation(book):
    nav = text_of(book.epub.nav())
    assert WORDS[book.lang]["overview"] in nav


def test_code_line_anchors_are_gone_and_long_lines_wrap_with_a_mark(book):
    intro = etree.tostring(book.doc("intro.xhtml"), encoding="unicode")
    assert "cb1-1" not in intro and 'id="intro-cb1"' in intro
    pages = pdf_text(book.print)
    code_page = next(p for p in pages if "xxxxxxxxxx" in p)
    assert "\u2192" in code_page  # the continuation mark
    code_lines = [l for l in code_page.splitlines() if "xxxx" in l or "def f" in l]
    assert code_lines and not [l for l in code_lines if "(p." in l or "(ص" in l]  # no code line is a cross-reference
    assert not book.doc("intro.xhtml").findall(f".//{XHTML}pre//{XHTML}a")
    assert_no_text_past_the_trim(book.print)


def assert_no_text_past_the_trim(path):
    pdf, pk = pdfium.PdfDocument(path), pikepdf.open(path)
    for i, page in enumerate(pdf):
        x0, y0, x1, y1 = (float(v) for v in pk.pages[i].obj.get("/TrimBox", pk.pages[i].mediabox))
        tp = page.get_textpage()
        for c in range(tp.count_chars()):
            l, b, r, t = tp.get_charbox(c)
            if r > l:
                assert x0 - 0.5 <= l and r <= x1 + 0.5 and y0 - 0.5 <= b and t <= y1 + 0.5, f"page {i + 1}: text past the trim"


def test_every_footnote_form_is_a_note(book):
    intro = etree.tostring(book.doc("intro.xhtml"), encoding="unicode")
    assert "Second paragraph of the note" in intro and "Inline." in intro
    assert intro.count('epub:type="footnote"') == 2


def test_raw_html_is_dropped_or_repaired_with_a_warning_naming_the_line(book):
    assert [(Path(d.path).name, d.line) for d in book.warnings("html.refused")] == [("intro.md", 23)]
    assert [(Path(d.path).name, d.line) for d in book.warnings("html.repaired")] == [("intro.md", 25)]
    intro = etree.tostring(book.doc("intro.xhtml"), encoding="unicode")
    assert "<script" not in intro and "<figcaption" not in intro.split("<figure")[0]


def test_strict_makes_dropped_html_an_error(tmp_path):
    root = write(tmp_path / "ms", "en")
    with pytest.raises(BuildError) as info:
        pipeline.build(root, tmp_path / "out", formats=("epub",), strict=True)
    assert ("intro.md", 23, "html.refused") in {(Path(d.path).name, d.line, d.code) for d in info.value.diagnostics if d.is_error}


def test_only_the_books_fonts_and_a_warning_for_a_missing_glyph(book):
    names = set()
    with pikepdf.open(book.print) as pdf:
        for page in pdf.pages:
            for font in (page.resources.get("/Font") or {}).values():
                names.add(str(font.get("/BaseFont")).split("+")[-1].lstrip("/"))
    assert names and all(re.match(r"(Parastoo|Vazirmatn|Noto-Serif|Vazir-Code)", n) for n in names), names
    missing = book.warnings("font.missing-glyph")
    assert [(Path(d.path).name, d.line) for d in missing] == [("intro.md", 48)] and "U+2603" in missing[0].message


def test_emphasis_shows(book):
    with pikepdf.open(book.print) as pdf:
        names = {str(f.get("/BaseFont")) for p in pdf.pages for f in (p.resources.get("/Font") or {}).values()}
    assert any("Noto-Serif-Italic" in n for n in names)  # Latin italic is a real italic face
    assert any("Noto-Serif-Bold-Italic" in n or "Vazirmatn-Bold" in n for n in names)


def test_tables_have_captions_alignment_and_numbers(book):
    table = book.doc("intro.xhtml").find(f".//{XHTML}table")
    caption = text_of(table.find(f"{XHTML}caption"))
    assert caption.startswith("جدول ۱" if book.lang == "fa" else "Table 1")
    assert "right" in (table.find(f".//{XHTML}th").get("style") or "")
    assert table.find(f"{XHTML}thead") is not None


def test_math_is_mathml_in_the_epub_and_drawn_in_the_pdf(book):
    intro = book.doc("intro.xhtml")
    assert intro.find(".//{http://www.w3.org/1998/Math/MathML}math") is not None
    item = next(i for i in book.epub.manifest().values() if i.get("href") == "intro.xhtml")
    assert "mathml" in (item.get("properties") or "")
    text = "".join(pdf_text(book.print))
    assert "mc^2" not in text and "$$" not in text


def test_crossreferences_are_numbered_and_linked(book):
    intro = book.doc("intro.xhtml")
    refs = [text_of(s) for s in intro.iter(f"{XHTML}span") if s.get("class") == "crossref"]
    one = "۱" if book.lang == "fa" else "1"
    assert refs[0] == ("شکل ۱" if book.lang == "fa" else "Figure 1") and refs[2] == f"({one})"
    assert intro.find(f".//{XHTML}a[@href='#fig:pic']") is not None
    assert f"({one})" in text_of(intro.find(f".//{XHTML}span[@id='eq:e']"))


def test_lists_keep_their_start_and_task_boxes(book):
    intro = book.doc("intro.xhtml")
    assert intro.find(f".//{XHTML}ol[@start='3']") is not None
    assert len([s for s in intro.iter(f"{XHTML}span") if "task-box" in (s.get("class") or "")]) == 2
    assert intro.find(f".//{XHTML}input") is None
    assert intro.find(f".//{XHTML}dl/{XHTML}dt") is not None


def test_pictures_in_every_format(book):
    media = {i.get("href"): i.get("media-type") for i in book.epub.manifest().values() if i.get("href").startswith("media/")}
    assert set(media.values()) == {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"}
    assert "media/chapters/pic.svgz.svg" in media and "media/chapters/pic.svgz" not in media
    svg = book.epub.zip.read(book.epub.base + "media/chapters/pic.svgz.svg")
    assert svg.lstrip().split(b"?>", 1)[-1].lstrip().startswith(b"<svg")  # unpacked (and cleaned: an XML declaration may lead)


@pytest.mark.parametrize("spoil", ["truncated", "bomb", "bad-svgz"])
def test_a_picture_that_cannot_be_drawn_is_a_diagnostic(tmp_path, spoil):
    root = write(tmp_path / "ms", "en")
    if spoil == "truncated":
        buf = io.BytesIO()
        PILImage.frombytes("L", (64, 64), bytes((i * 7919) % 251 for i in range(64 * 64))).save(buf, "PNG")
        (root / "chapters" / "pic.png").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    elif spoil == "bomb":
        PILImage.new("1", (9000, 9000)).save(root / "chapters" / "pic.png")
    else:
        (root / "chapters" / "pic.svgz").write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(BuildError) as info:
        pipeline.build(root, tmp_path / "out", formats=("epub",))
    codes = {d.code for d in info.value.diagnostics if d.is_error}
    assert codes & {"image.broken", "image.type", "image.too-large"}, info.value.diagnostics


# Citations and the depth of the contents ---------------------------------------------------------------------

REFS = """\
- id: doe99
  type: book
  author: [{family: Doe, given: Jane}]
  title: A Book About Books
  issued: {date-parts: [[1999]]}
  publisher: Sample Press
- id: roe05
  type: article-journal
  author: [{family: Roe, given: Rick}, {family: Poe, given: Ed}]
  title: Pages and Volumes
  container-title: Journal of Things
  volume: 12
  page: 45-67
  issued: {date-parts: [[2005]]}
  DOI: 10.1000/xyz123
"""


@pytest.fixture(scope="module", params=["fa", "en"])
def cited(request, tmp_path_factory):
    lang = request.param
    root = tmp_path_factory.mktemp(f"cited-{lang}") / "ms"
    (root / "chapters").mkdir(parents=True)
    (root / "refs.yaml").write_text(REFS, encoding="utf-8")
    (root / "book.yaml").write_text(
        BOOK.format(title=WORDS[lang]["title"], lang=lang, n="03" if lang == "fa" else "04").replace(
            "chapters: [chapters/intro.md, chapters/part/intro.md, chapters/part/second.md]",
            "toc_depth: 3\nbibliography: refs.yaml\nchapters: [chapters/a.md, {generate: references}]"),
        encoding="utf-8")
    (root / "chapters" / "a.md").write_text(
        f"---\ntitle: {WORDS[lang]['intro']}\n---\n\n## {WORDS[lang]['overview']}\n\n### {WORDS[lang]['details']}\n\n"
        f"{WORDS[lang]['text']} [@doe99, p. 12] and [@nobody] and [@roe05].\n", encoding="utf-8")
    out = root.parent / "out"
    return lang, pipeline.build(root, out), Epub(out / "elements.epub")


def test_citations_resolve_into_a_references_part(cited):
    lang, result, epub = cited
    a = epub.read("a.xhtml")
    cites = [s for s in a.iter(f"{XHTML}span") if s.get("class") == "citation"]
    # a Persian book's citations and bibliography have its digits (years, pages, volumes), in the locale's words
    # (fa-IR, which pandoc embeds); a DOI keeps its own and reads left to right
    assert ("Doe ۱۹۹۹" if lang == "fa" else "Doe 1999") in " ".join(text_of(c) for c in cites)
    assert ("Roe و Poe ۲۰۰۵" if lang == "fa" else "Roe and Poe 2005") in " ".join(text_of(c) for c in cites)  # the locale's «و»
    refs = epub.read("references.xhtml")
    entry = text_of(next(d for d in refs.iter(f"{XHTML}div") if d.get("id") == "ref-roe05"))
    assert ("۱۲: ۴۵–۶۷" if lang == "fa" else "12: 45–67") in entry, entry
    doi = next(a for a in refs.iter(f"{XHTML}a") if "doi.org" in (a.get("href") or ""))
    assert text_of(doi) == "https://doi.org/10.1000/xyz123" and (doi.get("dir") == "ltr" or lang == "en")
    assert "references.xhtml#ref-doe99" in [x.get("href") for c in cites for x in c.iter(f"{XHTML}a")]
    assert "A Book About Books" in text_of(epub.read("references.xhtml"))
    assert [(Path(d.path).name, d.line) for d in result.warnings if d.code == "citation.undefined"] == [("a.md", 9)]
    assert [m for m in epubcheck_messages(result.outputs["epub"]) if m["severity"] in ("ERROR", "FATAL")] == []


def test_toc_depth_sets_the_depth_of_the_navigation(cited):
    lang, result, epub = cited
    nav = text_of(epub.nav())
    assert WORDS[lang]["overview"] in nav and WORDS[lang]["details"] in nav  # levels 2 and 3


# fonts: in book.yaml ------------------------------------------------------------------------------------------


def test_fonts_in_book_yaml_set_the_faces_and_travel_with_the_epub(tmp_path):
    from ketab.render import default_templates

    root = tmp_path / "ms"
    (root / "chapters").mkdir(parents=True)
    (root / "fonts").mkdir()
    (root / "fonts" / "own.ttf").write_bytes((default_templates() / "fonts" / "vazir-code" / "Vazir-Code.ttf").read_bytes())
    (root / "book.yaml").write_text(BOOK.format(title="Fonts", lang="en", n="05").replace(
        "chapters: [chapters/intro.md, chapters/part/intro.md, chapters/part/second.md]",
        "fonts: {body: {regular: fonts/own.ttf}, headings: Noto Serif}\nchapters: [chapters/a.md]"), encoding="utf-8")
    (root / "chapters" / "a.md").write_text("---\ntitle: Faces\n---\n\nPlain text in the book's own face.\n", encoding="utf-8")
    result = pipeline.build(root, tmp_path / "out")
    with pikepdf.open(result.outputs["print"]) as pdf:
        names = {str(f.get("/BaseFont")).split("+")[-1] for p in pdf.pages for f in (p.resources.get("/Font") or {}).values()}
    assert "Book-Body" in names and not any(n.startswith("Parastoo") for n in names), names  # named after its @font-face
    epub = Epub(result.outputs["epub"])
    assert "fonts/book/own.ttf" in {i.get("href") for i in epub.manifest().values()}
    assert 'font-family: "Book Body"' in epub.zip.read(epub.base + "css/book.css").decode()
    assert [m for m in epubcheck_messages(result.outputs["epub"]) if m["severity"] in ("ERROR", "FATAL")] == []


def test_fonts_with_an_unknown_role_is_an_error_with_its_line(tmp_path):
    root = tmp_path / "ms"
    (root / "chapters").mkdir(parents=True)
    (root / "book.yaml").write_text(BOOK.format(title="Fonts", lang="en", n="06").replace(
        "chapters: [chapters/intro.md, chapters/part/intro.md, chapters/part/second.md]",
        "fonts: {captions: Vazirmatn}\nchapters: [chapters/a.md]"), encoding="utf-8")
    (root / "chapters" / "a.md").write_text("---\ntitle: A\n---\n\nText.\n", encoding="utf-8")
    with pytest.raises(BuildError) as info:
        pipeline.build(root, tmp_path / "out", formats=("epub",))
    assert [(d.line, d.code) for d in info.value.diagnostics if d.is_error] == [(7, "config.value")]
