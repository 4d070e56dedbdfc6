"""``ketab lint``: which files, which settings, and the build's diagnostic format."""

from __future__ import annotations

import io
import re

import pytest

from ketab import pipeline
from ketab.commands.lint import lint_paths
from ketab.persian.lint import LintConfig


@pytest.fixture
def book(tmp_path):
    root = tmp_path / "manuscript"
    (root / "chapters").mkdir(parents=True)
    (root / "book.yaml").write_text("title: کتاب\nlint:\n  profile: dari\n  disable: [fa-repeat]\n", "utf-8")
    (root / "chapters" / "02.md").write_text("---\ntitle: دو\n---\n\nنامه یی و زنده‌گی و که که.\n", "utf-8")
    (root / "chapters" / "01.md").write_text("# یک\n\nمتن.\n", "utf-8")
    return root


def run(paths, **kw):
    out = io.StringIO()
    code = lint_paths([str(p) for p in paths], out=out, **kw)
    return code, out.getvalue()


def codes(out: str) -> list[str]:
    return [re.search(r"\[([^\]]+)\]$", line)[1] for line in out.splitlines()]


def test_book_config_from_book_yaml(book):
    assert run([book]) == (0, "")


def test_profile_option_overrides_the_book(book):
    code, out = run([book], profile="iranian")
    assert code == 1
    chapter = book / "chapters" / "02.md"
    assert out.splitlines() == [
        f"{chapter}:5: warning: «نامه یی»: the Iranian profile writes «نامه‌ای» (column 1) [lint.fa-zwnj-he]",
        f"{chapter}:5: warning: «زنده‌گی»: the Iranian profile writes «زندگی» (column 11) [lint.fa-he-gi]",
    ]


def test_chapter_front_matter_overrides_the_book(book):
    chapter = book / "chapters" / "03.md"
    chapter.write_text("---\nlint:\n  profile: iranian\n  fa-repeat: true\n---\n\nنامه یی که که\n", "utf-8")
    code, out = run([chapter])
    assert code == 1
    assert codes(out) == ["lint.fa-zwnj-he", "lint.fa-repeat"]


def test_explicit_book_config_wins(book):
    code, out = run([book], book_config=LintConfig("iranian"))
    assert code == 1 and "fa-repeat" in out


def test_folders_are_linted_in_sorted_order(book):
    for name in ("02.md", "01.md"):
        (book / "chapters" / name).write_text("روستاي\n", "utf-8")
    (book / "chapters" / "sub").mkdir()
    (book / "chapters" / "sub" / "00.md").write_text("روستاي\n", "utf-8")
    (book / "chapters" / ".hidden").mkdir()
    (book / "chapters" / ".hidden" / "x.md").write_text("روستاي\n", "utf-8")
    code, out = run([book / "chapters"])
    names = [line.split(":")[0] for line in out.splitlines()]
    assert code == 1
    assert names == [str(book / "chapters" / n) for n in ("01.md", "02.md", "sub/00.md")]


def test_a_book_folder_means_its_chapter_list(book):
    (book / "book.yaml").write_text(
        "language: fa-AF\nchapters:\n  - chapters/02.md\n  - {generate: index}\n  - chapters/01.md\n"
        "  - chapters/09.md\n", "utf-8")
    (book / "sources").mkdir()
    (book / "sources" / "REPORT.md").write_text("روستاي 1\n", "utf-8")
    (book / "chapters" / "01.md").write_text("روستاي\n", "utf-8")
    code, out = run([book], fix=True)
    assert code == 1
    # language fa-AF: the Dari profile; listed chapters in reading order; the report is not touched.
    assert [(line.split(": ")[0], codes(line)[0]) for line in out.splitlines()] == [
        (f"{book / 'chapters' / '02.md'}:5", "lint.fa-repeat"),
        (f"{book / 'chapters' / '09.md'}", "lint.io"),
    ]
    assert (book / "chapters" / "01.md").read_text("utf-8") == "روستای\n"
    assert (book / "sources" / "REPORT.md").read_text("utf-8") == "روستاي 1\n"


def test_fix_writes_the_file_and_reports_only_what_remains(book):
    chapter = book / "chapters" / "01.md"
    chapter.write_text("سال 1953 در روستاي جنگلك\n", "utf-8")
    assert run([chapter], fix=True) == (0, "")
    assert chapter.read_text("utf-8") == "سال ۱۹۵۳ در روستای جنگلک\n"
    chapter.write_text('سال 1953 گفت "سلام"\n', "utf-8")
    code, out = run([chapter], fix=True)
    assert code == 1
    assert chapter.read_text("utf-8") == 'سال ۱۹۵۳ گفت "سلام"\n'
    assert codes(out) == ["lint.fa-latin-quote", "lint.fa-latin-quote"]


def test_fix_keeps_crlf_line_ends(book):
    chapter = book / "chapters" / "01.md"
    chapter.write_bytes("سال 1953\r\nروستاي\r\n".encode("utf-8"))
    assert run([chapter], fix=True) == (0, "")
    assert chapter.read_bytes() == "سال ۱۹۵۳\r\nروستای\r\n".encode("utf-8")


def test_files_that_are_not_utf8_give_the_builds_error(book):
    chapter = book / "chapters" / "01.md"
    chapter.write_bytes("سطر\nمتن ".encode("utf-8") + b"\xff\xfe rest")
    code, out = run([chapter], fix=True)
    assert code == 1
    assert out == f"{chapter}:2: error: the file is not UTF-8 (byte 0xff); save it as UTF-8 [encoding.utf8]\n"
    assert chapter.read_bytes().endswith(b"\xff\xfe rest")


def test_missing_path_and_bad_config(book, tmp_path):
    code, out = run([tmp_path / "nope.md"])
    assert code == 1 and out == f"{tmp_path / 'nope.md'}: error: no such file or folder [lint.io]\n"
    (book / "book.yaml").write_text("title: x\n\nlint:\n  profile: afghan\n", "utf-8")
    code, out = run([book])
    assert code == 1
    first = out.splitlines()[0]
    assert first.startswith(f"{book / 'book.yaml'}:3: error: lint: lint.profile: unknown profile 'afghan'") and first.endswith("[config.value]")


@pytest.mark.parametrize("name", ["persian-small", "english-small"])
def test_lint_and_build_give_a_book_the_same_findings(project, name, monkeypatch):
    """One reader of book.yaml and front matter: the build's linter warnings are ketab lint's output."""
    root = project(name)
    chapter = next(p for p in sorted((root / "chapters").glob("*.md")))
    # a Dari-only spelling (flagged by the Iranian profile only) and a fixable Arabic yeh
    chapter.write_text(chapter.read_text("utf-8") + "\nنوشته یی در روستاي زنده‌گی.\n", "utf-8")
    monkeypatch.chdir(root.parent)
    manuscript, _, converted = pipeline.load_and_convert(root)  # the build lints on pandoc's parse of each chapter
    built = [str(d) for d in list(manuscript.warnings) + list(converted) if d.code.startswith("lint.")]
    code, out = run([root])
    assert built and out.splitlines() == built and code == 1
