"""Rules that need the whole book: one spelling per word, and the register's spellings of names.

``fa-spelling``
    a word written two ways in the book — with and without a ZWNJ («هم‌چنین»/«همچنین»), with «آ» or «ا»
    («آمریکا»/«امریکا»), with Arabic or Persian letters, or a known pair («هژده»/«هجده») — is reported where
    it takes its less frequent form, naming the form the book uses most.  Diacritics never count (the ezafe
    of «خانهٔ» is grammar, not spelling).
``fa-name-variant``
    a spelling the register of names rejects («تاجکستان») is reported with the book's spelling.

Both look only at prose (see :func:`ketab.persian.lint.rules.prose_view`), like every rule.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from ketab.persian.lint.rules import BOOK_RULES, prose_view  # noqa: F401 (BOOK_RULES: this module's codes)
from ketab.persian.lint.runner import Finding
from ketab.persian.markdown import LineIndex
from ketab.persian.script import ARABIC_LETTER, ARABIC_MARK

_WORD = re.compile(f"[{ARABIC_LETTER}{ARABIC_MARK}][{ARABIC_LETTER}{ARABIC_MARK}\u200c]*")
_MARKS = re.compile(f"[{ARABIC_MARK}\u0640]")
_FOLD = str.maketrans({"آ": "ا", "أ": "ا", "إ": "ا", "ي": "ی", "ى": "ی", "ك": "ک", "ۀ": "ه", "\u200c": None})
#: Pairs of spellings of one word that differ by more than a letter form (the first is the key).
_PAIRS = (("هجده", "هژده"), ("اتاق", "اطاق"), ("تپیدن", "طپیدن"))


def _surface(word: str) -> str:
    return _MARKS.sub("", word).rstrip("\u200c")


def _key(surface: str) -> str:
    key = surface.translate(_FOLD)
    for plain, variant in _PAIRS:
        key = key.replace(variant, plain)
    return key


def book_findings(files: Iterable[tuple[str, str]], rejected: dict[str, str] | None = None,
                  disabled: frozenset[str] = frozenset()):
    """Findings of the book-wide rules over ``(path, text)`` pairs — or ``(path, text, nonprose)``, with the
    spans pandoc parsed as code or raw HTML — in reading order.  ``rejected`` maps a rejected spelling to the
    spelling the book uses instead."""
    files = list(files)
    occurrences: list[tuple[str, LineIndex, int, str]] = []
    findings: list[Finding] = []
    for path, text, *nonprose in files:
        prose, index = prose_view(text, *nonprose), LineIndex(text)
        for m in _WORD.finditer(prose):
            occurrences.append((path, index, m.start(), _surface(m.group())))
        if rejected and "fa-name-variant" not in disabled:
            findings += _rejected(path, prose, index, rejected)
    if "fa-spelling" not in disabled:
        findings += _inconsistent(occurrences)
    return sorted(findings, key=lambda f: (f.path, f.line, f.col))


def _inconsistent(occurrences):
    forms: dict[str, Counter] = {}
    for _, _, _, surface in occurrences:
        forms.setdefault(_key(surface), Counter())[surface] += 1
    out = []
    for path, index, start, surface in occurrences:
        counts = forms[_key(surface)]
        if len(counts) < 2:
            continue
        usual, n = counts.most_common(1)[0]
        if surface == usual:
            continue
        line, col = index.position(start)
        out.append(Finding(path, line, col, "fa-spelling",
                           f"«{surface}» is written «{usual}» {n} time{'s' if n > 1 else ''} in the book: choose one spelling",
                           False))
    return out


def _rejected(path, prose, index, rejected):
    out = []
    boundary = f"[{ARABIC_LETTER}\u200c\\w]"
    for variant, entry in rejected.items():
        if variant.split() and variant.split()[0] not in prose:  # most are nowhere in a chapter: no scan for them
            continue
        words = r"\s+".join(re.escape(w) for w in variant.split())
        for m in re.finditer(f"(?<!{boundary}){words}(?!{boundary})", prose):
            line, col = index.position(m.start())
            out.append(Finding(path, line, col, "fa-name-variant",
                               f"«{m.group()}»: the register of names spells it as in «{entry}»", False))
    return out
