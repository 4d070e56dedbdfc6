"""Date markup: conversions against checked equivalents, how dates read, and impossible dates."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketab.pandocrun import nonprose
from ketab.persian.dates import (
    DARI,
    ENGLISH,
    IRANIAN,
    DateError,
    DateMark,
    DateStyle,
    find_date_markups,
    render_date,
)
from ketab.persian.digits import to_persian_digits

# PERSIAN.md's checked conversions, plus 30 اسد 1400 = 21 Aug 2021.
KNOWN = [
    ("11 سنبله 1332", "1953-09-02", "۲ سپتمبر ۱۹۵۳"),
    ("23 اسد 1360", "1981-08-14", "۱۴ اگست ۱۹۸۱"),
    ("25 ثور 1361", "1982-05-15", "۱۵ می ۱۹۸۲"),
    ("5 جوزا 1361", "1982-05-26", "۲۶ می ۱۹۸۲"),
    ("31 حمل 1363", "1984-04-20", "۲۰ اپریل ۱۹۸۴"),
    ("18 سنبله 1380", "2001-09-09", "۹ سپتمبر ۲۰۰۱"),
    ("30 اسد 1400", "2021-08-21", "۲۱ اگست ۲۰۲۱"),
]


@pytest.mark.parametrize("body, iso, gloss", KNOWN)
def test_known_conversions(body, iso, gloss):
    r = render_date(body, "shamsi", DARI)
    assert r.iso == iso
    assert r.gloss.removeprefix("حدود ") == gloss


@pytest.mark.parametrize("body, iso, _", KNOWN)
def test_digits_of_any_script_read_the_same(body, iso, _):
    persian = to_persian_digits(body)
    arabic = body.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    results = {render_date(b, "shamsi", DARI) for b in (body, persian, arabic)}
    assert len(results) == 1
    assert results.pop().iso == iso


@pytest.mark.parametrize("body, iso, _", KNOWN)
def test_gregorian_markup_glosses_back_to_the_solar_date(body, iso, _):
    r = render_date(iso, "miladi", DARI)
    solar = render_date(body, "shamsi", DARI)
    assert r.gloss.removeprefix("حدود ") == solar.text
    assert r.iso == iso


def test_iranian_month_names_give_the_same_day():
    assert render_date("30 مرداد 1400", "shamsi", DARI).iso == "2021-08-21"
    assert render_date("18 شهریور 1380", "shamsi", IRANIAN).iso == "2001-09-09"


def test_shown_text_uses_the_style_month_names_and_digits():
    assert render_date("18 سنبله 1380", "shamsi", DARI).text == "۱۸ سنبلهٔ ۱۳۸۰"
    assert render_date("18 سنبله 1380", "shamsi", IRANIAN).text == "۱۸ شهریور ۱۳۸۰"
    assert render_date("18 سنبله 1380", "shamsi", IRANIAN).gloss == "۹ سپتامبر ۲۰۰۱"
    assert render_date("18 سنبله 1380", "shamsi", ENGLISH).text == "18 Sonbola 1380 SH"
    assert render_date("18 سنبله 1380", "shamsi", ENGLISH).gloss == "9 September 2001"
    assert render_date("2021-08-21", "miladi", DARI).text == "۲۱ اگست ۲۰۲۱"
    assert render_date("2021-08-21", "miladi", DARI).gloss == "۳۰ اسد ۱۴۰۰"
    assert render_date("2021-08-21", "miladi", IRANIAN).gloss == "۳۰ مرداد ۱۴۰۰"
    assert render_date("2021-08-21", "miladi", ENGLISH).gloss == "30 Asad 1400 SH"


def test_ezafe_only_after_a_month_ending_in_silent_he_and_before_the_year():
    assert render_date("سنبله 1380", "shamsi", DARI).text == "سنبلهٔ ۱۳۸۰"
    assert render_date("23 اسد 1360", "shamsi", DARI).text == "۲۳ اسد ۱۳۶۰"
    assert render_date("1982-01-05", "miladi", IRANIAN).text == "۵ ژانویهٔ ۱۹۸۲"
    # In a span the ezafe goes on the month the year follows, not on the first one.
    assert render_date("2021-08", "miladi", DARI).gloss == "اسد–سنبلهٔ ۱۴۰۰"
    assert render_date("دی 1360", "shamsi", IRANIAN).gloss == "دسامبر ۱۹۸۱–ژانویهٔ ۱۹۸۲"
    assert "\u0654" not in render_date("2021-08", "miladi", ENGLISH).gloss


def test_month_year_glosses_the_gregorian_months_it_spans():
    r = render_date("سنبله 1332", "shamsi", DARI)
    assert (r.text, r.gloss, r.iso, r.approximate) == ("سنبلهٔ ۱۳۳۲", "اگست–سپتمبر ۱۹۵۳", "1953-09", False)
    r = render_date("جدی 1360", "shamsi", DARI)
    assert r.gloss == "دسمبر ۱۹۸۱–جنوری ۱۹۸۲"
    assert render_date("2021-03", "miladi", ENGLISH).gloss == "Hut 1399–Hamal 1400 SH"


def test_year_glosses_the_years_it_spans():
    r = render_date("1360", "shamsi", DARI)
    assert (r.text, r.gloss, r.iso) == ("۱۳۶۰", "۱۹۸۱–۱۹۸۲", "1981")
    r = render_date("2021", "miladi", DARI)
    assert (r.text, r.gloss, r.iso) == ("۲۰۲۱", "۱۳۹۹–۱۴۰۰", "2021")


def test_numeric_solar_dates_year_first():
    assert render_date("1380/6/18", "shamsi", DARI).iso == "2001-09-09"
    assert render_date("۱۳۸۰-۰۶-۱۸", "shamsi", DARI).text == "۱۸ سنبلهٔ ۱۳۸۰"


def test_tolerated_spellings_of_month_names():
    for body in ("11 شهريور 1332", "11 سنبلهٔ 1332", "11 سنبلۀ 1332", "11 سنبله‌ 1332", "  11  سنبله 1332 "):
        assert render_date(body, "shamsi", DARI).iso == "1953-09-02", body


def test_html_puts_the_gloss_in_brackets_inside_time():
    assert render_date("18 سنبله 1380", "shamsi", DARI).html() == (
        '<time datetime="2001-09-09" class="date shamsi">۱۸ سنبلهٔ ۱۳۸۰ '
        '<span class="gloss">(۹ سپتمبر ۲۰۰۱)</span></time>'
    )
    assert render_date("11 سنبله 1332", "shamsi", DARI).html() == (
        '<time datetime="1953-09-02" class="date shamsi approximate">۱۱ سنبلهٔ ۱۳۳۲ '
        '<span class="gloss">(حدود ۲ سپتمبر ۱۹۵۳)</span></time>'
    )


class TestApproximate:
    def test_afghan_day_before_1336_is_approximate(self):
        r = render_date("11 سنبله 1332", "shamsi", DARI)
        assert r.approximate
        assert r.gloss == "حدود ۲ سپتمبر ۱۹۵۳"
        assert render_date("11 سنبله 1332", "shamsi", ENGLISH).gloss == "c. 2 September 1953"

    def test_from_1336_it_is_exact(self):
        r = render_date("1 حمل 1336", "shamsi", DARI)
        assert not r.approximate and r.iso == "1957-03-21" and not r.gloss.startswith("حدود")
        assert render_date("30 حوت 1335", "shamsi", DARI).approximate

    def test_iranian_dates_before_1336_are_exact_in_the_iranian_style(self):
        assert not render_date("11 شهریور 1332", "shamsi", IRANIAN).approximate

    def test_gregorian_date_glossed_in_afghan_months_before_1336(self):
        r = render_date("1953-09-02", "miladi", DARI)
        assert r.approximate and r.gloss == "حدود ۱۱ سنبلهٔ ۱۳۳۲"
        assert not render_date("1953-09-02", "miladi", IRANIAN).approximate

    def test_months_and_years_convert_exactly(self):
        assert not render_date("سنبله 1332", "shamsi", DARI).approximate
        assert not render_date("1332", "shamsi", DARI).approximate

    def test_sun_following_months_before_1336_may_have_32_days(self):
        r = render_date("32 سرطان 1330", "shamsi", DARI)
        assert r.approximate
        with pytest.raises(DateError):
            render_date("32 سرطان 1380", "shamsi", DARI)
        with pytest.raises(DateError):
            render_date("31 قوس 1330", "shamsi", DARI)


def test_leap_years():
    assert render_date("30 حوت 1399", "shamsi", DARI).iso == "2021-03-20"
    assert render_date("30 اسفند 1403", "shamsi", IRANIAN).iso == "2025-03-20"
    assert render_date("2024-02-29", "miladi", DARI).gloss == "۱۰ حوت ۱۴۰۲"


@pytest.mark.parametrize(
    "body, kind, col, words",
    [
        ("31 حوت 1380", "shamsi", 0, "29 days"),
        ("30 حوت 1401", "shamsi", 0, "not a leap year"),
        ("32 سنبله 1380", "shamsi", 0, "31 days"),
        ("0 سنبله 1380", "shamsi", 0, "31 days"),
        ("11 سنبلو 1332", "shamsi", 3, "unknown month name «سنبلو»"),
        ("11 6 1332", "shamsi", 3, "month name"),
        ("1380/13/1", "shamsi", 5, "no month 13"),
        ("11/6/1380", "shamsi", 0, "year first"),
        ("garbage", "shamsi", 0, "year in digits"),
        ("11 سنبله 13x2", "shamsi", 11, "year in digits"),
        ("11 سنبله 1332 ه.ش.", "shamsi", 14, "unexpected"),
        ("", "shamsi", 0, "empty"),
        ("2021-13-01", "miladi", 5, "no month 13"),
        ("2021-02-29", "miladi", 8, "28 days"),
        ("2021-04-31", "miladi", 8, "30 days"),
        ("21 August 2021", "miladi", 2, "ISO"),
        ("2021-08-2x", "miladi", 9, "day in digits"),
        (" 2021--01", "miladi", 6, "missing month"),
    ],
)
def test_impossible_dates_raise_with_the_column(body, kind, col, words):
    with pytest.raises(DateError) as caught:
        render_date(body, kind, DARI)
    assert caught.value.col == col
    assert words in caught.value.message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "lang, style",
    [("fa-AF", DARI), ("prs", DARI), ("fa_AF", DARI), ("fa", IRANIAN), ("fa-IR", IRANIAN), ("en", ENGLISH),
     ("en-US", ENGLISH), ("de", ENGLISH)],
)
def test_style_for_language(lang, style):
    assert DateStyle.for_language(lang) is style


def test_find_date_markups_positions_skip_code():
    text = (
        "---\ntitle: x\n---\n"
        "او در [11 سنبله 1332]{.shamsi} به دنیا آمد و [2021-08-21]{.miladi}.\n"
        "`[1 حمل 1360]{.shamsi}` در کد\n"
        "```\n[1360]{.shamsi}\n```\n"
        "    \n"
        "سال‌ها [سنبله 1332]{ .shamsi } و [1360]{.shamsi}\n"
    )
    marks = find_date_markups(text, nonprose(text))  # what pandoc parses as code is skipped
    assert marks == [
        DateMark(4, 7, "11 سنبله 1332", "shamsi", "[11 سنبله 1332]{.shamsi}"),
        DateMark(4, 46, "2021-08-21", "miladi", "[2021-08-21]{.miladi}"),
        DateMark(10, 8, "سنبله 1332", "shamsi", "[سنبله 1332]{ .shamsi }"),
        DateMark(10, 34, "1360", "shamsi", "[1360]{.shamsi}"),
    ]
    lines = text.split("\n")
    for m in marks:
        assert lines[m.line - 1][m.col - 1:].startswith(m.raw)


def test_error_column_points_into_the_file():
    text = "متن [11 سنبلو 1332]{.shamsi}\n"
    (mark,) = find_date_markups(text)
    with pytest.raises(DateError) as caught:
        render_date(mark.body, mark.kind, DARI)
    col = mark.col + 1 + caught.value.col
    assert text.split("\n")[mark.line - 1][col - 1:].startswith("سنبلو")


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1957, 3, 21), max_value=dt.date(2100, 12, 31)))
def test_gregorian_solar_round_trip(day):
    there = render_date(day.isoformat(), "miladi", DARI)
    solar = there.gloss
    assert not there.approximate
    # «۳۰ اسد ۱۴۰۰» back into markup (Persian digits, ezafe and all) gives the same day.
    back = render_date(solar, "shamsi", DARI)
    assert back.iso == day.isoformat()
    assert back.gloss == there.text


@pytest.mark.parametrize(
    "body, text, gloss",
    [
        # The editorial review's three: a season or part of a year is the Gregorian year it falls in.
        ("بهار 1358", "بهار ۱۳۵۸", "۱۹۷۹"),
        ("خزان ۱۳۶۹", "خزان ۱۳۶۹", "۱۹۹۰"),
        ("اواخر 1353", "اواخر ۱۳۵۳", "۱۹۷۵"),
        ("پاییز 1369", "پاییز ۱۳۶۹", "۱۹۹۰"),
        ("تابستان 1380", "تابستان ۱۳۸۰", "۲۰۰۱"),
        # Winter runs 22 December to 20 March: nine tenths of it lie in the next Gregorian year.
        ("زمستان 1358", "زمستان ۱۳۵۸", "۱۹۸۰"),
        ("اوایل 1360", "اوایل ۱۳۶۰", "۱۹۸۱"),
        ("خزان سال 1369", "خزان سال ۱۳۶۹", "۱۹۹۰"),
        ("پایان سال 1349", "پایان سال ۱۳۴۹", "۱۹۷۱"),
    ],
)
def test_seasons_and_parts_of_a_year_gloss_the_gregorian_year_they_fall_in(body, text, gloss):
    r = render_date(body, "shamsi", DARI)
    assert (r.text, r.gloss) == (text, gloss)
    # Not the span of the whole solar year, which a bare year gives.
    assert render_date(body.split()[-1], "shamsi", DARI).gloss != gloss


def test_seasons_in_an_english_book():
    r = render_date("Spring 1358", "shamsi", ENGLISH)
    assert (r.text, r.gloss) == ("Spring 1358 SH", "1979")


def test_an_unknown_word_before_a_year_is_still_an_error():
    with pytest.raises(DateError, match="unknown month name"):
        render_date("بهاری 1358", "shamsi", DARI)


@pytest.mark.parametrize("body, supplied, text", [
    ("11 جدی 1372", "year", "۱۱ جدی [۱۳۷۲]"),
    ("11 جدی 1372", "day", "[۱۱] جدی ۱۳۷۲"),
    ("11 جدی 1372", "month", "۱۱ [جدی] ۱۳۷۲"),
])
def test_a_part_the_editor_supplied_stands_in_brackets(body, supplied, text):
    r = render_date(body, "shamsi", DARI, supplied)
    assert r.text == text and r.gloss == render_date(body, "shamsi", DARI).gloss


def test_the_supplied_markup_is_found_as_a_date():
    (mark,) = find_date_markups("در [11 جدی 1372]{.shamsi supplied=year} بود")
    assert mark.body == "11 جدی 1372"
