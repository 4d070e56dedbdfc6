"""WeasyPrint's line layout as ketab corrects it (:mod:`ketab.layout.weasyfix`)."""

from __future__ import annotations

import pytest

from ketab.layout import weasyfix

WORDS = "lorem ipsum dolor sit amet consectetur"


def _lines(html: str) -> tuple[list[str], object]:
    import weasyprint

    document = weasyprint.HTML(string=html).render()
    found: list[str] = []

    def texts(box, out):
        if type(box).__name__ == "TextBox":
            out.append(box.text)
        for child in getattr(box, "children", ()):
            texts(child, out)
        return out

    def walk(box):
        if type(box).__name__ == "LineBox":
            found.append(" ".join("".join(texts(box, [])).split()))
            return
        for child in getattr(box, "children", ()):
            walk(child)

    walk(document.pages[0]._page_box)
    return found, document


def _width(document, ident: str) -> float:
    stack = [document.pages[0]._page_box]
    while stack:
        box = stack.pop()
        element = getattr(box, "element", None)
        if type(box).__name__ == "InlineBlockBox" and element is not None and element.get("id") == ident:
            return box.width
        stack += list(getattr(box, "children", ()))
    raise AssertionError(ident)


def test_a_run_that_fits_but_for_its_last_space_keeps_its_words_on_the_line():
    """A line as wide as its words (the space after them would not fit) before an inline element: the
    words stay together and the element goes to the next line — WeasyPrint alone cut the line after its
    first word («lorem» alone on a line of a justified paragraph)."""
    assert weasyfix.apply()["hanging-space"]
    _, measured = _lines(f'<p style="font: 16px serif"><span style="display: inline-block" id="w">{WORDS}</span></p>')
    width = _width(measured, "w")
    lines, _ = _lines(f'<p style="font: 16px serif; width: {width + 0.5}px">{WORDS} <em>adipiscing elit</em></p>')
    assert lines == [WORDS, "adipiscing elit"]


@pytest.mark.parametrize("room", [-8.0, 200.0])
def test_lines_that_do_not_fit_or_fit_with_room_break_as_before(room):
    _, measured = _lines(f'<p style="font: 16px serif"><span style="display: inline-block" id="w">{WORDS}</span></p>')
    width = _width(measured, "w")
    lines, _ = _lines(f'<p style="font: 16px serif; width: {width + room}px">{WORDS} <em>adipiscing elit</em></p>')
    if room < 0:  # the last word does not fit: it goes to the next line
        assert lines[0] == WORDS.rsplit(" ", 1)[0]
    else:  # room for all
        assert lines == [WORDS + " adipiscing elit"]
