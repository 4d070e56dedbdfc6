"""Digit conversion: what a reader sees as numbers in Persian, Arabic and Latin text."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketab.persian.digits import (
    is_persian_language,
    localize_digits,
    to_arabic_digits,
    to_latin_digits,
    to_persian_digits,
)


def test_ascii_and_arabic_indic_digits_become_persian():
    assert to_persian_digits("سال 1953 و ٢٠٢١") == "سال ۱۹۵۳ و ۲۰۲۱"
    assert to_persian_digits("0123456789") == "۰۱۲۳۴۵۶۷۸۹"
    assert to_persian_digits("٠١٢٣٤٥٦٧٨٩") == "۰۱۲۳۴۵۶۷۸۹"


def test_persian_and_arabic_indic_digits_become_latin():
    assert to_latin_digits("۱۱ سنبله ۱۳۳۲ / ٢٠٢١") == "11 سنبله 1332 / 2021"


def test_arabic_indic_digits():
    assert to_arabic_digits("12 ۳۴") == "١٢ ٣٤"


def test_letters_and_punctuation_are_kept():
    s = "Abc، xyz؛ «قول» - ۱.۵%"
    assert to_persian_digits(s) == "Abc، xyz؛ «قول» - ۱.۵%"


@pytest.mark.parametrize("lang", ["fa", "fa-IR", "fa-AF", "fa_AF", "prs", "FA-af", "ps", "ur"])
def test_persian_digit_languages(lang):
    assert localize_digits("ص 12 و ٣", lang) == "ص ۱۲ و ۳"
    assert is_persian_language(lang)


@pytest.mark.parametrize("lang", ["ar", "ar-EG"])
def test_arabic_gets_arabic_indic_digits(lang):
    assert localize_digits("12 ۳", lang) == "١٢ ٣"
    assert not is_persian_language(lang)


@pytest.mark.parametrize("lang", ["en", "en-GB", "de", "", "farsi"])
def test_other_languages_are_unchanged(lang):
    s = "page 12, صفحه ۱۲, ٣"
    assert localize_digits(s, lang) == s


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from("0123456789۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩ab سال-/."), max_size=30))
def test_conversions_agree(s):
    assert to_latin_digits(to_persian_digits(s)) == to_latin_digits(s)
    assert to_persian_digits(to_latin_digits(s)) == to_persian_digits(s)
    assert len(to_persian_digits(s)) == len(s)
