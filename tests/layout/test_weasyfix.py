"""WeasyPrint's line layout as ketab corrects it (:mod:`ketab.layout.weasyfix`)."""

from __future__ import annotations

import re

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


def _lines_boxes(document):
    """(line box, its leaf boxes in visual order) for every line of the first page."""
    out = []

    def leaves(box, found):
        children = getattr(box, "children", None)
        if children is None or type(box).__name__ not in ("LineBox", "InlineBox"):
            found.append(box)
        else:
            for child in children:
                leaves(child, found)
        return found

    def walk(box):
        if type(box).__name__ == "LineBox":
            parts = [b for b in leaves(box, []) if b.width > 0.01]
            out.append((box, sorted(parts, key=lambda b: b.position_x)))
            return
        for child in getattr(box, "children", ()):
            walk(child)

    walk(document.pages[0]._page_box)
    return out


# A sentence of the book (a date and its gloss, then a comma) and one of a Persian Wikipedia article's
# kind (an emphasis, a link): a line that ends in the text after an inline element lost the space at its
# end, and WeasyPrint moved that text left by the space's width.
RTL_TEXTS = [
    'او برغم گفت‌وگوی مخابروی با احمدشاه مسعود در <time class="date">۲۸ حمل ۱۳۷۱ <span class="gloss">(۱۷ اپریل '
    '۱۹۹۲)</span></time>، از تهدید حمله بر کابل منصرف نشد. حکمتیار نیروهای خود را تا ۵ ثور ۱۳۷۱ وارد کابل ساخت.',
    'زبان فارسی با <em>خط عربی</em> نوشته می‌شود و <a href="#x">دستور زبان</a>، واژگان و آواهای آن در سده‌های '
    'گذشته تغییر کرده است؛ <strong>فارسی دری</strong> در افغانستان و تاجیکی در تاجیکستان رواج دارند.',
]


@pytest.mark.parametrize("text", RTL_TEXTS)
def test_right_to_left_justified_lines_have_no_gap_and_stay_in_their_block(text):
    import weasyprint

    assert weasyfix.apply()["rtl-trailing-space"]
    checked = 0
    for width in range(150, 400, 7):
        html = (f'<p dir="rtl" style="font: 15px \'DejaVu Sans\'; width: {width}px; text-align: justify; '
                f'direction: rtl">{text}</p>')
        for line, parts in _lines_boxes(weasyprint.HTML(string=html).render()):
            if len(parts) < 2:
                continue
            checked += 1
            left, right = line.position_x, line.position_x + line.width
            assert parts[0].position_x >= left - 0.05, (width, "sticks out on the left")
            assert parts[-1].position_x + parts[-1].width <= right + 0.05, (width, "sticks out on the right")
            for before, after in zip(parts, parts[1:]):
                gap = after.position_x - (before.position_x + before.width)
                assert abs(gap) < 0.05, (width, f"a gap of {gap:.2f}px inside the line")
    assert checked > 20


def _laid(body: str, css: str = ""):
    import weasyprint

    return weasyprint.HTML(string=f"<style>@page {{ size: 300px 400px; margin: 20px }} {css}</style>{body}").render()


# the book's contents: a leader and the page number pulled into the entry's padding (print.css.j2)
CONTENTS_CSS = (".contents { direction: rtl } .contents li { list-style: none } .contents li a { display: block; "
                "padding-inline-end: 9mm; padding-inline-start: 1.6em } .contents li a::after { content: leader('. ') "
                "attr(data-page); margin-inline-end: -9mm }")


@pytest.mark.parametrize("body, css, reported", [
    ("<p>" + "x" * 120 + "</p>", "", True),  # a word wider than the column
    ("<p style='width: 100px'>" + "ب" * 60 + "</p>", "p { direction: rtl }", True),
    ("<ol><li>one</li><li>two</li></ol>", "", False),  # markers stand outside their lines on purpose
    ('<ul class="contents"><li><a data-page="۱۲">منابع</a></li><li><a data-page="۱۰۴">نمایه</a></li></ul>', CONTENTS_CSS, False),
    ("<p>" + " ".join(["word"] * 80) + "</p>", "p { text-align: justify }", False),
])
def test_text_past_the_side_of_its_block_is_reported_with_the_line(body, css, reported):
    from ketab.layout.boxes import lines_out_of_block

    found = lines_out_of_block(_laid(body, css))
    assert bool(found) == reported, found
    if reported:
        assert re.match(r"a line runs \d+\.\d pt past the side of its text block: «.+»", found[0]), found
