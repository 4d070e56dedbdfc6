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
    files = [(path, text, tuple(nonprose[0]) if nonprose else ()) for path, text, *nonprose in files]
    return findings_from_facts([(path, text, nonprose, file_facts(text, nonprose, rejected, disabled)) for path, text, nonprose in files],
                               disabled)


def file_facts(text: str, nonprose=(), rejected: dict[str, str] | None = None, disabled: frozenset[str] = frozenset()) -> dict:
    """What one chapter brings to the book-wide rules, as JSON: how often it writes each spelling (in order of
    first use) and where it writes a spelling the register rejects.  A chapter's facts depend on its own text
    only, so a build keeps them for the chapters an edit did not touch (:func:`ketab.bodychecks.lint_chapters`)."""
    prose = prose_view(text, nonprose)
    forms = Counter(_surface(m.group()) for m in _WORD.finditer(prose)) if "fa-spelling" not in disabled else Counter()
    found = _rejected(prose, rejected) if rejected and "fa-name-variant" not in disabled else []
    return {"forms": dict(forms), "rejected": found}


def findings_from_facts(files, disabled: frozenset[str] = frozenset()) -> list[Finding]:
    """The book-wide findings from ``(path, text, nonprose, facts)`` of every chapter: a chapter's text is
    read again only where it writes a word in a spelling the book uses less often."""
    forms: dict[str, Counter] = {}
    for *_, facts in files:
        for surface, n in facts["forms"].items():
            forms.setdefault(_key(surface), Counter())[surface] += n
    findings: list[Finding] = []
    for path, text, nonprose, facts in files:
        index = LineIndex(text) if facts["rejected"] else None
        for start, matched, entry in facts["rejected"]:
            line, col = index.position(start)
            findings.append(Finding(path, line, col, "fa-name-variant", f"«{matched}»: the register of names spells it as in «{entry}»", False))
        odd = {surface for surface in facts["forms"] if _less_usual(forms[_key(surface)], surface)}
        if odd and "fa-spelling" not in disabled:
            findings += _inconsistent(path, text, nonprose, odd, forms)
    return sorted(findings, key=lambda f: (f.path, f.line, f.col))


def _less_usual(counts: Counter, surface: str) -> bool:
    return len(counts) >= 2 and counts.most_common(1)[0][0] != surface


def _inconsistent(path, text, nonprose, odd: set, forms: dict) -> list[Finding]:
    """Findings at every word of ``text`` written in one of the ``odd`` spellings."""
    index, out = LineIndex(text), []
    for m in _WORD.finditer(prose_view(text, nonprose)):
        surface = _surface(m.group())
        if surface not in odd:
            continue
        usual, n = forms[_key(surface)].most_common(1)[0]
        line, col = index.position(m.start())
        out.append(Finding(path, line, col, "fa-spelling",
                           f"«{surface}» is written «{usual}» {n} time{'s' if n > 1 else ''} in the book: choose one spelling",
                           False))
    return out


def _rejected(prose: str, rejected: dict[str, str]) -> list[tuple[int, str, str]]:
    """(offset, text, the register's entry) of every rejected spelling in ``prose``."""
    out = []
    boundary = f"[{ARABIC_LETTER}\u200c\\w]"
    for variant, entry in rejected.items():
        if variant.split() and variant.split()[0] not in prose:  # most are nowhere in a chapter: no scan for them
            continue
        words = r"\s+".join(re.escape(w) for w in variant.split())
        for m in re.finditer(f"(?<!{boundary}){words}(?!{boundary})", prose):
            out.append((m.start(), m.group(), entry))
    return out
