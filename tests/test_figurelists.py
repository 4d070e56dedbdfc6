"""Generated lists of figures and tables (``{generate: figures}``, ``{generate: tables}``), in a right-to-left and a
left-to-right book: each entry is the figure's number, its caption and the page it fell on (in the book's digits,
the folio where the PDF's link lands), links in the EPUB, an entry of the contents, the navigation and the PDF
bookmarks; an empty list is a warning and no page.  Also pandoc's own tables.markdown, whose captioned tables
have no labels: its list of tables lists them unnumbered."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from PIL import Image as PILImage

from ketab import pipeline
from ketab.preflight import _destinations
from support import Epub, epubcheck_messages

XHTML = "{http://www.w3.org/1999/xhtml}"
EXTERNAL = Path(__file__).parent / "projects" / "_external"
BOOK = """\
title: {title}
language: {lang}
slug: lists
identifier: urn:uuid:2d1b5b0e-3f7a-4c55-9a55-0d6f3a4f7c{n}
date: 2026-11-01
signature: 1
chapters:
  - chapters/pre.md
  - {{generate: figures}}
  - chapters/a.md
  - chapters/b.md
  - {{generate: tables}}
"""
WORDS = {
    "fa": {"title": "فهرست‌ها", "pre": "پیشگفتار", "a": "فصل نخست", "b": "فصل دوم", "para": "این بند برای پر کردن صفحه است و چند بار تکرار می‌شود تا متن به صفحهٔ دیگری برسد. " * 12,
           "map": "نقشهٔ کابل", "front": "تصویر آغاز", "second": "تصویر دوم", "t1": "جدول نمونه", "t2": "جدول بی‌برچسب", "t3": "جدول دوم",
           "figures": "فهرست تصویرها", "tables": "فهرست جدول‌ها"},
    "en": {"title": "Lists", "pre": "Preface", "a": "First chapter", "b": "Second chapter", "para": "This paragraph fills the page and is repeated so that the text runs on to another page. " * 12,
           "map": "A map of Kabul", "front": "A frontispiece", "second": "A second picture", "t1": "A sample table", "t2": "An unlabelled table", "t3": "The second table",
           "figures": "List of Figures", "tables": "List of Tables"},
}


def write(root: Path, lang: str) -> Path:
    w = WORDS[lang]
    (root / "chapters").mkdir(parents=True)
    buf = io.BytesIO()
    PILImage.new("RGB", (60, 30), (90, 90, 90)).save(buf, "PNG")
    (root / "chapters" / "pic.png").write_bytes(buf.getvalue())
    (root / "book.yaml").write_text(BOOK.format(title=w["title"], lang=lang, n="01" if lang == "fa" else "02"), encoding="utf-8")
    (root / "chapters" / "pre.md").write_text(f"---\ntitle: {w['pre']}\nkind: frontmatter\n---\n\n{w['para']}\n\n![{w['front']}](pic.png){{#fig:front}}\n", encoding="utf-8")
    table = "| a | b |\n|---|---|\n| x | y |\n\n"
    (root / "chapters" / "a.md").write_text(
        f"---\ntitle: {w['a']}\n---\n\n{w['para']}\n\n![{w['map']}](pic.png){{#fig:map}}\n\n{w['para']}\n\n{w['para']}\n\n"
        f"{table}: {w['t1']} {{#tbl:one}}\n\n{w['para'] * 2}\n\n{table}: {w['t2']}\n", encoding="utf-8")
    (root / "chapters" / "b.md").write_text(
        f"---\ntitle: {w['b']}\n---\n\n{w['para'] * 4}\n\n![{w['second']}](pic.png){{#fig:two}}\n\n{w['para']}\n\n{table}: {w['t3']} {{#tbl:two}}\n",
        encoding="utf-8")
    return root


@pytest.fixture(scope="module", params=["fa", "en"])
def listed(request, tmp_path_factory):
    root = write(tmp_path_factory.mktemp(f"lists-{request.param}") / "ms", request.param)
    result = pipeline.build(root, root.parent / "out")
    return request.param, result


def text_of(el) -> str:
    return " ".join("".join(el.itertext()).split())


def list_entries(pdf_path, title: str, rtl: bool) -> list[tuple[str, str, str]]:
    """(caption text, page number printed at the entry's end, label of the page its link lands on — what the reader
    sees printed on that page) for each entry of the list page titled ``title`` in the screen PDF."""
    pdf = pikepdf.open(pdf_path)
    dests = _destinations(pdf)
    doc = pdfium.PdfDocument(str(pdf_path))
    page_index = next(i for i, p in enumerate(doc) if p.get_textpage().get_text_range().strip().startswith(title.replace("\u200c", "")))
    textpage = doc[page_index].get_textpage()
    rects: dict[str, list] = {}  # an entry's link is one annotation per box of its line: their union
    for annot in pdf.pages[page_index].obj.get("/Annots") or ():
        dest = annot.get("/Dest")
        if dest is not None and str(dest).lstrip("/") in dests:
            r = [float(v) for v in annot.Rect]
            u = rects.setdefault(str(dest).lstrip("/"), r)
            rects[str(dest).lstrip("/")] = [min(u[0], r[0]), min(u[1], r[1]), max(u[2], r[2]), max(u[3], r[3])]
    entries = []
    for dest, (x0, y0, x1, y1) in rects.items():
        column = 9 * 72 / 25.4  # the page numbers' column at the entry's end side (print.css), inside its link
        caption = textpage.get_text_bounded(x0 + column, y0, x1, y1) if rtl else textpage.get_text_bounded(x0, y0, x1 - column, y1)
        # (the link covers the number where it is a slot drawn over the page, not where it is the front matter's text)
        end = textpage.get_text_bounded(x0 - column, y0, x0 + column, y1) if rtl else textpage.get_text_bounded(x1 - column, y0, x1 + column, y1)
        number = re.sub(r"[\s.]", "", end)
        caption = re.sub(r"(\s+\.)+$", "", " ".join(caption.split()))  # without the leaders
        entries.append((caption, number, pikepdf.Page(pdf.pages[dests[dest][0]]).label))
    return entries


def test_lists_print_number_caption_and_the_page_the_figure_fell_on(listed):
    lang, result = listed
    w = WORDS[lang]
    for title, captions in ((w["figures"], (w["front"], w["map"], w["second"])), (w["tables"], (w["t1"], w["t2"], w["t3"]))):
        entries = list_entries(result.outputs["screen"], title, lang == "fa")
        assert len(entries) == len(captions), entries
        for (caption, number, label), expected in zip(entries, captions):
            assert expected.replace("\u200c", "").split()[-1] in caption.replace("\u200c", "")
            assert number == label, (caption, number, label)  # the page where the figure fell, as that page prints it
            if lang == "fa":
                assert not re.search(r"[0-9]", number), number  # Persian digits (or the front matter's letters)
        assert len({n for _, n, _ in entries}) > 1  # the entries fall on different pages: not one number for all
    front = list_entries(result.outputs["screen"], w["figures"], lang == "fa")[0][1]
    assert not front.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789")).isdigit()  # the preface's figure: a front-matter page


def test_lists_are_in_the_epub_contents_navigation_and_bookmarks(listed):
    lang, result = listed
    w = WORDS[lang]
    epub = Epub(result.outputs["epub"])
    figures = epub.read("list-of-figures.xhtml")
    links = [(a.get("href"), text_of(a)) for a in figures.iter(f"{XHTML}a") if "list-ref" in (a.get("class") or "")]
    one = "۱" if lang == "fa" else "1"
    assert links[0][1].startswith(one) and w["front"] in links[0][1]  # number, then caption
    assert [h for h, _ in links] == ["pre.xhtml#fig:front", "a.xhtml#fig:map", "b.xhtml#fig:two"]
    tables = [a.get("href") for a in epub.read("list-of-tables.xhtml").iter(f"{XHTML}a") if "list-ref" in (a.get("class") or "")]
    assert tables[0] == "a.xhtml#tbl:one" and tables[2] == "b.xhtml#tbl:two" and tables[1].startswith("a.xhtml#a-t")
    assert epub.read(tables[1].split("#")[0]).find(f".//{XHTML}table[@id='{tables[1].split('#')[1]}']") is not None
    nav = text_of(epub.nav())
    assert w["figures"] in nav and w["tables"] in nav
    with pikepdf.open(result.outputs["print"]) as pdf, pdf.open_outline() as outline:
        titles = [item.title for item in outline.root]
    assert w["figures"] in titles and w["tables"] in titles
    assert titles.index(w["figures"]) < titles.index(w["a"]) < titles.index(w["tables"])  # in the reading order
    contents = " ".join(pdfium.PdfDocument(str(result.outputs["print"]))[4].get_textpage().get_text_range().split())
    assert w["tables"].replace("\u200c", "") in contents.replace("\u200c", "")
    assert [m for m in epubcheck_messages(result.outputs["epub"]) if m["severity"] in ("ERROR", "FATAL", "WARNING")] == []


def test_an_empty_list_is_a_warning_and_no_page(tmp_path):
    root = tmp_path / "ms"
    (root / "chapters").mkdir(parents=True)
    (root / "book.yaml").write_text(BOOK.format(title="Empty", lang="en", n="03").replace(
        "  - chapters/pre.md\n", "").replace("  - chapters/b.md\n", ""), encoding="utf-8")
    (root / "chapters" / "a.md").write_text("---\ntitle: Text\n---\n\nNo pictures and no tables here.\n", encoding="utf-8")
    result = pipeline.build(root, tmp_path / "out")
    assert sorted((d.code, d.line) for d in result.warnings if d.code == "lists.empty") == [("lists.empty", 8), ("lists.empty", 10)]  # the lines of book.yaml that ask for them
    epub = Epub(result.outputs["epub"])
    assert "List of" not in text_of(epub.nav())
    assert not any("figures" in (i.get("href") or "") for i in epub.manifest().values())
    with pikepdf.open(result.outputs["print"]) as pdf, pdf.open_outline() as outline:
        assert [item.title for item in outline.root] == ["Text"]


def test_the_list_of_tables_of_pandocs_tables_document(tmp_path):
    source = EXTERNAL / "pandoc-tests"
    if not (source / "book.yaml").exists():
        pytest.fail(f"{source} is missing: run `make testbooks` (scripts/fetch_testbooks.py)")
    root = tmp_path / "pandoc-tests"
    shutil.copytree(source, root)
    book = (root / "book.yaml").read_text(encoding="utf-8")
    (root / "book.yaml").write_text(book + "- {generate: figures}\n- {generate: tables}\n", encoding="utf-8")
    result = pipeline.build(root, tmp_path / "out", formats=("print", "screen", "epub"))
    epub = Epub(result.outputs["epub"])
    entries = [text_of(li) for li in epub.read("list-of-tables.xhtml").iter(f"{XHTML}li")]
    # tables.markdown: two simple tables and one multiline table with captions, then pipe-tables.txt's
    assert entries[:3] == ["Demonstration of simple table syntax.", "Demonstration of simple table syntax.",
                           "Here\u2019s the caption. It may span multiple lines."], entries  # pandoc's smart apostrophe
    assert "Demonstration of simple table syntax." in entries[3:]
    figures = [text_of(li) for li in epub.read("list-of-figures.xhtml").iter(f"{XHTML}li")]
    assert figures[0] == "lalune"  # testsuite.txt's one picture alone in its paragraph
    printed = list_entries(result.outputs["screen"], "List of Tables", False)
    assert [c.rstrip(". ") for c, _, _ in printed][:3] == [e.rstrip(". ") for e in entries[:3]]  # (a leader may follow a full stop)
    assert all(n == label for _, n, label in printed)
    assert [m for m in epubcheck_messages(result.outputs["epub"]) if m["severity"] in ("ERROR", "FATAL")] == []
