"""Date markup: solar Hijri and Gregorian dates written as pandoc bracketed spans.

Markup (Markdown)::

    [11 سنبله 1332]{.shamsi}    day, month, year (solar Hijri)
    [سنبله 1332]{.shamsi}       month and year
    [1332]{.shamsi}             year
    [1332/6/11]{.shamsi}        numeric, year first (also 1332-06-11, 1332/6)
    [2021-08-21]{.miladi}       Gregorian, ISO order (also 2021-08 and 2021)

Solar month names may be Dari (حمل … حوت) or Iranian (فروردین … اسفند); digits may be Persian, Arabic-Indic
or Latin; Arabic ي/ك, a ZWNJ, a kasra or the ezafe hamza (سنبلهٔ) in a month name are tolerated.

A date is shown in the book's :class:`DateStyle` with a gloss in the other calendar: «۱۱ سنبلهٔ ۱۳۳۲
(۲ سپتمبر ۱۹۵۳)».  Afghanistan adopted the arithmetic of the Iranian solar calendar in 1336 (1957); before
that its months followed the sun's passage through the zodiac signs (29 to 32 days), so a conversion of an
Afghan day before 1336 can be a day off: such dates are ``approximate`` and their gloss says «حدود».
Months and years convert exactly in both calendars (solar months never begin within a day of a Gregorian
month boundary).
"""

from __future__ import annotations

import datetime as _dt
import html as _html
import re
from dataclasses import dataclass
from typing import Callable, Literal

from persiantools.jdatetime import JalaliDate

from .markdown import DATE_MARKUP, LineIndex, code_spans, _Cover
from .digits import to_latin_digits, to_persian_digits

__all__ = [
    "DARI",
    "ENGLISH",
    "GREGORIAN_MONTHS_DARI",
    "GREGORIAN_MONTHS_ENGLISH",
    "GREGORIAN_MONTHS_IRANIAN",
    "IRANIAN",
    "SOLAR_MONTHS_DARI",
    "SOLAR_MONTHS_ENGLISH",
    "SOLAR_MONTHS_IRANIAN",
    "AFGHAN_ARITHMETIC_SINCE",
    "DateError",
    "DateMark",
    "DateStyle",
    "RenderedDate",
    "find_date_markups",
    "render_date",
]

SOLAR_MONTHS_DARI = ("حمل", "ثور", "جوزا", "سرطان", "اسد", "سنبله", "میزان", "عقرب", "قوس", "جدی", "دلو", "حوت")
SOLAR_MONTHS_IRANIAN = (
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
)
SOLAR_MONTHS_ENGLISH = (
    "Hamal", "Sawr", "Jawza", "Saratan", "Asad", "Sonbola", "Mizan", "Aqrab", "Qaws", "Jadi", "Dalw", "Hut",
)
GREGORIAN_MONTHS_DARI = (
    "جنوری", "فبروری", "مارچ", "اپریل", "می", "جون", "جولای", "اگست", "سپتمبر", "اکتوبر", "نومبر", "دسمبر",
)
GREGORIAN_MONTHS_IRANIAN = (
    "ژانویه", "فوریه", "مارس", "آوریل", "مه", "ژوئن", "ژوئیه", "اوت", "سپتامبر", "اکتبر", "نوامبر", "دسامبر",
)
GREGORIAN_MONTHS_ENGLISH = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)

#: First solar year in which Afghan months follow the Iranian arithmetic (21 March 1957).
AFGHAN_ARITHMETIC_SINCE = 1336
# Before 1336 an Afghan month lasted as long as the sun stayed in its sign: these are the longest months
# that reckoning can produce (spring and summer signs take 30.4–31.5 days, autumn and winter 29.5–30.4).
_AFGHAN_HISTORIC_MAX_DAYS = (31, 32, 32, 32, 32, 31, 31, 30, 30, 30, 30, 31)

_DIGITS = "0-9۰-۹٠-٩"
_NUMBER = re.compile(f"[{_DIGITS}]+")
_HAMZA_ABOVE = "\u0654"


# ---------------------------------------------------------------------------------------------------------
# Style


@dataclass(frozen=True)
class DateStyle:
    """How dates are written in one language."""

    #: The twelve solar Hijri month names, حمل/فروردین first.
    solar_months: tuple[str, ...]
    #: The twelve Gregorian month names, January first.
    gregorian_months: tuple[str, ...]
    #: Turns ASCII digits into the language's digits.
    digits: Callable[[str], str]
    #: ``'afghan'`` or ``'iranian'``: whose solar calendar the month names belong to (Afghan days before
    #: 1336 are approximate).
    calendar: str
    #: Add the ezafe «ٔ» to a month name ending in a silent ه when the year follows (سنبلهٔ ۱۳۳۲).
    ezafe: bool = True
    #: Put before an approximate gloss.
    approximate_prefix: str = "حدود "
    #: Put after a solar date or year (" SH" in English).
    solar_suffix: str = ""
    #: Between the first and last month or year of a span.
    dash: str = "–"

    @classmethod
    def for_language(cls, lang: str) -> "DateStyle":
        """The style of a BCP 47 language tag: ``fa-AF``/``prs`` → :data:`DARI`, ``fa``/``fa-IR`` →
        :data:`IRANIAN`; English and every other language → :data:`ENGLISH`."""
        parts = (lang or "").strip().replace("_", "-").lower().split("-")
        primary = parts[0]
        if primary == "prs" or (primary in ("fa", "fas", "per") and "af" in parts[1:]):
            return DARI
        if primary in ("fa", "fas", "per", "pes"):
            return IRANIAN
        return ENGLISH

    def number(self, n: int) -> str:
        return self.digits(str(n))


DARI = DateStyle(SOLAR_MONTHS_DARI, GREGORIAN_MONTHS_DARI, to_persian_digits, "afghan")
IRANIAN = DateStyle(SOLAR_MONTHS_IRANIAN, GREGORIAN_MONTHS_IRANIAN, to_persian_digits, "iranian")
ENGLISH = DateStyle(
    SOLAR_MONTHS_ENGLISH, GREGORIAN_MONTHS_ENGLISH, str, "afghan",
    ezafe=False, approximate_prefix="c. ", solar_suffix=" SH",
)


# ---------------------------------------------------------------------------------------------------------
# Results


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


# ---------------------------------------------------------------------------------------------------------
# Parsing


def _normalize_name(word: str) -> str:
    word = word.replace("ي", "ی").replace("ى", "ی").replace("ك", "ک").replace("ۀ", "ه").replace("آ", "ا")
    return re.sub("[\u200c\u200d\u0640\u064b-\u065f\u0670]", "", word)


_MONTH_LOOKUP: dict[str, tuple[int, str]] = {}
for _i, _name in enumerate(SOLAR_MONTHS_DARI):
    _MONTH_LOOKUP[_normalize_name(_name)] = (_i + 1, "afghan")
for _i, _name in enumerate(SOLAR_MONTHS_IRANIAN):
    _MONTH_LOOKUP[_normalize_name(_name)] = (_i + 1, "iranian")
_MONTH_LOOKUP[_normalize_name("امرداد")] = (5, "iranian")
_MONTH_LOOKUP[_normalize_name("جوزاء")] = (3, "afghan")


@dataclass(frozen=True)
class _Parsed:
    year: int
    month: int | None
    day: int | None
    calendar: str | None  # 'afghan' / 'iranian' when the month name tells; None otherwise
    cols: tuple[int, int, int]  # body offsets of year, month, day


def _number(token: str, col: int, what: str) -> int:
    if not _NUMBER.fullmatch(token):
        bad = next((i for i, c in enumerate(token) if not _NUMBER.fullmatch(c)), 0)
        raise DateError(f"expected the {what} in digits, found «{token}»", col + bad)
    return int(to_latin_digits(token))


def _parse_shamsi(body: str) -> _Parsed:
    tokens = [(m.start(), m.group()) for m in re.finditer(r"[^\s\u200c]+", body)]
    if not tokens:
        raise DateError("empty date", 0)
    if len(tokens) == 1 and re.search("[/\\-]", tokens[0][1]):
        return _parse_numeric(tokens[0][1], tokens[0][0], "solar")
    if len(tokens) > 3:
        col, token = tokens[3]
        raise DateError(f"unexpected «{token}» after the year (write day month year: 11 سنبله 1332)", col)
    (ycol, ytext) = tokens[-1]
    year = _number(ytext, ycol, "year")
    month = day = None
    calendar = None
    mcol = dcol = 0
    if len(tokens) >= 2:
        mcol, mtext = tokens[-2]
        found = _MONTH_LOOKUP.get(_normalize_name(mtext))
        if found is None:
            if _NUMBER.fullmatch(mtext):
                raise DateError(f"expected a month name, found «{mtext}» (write 11 سنبله 1332 or 1332/6/11)",
                                mcol)
            raise DateError(
                f"unknown month name «{mtext}» (Dari: {'، '.join(SOLAR_MONTHS_DARI)}; "
                f"Iranian: {'، '.join(SOLAR_MONTHS_IRANIAN)})", mcol)
        month, calendar = found
    if len(tokens) == 3:
        dcol, dtext = tokens[0]
        day = _number(dtext, dcol, "day")
    return _Parsed(year, month, day, calendar, (ycol, mcol, dcol))


def _parse_numeric(token: str, offset: int, what: str) -> _Parsed:
    """``Y-M-D``, ``Y/M/D``, ``Y-M``, ``Y`` with the year first."""
    parts = []
    pos = 0
    for piece in re.split(r"([/\-])", token):
        if piece not in ("/", "-"):
            parts.append((offset + pos, piece))
        pos += len(piece)
    if len(parts) > 3:
        raise DateError(f"too many parts in «{token}» (expected year-month-day)", parts[3][0])
    names = ("year", "month", "day")
    values = [_number(text, col, names[i]) if text else None for i, (col, text) in enumerate(parts)]
    for i, ((col, text), value) in enumerate(zip(parts, values)):
        if value is None:
            raise DateError(f"missing {names[i]} in «{token}»", col)
    if len(parts[0][1]) < 3 and what == "solar":
        raise DateError(f"write the year first: «{token}» (1332/6/11)", parts[0][0])
    year = values[0]
    month = values[1] if len(values) > 1 else None
    day = values[2] if len(values) > 2 else None
    cols = tuple(col for col, _ in parts) + (0,) * (3 - len(parts))
    return _Parsed(year, month, day, None, (cols[0], cols[1], cols[2]))


def _check_solar(p: _Parsed, calendar: str, month_name: str) -> None:
    ycol, mcol, dcol = p.cols
    if not 1 <= p.year <= 3000:
        raise DateError(f"year {p.year} is outside the supported range 1–3000", ycol)
    if p.month is None:
        return
    if not 1 <= p.month <= 12:
        raise DateError(f"there is no month {p.month} (months are 1–12)", mcol)
    if p.day is None:
        return
    if calendar == "afghan" and p.year < AFGHAN_ARITHMETIC_SINCE:
        longest = _AFGHAN_HISTORIC_MAX_DAYS[p.month - 1]
        if not 1 <= p.day <= longest:
            raise DateError(f"{month_name} never had {p.day} days (at most {longest} before 1336)", dcol)
        return
    length = JalaliDate.days_in_month(p.month, p.year)
    if not 1 <= p.day <= length:
        note = ""
        if p.month == 12 and p.day == 30:
            note = f"; {p.year} is {'a' if JalaliDate.is_leap(p.year) else 'not a'} leap year"
        raise DateError(f"{month_name} {p.year} has {length} days{note}", dcol)


def _solar_to_gregorian(year: int, month: int, day: int) -> _dt.date:
    first = JalaliDate(year, month, 1).to_gregorian()
    return first + _dt.timedelta(days=day - 1)


def _solar_month_span(year: int, month: int) -> tuple[_dt.date, _dt.date]:
    first = JalaliDate(year, month, 1).to_gregorian()
    return first, first + _dt.timedelta(days=JalaliDate.days_in_month(month, year) - 1)


def _middle(first: _dt.date, last: _dt.date) -> _dt.date:
    return first + (last - first) // 2


# ---------------------------------------------------------------------------------------------------------
# Formatting


def _month_before_year(name: str, style: DateStyle) -> str:
    """The month name as it stands before a year: with the ezafe «ٔ» after a silent final ه."""
    if style.ezafe and name.endswith("ه"):
        return name + _HAMZA_ABOVE
    return name


def _date_text(day: int | None, month: str | None, year: int, style: DateStyle, solar: bool) -> str:
    parts = []
    if day is not None:
        parts.append(style.number(day))
    if month is not None:
        parts.append(_month_before_year(month, style))
    parts.append(style.number(year) + (style.solar_suffix if solar else ""))
    return " ".join(parts)


def _month_span_text(first: tuple[int, str], last: tuple[int, str], style: DateStyle, solar: bool) -> str:
    """``اگست–سپتمبر ۱۹۵۳`` or ``دسمبر ۱۹۸۱–جنوری ۱۹۸۲`` from (year, month name) pairs."""
    (y1, m1), (y2, m2) = first, last
    if y1 == y2:
        return m1 + style.dash + _date_text(None, m2, y2, style, solar)
    return _date_text(None, m1, y1, style, solar=False) + style.dash + _date_text(None, m2, y2, style, solar)


def _year_span_text(y1: int, y2: int, style: DateStyle, solar: bool) -> str:
    return style.number(y1) + style.dash + style.number(y2) + (style.solar_suffix if solar else "")


def render_date(body: str, kind: Literal["shamsi", "miladi"], style: DateStyle) -> RenderedDate:
    """Read the body of a date markup and write it in *style* with its gloss.

    Raises :class:`DateError` for a body that cannot be read or a day that does not exist.
    """
    if kind == "shamsi":
        return _render_shamsi(body, style)
    if kind == "miladi":
        return _render_miladi(body, style)
    raise ValueError(f"unknown date kind {kind!r} (expected 'shamsi' or 'miladi')")


def _render_shamsi(body: str, style: DateStyle) -> RenderedDate:
    p = _parse_shamsi(body)
    calendar = p.calendar or style.calendar
    source_names = SOLAR_MONTHS_DARI if calendar == "afghan" else SOLAR_MONTHS_IRANIAN
    month_name = source_names[p.month - 1] if p.month and 1 <= p.month <= 12 else ""
    _check_solar(p, calendar, month_name)
    try:
        return _shamsi_result(p, calendar, style)
    except (ValueError, OverflowError) as e:  # years near the ends of what the libraries convert
        raise DateError(f"cannot convert this date: {e}", p.cols[0]) from None


def _shamsi_result(p: _Parsed, calendar: str, style: DateStyle) -> RenderedDate:
    month_name = style.solar_months[p.month - 1] if p.month else None
    text = _date_text(p.day, month_name, p.year, style, solar=True)
    if p.day is not None:
        g = _solar_to_gregorian(p.year, p.month, p.day)
        approximate = p.year < AFGHAN_ARITHMETIC_SINCE and "afghan" in (calendar, style.calendar)
        gloss = _date_text(g.day, style.gregorian_months[g.month - 1], g.year, style, solar=False)
        if approximate:
            gloss = style.approximate_prefix + gloss
        return RenderedDate(text, gloss, approximate, g.isoformat(), "shamsi")
    if p.month is not None:
        first, last = _solar_month_span(p.year, p.month)
        gloss = _month_span_text(
            (first.year, style.gregorian_months[first.month - 1]),
            (last.year, style.gregorian_months[last.month - 1]), style, solar=False,
        )
        middle = _middle(first, last)
        return RenderedDate(text, gloss, False, f"{middle.year:04d}-{middle.month:02d}", "shamsi")
    first = JalaliDate(p.year, 1, 1).to_gregorian()
    last = _solar_month_span(p.year, 12)[1]
    gloss = _year_span_text(first.year, last.year, style, solar=False)
    return RenderedDate(text, gloss, False, f"{_middle(first, last).year:04d}", "shamsi")


def _render_miladi(body: str, style: DateStyle) -> RenderedDate:
    stripped = body.strip()
    offset = body.index(stripped) if stripped else 0
    if not stripped:
        raise DateError("empty date", 0)
    if re.search(r"\s", stripped):
        col = offset + re.search(r"\s", stripped).start()
        raise DateError(f"expected an ISO date (2021-08-21), found «{stripped}»", col)
    p = _parse_numeric(stripped, offset, "gregorian")
    ycol, mcol, dcol = p.cols
    if not 623 <= p.year <= 3000:
        raise DateError(f"year {p.year} is outside the supported range 623–3000", ycol)
    if p.month is not None and not 1 <= p.month <= 12:
        raise DateError(f"there is no month {p.month} (months are 1–12)", mcol)
    if p.day is not None:
        try:
            g = _dt.date(p.year, p.month, p.day)
        except ValueError:
            length = ((_dt.date(p.year + p.month // 12, p.month % 12 + 1, 1) - _dt.date(p.year, p.month, 1)).days)
            raise DateError(f"{GREGORIAN_MONTHS_ENGLISH[p.month - 1]} {p.year} has {length} days", dcol) from None
    try:
        return _miladi_result(p, style)
    except (ValueError, OverflowError) as e:
        raise DateError(f"cannot convert this date: {e}", ycol) from None


def _miladi_result(p: _Parsed, style: DateStyle) -> RenderedDate:
    if p.day is not None:
        g = _dt.date(p.year, p.month, p.day)
        text = _date_text(g.day, style.gregorian_months[g.month - 1], g.year, style, solar=False)
        j = JalaliDate.to_jalali(g)
        approximate = style.calendar == "afghan" and j.year < AFGHAN_ARITHMETIC_SINCE
        gloss = _date_text(j.day, style.solar_months[j.month - 1], j.year, style, solar=True)
        if approximate:
            gloss = style.approximate_prefix + gloss
        return RenderedDate(text, gloss, approximate, g.isoformat(), "miladi")
    if p.month is not None:
        first = _dt.date(p.year, p.month, 1)
        last = _dt.date(p.year + p.month // 12, p.month % 12 + 1, 1) - _dt.timedelta(days=1)
        text = _date_text(None, style.gregorian_months[p.month - 1], p.year, style, solar=False)
        j1, j2 = JalaliDate.to_jalali(first), JalaliDate.to_jalali(last)
        gloss = _month_span_text(
            (j1.year, style.solar_months[j1.month - 1]), (j2.year, style.solar_months[j2.month - 1]),
            style, solar=True,
        )
        return RenderedDate(text, gloss, False, f"{p.year:04d}-{p.month:02d}", "miladi")
    j1 = JalaliDate.to_jalali(_dt.date(p.year, 1, 1))
    j2 = JalaliDate.to_jalali(_dt.date(p.year, 12, 31))
    text = style.number(p.year)
    return RenderedDate(text, _year_span_text(j1.year, j2.year, style, solar=True), False, f"{p.year:04d}",
                        "miladi")


# ---------------------------------------------------------------------------------------------------------
# Finding markups


def find_date_markups(markdown: str) -> list[DateMark]:
    """Every ``[…]{.shamsi}`` and ``[…]{.miladi}`` in *markdown*, outside code blocks and inline code."""
    code = _Cover(code_spans(markdown))
    index = LineIndex(markdown)
    marks = []
    for m in DATE_MARKUP.finditer(markdown):
        if code.covers(m.start()):
            continue
        line, col = index.position(m.start())
        marks.append(DateMark(line, col, m.group(1), m.group(2), m.group()))
    return marks
