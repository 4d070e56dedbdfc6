"""Character classes and the one definition of a *Latin run* shared by the linter and the HTML localiser.

A Latin run is what a Persian reader sees as "a piece of foreign text": one or more words written in a
left-to-right script (Latin, Greek, Cyrillic), together with whatever stands between those words on the same
paragraph (spaces, digits, punctuation: ``Bernard-Henri Lévy``, ``The Wall Street Journal``,
``https://example.org/a?b=1``), and digit groups that touch the run (``COVID-19``, ``2 September 1953``,
``iPhone 12``).  A digit group that stands alone between Persian words is Persian (``سال 1953`` → ``سال ۱۹۵۳``).

The run starts and ends on a letter or digit, so brackets, quotes and full stops around it belong to the
surrounding Persian text; brackets and quotes opened inside the run are closed inside it, and the full stop of
an abbreviation (``U.S.``, ``Dr.``) stays with it.
"""

from __future__ import annotations

import bisect
import re

# Letters of the Arabic script (Persian, Arabic, Urdu, Pashto …), without tatweel and the combining marks.
ARABIC_LETTER = (
    "\u0620-\u063f\u0641-\u064a\u066e\u066f\u0671-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06fc\u06ff"
    "\u0750-\u077f\u08a0-\u08c9\ufb50-\ufbb1\ufbd3-\ufd3d\ufd50-\ufdfb\ufe70-\ufefc"
)
# Arabic-script combining marks: harakat and tanwin (U+064B–065F), superscript alef, Quranic marks.
ARABIC_MARK = "\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed"
# Every character that belongs to Arabic-script text (letters, marks, digits, punctuation, tatweel).
ARABIC_ANY = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
# Strong left-to-right letters: Latin, IPA, Greek, Cyrillic, Latin ligatures.
LTR_LETTER = (
    "A-Za-z\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02af\u0370-\u0373\u0376\u0377\u037b-\u037d"
    "\u0386\u0388-\u03ff\u0400-\u0481\u048a-\u052f\u1e00-\u1fff\u2c60-\u2c7f\ua720-\ua7ff\ufb00-\ufb06"
)
LTR_MARK = "\u0300-\u036f\u0483-\u0489"
ZWNJ = "\u200c"

ARABIC_LETTER_RE = re.compile(f"[{ARABIC_LETTER}]")
LTR_LETTER_RE = re.compile(f"[{LTR_LETTER}]")

# A word in a left-to-right script; it may carry digits and inner punctuation (COVID-19, Lévy's, e.g, x.org).
_WORD = re.compile(
    rf"[{LTR_LETTER}][{LTR_LETTER}{LTR_MARK}0-9]*(?:['’\-.&/_+@:][{LTR_LETTER}{LTR_MARK}0-9]+)*"
)
# A group of ASCII digits with inner separators (1953, 9/11, 3.5, 1,000, 12:30).
_NUMBER = re.compile(r"[0-9]+(?:[.,:/\-][0-9]+)*")
# What may stand between two words of one run: anything but Arabic-script text, Persian punctuation,
# guillemets, a paragraph break or a placeholder (U+FFFC marks text the caller has already set aside;
# U+2029 a boundary such as a block element).
_GAP_OK = re.compile(rf"[^{ARABIC_ANY}«»\u200c\u200f\u2029\ufffc\n]*(?:\n[^{ARABIC_ANY}«»\u200c\u200f\u2029\ufffc\n]*)?")
# How a digit group may touch the run: directly, across one space (after a comma, a quote or a bracket), or
# across punctuation without spaces.
_TOUCH = re.compile(r"[,;:]?[ \u00a0]?|[ \u00a0]?[\"“”’'()\[\]][ \u00a0]?|[!-/:-@\[-`{-~]{1,3}")
_ABBREVIATION = re.compile(
    r"(?:[A-Za-z]\.)+[A-Za-z]|Dr|Mr|Mrs|Ms|Mt|Jr|Sr|St|vs|etc|Inc|Ltd|Co|Corp|No|Vol|vol|pp|ed|eds|al|cf|ca|Fig"
)
_PAIRS = {"(": ")", "[": "]", "{": "}", "<": ">", "“": "”"}


def has_arabic_letter(s: str) -> bool:
    return ARABIC_LETTER_RE.search(s) is not None


def has_ltr_letter(s: str) -> bool:
    return LTR_LETTER_RE.search(s) is not None


def _inside(spans: list[tuple[int, int, bool]], starts: list[int], x: int) -> bool:
    """Is offset ``x`` inside one of ``spans`` (sorted, not overlapping; ``starts`` their starts)?"""
    k = bisect.bisect_right(starts, x) - 1
    return k >= 0 and x < spans[k][1]


def ltr_runs(s: str) -> list[tuple[int, int]]:
    """The Latin runs of *s* as ``(start, end)`` offsets, in order and not overlapping."""
    tokens = [(m.start(), m.end(), True) for m in _WORD.finditer(s)]
    if not tokens:
        return []
    word_spans = tokens
    numbers = [(m.start(), m.end(), False) for m in _NUMBER.finditer(s)]
    # A number inside a word (COVID-19) is already part of it.  The words are in order and apart, so the only
    # word that can hold a number is the last one starting at or before it.
    starts = [w[0] for w in word_spans]
    numbers = [n for n in numbers if not _inside(word_spans, starts, n[0])]
    tokens = sorted(word_spans + numbers)

    runs: list[list[int]] = []
    i = 0
    while i < len(tokens):
        if not tokens[i][2]:
            i += 1
            continue
        start, end = tokens[i][0], tokens[i][1]
        j = i + 1
        # Grow to the right: over numbers and gaps, as long as another word follows in the same run.
        while j < len(tokens):
            k = j
            ok = True
            cursor = end
            while k < len(tokens) and not tokens[k][2]:
                if not _GAP_OK.fullmatch(s, cursor, tokens[k][0]):
                    ok = False
                    break
                cursor = tokens[k][1]
                k += 1
            if ok and k < len(tokens) and _GAP_OK.fullmatch(s, cursor, tokens[k][0]):
                end = tokens[k][1]
                j = k + 1
                continue
            break
        # Numbers touching the run on either side.
        if j < len(tokens) and not tokens[j][2] and _TOUCH.fullmatch(s, end, tokens[j][0]):
            end = tokens[j][1]
            j += 1
        if i > 0 and not tokens[i - 1][2] and _TOUCH.fullmatch(s, tokens[i - 1][1], start):
            if not runs or runs[-1][1] <= tokens[i - 1][0]:
                start = tokens[i - 1][0]
        runs.append([start, end])
        i = j
    return [_settle(s, a, b) for a, b in runs]


def _settle(s: str, start: int, end: int) -> tuple[int, int]:
    """Keep abbreviation full stops, brackets and quotes that the run opened inside it."""
    word = re.search(r"[\w]+$", s[start:end])
    if word and end < len(s) and s[end] == "." and _ABBREVIATION.fullmatch(s, start + word.start(), end):
        end += 1
    elif end < len(s) and s[end] == "." and re.search(r"(?:[A-Za-z]\.)+[A-Za-z]$", s[start:end]):
        end += 1
    for _ in range(4):
        text = s[start:end]
        moved = False
        for opener, closer in _PAIRS.items():
            if text.count(opener) > text.count(closer) and end < len(s) and s[end] == closer:
                end += 1
                moved = True
            elif text.count(closer) > text.count(opener) and start > 0 and s[start - 1] == opener:
                start -= 1
                moved = True
        if text.count('"') % 2:
            if end < len(s) and s[end] == '"':
                end += 1
                moved = True
            elif start > 0 and s[start - 1] == '"':
                start -= 1
                moved = True
        if not moved:
            break
    return start, end


def script_subtag(s: str) -> str:
    """The BCP 47 language tag for unknown text in the script of *s*: und-Latn, und-Grek, und-Cyrl or und."""
    latin = re.search(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]", s) is not None
    greek = re.search(r"[\u0370-\u03ff\u1f00-\u1fff]", s) is not None
    cyrillic = re.search(r"[\u0400-\u052f]", s) is not None
    if latin + greek + cyrillic != 1:
        return "und-Latn" if latin else "und"
    return "und-Latn" if latin else "und-Grek" if greek else "und-Cyrl"
