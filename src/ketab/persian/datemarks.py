"""What date markup yields: the rendered date, the markup found in a text, and the error of a bad one.

(:mod:`ketab.persian.dates` reads and writes the dates; these are its results, kept apart so that both
stay short.)
"""

from __future__ import annotations

import html as _html
from dataclasses import dataclass

from .markdown import DATE_MARKUP, LineIndex, _Cover

__all__ = ["DateError", "DateMark", "RenderedDate", "find_date_markups"]




class DateError(ValueError):
    """A date markup that cannot be read or names a day that does not exist.

    ``col`` is the 0-based offset inside the markup body of the part at fault (0 if unknown): with a
    :class:`DateMark` ``m``, the file column of the fault is ``m.col + 1 + col``.
    """

    def __init__(self, message: str, col: int = 0):
        super().__init__(message)
        self.message = message
        self.col = col


@dataclass(frozen=True)
class RenderedDate:
    """A date ready for the page."""

    #: The date as the author gave it, in the book's style: «۱۱ سنبلهٔ ۱۳۳۲».
    text: str
    #: The same date in the other calendar, without brackets: «۲ سپتمبر ۱۹۵۳», «حدود ۲ سپتمبر ۱۹۵۳».
    gloss: str
    #: True when a calendar conversion may be a day off (an Afghan day before 1336).
    approximate: bool
    #: The Gregorian date for machines: ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` (a solar month or year is
    #: given by the Gregorian month or year that holds its middle day).
    iso: str
    #: ``'shamsi'`` or ``'miladi'``: the calendar of the markup.
    kind: str

    def html(self) -> str:
        """``<time datetime="1953-09-02" class="date shamsi">۱۱ سنبلهٔ ۱۳۳۲ <span class="gloss">(۲ سپتمبر
        ۱۹۵۳)</span></time>``; an approximate date also has the class ``approximate``."""
        classes = f"date {self.kind}" + (" approximate" if self.approximate else "")
        gloss = f' <span class="gloss">({_html.escape(self.gloss)})</span>' if self.gloss else ""
        return f'<time datetime="{self.iso}" class="{classes}">{_html.escape(self.text)}{gloss}</time>'


@dataclass(frozen=True)
class DateMark:
    """One date markup found in a Markdown text."""

    line: int  #: 1-based line of the opening ``[``
    col: int  #: 1-based column (in characters) of the opening ``[``
    body: str  #: what stands between the brackets: ``11 سنبله 1332``
    kind: str  #: ``'shamsi'`` or ``'miladi'``
    raw: str  #: the whole markup: ``[11 سنبله 1332]{.shamsi}``




def find_date_markups(markdown: str, nonprose=()) -> list[DateMark]:
    """Every ``[…]{.shamsi}`` and ``[…]{.miladi}`` in *markdown*, outside the spans ``nonprose`` (what pandoc
    parsed as code or raw HTML: :func:`ketab.sourcemap.nonprose_spans`)."""
    code = _Cover(list(nonprose))
    index = LineIndex(markdown)
    marks = []
    for m in DATE_MARKUP.finditer(markdown):
        if code.covers(m.start()):
            continue
        line, col = index.position(m.start())
        marks.append(DateMark(line, col, m.group(1), m.group(2), m.group()))
    return marks
