"""``ketab new``: a book that builds at once, and the first steps of a new user around it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
import yaml
from lxml import etree

from ketab import pipeline
from ketab.config import SCHEMA


def ketab(*args, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "ketab", *args], cwd=cwd, capture_output=True, text=True, env=env)


@pytest.mark.parametrize("language", ["fa-AF", "en", "ar"])
def test_a_new_book_builds_at_once_into_every_format_without_a_warning(tmp_path, language):
    made = ketab("new", "my-book", "--language", language, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    book = tmp_path / "my-book"
    config = yaml.safe_load((book / "book.yaml").read_text(encoding="utf-8"))
    assert config["language"] == language
    assert uuid.UUID(config["identifier"].removeprefix("urn:uuid:")).version == 4
    assert "build/" in (book / ".gitignore").read_text().split()

    built = ketab("build", "--format", "all", cwd=book)  # no argument: the book in this folder
    assert built.returncode == 0, built.stderr
    assert "warning" not in built.stderr and "error" not in built.stderr, built.stderr
    out = book / "build"
    files = {"print": "my-book-print.pdf", "screen": "my-book-screen.pdf", "epub": "my-book.epub", "html": "my-book-html/index.html", "docx": "my-book.docx"}
    for fmt in pipeline.FORMATS:
        assert (out / files[fmt]).is_file(), files[fmt]

    # the sample shows what a manuscript holds: notes of both series, a date, index marks, a cross-reference
    chapter = (book / "chapters" / "01-chapter.md").read_text(encoding="utf-8")
    assert re.search(r"^\[\^\d\]: (م|tr):", chapter, re.M) and re.search(r"^\[\^\d\]: (و|ed):", chapter, re.M)
    assert "{.shamsi}" in chapter and "{.miladi}" in chapter and "{.idx}" in chapter and "](#q-" in chapter
    epub = zipfile.ZipFile(out / "my-book.epub")
    docs = [epub.read(n) for n in epub.namelist() if n.endswith(".xhtml")]
    text = "".join("".join(etree.fromstring(d).itertext()) for d in docs)
    signs = {"fa-AF": ("ـ م.", "ـ و."), "en": ("—Trans.", "—Ed."), "ar": ("ـ المترجم.", "ـ المحرر.")}[language]
    assert all(sign in text for sign in signs)
    assert any(b'epub:type="index"' in d for d in docs)


def test_book_yaml_explains_every_key(tmp_path):
    ketab("new", "b", cwd=tmp_path)
    text = (tmp_path / "b" / "book.yaml").read_text(encoding="utf-8")
    for key, spec in SCHEMA.items():
        assert re.search(rf"^#? ?{key}:", text, re.M), f"{key} is not in book.yaml"
        assert f"# {spec.doc}" in text, f"{key} has no comment"


def test_every_new_book_gets_its_own_identifier(tmp_path):
    ketab("new", "a", cwd=tmp_path)
    ketab("new", "b", cwd=tmp_path)
    ids = {yaml.safe_load((tmp_path / n / "book.yaml").read_text())["identifier"] for n in "ab"}
    assert len(ids) == 2


def test_new_does_not_write_over_a_folder_that_holds_something(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    made = ketab("new", "taken", cwd=tmp_path)
    assert made.returncode != 0 and "not empty" in made.stderr
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"


def test_an_unknown_language_is_refused_with_the_ones_there_are(tmp_path):
    made = ketab("new", "b", "--language", "de", cwd=tmp_path)
    assert made.returncode == 2 and "fa-AF" in made.stderr and not (tmp_path / "b").exists()


def test_build_names_a_folder_that_is_not_there(tmp_path):
    res = ketab("build", "nowhere", cwd=tmp_path)
    assert res.returncode == 1
    assert "nowhere: error: no such folder" in res.stderr and "book.yaml not found" not in res.stderr
    res = ketab("build", cwd=tmp_path)  # no book here, no manuscript/: say how to start one
    assert res.returncode == 1 and "manuscript: error: no such folder" in res.stderr and "ketab new" in res.stderr


def test_build_without_argument_prefers_manuscript_when_this_folder_is_no_book(tmp_path):
    ketab("new", "manuscript", cwd=tmp_path)
    res = ketab("build", "--format", "epub", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "build" / "manuscript.epub").is_file()


def test_a_mistyped_key_gets_a_suggestion(tmp_path):
    ketab("new", "b", cwd=tmp_path)
    path = tmp_path / "b" / "book.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("\nlanguage:", "\nlangauge:"), encoding="utf-8")
    res = ketab("build", cwd=tmp_path / "b")
    assert res.returncode == 1
    assert "unknown key 'langauge' is ignored; did you mean 'language'?" in res.stderr
    assert "missing required key 'language' (is 'langauge' a typo?)" in res.stderr


@pytest.mark.parametrize("typed, meant", [("init", "new"), ("biuld", "build"), ("serve", "watch")])
def test_a_mistyped_command_gets_a_suggestion(tmp_path, typed, meant):
    res = ketab(typed, cwd=tmp_path)
    assert res.returncode == 2 and f"Did you mean '{meant}'?" in res.stderr
