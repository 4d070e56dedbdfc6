"""Generated parts: the list of sources reads as a bibliography."""

from __future__ import annotations

from lxml import html as lxml_html

from ketab.convert import convert_chapters
from ketab.generate import generated_markdown
from ketab.manuscript import load_manuscript

BOOK = """\
title: منابع
language: fa-AF
slug: s
identifier: urn:uuid:2b3c4d5e-0000-4000-8000-000000000003
chapters:
  - chapters/01.md
  - {generate: sources, title: منابع}
"""

RECORD = """\
id: "003"
file: 003_de564e713b0b8908.txt
title: "Ahmed Masood: Eight days ago"
title_fa: "احمد مسعود: هشت روز پیش"
language: en
original_language: fr
author: "Bernard-Henri Lévy"
date: "2021-08-21"
kind: interview
reliability: "برگردان ماشینی."
"""


def test_sources_list_has_no_file_names_or_ids_and_dates_in_both_calendars(write_book):
    root = write_book(BOOK, {"chapters/01.md": "---\ntitle: فصل\nsource: \"003\"\n---\n\nمتن.\n",
                             "sources/003.yaml": RECORD})
    ms = load_manuscript(root)
    converted, _ = convert_chapters(ms, lambda ch: generated_markdown(ms, ch))
    part = next(c for c in converted if c.chapter.generate == "sources")
    text = lxml_html.fragment_fromstring(part.html, create_parent="div").text_content()
    assert "003_de564e713b0b8908" not in text and ".txt" not in text and "۰۰۳" not in text
    assert text.strip().startswith("۱. احمد مسعود")  # numbered as the book numbers its sources
    assert "تاریخ: ۲۱ اگست ۲۰۲۱ (۳۰ اسد ۱۴۰۰)" in text
    assert "زبان: انگلیسی (برگردان از فرانسوی)" in text
    assert "عنوان اصلی: Ahmed Masood: Eight days ago" in text
    tree = lxml_html.fragment_fromstring(part.html, create_parent="div")
    latin = tree.xpath("//*[contains(., 'Eight days ago') and @dir='ltr']")
    assert latin, "the original Latin-script title is isolated left to right"


CHRON_BOOK = """\
title: گاه‌شمار
language: fa-AF
slug: c
identifier: urn:uuid:2b3c4d5e-0000-4000-8000-000000000005
chapters:
  - chapters/05.md
  - {generate: chronology, data: data/chronology.yaml}
"""


def _chronology_warnings(write_book, event: str):
    from ketab.convert import convert_chapters

    chron = f'- date: "2021-08-16"\n  calendar: miladi\n  event: "{event}"\n  source: "004"\n'
    root = write_book(CHRON_BOOK, {
        "chapters/05.md": '---\ntitle: فصل\nsource: "004"\n---\n\nاو گفت: «هرگز سر فرود نخواهیم آورد»[^1] و رفت.\n\n[^1]: یادداشت.\n',
        "sources/004.yaml": 'id: "004"\n', "data/chronology.yaml": chron,
    })
    ms = load_manuscript(root)
    _, warnings = convert_chapters(ms, lambda ch: generated_markdown(ms, ch))
    return [w for w in warnings if w.code == "chronology.misquote"]


def test_a_chronology_event_that_misquotes_its_chapter_is_a_warning_at_its_line(write_book):
    (w,) = _chronology_warnings(write_book, "احمد مسعود گفت «ما هرگز تسلیم نخواهیم شد».")
    assert w.line == 3 and "ما هرگز تسلیم نخواهیم شد" in w.message


def test_an_exact_quotation_is_not_a_warning(write_book):
    assert _chronology_warnings(write_book, "احمد مسعود گفت «هرگز سر فرود نخواهیم آورد».") == []
