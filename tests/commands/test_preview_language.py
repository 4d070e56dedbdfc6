"""The live preview of ``ketab watch`` speaks the book's language: its toolbar, its messages, its direction."""

from __future__ import annotations

from lxml import etree

from ketab.preview import Preview, load_snapshot

X = {"x": "http://www.w3.org/1999/xhtml"}


def toolbar(preview: Preview, href: str):
    root = etree.fromstring(preview.page(href))  # still well-formed XHTML
    return root.find(".//x:div[@id='ketab-preview']", X)


def words(el) -> str:
    return " ".join("".join(el.itertext()).split())


def test_a_persian_book_gets_a_persian_right_to_left_toolbar(persian_book):
    snap = load_snapshot(persian_book.path("epub"))
    preview = Preview(0)
    preview.succeeded(snap, warnings=["book.yaml:7: warning: something [lint.x]"])
    middle = snap.spine[len(snap.spine) // 2]
    bar = toolbar(preview, middle)
    assert (bar.get("lang"), bar.get("dir")) == ("fa-AF", "rtl")
    text = words(bar)
    for word in ("فهرست", "فصل‌ها", "پیشین", "پسین", "۱ هشدار"):
        assert word in text, (word, text)
    assert not any(english in text for english in ("previous", "next", "chapters", "warning(s)"))
    assert "در حال ساختن…" == bar.get("data-rebuilding")  # what live.js shows while a build runs

    preview.failed(["chapters/02-second.md:3: error: footnote [^9] is never defined [note.undefined]"])
    alert = toolbar(preview, middle).find(".//x:div[@id='ketab-errors']", X)
    assert "ساخت کتاب ناکام ماند." in words(alert) and "این آخرین ساخت درست است." in words(alert)
    assert "پنهان کن" in words(alert)
    missing = preview.status_page(preview.labels(snap).not_in_build).decode()
    assert 'lang="fa-AF" dir="rtl"' in missing and "این صفحه در ساخت کنونی نیست." in missing


def test_an_english_book_keeps_english_words(english_book):
    snap = load_snapshot(english_book.path("epub"))
    preview = Preview(0)
    preview.succeeded(snap)
    bar = toolbar(preview, snap.spine[len(snap.spine) // 2])
    assert (bar.get("lang"), bar.get("dir")) == ("en", "ltr")
    assert "Previous" in words(bar) and "chapters" in words(bar)


def test_before_the_first_build_the_waiting_page_is_in_the_books_language():
    preview = Preview(0, lang="fa-AF")
    page = preview.status_page(preview.labels().waiting).decode()
    assert 'lang="fa-AF" dir="rtl"' in page and "در انتظار نخستین ساخت…" in page and ">فهرست<" in page
