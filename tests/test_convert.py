"""Stage 2, convert: pandoc's HTML read once; pandoc's warnings become diagnostics of the chapter."""

from __future__ import annotations

import re

from ketab.convert import convert_chapters, pandoc, pandoc_messages, run_pandoc
from ketab.manuscript import load_manuscript

BOOK = "title: T\nlanguage: en\nslug: t\nidentifier: urn:uuid:12345678-1234-1234-1234-123456789abc\nchapters:\n  - one.md\n"
DIAGNOSTIC = re.compile(r"^\S+?(:\d+)?: (error|warning): .+ \[[a-z-]+\.[a-z0-9.<>-]+\]$")


def test_pandoc_warnings_are_read_from_its_stderr():
    result = pandoc("text\n\n<div>\n\nunclosed\n")
    assert result.failure is None and "<div>" in result.html
    assert run_pandoc("text\n\n<div>\n\nunclosed\n") == result.html
    assert len(result.messages) == 1 and "unclosed" in result.messages[0]
    assert pandoc_messages("[WARNING] one\n  more\n[INFO] two\n") == ("one more", "two")


def test_a_pandoc_warning_names_the_chapter_file_and_its_line(write_book):
    root = write_book(BOOK, {"one.md": "---\ntitle: One\n---\n\nText.\n\n<div>\n\nnever closed\n"})
    manuscript = load_manuscript(root)
    _, warnings = convert_chapters(manuscript)
    (w,) = [d for d in warnings if d.code == "pandoc.warning"]
    assert w.path.endswith("one.md") and w.line == 7  # the <div> is on line 7 of the file (4 of the body)
    assert "line 7" in w.message and w.severity.value == "warning"


def test_the_build_prints_no_raw_tool_messages(write_book, tmp_path):
    from conftest import run_cli

    root = write_book(BOOK, {"one.md": "---\ntitle: One\n---\n\nText.\n\n<div>\n\nnever closed\n"})
    proc = run_cli("build", root, "--out", tmp_path / "out", "--format", "epub")
    assert proc.returncode == 0, proc.stderr
    assert "[WARNING]" not in proc.stderr
    said = [line for line in proc.stderr.splitlines() if "pandoc" in line]
    assert said and all(DIAGNOSTIC.match(line) for line in said), said


def test_ids_notes_and_cross_references(write_book):
    root = write_book(BOOK, {"one.md": "---\ntitle: One\n---\n\n# Part {#p}\n\nA note.[^1] See [there](#p).\n\n[^1]: The note.\n"})
    manuscript = load_manuscript(root)
    (chapter,), _ = convert_chapters(manuscript)
    assert chapter.notes == 1 and chapter.links == ("p",)
    assert [h.id for h in chapter.headings] == ["p"]
    assert "one-p1" in chapter.blocks and 'class="xref"' in chapter.html


def test_a_link_to_a_generated_part_by_its_id_is_followed(write_book):
    """«[the glossary](#glossary)» goes to the generated part, whatever its title (no chapter's text defines that
    id: the part is it); the real book's biography points its readers to «واژه‌نامهٔ پایان کتاب» so."""
    book = BOOK.replace("  - one.md\n", "  - one.md\n  - {generate: glossary, title: Words explained, data: glossary.yaml}\n")
    root = write_book(book, {
        "one.md": "---\ntitle: One\n---\n\nSee [the glossary](#glossary) and [nothing](#nowhere).\n",
        "glossary.yaml": "- {term: bazaar, definition: a market}\n",
    })
    from ketab.generate import generated_markdown

    manuscript = load_manuscript(root)
    converted, warnings = convert_chapters(manuscript, lambda ch: generated_markdown(manuscript, ch))
    nowhere = [d for d in warnings if d.code == "link.undefined"]
    assert [("#nowhere" in d.message) for d in nowhere] == [True]
    assert 'href="#glossary"' in converted[0].html
