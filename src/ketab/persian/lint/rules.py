"""The lint rules: what each one looks for in the prose of a Markdown chapter, and how it fixes it.

Each rule is a function of a :class:`_View` (the file, and the same text with everything that is not Persian
prose replaced by U+FFFC, see :func:`prose_view`) that yields issues (:class:`_Issue`): a span, a message and,
when the fix is unambiguous, its replacement.  Rules run on the prose view, so their patterns never see
code, URLs, Latin runs and the rest; an issue whose span would touch such text is never fixed.

| code               | fixable | profiles       |
|--------------------|---------|----------------|
| fa-yeh             | yes     | iranian, dari  |
| fa-kaf             | yes     | iranian, dari  |
| fa-digits          | yes     | iranian, dari  |
| fa-tatweel         | yes     | iranian, dari  |
| fa-zwnj-double     | yes     | iranian, dari  |
| fa-zwnj-stray      | yes     | iranian, dari  |
| fa-zwnj-nonjoining | yes     | iranian, dari  |
| fa-zwnj-mi         | partly  | iranian, dari  |
| fa-zwnj-ha         | yes     | iranian, dari  |
| fa-zwnj-tar        | partly  | iranian, dari  |
| fa-zwnj-he         | partly  | iranian        |
| fa-he-gi           | yes     | iranian        |
| fa-latin-punct     | yes     | iranian, dari  |
| fa-space-punct     | yes     | iranian, dari  |
| fa-space-guillemet | yes     | iranian, dari  |
| fa-latin-quote     | no      | iranian, dari  |
| fa-repeat          | no      | iranian, dari  |
| fa-unbalanced      | no      | iranian, dari  |
| fa-date            | no      | iranian, dari  |
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from ketab.persian.dates import DARI, IRANIAN, DateError, render_date
from ketab.persian.digits import to_persian_digits
from ketab.persian.lint import verbs as _verbs
from ketab.persian.markdown import (
    DATE_MARKUP,
    PLACEHOLDER,
    _Cover,
    front_matter_end,
    masked,
    merge,
    protected_spans,
)
from ketab.persian.script import ARABIC_LETTER, ARABIC_MARK, has_arabic_letter, ltr_runs

__all__ = ["PROFILES", "RULES", "RULES_BY_CODE", "Rule", "prose_view"]

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


# ---------------------------------------------------------------------------------------------------------
# The prose view


@dataclass(frozen=True)
class _View:
    text: str  # the file
    prose: str  # the file with every non-prose character replaced by U+FFFC
    profile: str
    nonprose: tuple = ()  # what pandoc parsed as code or raw HTML (spans of the file)


def prose_view(text: str, nonprose=()) -> str:
    """*text* with everything the linter does not check replaced by U+FFFC (line breaks kept); ``nonprose``:
    the spans pandoc parsed as code or raw HTML (:func:`ketab.sourcemap.nonprose_spans`)."""
    spans = protected_spans(text, nonprose)
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


#: Letters that never join the letter after them: a ZWNJ after one separates nothing («بار‌ها», «نیرو‌ها»).
_NON_JOINING = "اآأإٱدذرزژوؤء"

def _check_zwnj_nonjoining(v: _View) -> Iterator[_Issue]:
    for m in re.finditer(f"(?<=[{_NON_JOINING}])\u200c+(?={_L})", v.prose):
        letter = v.prose[m.start() - 1]
        yield _Issue(m.start(), m.end(), f"ZWNJ after «{letter}», which never joins the next letter: remove it", "")


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
    for m in re.finditer(f"»(?={_L})(?!(?:ها|های|ی|ای|ام|ات|اش|یی)(?!{_LM}))", v.prose):
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
_NEVER_VERBS = {"و", "تا", "یا", "از", "به", "در", "با", "را", "که"}
_MONTH_CONTEXT = re.compile(f"(?:[0-9۰-۹٠-٩]|ماه){_SP}*$")


def _check_zwnj_mi(v: _View) -> Iterator[_Issue]:
    for m in _VERB_SPACED.finditer(v.prose):
        if _MONTH_CONTEXT.search(v.prose, max(0, m.start() - 8), m.start()):
            continue  # «۱۵ می ۱۹۸۲», «ماه می»: the Dari month May
        prefix, word = m[1], m[2]
        if word in _NEVER_VERBS:
            continue  # «در می و جون»: the Dari month May
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
    code = _Cover(list(v.nonprose))
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
    Rule("fa-zwnj-nonjoining", "ZWNJ after a letter that never joins the next (ا د ذ ر ز ژ و)", True, _BOTH,
         _check_zwnj_nonjoining),
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

#: The rules that need the whole book (:mod:`ketab.persian.lint.book`): code → description.  They are turned
#: off and on like any rule.
BOOK_RULES = {
    "fa-spelling": "a word written two ways in the book (ZWNJ, آ/ا, Arabic letters, known pairs)",
    "fa-name-variant": "a spelling of a name that the register of names rejects",
}
