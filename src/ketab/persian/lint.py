"""The editorial linter: Persian orthography and punctuation in Markdown chapters (``ketab lint``).

Every rule has a stable code, a description, whether it can fix what it finds, and the orthographic
profiles it applies to.  Two profiles exist:

``iranian``
    the Academy of Persian Language and Literature's orthography (دستور خط فارسی).
``dari``
    Afghan (Dari) usage, which the Iranian rules must not "Iranize".  Two rules are Iranian only:
    ``fa-zwnj-he`` (Dari writes the indefinite and relative «یی» after a silent ه apart: «نوشته یی»,
    «خانه یی»; the Iranian profile wants «نوشته‌ای») and ``fa-he-gi`` (Dari keeps the silent ه before «گی»:
    «زنده‌گی», «بنده‌گی»; the Iranian profile wants «زندگی»).  Every other rule applies to both.

Only prose is checked (see :mod:`ketab.persian._markdown`): not the front matter, code, math, URLs, link
targets, attribute blocks, footnote labels, raw HTML, date-markup bodies, text marked with another
``lang``, paragraphs without a Persian letter, nor *Latin runs* (:mod:`ketab.persian._script`), inside
which Latin digits, quotes and commas are correct.  Diacritics (ezafe ِ, hamza ٔ, tanwin) are never flagged
and never removed.

A fix is offered only where it is unambiguous; positions are 1-based lines and columns (in characters) of
the file as given, front matter included.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import yaml

from . import _verbs
from ._markdown import (
    DATE_MARKUP,
    PLACEHOLDER,
    LineIndex,
    _Cover,
    code_spans,
    front_matter,
    front_matter_end,
    masked,
    merge,
    protected_spans,
)
from ._script import ARABIC_LETTER, ARABIC_MARK, has_arabic_letter, ltr_runs
from .dates import DARI, IRANIAN, DateError, render_date
from .digits import to_persian_digits

__all__ = [
    "PROFILES",
    "RULES",
    "Finding",
    "LintConfig",
    "LintConfigError",
    "Rule",
    "fix_markdown",
    "lint_markdown",
    "lint_paths",
    "prose_view",
]

PROFILES = ("iranian", "dari")
_BOTH = frozenset(PROFILES)
_IRANIAN = frozenset({"iranian"})

_L = f"[{ARABIC_LETTER}]"
_LM = f"[{ARABIC_LETTER}{ARABIC_MARK}]"
_NOT_LM = f"[^{ARABIC_LETTER}{ARABIC_MARK}]"
_WORDCH = f"[{ARABIC_LETTER}{ARABIC_MARK}\u200c]"
_FA_DIGIT = "۰-۹"
_SP = "[ \t\u00a0]"
ZWNJ = "\u200c"


# ---------------------------------------------------------------------------------------------------------
# Public data


@dataclass(frozen=True)
class Finding:
    """One problem in one file."""

    path: str
    line: int  #: 1-based
    col: int  #: 1-based, in characters
    code: str  #: the rule code (``fa-yeh``), or ``encoding``/``config``/``io`` for a file that cannot be read
    message: str
    fixable: bool  #: ``ketab lint --fix`` would correct it

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.code}: {self.message}"


@dataclass(frozen=True)
class _Issue:
    start: int
    end: int
    message: str
    replacement: str | None = None  # None: not fixable
    at: int | None = None  # where to report it, if not at start

    @property
    def position(self) -> int:
        return self.start if self.at is None else self.at


@dataclass(frozen=True)
class Rule:
    """One lint rule."""

    code: str
    description: str
    #: True if the rule fixes (all, or for ``fa-zwnj-mi``/``fa-zwnj-tar``/``fa-zwnj-he`` the unambiguous
    #: part of) what it finds; each :class:`Finding` says whether it is fixable.
    fixable: bool
    profiles: frozenset[str]
    check: Callable[["_View"], Iterable[_Issue]] = field(repr=False, compare=False)


class LintConfigError(ValueError):
    """An invalid ``lint:`` mapping; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class LintConfig:
    """Which rules run: the ``lint:`` key of ``book.yaml`` and of a chapter's front matter."""

    #: ``'iranian'`` or ``'dari'``.
    profile: str = "iranian"
    #: Rule codes turned off.
    disabled: frozenset[str] = frozenset()

    @classmethod
    def from_mapping(cls, mapping: Mapping | None, base: "LintConfig | None" = None) -> "LintConfig":
        """Read ``{profile: dari, disable: [fa-repeat], fa-latin-quote: false}`` on top of *base*.

        ``<code>: false`` turns a rule off, ``<code>: true`` turns back on a rule that *base* turned off.
        Raises :class:`LintConfigError` listing every problem (unknown profile, key or rule code).
        """
        base = base or cls()
        if mapping is None:
            return base
        if not isinstance(mapping, Mapping):
            raise LintConfigError([f"lint: expected a mapping, found {type(mapping).__name__}"])
        problems: list[str] = []
        profile = mapping.get("profile", base.profile)
        if profile not in PROFILES:
            problems.append(f"lint.profile: unknown profile {profile!r} (expected one of {', '.join(PROFILES)})")
            profile = base.profile
        disabled = set(base.disabled)
        codes = mapping.get("disable", [])
        if isinstance(codes, str):
            codes = [codes]
        if not isinstance(codes, list):
            problems.append("lint.disable: expected a list of rule codes")
            codes = []
        for code in codes:
            if code in RULES_BY_CODE:
                disabled.add(code)
            else:
                problems.append(f"lint.disable: unknown rule {code!r}")
        for key, value in mapping.items():
            if key in ("profile", "disable"):
                continue
            if key not in RULES_BY_CODE:
                problems.append(f"lint: unknown key or rule {key!r}")
            elif value is False:
                disabled.add(key)
            elif value is True:
                disabled.discard(key)
            else:
                problems.append(f"lint.{key}: expected true or false")
        if problems:
            raise LintConfigError(problems)
        return cls(profile, frozenset(disabled))

    def rules(self) -> list[Rule]:
        return [r for r in RULES if self.profile in r.profiles and r.code not in self.disabled]


# ---------------------------------------------------------------------------------------------------------
# The prose view


@dataclass(frozen=True)
class _View:
    text: str  # the file
    prose: str  # the file with every non-prose character replaced by U+FFFC
    profile: str


def prose_view(text: str) -> str:
    """*text* with everything the linter does not check replaced by U+FFFC (line breaks kept)."""
    spans = protected_spans(text)
    view = masked(text, spans)
    # Latin runs, found after URLs and code are set aside.
    runs = ltr_runs(view)
    if runs:
        view = masked(view, runs)
    # Paragraphs without a Persian letter are not Persian text.
    extra = []
    for m in re.finditer(r"(?:[^\n]*\S[^\n]*(?:\n|$))+", view):
        if not has_arabic_letter(m.group()):
            extra.append(m.span())
    if extra:
        view = masked(view, merge(extra))
    return view


def _issues_for(view: _View, rule: Rule) -> list[_Issue]:
    out = []
    for issue in rule.check(view):
        if issue.replacement is not None and PLACEHOLDER in view.prose[issue.start:issue.end]:
            issue = _Issue(issue.start, issue.end, issue.message, None, issue.at)
        out.append(issue)
    return out


# ---------------------------------------------------------------------------------------------------------
# Rules


def _word_before(text: str, end: int) -> str:
    """The Persian letters (and marks) that end at *end*."""
    m = re.search(f"{_LM}+$", text[max(0, end - 60):end])
    return m[0] if m else ""


def _simple(pattern: str, message: str, replace: Callable[[re.Match], str] | None, flags: int = 0):
    compiled = re.compile(pattern, flags)

    def check(v: _View) -> Iterator[_Issue]:
        for m in compiled.finditer(v.prose):
            yield _Issue(m.start(), m.end(), message.format(m=m), replace(m) if replace else None)

    return check


_check_yeh = _simple("[يى]+", "Arabic yeh «{m[0]}»: write Persian «ی» (U+06CC)", lambda m: "ی" * len(m[0]))
_check_kaf = _simple("ك+", "Arabic kaf «ك»: write Persian «ک» (U+06A9)", lambda m: "ک" * len(m[0]))
def _check_digits(v: _View) -> Iterator[_Issue]:
    for m in re.finditer("[0-9٠-٩]+", v.prose):
        p = to_persian_digits(m[0])
        kind = "Arabic-Indic" if re.match("[٠-٩]", m[0]) else "Latin"
        yield _Issue(m.start(), m.end(), f"{kind} digits «{m[0]}» in Persian text: write «{p}»", p)


def _check_tatweel(v: _View) -> Iterator[_Issue]:
    # A tatweel after a letter stretches a word (kashida).  A tatweel standing alone is a dash («ـ م.»), and
    # one after a lone letter shows its joining form in an abbreviation («هـ.ش.»): both are kept.
    for m in re.finditer(f"(?<={_LM})\u0640+", v.prose):
        before = re.search(f"({_LM}+)$", v.prose[max(0, m.start() - 40):m.start()])
        letters = re.sub(f"[{ARABIC_MARK}]", "", before.group(1)) if before else ""
        if len(letters) == 1:
            continue
        yield _Issue(m.start(), m.end(), "tatweel (kashida) stretches a word: justify with spaces only", "")


_check_zwnj_double = _simple("\u200c{2,}", "two ZWNJs in a row: one is enough", lambda m: ZWNJ)

_STRAY_NEIGHBOUR = "\\s«»()\\[\\]\"“”،؛؟.,:;!?"


def _check_zwnj_stray(v: _View) -> Iterator[_Issue]:
    pattern = f"(?:(?<=[{_STRAY_NEIGHBOUR}])|(?<![^\\n]))\u200c+|\u200c+(?=[{_STRAY_NEIGHBOUR}]|$)"
    for m in re.finditer(pattern, v.prose, re.M):
        yield _Issue(m.start(), m.end(), "ZWNJ next to a space, a punctuation mark or a line end: remove it", "")


def _check_space_punct(v: _View) -> Iterator[_Issue]:
    # No space before a mark.
    for m in re.finditer(f"(?<=[^\\s{PLACEHOLDER}]){_SP}+(?=[،؛؟])", v.prose):
        yield _Issue(m.start(), m.end(), f"space before «{v.prose[m.end()]}»", "")
    for m in re.finditer(f"(?<=[{ARABIC_LETTER}{ARABIC_MARK}{_FA_DIGIT}»]){_SP}+(?=(?:\\.(?![.\\d])|!(?!\\[)|:(?!:)))",
                         v.prose):
        yield _Issue(m.start(), m.end(), f"space before «{v.prose[m.end()]}»", "")
    # One space after ، ؛ ؟ before the next word.
    for m in re.finditer(f"[،؛؟](?={_L})", v.prose):
        yield _Issue(m.end(), m.end(), f"no space after «{m[0]}»", " ")


def _check_space_guillemet(v: _View) -> Iterator[_Issue]:
    for m in re.finditer(f"«{_SP}+", v.prose):
        yield _Issue(m.start() + 1, m.end(), "space after «: none inside « »", "")
    for m in re.finditer(f"(?<=\\S){_SP}+»", v.prose):
        yield _Issue(m.start(), m.end() - 1, "space before »: none inside « »", "")
    for m in re.finditer(f"(?<=[{ARABIC_LETTER}{ARABIC_MARK}{_FA_DIGIT}])«", v.prose):
        yield _Issue(m.start(), m.start(), "no space before «", " ")
    for m in re.finditer(f"»(?={_L})", v.prose):
        yield _Issue(m.end(), m.end(), "no space after »", " ")


_LATIN_TO_PERSIAN_PUNCT = {",": "،", ";": "؛", "?": "؟"}


def _check_latin_punct(v: _View) -> Iterator[_Issue]:
    pattern = f"(?<=[{ARABIC_LETTER}{ARABIC_MARK}{_FA_DIGIT}»)\\]]){_SP}*([,;?])(?![0-9۰-۹])"
    for m in re.finditer(pattern, v.prose):
        mark = m[1]
        persian = _LATIN_TO_PERSIAN_PUNCT[mark]
        yield _Issue(m.start(1), m.end(1), f"Latin «{mark}» in Persian text: write «{persian}»", persian)


def _check_latin_quote(v: _View) -> Iterator[_Issue]:
    for m in re.finditer("[\"“”„]", v.prose):
        yield _Issue(m.start(), m.end(), f"Latin quotation mark {m[0]} in Persian text: use « »")


_VERB_SPACED = re.compile(f"(?<!{_WORDCH})(ن?می){_SP}+({_L}{_LM}*)(?!{_LM})")
_VERB_JOINED = re.compile(f"(?<!{_WORDCH})(ن?می)({_L}{_LM}*)(?!{_WORDCH})")
_MONTH_CONTEXT = re.compile(f"(?:[0-9۰-۹٠-٩]|ماه){_SP}*$")


def _check_zwnj_mi(v: _View) -> Iterator[_Issue]:
    for m in _VERB_SPACED.finditer(v.prose):
        if _MONTH_CONTEXT.search(v.prose, max(0, m.start() - 8), m.start()):
            continue  # «۱۵ می ۱۹۸۲», «ماه می»: the Dari month May
        prefix, word = m[1], m[2]
        if _verbs.is_verb_form(word):
            yield _Issue(m.start(), m.end(), f"«{prefix} {word}»: write «{prefix}{ZWNJ}{word}»",
                         f"{prefix}{ZWNJ}{word}")
        else:
            yield _Issue(m.start(), m.end(1) + 1,
                         f"«{prefix} {word}»: if «{word}» is a verb, write «{prefix}{ZWNJ}{word}»")
    for m in _VERB_JOINED.finditer(v.prose):
        prefix, word = m[1], m[2]
        if m[0] in _verbs.AMBIGUOUS_JOINED or not _verbs.is_verb_form(word):
            continue
        yield _Issue(m.end(1), m.end(1), f"«{m[0]}»: write «{prefix}{ZWNJ}{word}»", ZWNJ, at=m.start())


_PLURAL = re.compile(f"({_LM}+){_SP}+(ها(?:یی|یم|یت|یش|یمان|یتان|یشان|ی)?)(?!{_WORDCH})")


def _check_zwnj_ha(v: _View) -> Iterator[_Issue]:
    for m in _PLURAL.finditer(v.prose):
        word = _word_before(v.prose, m.end(1))
        yield _Issue(m.end(1), m.start(2), f"«{word} {m[2]}»: write «{word}{ZWNJ}{m[2]}»", ZWNJ,
                     at=m.end(1) - len(word))


_COMPARATIVE = re.compile(f"(?<!{_WORDCH})({_L}{_LM}*){_SP}+(ترین|تر)(?!{_WORDCH})")
_WET = re.compile(f"{_SP}+و{_SP}+(?:تازه|خشک|تمیز)(?!{_WORDCH})")
_JOINED_COMPARATIVES = {"بیش", "کم", "به", "مه"}  # بیشتر، کمتر، بهتر، مهتر are written joined


def _check_zwnj_tar(v: _View) -> Iterator[_Issue]:
    for m in _COMPARATIVE.finditer(v.prose):
        stem, suffix = m[1], m[2]
        if stem == "و" or (suffix == "تر" and _WET.match(v.prose, m.end())):
            continue  # «تر و تازه», «خشک و تر»: wet
        joined = stem + suffix if stem in _JOINED_COMPARATIVES else f"{stem}{ZWNJ}{suffix}"
        if suffix == "ترین":
            yield _Issue(m.start(), m.end(), f"«{suffix}» apart from its word: write «{joined}»", joined)
        else:
            yield _Issue(m.end(1), m.start(2),
                         f"«{stem} {suffix}»: a comparative is written «{joined}» (ignore if «تر» means wet)",
                         at=m.start())


# Words whose final ه is pronounced (راه، کوه، شاه) take suffixes without ZWNJ; short function words are
# left alone («که ای کاش»).
_HE_WORD = re.compile(f"(?<!{_WORDCH})({_LM}*[^{ARABIC_MARK}اوه\\s{PLACEHOLDER}]ه)")
_SHORT_HE = {"که", "چه", "نه", "به", "ده", "مه", "ره", "سه"}
_HE_SUFFIX_APART = re.compile(f"{_SP}+(ای|ام|ات|اش|ایم|اید|اند|یی)(?!{_WORDCH})")
_HE_YI_JOINED = re.compile(f"\u200c?(یی)(?!{_WORDCH})")


def _check_zwnj_he(v: _View) -> Iterator[_Issue]:
    for m in _HE_WORD.finditer(v.prose):
        word = m[1]
        if word in _SHORT_HE or not re.fullmatch(f"{_L}{{2,}}", re.sub(f"[{ARABIC_MARK}]", "", word)):
            continue
        rest = _HE_SUFFIX_APART.match(v.prose, m.end())
        if rest:
            suffix = rest[1]
            if suffix == "یی":
                yield _Issue(m.end(), rest.end(), f"«{word} یی»: the Iranian profile writes «{word}{ZWNJ}ای»",
                             f"{ZWNJ}ای", at=m.start())
            elif suffix == "ای":
                yield _Issue(m.end(), rest.start(1),
                             f"«{word} ای»: write «{word}{ZWNJ}ای» (unless «ای» is a vocative)", at=m.start())
            else:
                yield _Issue(m.end(), rest.start(1), f"«{word} {suffix}»: write «{word}{ZWNJ}{suffix}»", ZWNJ,
                             at=m.start())
            continue
        joined = _HE_YI_JOINED.match(v.prose, m.end())
        if joined:
            yield _Issue(m.end(), joined.end(), f"«{word}{joined[0]}»: the Iranian profile writes «{word}{ZWNJ}ای»",
                         f"{ZWNJ}ای", at=m.start())


_HE_GI = re.compile(f"(?<={_LM}{_LM})(?<![او])ه[\u200c ]گی(?=ها|ی|\u200c|{_NOT_LM}|$)", re.M)


def _check_he_gi(v: _View) -> Iterator[_Issue]:
    for m in _HE_GI.finditer(v.prose):
        stem = _word_before(v.prose, m.start())
        yield _Issue(m.start(), m.end(), f"«{stem}{m[0]}»: the Iranian profile writes «{stem}گی»", "گی",
                     at=m.start() - len(stem))


# Words Persian repeats on purpose («کم کم», «تک تک»): not reported by fa-repeat.
REDUPLICATED = frozenset(
    "کم آرام آهسته یواش گاه تک دسته رفته جا جابه پشت ریز خرد لب دم پاره تکه گروه فوج قطره ذره موج لحظه "
    "کنار دانه جوق بار سال روز قدم نرم تند زود دور خوش شاد چیک هی ها نه بله آری جور رنگ گوناگون فرسنگ "
    "خانه کوچه شهر ده تو پیچ چین موج خط تا دو سه چند یک".split()
)
_REPEAT = re.compile(f"(?<!{_WORDCH})({_L}{_LM}*(?:\u200c{_LM}+)*)((?:{_SP}|\n(?![ \t]*\n))+)\\1(?!{_WORDCH})")


def _check_repeat(v: _View) -> Iterator[_Issue]:
    pos = 0
    while True:
        m = _REPEAT.search(v.prose, pos)
        if not m:
            return
        word = m[1]
        if re.sub(f"[{ARABIC_MARK}]", "", word) not in REDUPLICATED:
            second = m.start(1) + len(word) + len(m[2])
            yield _Issue(second, m.end(), f"«{word}» repeated")
        pos = m.start(1) + len(word)


_OPENERS = {"(": ")", "[": "]", "«": "»"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}


def _check_unbalanced(v: _View) -> Iterator[_Issue]:
    for para in re.finditer(r"(?:[^\n]*\S[^\n]*(?:\n|$))+", v.prose):
        stack: list[tuple[str, int]] = []
        for m in re.finditer(r"[()\[\]«»]", para.group()):
            c, at = m[0], para.start() + m.start()
            if c in _OPENERS:
                stack.append((c, at))
            elif stack and stack[-1][0] == _CLOSERS[c]:
                stack.pop()
            else:
                yield _Issue(at, at + 1, f"«{c}» closes nothing in this paragraph")
        for c, at in stack:
            yield _Issue(at, at + 1, f"«{c}» is not closed in this paragraph (expected «{_OPENERS[c]}»)")


def _check_dates(v: _View) -> Iterator[_Issue]:
    style = DARI if v.profile == "dari" else IRANIAN
    fm = front_matter_end(v.text)
    code = _Cover(code_spans(v.text, fm))
    for m in DATE_MARKUP.finditer(v.text, fm):
        if code.covers(m.start()):
            continue
        try:
            render_date(m[1], m[2], style)
        except DateError as e:
            at = m.start(1) + min(e.col, len(m[1]))
            yield _Issue(at, max(at, m.end(1)), f"date [{m[1]}]{{.{m[2]}}}: {e.message}")


RULES: tuple[Rule, ...] = (
    Rule("fa-yeh", "Arabic yeh ي/ى instead of Persian ی", True, _BOTH, _check_yeh),
    Rule("fa-kaf", "Arabic kaf ك instead of Persian ک", True, _BOTH, _check_kaf),
    Rule("fa-digits", "Latin or Arabic-Indic digits in Persian text", True, _BOTH, _check_digits),
    Rule("fa-tatweel", "tatweel (kashida) stretching a word", True, _BOTH, _check_tatweel),
    Rule("fa-zwnj-double", "two or more ZWNJs in a row", True, _BOTH, _check_zwnj_double),
    Rule("fa-zwnj-stray", "ZWNJ next to a space, punctuation or a line end", True, _BOTH, _check_zwnj_stray),
    Rule("fa-zwnj-mi", "می/نمی not joined to its verb with a ZWNJ (fixed for known verbs)", True, _BOTH,
         _check_zwnj_mi),
    Rule("fa-zwnj-ha", "plural ها/های written apart", True, _BOTH, _check_zwnj_ha),
    Rule("fa-zwnj-tar", "تر/ترین written apart (ترین fixed; تر may mean wet)", True, _BOTH, _check_zwnj_tar),
    Rule("fa-zwnj-he", "suffix after a silent ه written apart or as «یی» (Iranian)", True, _IRANIAN,
         _check_zwnj_he),
    Rule("fa-he-gi", "silent ه kept before گی, «زنده‌گی» (Iranian: «زندگی»)", True, _IRANIAN, _check_he_gi),
    Rule("fa-latin-punct", "Latin , ; ? in Persian text", True, _BOTH, _check_latin_punct),
    Rule("fa-space-punct", "space before ، ؛ ؟ . : ! or none after ، ؛ ؟", True, _BOTH, _check_space_punct),
    Rule("fa-space-guillemet", "space inside « » or none outside", True, _BOTH, _check_space_guillemet),
    Rule("fa-latin-quote", "Latin quotation marks in Persian text", False, _BOTH, _check_latin_quote),
    Rule("fa-repeat", "the same word twice in a row", False, _BOTH, _check_repeat),
    Rule("fa-unbalanced", "unbalanced « » ( ) [ ] in a paragraph", False, _BOTH, _check_unbalanced),
    Rule("fa-date", "a date markup that cannot be read or names a day that does not exist", False, _BOTH,
         _check_dates),
)
RULES_BY_CODE: dict[str, Rule] = {r.code: r for r in RULES}


# ---------------------------------------------------------------------------------------------------------
# Linting and fixing


def _all_issues(text: str, config: LintConfig) -> list[tuple[Rule, _Issue]]:
    view = _View(text, prose_view(text), config.profile)
    return [(rule, issue) for rule in config.rules() for issue in _issues_for(view, rule)]


def lint_markdown(text: str, path: str, config: LintConfig) -> list[Finding]:
    """Every finding of the rules *config* enables in the Markdown chapter *text* (front matter included)."""
    index = LineIndex(text)
    findings = []
    for rule, issue in _all_issues(text, config):
        line, col = index.position(issue.position)
        findings.append(Finding(path, line, col, rule.code, issue.message, issue.replacement is not None))
    return sorted(set(findings), key=lambda f: (f.line, f.col, f.code, f.message))


def fix_markdown(text: str, config: LintConfig) -> str:
    """*text* with every fixable finding corrected; ``fix_markdown(fix_markdown(x)) == fix_markdown(x)``."""
    for _ in range(20):
        edits = sorted(
            (issue.start, issue.end, issue.replacement)
            for _, issue in _all_issues(text, config)
            if issue.replacement is not None and text[issue.start:issue.end] != issue.replacement
        )
        chosen: list[tuple[int, int, str]] = []
        for start, end, replacement in edits:
            if chosen:
                last_start, last_end, _ = chosen[-1]
                if start < last_end or (start == last_end and (start == end or last_start == last_end)):
                    continue  # overlaps an edit already chosen: next round
            chosen.append((start, end, replacement))
        if not chosen:
            return text
        parts = []
        pos = 0
        for start, end, replacement in chosen:
            parts.append(text[pos:start])
            parts.append(replacement)
            pos = end
        parts.append(text[pos:])
        text = "".join(parts)
    return text


# ---------------------------------------------------------------------------------------------------------
# Files


def _yaml_key_line(source: str, key: str) -> int:
    """0-based line of *key* at the top level of the YAML mapping *source* (0 if not found)."""
    try:
        node = yaml.compose(source)
    except yaml.YAMLError:
        return 0
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if getattr(k, "value", None) == key:
                return k.start_mark.line
    return 0


def _read_config(source: str, path: str, first_line: int, base: LintConfig,
                 findings: list[Finding]) -> LintConfig:
    """The ``lint:`` key of a YAML document (book.yaml or front matter) applied to *base*."""
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = first_line + (mark.line if mark else 0)
        col = (mark.column + 1) if mark else 1
        findings.append(Finding(path, line, col, "config", f"invalid YAML: {getattr(e, 'problem', e)}", False))
        return base
    if not isinstance(data, Mapping) or "lint" not in data:
        return base
    try:
        return LintConfig.from_mapping(data["lint"], base)
    except LintConfigError as e:
        line = first_line + _yaml_key_line(source, "lint")
        findings.extend(Finding(path, line, 1, "config", p, False) for p in e.problems)
        return base


def _book_yaml_for(directory: Path) -> Path | None:
    for d in [directory, *directory.parents]:
        candidate = d / "book.yaml"
        if candidate.is_file():
            return candidate
        if (d / ".git").exists():
            return None
    return None


def _decode(data: bytes, path: str) -> tuple[str | None, Finding | None]:
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as e:
        good = data[:e.start].decode("utf-8")
        line, col = LineIndex(good).position(len(good))
        return None, Finding(path, line, col, "encoding",
                             f"not UTF-8: byte 0x{data[e.start]:02x} at offset {e.start}", False)


def lint_paths(
    paths: Iterable[str | Path],
    *,
    fix: bool = False,
    profile: str | None = None,
    book_config: LintConfig | None = None,
    out: TextIO | None = None,
) -> int:
    """``ketab lint [PATH…] [--fix] [--profile dari|iranian]``.

    A folder means every ``*.md`` under it (sorted, hidden folders skipped).  The book's ``lint:`` settings
    come from *book_config* or else from the nearest ``book.yaml`` at or above the folder (or the file's
    folder); a chapter's front matter ``lint:`` key overrides them, and *profile* overrides both.  Prints
    ``path:line:col: code: message`` lines to *out*; with *fix*, fixable findings are corrected in place first
    and only what remains is printed.  Returns 1 if anything was printed, else 0.
    """
    out = out if out is not None else sys.stdout
    if profile is not None and profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r} (expected one of {', '.join(PROFILES)})")
    findings: list[Finding] = []
    books: dict[Path, LintConfig] = {}

    def book_for(directory: Path) -> LintConfig:
        if book_config is not None:
            return book_config
        book = _book_yaml_for(directory.resolve())
        if book is None:
            return LintConfig()
        if book not in books:
            data, problem = _decode(book.read_bytes(), str(book))
            if problem:
                findings.append(problem)
                books[book] = LintConfig()
            else:
                books[book] = _read_config(data, str(book), 1, LintConfig(), findings)
        return books[book]

    for target in paths:
        target = Path(target)
        if target.is_dir():
            files = _book_chapters(target) or sorted(
                f for f in target.rglob("*.md")
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(target).parts)
            )
            base = book_for(target)
        elif target.is_file():
            files = [target]
            base = book_for(target.parent)
        else:
            findings.append(Finding(str(target), 1, 1, "io", "no such file or folder", False))
            continue
        for file in files:
            findings.extend(_lint_file(file, base, profile, fix))

    for finding in findings:
        print(finding, file=out)
    return 1 if findings else 0


def _book_chapters(folder: Path) -> list[Path]:
    """The chapter files a manuscript folder's book.yaml lists (none if it has no book.yaml)."""
    book = folder / "book.yaml"
    if not book.is_file():
        return []
    try:
        import yaml

        data = yaml.safe_load(book.read_text(encoding="utf-8"))
    except (OSError, ValueError, yaml.YAMLError):
        return []
    entries = data.get("chapters") if isinstance(data, dict) else None
    return [folder / e for e in entries or [] if isinstance(e, str) and (folder / e).is_file()]


def _lint_file(file: Path, base: LintConfig, profile: str | None, fix: bool) -> list[Finding]:
    name = str(file)
    try:
        data = file.read_bytes()
    except OSError as e:
        return [Finding(name, 1, 1, "io", e.strerror or str(e), False)]
    text, problem = _decode(data, name)
    if problem:
        return [problem]
    findings: list[Finding] = []
    config = base
    fm = front_matter(text)
    if fm is not None:
        config = _read_config(fm, name, 2, base, findings)
    if profile is not None:
        config = LintConfig(profile, config.disabled)
    if fix:
        fixed = fix_markdown(text, config)
        if fixed != text:
            file.write_bytes(fixed.encode("utf-8"))
            text = fixed
    return findings + lint_markdown(text, name, config)
