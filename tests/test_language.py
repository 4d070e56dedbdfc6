"""Every language decision comes from one Language object."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ketab.language import Language, default_direction

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "ketab"


def lang(tag: str) -> Language:
    return Language(tag, default_direction(tag))


@pytest.mark.parametrize(("tag", "digits", "counter", "separator"), [
    ("fa-AF", "۱۲۳", "persian", "،"),
    ("fa-IR", "۱۲۳", "persian", "،"),
    ("prs", "۱۲۳", "persian", "،"),
    ("ps-AF", "۱۲۳", "persian", "،"),   # Pashto: extended Arabic-Indic digits
    ("ur", "۱۲۳", "persian", "،"),      # Urdu likewise
    ("ar", "١٢٣", "arabic-indic", "،"),  # Arabic: Arabic-Indic digits
    ("en", "123", "decimal", ","),
    ("he", "123", "decimal", ","),      # right to left, but Latin digits and comma
])
def test_digits_counters_and_separators_follow_the_script(tag, digits, counter, separator):
    language = lang(tag)
    assert language.digits("123") == digits
    assert language.counter_style == counter
    assert language.list_separator == separator


def test_front_matter_folios_index_order_and_lint_profile():
    dari, iranian, english = lang("fa-AF"), lang("fa-IR"), lang("en")
    assert (dari.front_counter, english.front_counter) == ("abjad", "lower-roman")
    assert (dari.lint_profile, lang("prs").lint_profile, lang("fa-Arab-AF").lint_profile) == ("dari", "dari", "dari")
    assert (iranian.lint_profile, english.lint_profile) == ("iranian", "iranian")
    # Persian order puts پ after ب and گ after ک (code points would not); ZWNJ is not a letter
    assert sorted(["گل", "کتاب", "پدر", "بابا"], key=dari.sort_key) == ["بابا", "پدر", "کتاب", "گل"]
    assert sorted(["b", "A", "a"], key=english.sort_key) == ["A", "a", "b"]
    assert dari.labels.index == "نمایه" and english.labels.index == "Index"


LANGUAGE_CONDITION = re.compile(r"""(\.primary|\blanguage_tag|\btag)\b[^\n]*(\bin\b|==|\bstartswith\b)[^\n]*["'](fa|prs|ar|ps|ur)["']""")


def test_no_language_conditionals_outside_the_language_module():
    """A new language is a Language, not a new ``if primary in (…)`` somewhere."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "language.py" or "persian" in path.relative_to(PACKAGE).parts:
            continue  # the Persian text primitives take a tag and decide by script themselves
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if LANGUAGE_CONDITION.search(line):
                found.append(f"{path.relative_to(PACKAGE)}:{n}: {line.strip()}")
    assert found == []


def test_the_conditional_finder_finds_one():
    assert LANGUAGE_CONDITION.search('    if lang.primary in ("fa", "prs"):')
    assert LANGUAGE_CONDITION.search('sep = "،" if book.language.primary == "ar" else ","')
