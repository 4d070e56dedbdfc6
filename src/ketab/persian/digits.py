"""Digit conversion between Latin (ASCII), Arabic-Indic (U+0660–0669) and Persian (U+06F0–06F9) digits.

Persian, Dari, Pashto and Urdu write the *extended* Arabic-Indic digits U+06F0–U+06F9 (the "Persian" digits);
Arabic writes U+0660–U+0669.  Latin text inside a Persian book keeps Latin digits: these functions convert a
whole string, so callers decide which text is Persian (see :mod:`ketab.persian.bidi`).
"""

from __future__ import annotations

__all__ = [
    "ASCII_DIGITS",
    "ARABIC_DIGITS",
    "PERSIAN_DIGITS",
    "digit_script",
    "is_persian_language",
    "localize_digits",
    "to_arabic_digits",
    "to_latin_digits",
    "to_persian_digits",
]

ASCII_DIGITS = "0123456789"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"  # U+0660–U+0669
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"  # U+06F0–U+06F9

_TO_PERSIAN = str.maketrans(ASCII_DIGITS + ARABIC_DIGITS, PERSIAN_DIGITS * 2)
_TO_LATIN = str.maketrans(PERSIAN_DIGITS + ARABIC_DIGITS, ASCII_DIGITS * 2)
_TO_ARABIC = str.maketrans(ASCII_DIGITS + PERSIAN_DIGITS, ARABIC_DIGITS * 2)

# Primary language subtags (ISO 639-1/-3) whose script uses the Persian digit forms.
_PERSIAN_DIGIT_LANGS = frozenset({"fa", "fas", "per", "pes", "prs", "ps", "pus", "pbt", "pbu", "ur", "urd"})
_ARABIC_DIGIT_LANGS = frozenset({"ar", "ara", "arb"})


def _primary_subtag(lang: str) -> str:
    return (lang or "").strip().replace("_", "-").split("-", 1)[0].lower()


def digit_script(lang: str) -> str:
    """``'persian'``, ``'arabic'`` or ``'latin'``: the digits a text in language *lang* (BCP 47) uses."""
    primary = _primary_subtag(lang)
    if primary in _PERSIAN_DIGIT_LANGS:
        return "persian"
    if primary in _ARABIC_DIGIT_LANGS:
        return "arabic"
    return "latin"


def is_persian_language(lang: str) -> bool:
    """True for Persian (``fa``, ``fa-IR``, ``fa-AF``), Dari (``prs``) and the other languages written with
    Persian digits (Pashto ``ps``, Urdu ``ur``)."""
    return digit_script(lang) == "persian"


def to_persian_digits(s: str) -> str:
    """Replace ASCII and Arabic-Indic digits by Persian digits; everything else is kept."""
    return s.translate(_TO_PERSIAN)


def to_latin_digits(s: str) -> str:
    """Replace Persian and Arabic-Indic digits by ASCII digits; everything else is kept."""
    return s.translate(_TO_LATIN)


def to_arabic_digits(s: str) -> str:
    """Replace ASCII and Persian digits by Arabic-Indic digits; everything else is kept."""
    return s.translate(_TO_ARABIC)


def localize_digits(s: str, lang: str) -> str:
    """Write every digit of *s* the way language *lang* does.

    Persian digits for ``fa``, ``fa-IR``, ``fa-AF``, ``prs`` (and ``ps``, ``ur``); Arabic-Indic digits for
    ``ar``; any other language gets *s* back unchanged.
    """
    script = digit_script(lang)
    if script == "persian":
        return to_persian_digits(s)
    if script == "arabic":
        return to_arabic_digits(s)
    return s
