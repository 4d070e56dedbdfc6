"""The register of names drives the index: every mention, page ranges, letter groups, see-references."""

from __future__ import annotations

import pypdfium2 as pdfium
import pytest

from ketab import pipeline
from ketab.diagnostics import BuildError

BOOK = """\
title: نمایه
language: fa-AF
slug: namayeh
identifier: urn:uuid:2b3c4d5e-0000-4000-8000-000000000001
date: 2026-01-01
chapters:
  - chapters/01.md
  - {generate: index, title: نمایه, data: data/names.yaml}
"""

NAMES = """\
- entry: مسعود، احمدشاه
  kind: person
  forms: [احمدشاه مسعود, آمر صاحب]
- entry: چرچیل، وینستون
  kind: person
  forms: [وینستون چرچیل, چرچیل]
  latin: Winston Churchill
- entry: تاجیکستان
  kind: place
  reject: [تاجکستان]
- entry: تاجکستان
  kind: place
  see: تاجیکستان
- entry: پنجشیر
  kind: place
"""

FILLER = " ".join(["این جمله برای پر کردن صفحه است."] * 60)


def _chapter() -> str:
    paras = [
        "احمدشاه مسعود در پنجشیر بود و آمر صاحب را همه می‌شناختند.",
        "وینستون چرچیل سخنرانی کرد. «چرچیل» را در کتاب‌ها می‌خوانیم؛ چرچیلی نامی دیگر است.",
        "`احمدشاه مسعود` در کد نمایه نمی‌شود.",
    ]
    # Pages 2–4 all mention Panjshir (a range), page 6 too (a separate locator).
    for page in range(2, 8):
        paras.append(FILLER + (" پنجشیر." if page in (2, 3, 4, 6) else ""))
    paras.append("تاجیکستان همسایه است.")
    return "---\ntitle: فصل\n---\n\n" + "\n\n".join(paras) + "\n"


def _index_text(pdf_path) -> str:
    pdf = pdfium.PdfDocument(pdf_path)
    texts = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    found = [t for t in texts if "نمایه" in t and ("پنجشیر" in t)]
    return found[-1]


def test_every_mention_of_a_registered_name_is_indexed(write_book, tmp_path):
    root = write_book(BOOK, {"chapters/01.md": _chapter(), "data/names.yaml": NAMES})
    result = pipeline.build(root, tmp_path / "out", formats=("screen",))
    from ketab.assemble import assemble  # the book as the writers see it
    from ketab.convert import convert_chapters
    from ketab.generate import generated_markdown
    from ketab.manuscript import load_manuscript

    ms = load_manuscript(root)
    converted, _ = convert_chapters(ms, lambda ch: generated_markdown(ms, ch))
    book = assemble(ms, converted)
    by_heading = {e.heading: e for e in book.index}
    # Both forms of Massoud, and «چرچیل» twice (once inside guillemets) but not «چرچیلی» nor the code span.
    assert len(by_heading["مسعود، احمدشاه"].places) == 2
    assert len(by_heading["چرچیل، وینستون"].places) == 2
    assert len(by_heading["پنجشیر"].places) == 5
    assert by_heading["تاجکستان"].see == "تاجیکستان" and by_heading["تاجکستان"].places == ()
    # Alphabetical: پ before ت before چ before م.
    headings = [e.heading for e in book.index]
    assert headings == sorted(headings, key=lambda h: "اپتچم".index(h[0]) if h[0] in "اپتچم" else 9)
    text = _index_text(result.outputs["screen"])
    assert "نک." in text  # the see-reference is printed


def test_consecutive_pages_are_one_range(write_book, tmp_path):
    from ketab.language import Language
    from ketab.layout.pagination import page_ranges

    lang = Language("fa-AF", "rtl")
    places = [("c", "a"), ("c", "b"), ("c", "c"), ("c", "d"), ("c", "e")]
    folios = {"a": 2, "b": 3, "c": 4, "d": 4, "e": 6}
    assert page_ranges(places, folios, lang) == [("۲–۴", "a"), ("۶", "e")]


def test_a_register_error_names_its_file_and_line(write_book, tmp_path):
    bad = NAMES + "- entry: پنجشیر\n  kind: place\n- entry: کابل\n  kind: city\n"
    root = write_book(BOOK, {"chapters/01.md": _chapter(), "data/names.yaml": bad})
    with pytest.raises(BuildError) as err:
        pipeline.build(root, tmp_path / "out", formats=("epub",))
    text = str(err.value)
    assert "names.yaml:16" in text and "registered twice" in text
    assert "names.yaml:19" in text and "kind 'city'" in text


GLOSSARY = """\
- term: قوماندان
  definition: فرمانده.
  latin: commandant
- term: ایلجاری
  definition: فراخوان همگانی.
- term: اعمار
  definition: ساختن.
"""

ABBREVIATIONS = """\
- abbr: NRF
  expansion: جبههٔ مقاومت ملی
  latin: National Resistance Front
- abbr: آی اس آی
  expansion: سازمان استخبارات نظامی پاکستان
"""


def test_glossary_and_abbreviations_are_generated_parts_in_alphabetical_order(write_book, tmp_path):
    from ketab.convert import convert_chapters
    from ketab.generate import generated_markdown
    from ketab.manuscript import load_manuscript

    book = BOOK.replace("  - {generate: index", "  - {generate: glossary, data: data/glossary.yaml}\n"
                        "  - {generate: abbreviations, title: کوته‌نوشت‌ها, data: data/abbr.yaml}\n  - {generate: index")
    root = write_book(book, {"chapters/01.md": _chapter(), "data/names.yaml": NAMES,
                             "data/glossary.yaml": GLOSSARY, "data/abbr.yaml": ABBREVIATIONS})
    ms = load_manuscript(root)
    converted, _ = convert_chapters(ms, lambda ch: generated_markdown(ms, ch))
    glossary = next(c for c in converted if c.chapter.generate == "glossary")
    assert glossary.chapter.title == "واژه‌نامه"  # the book's language names the part
    from lxml import html

    tree = html.fragment_fromstring(glossary.html, create_parent="div")
    assert [dt.text_content() for dt in tree.iter("dt")] == ["اعمار", "ایلجاری", "قوماندان"]
    assert "commandant" in tree.xpath("string(//dd[3])")
    abbr = next(c for c in converted if c.chapter.generate == "abbreviations")
    tree = html.fragment_fromstring(abbr.html, create_parent="div")
    assert [dt.text_content() for dt in tree.iter("dt")] == ["آی اس آی", "NRF"]


def test_a_glossary_item_without_its_definition_is_an_error_at_its_line(write_book, tmp_path):
    book = BOOK.replace("  - {generate: index", "  - {generate: glossary, data: data/glossary.yaml}\n  - {generate: index")
    root = write_book(book, {"chapters/01.md": _chapter(), "data/names.yaml": NAMES,
                             "data/glossary.yaml": GLOSSARY + "- term: لیسه\n"})
    with pytest.raises(BuildError, match=r"glossary.yaml:8: error: each item needs `term` and `definition`"):
        pipeline.build(root, tmp_path / "out", formats=("epub",))
