"""The identity page (شناسنامه) prints the facts of book.yaml, and nothing the book does not have."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketab.assemble import assemble
from ketab.config import load_config
from ketab.convert import convert_chapters
from ketab.diagnostics import BuildError
from ketab.generate import generated_markdown
from ketab.manuscript import load_manuscript
from ketab.render import common_context, environment

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

BOOK = """\
title: دو مسعود
language: fa-AF
slug: t
identifier: urn:uuid:2b3c4d5e-0000-4000-8000-000000000002
date: 2026-11-21
edition: چاپ نخست
publisher: کتاب
creators:
  - {name: الف, role: compiler}
  - {name: ب, role: typesetter}
  - {name: پ, role: cover-designer}
chapters: [chapters/01.md]
"""


def _identity(root) -> str:
    ms = load_manuscript(root)
    converted, _ = convert_chapters(ms, lambda ch: generated_markdown(ms, ch))
    book = assemble(ms, converted)
    return environment(TEMPLATES).get_template("identity.html.j2").render(**common_context(book))


def test_identity_page_facts(write_book):
    extra = "place: کابل\nprint_run: 1000\nisbn: 978-0-306-40615-7\n"
    root = write_book(BOOK + extra, {"chapters/01.md": "---\ntitle: فصل\n---\n\nمتن.\n"})
    html = _identity(root)
    assert "عنوان:</span> دو مسعود" in html and "صفحهٔ عنوان" not in html
    assert "چاپ نخست، ۱۴۰۵ (۲۰۲۶)" in html  # the solar Hijri year beside the Gregorian one
    assert "حروف‌نگار و صفحه‌آرا:</span> ب" in html and "طراح جلد:</span> پ" in html
    assert "محل نشر:</span> کابل" in html and "شمارگان:</span> ۱٬۰۰۰" in html
    assert "978-0-306-40615-7" in html  # hyphenated by its registration group
    assert "urn:uuid" not in html


def test_no_isbn_prints_none_and_a_uuid_is_not_printed(write_book):
    root = write_book(BOOK, {"chapters/01.md": "---\ntitle: فصل\n---\n\nمتن.\n"})
    html = _identity(root)
    assert "شابک" not in html and "urn:uuid" not in html and "شناسه" not in html


def test_a_wrong_isbn_check_digit_is_an_error_at_its_line(write_book, tmp_path):
    root = write_book(BOOK + "isbn: 978-0-306-40615-8\n", {"chapters/01.md": "---\ntitle: فصل\n---\n\nمتن.\n"})
    with pytest.raises(BuildError, match=r"book.yaml:13: error: isbn: .* is not a valid ISBN"):
        load_config(root / "book.yaml")
