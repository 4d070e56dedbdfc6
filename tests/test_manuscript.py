"""Loading the manuscript: front matter, notes, encodings — errors with file and line."""

from __future__ import annotations

import pytest

from ketab.diagnostics import BuildError
from ketab.manuscript import load_manuscript

BOOK = """\
title: T
language: fa
slug: t
identifier: urn:uuid:6f1c1c7e-2b1f-4c55-9a55-0d6f3a4f7a10
chapters: [a.md, b.md]
"""
A = "---\ntitle: الف\n---\n\nمتن.\n"
B = "---\ntitle: ب\n---\n\nمتن دیگر.\n"


def errors(root):
    with pytest.raises(BuildError) as info:
        load_manuscript(root)
    return [(d.path.split("/")[-1], d.line, d.code) for d in info.value.diagnostics if d.is_error]


def converted(root, strict=False):
    """Every diagnostic of loading and converting the manuscript: [(file, line, code, severity)]."""
    from ketab.convert import convert_chapters

    try:
        ms = load_manuscript(root)
    except BuildError as exc:  # errors found on the Markdown itself stop before pandoc
        return [(d.path.split("/")[-1], d.line, d.code, d.severity.value) for d in exc.diagnostics]
    try:
        found = list(ms.warnings) + list(convert_chapters(ms, strict=strict)[1])
    except BuildError as exc:
        found = list(ms.warnings) + list(exc.diagnostics)
    return [(d.path.split("/")[-1], d.line, d.code, d.severity.value) for d in found]


def test_a_good_manuscript_loads(write_book):
    ms = load_manuscript(write_book(BOOK, {"a.md": A, "b.md": B}))
    assert [c.title for c in ms.chapters] == ["الف", "ب"]
    assert ms.chapters[0].body_line == 4


def test_errors_in_several_files_are_reported_together(write_book):
    root = write_book(BOOK, {"a.md": "---\ntitle: [oops\n---\nx\n", "b.md": "---\nkind: chapter\n---\n\nx\n"})
    found = errors(root)
    assert ("a.md", 2, "front-matter.syntax") in found or ("a.md", 3, "front-matter.syntax") in found
    assert ("b.md", 2, "front-matter.title") in found


def test_missing_chapter_names_the_book_yaml_line(write_book):
    assert errors(write_book(BOOK, {"a.md": A})) == [("book.yaml", 5, "chapter.missing")]


def test_footnote_never_defined_is_an_error_unused_is_a_warning(write_book):
    root = write_book(BOOK, {"a.md": A, "b.md": "---\ntitle: ب\n---\n\nیک[^1] دو.\n\nسه.\n\n[^2]: بی‌ارجاع.\n"})
    got = set(converted(root))
    assert ("b.md", 5, "note.undefined", "error") in got
    assert ("b.md", 9, "note.unused", "warning") in got


NOTES = """---
title: Notes
---

An indented note,[^a] a long one,[^b] one with code,[^c] an inline one.^[Inline.]

    [^z]: indented four spaces: this is code, not a note

[^a]:
    Indented text of the note.

[^b]: First paragraph.

    Second paragraph of the same note.

[^c]: A note with code:

    ```
    x = 1
    ```
"""


def test_every_footnote_form_pandoc_accepts(write_book):
    from ketab.convert import convert_chapters

    root = write_book(BOOK, {"a.md": A, "b.md": NOTES})
    assert [d for d in converted(root) if d[3] == "error"] == []
    chapter = convert_chapters(load_manuscript(root))[0][1]
    assert chapter.notes == 4
    assert "Second paragraph of the same note" in chapter.html and "x = 1" in chapter.html
    assert "[^z]" in chapter.html  # inside code: kept as typed


def test_not_utf8_is_an_error_with_its_line(write_book):
    root = write_book(BOOK, {"a.md": A, "b.md": "---\ntitle: b\n---\n\nok\n".encode() + "\nبد\n".encode("cp1256")})
    assert errors(root) == [("b.md", 7, "encoding.utf8")]


def test_bom_and_crlf_are_accepted(write_book):
    root = write_book(BOOK, {"a.md": b"\xef\xbb\xbf" + A.replace("\n", "\r\n").encode(), "b.md": B})
    ms = load_manuscript(root)
    assert ms.chapters[0].title == "الف" and "\r" not in ms.chapters[0].body
    assert [w.code for w in ms.warnings] == ["encoding.bom"]


def test_empty_chapter(write_book):
    assert errors(write_book(BOOK, {"a.md": A, "b.md": "---\ntitle: ب\n---\n\n"})) == [("b.md", 4, "chapter.empty")]


def test_impossible_date_is_an_error_with_its_line(write_book):
    root = write_book(BOOK, {"a.md": A, "b.md": "---\ntitle: ب\n---\n\nدر [31 حوت 1360]{.shamsi} رخ داد.\n"})
    assert [d for d in converted(root) if d[3] == "error"] == [("b.md", 5, "date.invalid", "error")]


def test_scripts_and_event_handlers_are_dropped_with_a_warning_errors_when_strict(write_book):
    body = '---\ntitle: ب\n---\n\n<script>alert(1)</script>\n\n<img src="x.png" onerror="steal()">\n\n    <script>in code</script>\n'
    root = write_book(BOOK, {"a.md": A, "b.md": body})
    refused = [d for d in converted(root) if d[2] == "html.refused"]
    assert refused == [("b.md", 5, "html.refused", "warning"), ("b.md", 7, "html.refused", "warning")]
    assert [d for d in converted(root, strict=True) if d[2] == "html.refused"] == [
        ("b.md", 5, "html.refused", "error"), ("b.md", 7, "html.refused", "error")]


def test_chapter_path_outside_the_manuscript(write_book):
    root = write_book(BOOK.replace("[a.md, b.md]", "[a.md, ../../etc/passwd]"), {"a.md": A})
    assert errors(root) == [("book.yaml", 5, "config.path")]


def test_indented_code_and_html_comments_are_never_scanned_as_markup(write_book):
    root = write_book(
        "title: T\nlanguage: en\nslug: t\nidentifier: urn:uuid:12345678-1234-1234-1234-123456789abc\nchapters:\n  - one.md\n",
        {"one.md": "---\ntitle: One\n---\n\nText.\n\n<!-- not markup: [^2] and [x]{.shamsi} -->\n\n    indented code: [^3]\n"},
    )
    assert converted(root) == []  # no note.undefined, no date.invalid, no lint finding


CODE_FIRST = """---
title: ب
---

<!-- draft: [^x] and [31 حوت 1360]{.shamsi} and [old]{.deletion} -->

    [^x] [31 حوت 1360]{.shamsi} `[^x]` [new]{.insertion}

Text `[^x]` with a call[^x] that has no note.

در [31 حوت 1360]{.shamsi} رخ داد و [این]{.insertion} ماند.

[^y]: never called

[^z]: called[^z]
"""


def test_a_diagnostic_names_the_line_of_the_markup_not_of_its_copy_in_code_or_a_comment(write_book):
    """The comment and the indented code hold the same text first: each finding is on the line pandoc read it on."""
    got = set(converted(write_book(BOOK, {"a.md": A, "b.md": CODE_FIRST})))
    assert ("b.md", 9, "note.undefined", "error") in got
    assert ("b.md", 11, "date.invalid", "error") in got
    assert ("b.md", 11, "chapter.tracked-change", "warning") in got
    assert ("b.md", 13, "note.unused", "warning") in got
    assert not [d for d in got if d[1] in (5, 7)], got  # nothing from the comment or the code


def test_a_note_defined_twice_names_both_lines(write_book):
    from ketab.convert import convert_chapters

    body = "---\ntitle: ب\n---\n\nیک[^1] دو.\n\n[^1]: اول\n\n[^1]: دوم\n"
    ms = load_manuscript(write_book(BOOK, {"a.md": A, "b.md": body}))
    chapters, warnings = convert_chapters(ms)
    (dup,) = [d for d in warnings if d.code == "note.duplicate"]
    assert (dup.path.split("/")[-1], dup.line) == ("b.md", 9) and "first on line 7" in dup.message
    assert "دوم" in chapters[1].html and "اول" not in chapters[1].html  # pandoc keeps the last, as the message says


def test_the_checks_on_pandocs_parse_hold_when_pandoc_is_not_run_again(write_book, tmp_path):
    """The parse travels with pandoc's cached result: a second conversion from the cache says the same."""
    from ketab.cache import BuildCache, tool_versions
    from ketab.convert import convert_chapters

    ms = load_manuscript(write_book(BOOK, {"a.md": A, "b.md": CODE_FIRST.replace("\n[^y]: never called\n", "\n")}))
    cache = BuildCache(tmp_path / "cache", tool_versions())
    said = []
    for _ in range(2):
        stats: dict = {}
        try:
            convert_chapters(ms, cache=cache, stats=stats)
        except BuildError as exc:
            said.append(sorted((d.line, d.code) for d in exc.diagnostics))
    assert stats["converted"] == []  # the second run took pandoc's results from the cache
    assert said[0] == said[1] and (9, "note.undefined") in said[0] and (11, "date.invalid") in said[0]
