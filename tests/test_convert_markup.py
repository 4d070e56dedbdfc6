"""Markup that pandoc's filter turns into text every writer shows alike."""

from __future__ import annotations

from lxml import html as lxml_html

from ketab.convert import run_pandoc


def _text(markdown: str) -> str:
    return lxml_html.fragment_fromstring(run_pandoc(markdown), create_parent="div").text_content()


def test_an_editorial_insertion_stands_in_square_brackets():
    assert "گفت [احمد مسعود] نمی‌رود" in _text("گفت [احمد مسعود]{.ins} نمی‌رود")


def test_an_insertion_inside_a_note_keeps_its_brackets():
    assert "[sic]" in _text("text[^1]\n\n[^1]: a note [sic]{.ins} here")


def test_other_spans_get_no_brackets():
    assert "[" not in _text("a [b]{.other} c")
