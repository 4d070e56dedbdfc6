"""The preview's draft of one edited paragraph of a long chapter (:mod:`ketab.quickdraft`): the same section as
the whole chapter converted again, on pandoc's own manual and on a Persian chapter, or no draft by this path."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from ketab import pipeline, quickdraft
from ketab.drafts import Drafter

PROJECTS = Path(__file__).parent / "projects"


def _drafter(root: Path, tmp_path: Path) -> Drafter:
    drafter = Drafter(root, pipeline.default_templates(), pipeline.open_cache(tmp_path / "out", None))
    drafter.warm()
    return drafter


def _whole(root: Path, chapter: Path, tmp_path: Path) -> str:
    """The chapter's section as a drafter that never saw it before makes it: the whole chapter converted."""
    fresh = Drafter(root, pipeline.default_templates(), pipeline.open_cache(tmp_path / "fresh", None))
    fresh.warm()
    (_, (_, section)), = fresh._render(fresh._state, {chapter.resolve()}).items()
    return section


@pytest.fixture
def quick_calls(monkeypatch):
    """What each call of quickdraft.draft returned (None: the whole chapter was converted)."""
    calls = []
    real = quickdraft.draft

    def spy(*args, **kwargs):
        calls.append(real(*args, **kwargs))
        return calls[-1]

    monkeypatch.setattr(quickdraft, "draft", spy)
    return calls


def _paragraph(text: str, kind: str) -> tuple[int, str] | None:
    """(offset, text) of the middle paragraph of the chapter's body that is of plain words (``plain``), has
    links and inline code (``links``) or calls a note (``note``); found by the test's own rule, not quickdraft's."""
    offset, found = text.index("\n---\n", 4) + 5, []
    for block in text[offset:].split("\n\n"):
        lines = block.split("\n")
        letters = block[:1].isalpha() and not any(line[:1].isspace() for line in lines) and len(block) > 150
        ok = {"plain": not re.search(r"[\[\]{}<>@^~`*_\\|#:]", block),
              "links": re.search(r"\[[^\]^]+\]", block) and "`" in block and not re.search(r"[{}<>@^~\\]", re.sub(r"`[^`]*`", "", block)),
              "note": re.search(r"\[\^[^\]]+\]", block) and not re.search(r"[{}<>`]", block)}[kind]
        if letters and ok:
            found.append((offset, block))
        offset += len(block) + 2
    return found[len(found) // 2] if found else None


@pytest.mark.parametrize("book, name, kind", [("_external/pandoc-manual", "08-pandoc-s-markdown.md", "plain"),
                                             ("_external/pandoc-manual", "08-pandoc-s-markdown.md", "links"),
                                             ("persian-small", "03-long.md", "plain")])
def test_a_word_changed_in_a_long_chapter_is_drafted_alone_and_as_the_whole_chapter_would_be(book, name, kind, tmp_path, quick_calls, monkeypatch):
    monkeypatch.setattr(quickdraft, "QUICK_CHARS", 5_000)  # the Persian chapter is short; the manual's is 73,000
    root = tmp_path / "book"
    shutil.copytree(PROJECTS / book, root, ignore=shutil.ignore_patterns("build"))
    chapter = root / "chapters" / name
    if book == "persian-small":  # its paragraphs all mark dates or index terms: one of them without, and a Latin run
        text = chapter.read_text(encoding="utf-8")
        first = text.split("\n\n")[1]
        plain = re.sub(r"\[([^\]]*)\]\{[^}]*\}", r"\1", first).replace("مسعود", "مسعود (Massoud, 1953)", 1)
        chapter.write_text(text.replace(first, first + "\n\n" + plain, 1), encoding="utf-8")
    drafter = _drafter(root, tmp_path)
    text = chapter.read_text(encoding="utf-8")
    found = _paragraph(text, kind)
    assert found, f"a paragraph ({kind}) to edit"
    at, paragraph = found
    words = paragraph.split(" ")
    words[len(words) // 2] += " ویراسته" if "\u0600" <= words[0][:1] <= "\u06ff" else " edited"
    chapter.write_text(text[:at] + " ".join(words) + text[at + len(paragraph):], encoding="utf-8")
    (filename, (section_id, section)), = drafter.drafts([chapter]).items()
    assert quick_calls and quick_calls[-1] is not None, "the paragraph was not drafted alone"
    assert ("ویراسته" in section) or ("edited" in section)
    assert section == _whole(root, chapter, tmp_path)
    # a second save, on top of the first draft: the same again
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text.replace(" ".join(words), " ".join(words[:-3] + words[-1:])), encoding="utf-8")
    (_, (_, section)), = drafter.drafts([chapter]).items()
    assert quick_calls[-1] is not None
    assert section == _whole(root, chapter, tmp_path)


def test_an_edit_beside_a_note_call_converts_the_whole_chapter(tmp_path, quick_calls, monkeypatch):
    monkeypatch.setattr(quickdraft, "QUICK_CHARS", 5_000)
    root = tmp_path / "book"
    shutil.copytree(PROJECTS / "persian-small", root, ignore=shutil.ignore_patterns("build"))
    chapter = root / "chapters" / "03-long.md"
    drafter = _drafter(root, tmp_path)
    text = chapter.read_text(encoding="utf-8")
    found = _paragraph(text, "note")
    assert found, "a paragraph with a note call"
    chapter.write_text(text[:found[0]] + "تازه " + text[found[0]:], encoding="utf-8")
    (_, (_, section)), = drafter.drafts([chapter]).items()
    assert quick_calls == [None]
    assert section == _whole(root, chapter, tmp_path)


@pytest.mark.parametrize("old, new, want", [
    ("A\n\nsome words here\nand there\n\nB", "A\n\nsome more words here\nand there\n\nB", ("some words here\nand there", "some more words here\nand there")),
    ("A\n\nsome words\n\nB", "A\n\nsome words\n\nnew paragraph\n\nB", None),  # a paragraph added
    ("A\n\nsome words\n\nB words", "A\n\nsome other\n\nB other", None),  # two paragraphs
    ("```\ncode line\n```\n", "```\ncode lines\n```\n", None),  # code
    ("~~~\n\ncode line\n\n~~~\n", "~~~\n\ncode lines\n\n~~~\n", None),  # code with blank lines
    ("- an item of a list\n", "- an item of the list\n", None),
    ("> a quotation\n", "> the quotation\n", None),
    ("Term\n\n:   a definition\n", "Terms\n\n:   a definition\n", None),
    ("a word[^1] here\n", "a word[^1] there\n", None),
    ("Title\n=====\n", "Titles\n=====\n", None),
    ("same\n", "same\n", None),
])
def test_only_an_edit_inside_one_plain_paragraph_is_drafted_alone(old, new, want):
    assert quickdraft.edited_paragraph(old, new) == want


def test_characters_inside_inline_code_do_not_stop_the_draft_of_one_paragraph():
    old, new = "A\n\nit prints `~` and `<br>` here\n\nB", "A\n\nit prints `~` and `<br>` there\n\nB"
    assert quickdraft.edited_paragraph(old, new) == ("it prints `~` and `<br>` here", "it prints `~` and `<br>` there")
    assert quickdraft.edited_paragraph(old.replace("`~`", "~"), new.replace("`~`", "~")) is None
