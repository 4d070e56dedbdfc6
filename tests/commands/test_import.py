"""``ketab import FILE.docx``: a Word file back into the manuscript — the review copy's round trip through
LibreOffice (a scripted, tracked edit), tracked changes accepted / rejected / kept, a foreign file with an image."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pypandoc
import pytest
import yaml
from tests.office import has_uno, replace_with_tracked_changes, soffice

from ketab.convert import PANDOC_FROM

needs_office = pytest.mark.skipif(soffice() is None or not has_uno(), reason="LibreOffice with python3-uno is not installed (make test installs it)")


def ketab(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ketab", *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})


def body_ast(path: Path) -> list:
    """A chapter's Markdown body as pandoc reads it (the build reads it so): layout of the source aside."""
    text = path.read_text(encoding="utf-8")
    body = text.split("---\n", 2)[2]
    ast = pypandoc.convert_text(body, "json", format=PANDOC_FROM)
    return json.loads(ast.replace('{"t":"SoftBreak"}', '{"t":"Space"}'))["blocks"]  # a line end in a paragraph is a space


def front(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n", 2)[1])


@pytest.fixture
def book(tmp_path) -> Path:
    assert ketab("new", "book", cwd=tmp_path).returncode == 0
    root = tmp_path / "book"
    built = ketab("build", "--format", "docx", cwd=root)
    assert built.returncode == 0, built.stderr
    shutil.copytree(root / "chapters", tmp_path / "original")
    return root


def test_the_review_copy_comes_back_as_the_same_chapters(book):
    res = ketab("import", "build/book.docx", cwd=book)  # every chapter to its own file
    assert res.returncode == 0, res.stderr
    for name in ("00-preface.md", "01-chapter.md"):
        before, after = book.parent / "original" / name, book / "chapters" / name
        assert body_ast(after) == body_ast(before), name
        assert front(after) == front(before)
    assert "listed in book.yaml" not in res.stderr  # they were listed already


@needs_office
@pytest.mark.parametrize("track", ["accept", "reject", "all"])
def test_a_change_made_in_libreoffice_comes_back_in_the_chapter(book, track):
    edited = book / "edited.docx"
    # one word in the text and one in a note, as an editor would change them, with change tracking on
    assert replace_with_tracked_changes(book / "build" / "book.docx", edited, "یادداشت‌ها در پای صفحه", "پانوشت‌ها در پای صفحه") == 1
    assert replace_with_tracked_changes(edited, edited, "بی نشانه", "بدون نشانه") == 1
    res = ketab("import", "edited.docx", "--chapter", "chapters/01-chapter.md", "--track-changes", track, cwd=book)
    assert res.returncode == 0, res.stderr
    original = (book.parent / "original" / "01-chapter.md").read_text(encoding="utf-8")
    imported = book / "chapters" / "01-chapter.md"
    if track == "accept":
        changed = book.parent / "expected.md"
        changed.write_text(original.replace("یادداشت‌ها در پای صفحه", "پانوشت‌ها در پای صفحه").replace("بی نشانه", "بدون نشانه"), encoding="utf-8")
        assert body_ast(imported) == body_ast(changed)
    elif track == "reject":
        assert body_ast(imported) == body_ast(book.parent / "original" / "01-chapter.md")
    else:  # kept as marks an editor can see and settle in the Markdown
        text = imported.read_text(encoding="utf-8")
        assert re.search(r"\[یادداشت‌ها در پای صفحه\]\{\.deletion author=[^}]*\}\[پانوشت‌ها در پای صفحه\]\{\.insertion author=", text), text
        assert re.search(r"\[بی نشانه\]\{\.deletion[^}]*\}\[بدون نشانه\]\{\.insertion", text), text  # in the note too
    assert front(imported) == front(book.parent / "original" / "01-chapter.md")
    assert (book / "chapters" / "00-preface.md").read_text() == (book.parent / "original" / "00-preface.md").read_text()
    rebuilt = ketab("build", "--format", "epub", cwd=book)
    assert rebuilt.returncode == 0, rebuilt.stderr
    if track == "all":  # the build says what is still to settle, where
        assert len(re.findall(r"chapters/01-chapter\.md:\d+: warning: a tracked (insertion|deletion) from Word is still marked", rebuilt.stderr)) == 4
    else:
        assert "warning" not in rebuilt.stderr, rebuilt.stderr


PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==")


def test_a_translators_word_file_becomes_a_new_chapter(book, tmp_path):
    (tmp_path / "pic.png").write_bytes(PNG)
    source = tmp_path / "translation.md"
    # Arabic yeh and kaf, as a Word file from another keyboard would have them; a note; a picture
    source.write_text("# فصل ترجمه\n\nاين متن را مترجم در ورد نوشته است.[^1]\n\n![نقشه](pic.png)\n\n[^1]: يادداشتي از مترجم.\n", encoding="utf-8")
    docx = tmp_path / "Translation.docx"
    pypandoc.convert_file(str(source), "docx", outputfile=str(docx), extra_args=[f"--resource-path={tmp_path}"])
    res = ketab("import", str(docx), "--chapter", "chapters/02-translation.md", cwd=book)
    assert res.returncode == 0, res.stderr
    chapter = book / "chapters" / "02-translation.md"
    text = chapter.read_text(encoding="utf-8")
    assert front(chapter) == {"title": "فصل ترجمه", "kind": "chapter"}
    assert "این متن را مترجم در ورد نوشته است.[^1]" in text  # normalised by the linter's fixes
    assert re.search(r"^\[\^1\]: یادداشتی از مترجم\.$", text, re.M)
    image = re.search(r"!\[نقشه\]\((\.\./images/02-translation/[^)]+)\)", text)  # beside the chapters, linked from them
    assert image and (chapter.parent / image.group(1)).read_bytes() == PNG, text
    listed = yaml.safe_load((book / "book.yaml").read_text(encoding="utf-8"))["chapters"]
    assert listed.index("chapters/02-translation.md") == listed.index("chapters/01-chapter.md") + 1
    assert isinstance(listed[-1], dict) and listed[-1]["generate"] == "index"  # still last
    assert "# " not in text.split("---\n", 2)[2].split("\n", 1)[0]  # the title went to the front matter
    rebuilt = ketab("build", "--format", "epub,html", cwd=book)
    assert rebuilt.returncode == 0 and "warning" not in rebuilt.stderr, rebuilt.stderr
    epub = zipfile.ZipFile(book / "build" / "book.epub")
    assert any(n.endswith(".png") for n in epub.namelist())


def test_asking_for_a_chapter_the_review_copy_does_not_have(book):
    res = ketab("import", "build/book.docx", "--chapter", "chapters/09-none.md", cwd=book)
    assert res.returncode == 1 and "has no chapter 'chapters/09-none.md'" in res.stderr and "chapters/01-chapter.md" in res.stderr


def test_an_arabic_book_keeps_its_arabic_letters(tmp_path):
    assert ketab("new", "kitab", "--language", "ar", cwd=tmp_path).returncode == 0
    source = tmp_path / "fasl.md"
    source.write_text("# فصل\n\nهذا كتاب في الأدب العربي.\n", encoding="utf-8")
    docx = tmp_path / "fasl.docx"
    pypandoc.convert_file(str(source), "docx", outputfile=str(docx))
    res = ketab("import", str(docx), "--chapter", "chapters/02-fasl.md", cwd=tmp_path / "kitab")
    assert res.returncode == 0, res.stderr
    assert "هذا كتاب في الأدب العربي." in (tmp_path / "kitab" / "chapters" / "02-fasl.md").read_text(encoding="utf-8")
