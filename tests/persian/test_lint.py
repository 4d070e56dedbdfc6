"""The editorial linter: every rule flags what it should and only that; fixes are safe and idempotent."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketab.pandocrun import nonprose
from ketab.persian import lint as _lint
from ketab.persian.lint import (
    PROFILES,
    RULES,
    Finding,
    LintConfig,
    LintConfigError,
)


def parsed(text):
    """What pandoc parses as code or raw HTML in ``text``, as ketab gives it to the linter.  (pandoc is not
    asked about a text where neither can be: no backtick, tag, indent or backslash — the property tests
    would otherwise spend a minute starting pandoc.)"""
    return nonprose(text) if re.search(r"[`<\\\t~]| {4}", text) else ()


def lint_markdown(text, path, config):
    """The linter as ketab runs it: what pandoc parses as code or raw HTML is not read."""
    return _lint.lint_markdown(text, path, config, parsed(text))


def fix_markdown(text, config):
    return _lint.fix_markdown(text, config, parsed)

ZWNJ = "\u200c"
DIACRITICS = re.compile("[\u064b-\u065f\u0670]")


def found(text, code, profile="iranian"):
    return [f for f in lint_markdown(text, "ch.md", LintConfig(profile)) if f.code == code]


# (code, profile, text): the rule must report this text.
FLAGGED = [
    ("fa-yeh", "iranian", "در روستاي جنگلک"),
    ("fa-yeh", "dari", "حضرت موسى آمد"),
    ("fa-kaf", "dari", "در روستای جنگلك"),
    ("fa-digits", "iranian", "در سال 1953 به دنیا آمد"),
    ("fa-digits", "dari", "در سال ٢٠٢١ رفت"),
    ("fa-digits", "iranian", "# فصل 3\n"),
    ("fa-digits", "iranian", "او در سال\n1953. به کابل رفت"),
    ("fa-tatweel", "iranian", "کتـــاب خوب"),
    ("fa-zwnj-double", "iranian", f"کتاب{ZWNJ}{ZWNJ}ها"),
    ("fa-zwnj-stray", "iranian", f"کتاب{ZWNJ} ها"),
    ("fa-zwnj-stray", "dari", f"{ZWNJ}کتاب و کتاب{ZWNJ}، و"),
    ("fa-zwnj-nonjoining", "iranian", f"بار{ZWNJ}ها و نیرو{ZWNJ}ها"),
    ("fa-zwnj-nonjoining", "dari", f"کشور{ZWNJ}های همسایه"),
    ("fa-zwnj-mi", "iranian", "او به خانه می رود"),
    ("fa-zwnj-mi", "dari", "تدریس می شد"),
    ("fa-zwnj-mi", "iranian", "این کار نمیشود"),
    ("fa-zwnj-mi", "iranian", "جام می ناب"),  # reported, but not fixable: «ناب» is no verb
    ("fa-zwnj-ha", "iranian", "کتاب ها را"),
    ("fa-zwnj-ha", "dari", "سال های جنگ و آن ها"),
    ("fa-zwnj-tar", "iranian", "بزرگ ترین شهر"),
    ("fa-zwnj-tar", "dari", "شهری بزرگ تر از کابل"),
    ("fa-zwnj-he", "iranian", "نامه یی نوشت"),
    ("fa-zwnj-he", "iranian", f"نوشته{ZWNJ}یی است"),
    ("fa-zwnj-he", "iranian", "آنان نوشته اند"),
    ("fa-zwnj-he", "iranian", "نوشته ای است"),
    ("fa-he-gi", "iranian", f"زنده{ZWNJ}گی او"),
    ("fa-he-gi", "iranian", "خسته گی راه"),
    ("fa-latin-punct", "iranian", "کابل, هرات"),
    ("fa-latin-punct", "dari", "چرا?"),
    ("fa-latin-punct", "iranian", "الف; ب"),
    ("fa-space-punct", "iranian", "او آمد ، و رفت"),
    ("fa-space-punct", "dari", "او آمد ."),
    ("fa-space-punct", "iranian", "چرا ؟"),
    ("fa-space-punct", "iranian", "کابل،هرات"),
    ("fa-space-guillemet", "iranian", "او گفت « سلام » و رفت"),
    ("fa-space-guillemet", "dari", "او گفت«سلام»و رفت"),
    ("fa-latin-quote", "iranian", 'او گفت "سلام" و رفت'),
    ("fa-latin-quote", "dari", "او گفت “سلام” و رفت"),
    ("fa-repeat", "iranian", "گفت که که می‌رود"),
    ("fa-repeat", "dari", "کتاب را\nرا خواند"),
    ("fa-unbalanced", "iranian", "متن (بی پایان"),
    ("fa-unbalanced", "dari", "متن «بی پایان"),
    ("fa-unbalanced", "iranian", "متن] بی آغاز"),
    ("fa-date", "iranian", "در [31 حوت 1380]{.shamsi} رفت"),
    ("fa-date", "dari", "در [2021-02-29]{.miladi} رفت"),
    ("fa-date", "dari", "در [11 سنبلو 1332]{.shamsi} رفت"),
]

# (code, profile, text): the rule must not report this text.
CLEAN = [
    ("fa-yeh", "iranian", "در روستای مسئله"),
    ("fa-yeh", "iranian", "متن `روستاي` و\n\n```\nكي ي\n```\n"),
    ("fa-kaf", "iranian", "در روستای جنگلک"),
    ("fa-kaf", "dari", "::: {lang=ar}\nكتاب\n:::\n\nمتن"),
    ("fa-digits", "iranian", "در سال ۱۹۵۳ به دنیا آمد"),
    ("fa-digits", "iranian", "مقاله‌ای در The Wall Street Journal 2021 و COVID-19 خواند"),
    ("fa-digits", "iranian", "در 2 September 1953 زاده شد"),
    ("fa-digits", "dari", "متن[^12] و [11 سنبله 1332]{.shamsi} و [2021-08]{.miladi}\n\n[^12]: پانویس"),
    ("fa-digits", "iranian", "# فصل {#sec-2}\n\n1. مورد\n2) مورد\n"),
    ("fa-digits", "iranian", "ببینید https://ex.org/a/12?b=3 و <http://x.org/4> و [پیوند](#fig-5)"),
    ("fa-digits", "iranian", "فرمول $x^2 + 1$ و $$y_3$$ و `code 4` و ![تصویر](a1.png){width=50%}"),
    ("fa-digits", "iranian", 'متن <span data-n="7">نشان</span> و <!-- 8 -->'),
    ("fa-digits", "iranian", "Version 2.0 (2021)\n\nمتن"),
    ("fa-digits", "iranian", "---\ntitle: کتاب 1\ndate: 2021\n---\n\nمتن"),
    ("fa-tatweel", "iranian", "پایان یادداشت ـ م."),
    ("fa-tatweel", "iranian", "سال ۱۳۳۲ هـ.ش. بود"),
    ("fa-zwnj-double", "iranian", f"کتاب{ZWNJ}ها"),
    ("fa-zwnj-stray", "iranian", f"کتاب{ZWNJ}ها و **خانه**{ZWNJ}ها"),
    ("fa-zwnj-nonjoining", "iranian", f"بارها و نیروها و کتاب{ZWNJ}ها و خانه{ZWNJ}ها و می{ZWNJ}رود"),
    ("fa-zwnj-mi", "iranian", f"او می{ZWNJ}رود و نمی{ZWNJ}شود"),
    ("fa-zwnj-mi", "dari", "در ۱۵ می ۱۹۸۲ و ماه می گذشته و در می و جون"),
    ("fa-zwnj-mi", "iranian", "میدان و میوه و میز و میدانی بزرگ"),
    ("fa-zwnj-ha", "iranian", f"کتاب{ZWNJ}ها و تنها و اینها"),
    ("fa-zwnj-tar", "iranian", f"بزرگ{ZWNJ}تر و بیشتر و گل تر و تازه"),
    ("fa-zwnj-he", "iranian", f"نوشته{ZWNJ}ای و خانه{ZWNJ}ام و که ای کاش و شاه ام"),
    ("fa-zwnj-he", "dari", "نوشته یی و خانه یی و نوشته اند"),  # Dari usage
    ("fa-he-gi", "iranian", "زندگی و خستگی"),
    ("fa-he-gi", "dari", f"زنده{ZWNJ}گی و بنده{ZWNJ}گی"),  # Dari usage
    ("fa-latin-punct", "iranian", "کابل، هرات و ۱,۰۰۰ و نوشتهٔ Lévy, Bernard-Henri در کتاب"),
    ("fa-latin-punct", "iranian", "پیوند https://ex.org/?a=1,2; و [@smith, p. 3]"),
    ("fa-space-punct", "iranian", "او آمد، و رفت. چرا؟ متن ... و تصویر ![x](a.png) و گفت: بله"),
    ("fa-space-guillemet", "iranian", "او گفت «سلام» و «خداحافظ». «طالب»ها"),
    ("fa-latin-quote", "iranian", 'در کتاب He said "no" there و [پیوند](http://a.org "title")'),
    ("fa-latin-quote", "iranian", 'متن <span title="x">نشان</span>'),
    ("fa-repeat", "iranian", "کم کم و تک تک و آرام آرام رفت"),
    ("fa-repeat", "iranian", "که\n\nکه"),
    ("fa-unbalanced", "iranian", "متن (با) و [پیوند](http://a.org/(b)) و «نقل» و [^1]"),
    ("fa-unbalanced", "iranian", "1) مورد\n2) مورد"),
    ("fa-date", "iranian", "در [30 حوت 1399]{.shamsi} و `[31 حوت 1380]{.shamsi}`"),
]


@pytest.mark.parametrize("code, profile, text", FLAGGED)
def test_rule_flags(code, profile, text):
    assert found(text, code, profile), f"{code} should flag {text!r} ({profile})"


@pytest.mark.parametrize("code, profile, text", CLEAN)
def test_rule_does_not_flag(code, profile, text):
    assert found(text, code, profile) == []


def test_every_rule_has_cases_both_ways():
    codes = {r.code for r in RULES}
    assert codes == {c for c, _, _ in FLAGGED}
    assert codes == {c for c, _, _ in CLEAN}


def test_rule_codes_are_unique_and_profiles_known():
    assert len({r.code for r in RULES}) == len(RULES)
    for rule in RULES:
        assert rule.profiles <= set(PROFILES) and rule.profiles
        assert rule.description


def test_dari_profile_accepts_afghan_forms_the_iranian_profile_flags():
    text = f"او در زنده{ZWNJ}گی خود نامه یی نوشت و خانه یی ساخت.\n"
    assert lint_markdown(text, "ch.md", LintConfig("dari")) == []
    iranian = {f.code for f in lint_markdown(text, "ch.md", LintConfig("iranian"))}
    assert iranian == {"fa-he-gi", "fa-zwnj-he"}
    assert fix_markdown(text, LintConfig("dari")) == text


# (profile, before, after)
FIXES = [
    ("iranian", "روستاي جنگلك", "روستای جنگلک"),
    ("iranian", "سال 1953 و ٢٠٢١", "سال ۱۹۵۳ و ۲۰۲۱"),
    ("iranian", "کتـــاب", "کتاب"),
    ("iranian", f"کتاب{ZWNJ}{ZWNJ}ها", f"کتاب{ZWNJ}ها"),
    ("iranian", f"کتاب{ZWNJ} ها", f"کتاب{ZWNJ}ها"),
    ("dari", "تدريس مي شد", f"تدریس می{ZWNJ}شد"),
    ("iranian", "این نمیشود", f"این نمی{ZWNJ}شود"),
    ("iranian", "کتاب ها و آن های", f"کتاب{ZWNJ}ها و آن{ZWNJ}های"),
    ("iranian", "بزرگ ترین و بیش ترین", f"بزرگ{ZWNJ}ترین و بیشترین"),
    ("iranian", "نامه یی و نوشته اند", f"نامه{ZWNJ}ای و نوشته{ZWNJ}اند"),
    ("iranian", f"زنده{ZWNJ}گی", "زندگی"),
    ("iranian", "کابل, هرات و چرا ?", "کابل، هرات و چرا؟"),
    ("iranian", "آمد ، رفت و کابل،هرات .", "آمد، رفت و کابل، هرات."),
    ("iranian", "گفت« سلام »رفت", "گفت «سلام» رفت"),
]


@pytest.mark.parametrize("profile, before, after", FIXES)
def test_fix(profile, before, after):
    config = LintConfig(profile)
    assert fix_markdown(before, config) == after
    assert not [f for f in lint_markdown(after, "ch.md", config) if f.fixable]


@pytest.mark.parametrize(
    "text",
    ['گفت "سلام"', "که که", "(متن", "بزرگ تر از", "جام می ناب", "نوشته ای است", "[31 حوت 1380]{.shamsi}"],
)
def test_ambiguous_findings_are_not_fixed(text):
    findings = lint_markdown(text, "ch.md", LintConfig())
    assert findings and not any(f.fixable for f in findings)
    assert fix_markdown(text, LintConfig()) == text


PROTECTED = """\
---
title: "كتاب 1 , \\"x\\""
lint:
  profile: iranian
---

# سرفصل {#sec-1 .unnumbered}

متن `كد 1 , "x"` و $x_1 , y$ و <span class="x" data-n="1">متن</span> و [پیوند](http://a.org/ي1?x=2 "t 3").
نشانی https://b.org/1,2?q=ك و <http://c.org/3> و پانویس[^12] و [11 سنبله 1332]{.shamsi} و [2021-08-21]{.miladi}.
نام Bernard-Henri Lévy, "BHL" 2021 و The Wall Street Journal و [English, "quoted" 5]{lang=en} آمد.

```python
كي = "1 , 2"  # ي
```

    indented = "ك 1"

<!-- توضيح 4 , -->

::: {lang=ar .quote}
كتاب عربي 5 , "x"
:::

[^12]: یادداشت.
"""


def test_protected_regions_are_neither_flagged_nor_changed():
    config = LintConfig()
    assert lint_markdown(PROTECTED, "ch.md", config) == []
    assert fix_markdown(PROTECTED, config) == PROTECTED


def test_front_matter_is_never_changed():
    text = "---\ntitle: روستاي 1\nlint: {profile: dari}\n---\n\nروستاي 1\n"
    fixed = fix_markdown(text, LintConfig())
    assert fixed == "---\ntitle: روستاي 1\nlint: {profile: dari}\n---\n\nروستای ۱\n"
    assert {(f.line, f.code) for f in lint_markdown(text, "ch.md", LintConfig())} == {
        (6, "fa-yeh"), (6, "fa-digits")}


def test_positions_are_lines_and_columns_of_the_file():
    text = "---\ntitle: t\n---\n\nسطر اول\r\nاو در سال 1953 آمد\n"
    (finding,) = lint_markdown(text, "book/ch.md", LintConfig())
    assert (finding.line, finding.col, finding.code) == (6, 11, "fa-digits")
    assert text.splitlines()[finding.line - 1][finding.col - 1:].startswith("1953")
    assert str(finding) == "book/ch.md:6:11: fa-digits: Latin digits «1953» in Persian text: write «۱۹۵۳»"


def test_diacritics_are_kept_and_never_flagged():
    text = f"خانهٔ مَن و كتابِ او و حتماً{ZWNJ}{ZWNJ}ها و سال 1953 و خانهٔ ما ، رفت"
    fixed = fix_markdown(text, LintConfig())
    assert DIACRITICS.findall(fixed) == DIACRITICS.findall(text)
    assert fixed == f"خانهٔ مَن و کتابِ او و حتماً{ZWNJ}ها و سال ۱۹۵۳ و خانهٔ ما، رفت"
    assert lint_markdown("خانهٔ مَن و حتماً رفت و کتابِ او", "ch.md", LintConfig()) == []


def test_disabled_rules_and_profiles():
    text = "روستاي که که"
    assert {f.code for f in lint_markdown(text, "c", LintConfig(disabled=frozenset({"fa-yeh"})))} == {"fa-repeat"}
    assert fix_markdown(text, LintConfig(disabled=frozenset({"fa-yeh"}))) == text


def test_crlf_line_endings_survive_a_fix():
    text = "سال 1953\r\nکتاب ها\r\n"
    assert fix_markdown(text, LintConfig()) == f"سال ۱۹۵۳\r\nکتاب{ZWNJ}ها\r\n"


# ---------------------------------------------------------------------------------------------------------
# Properties on random mixed text

_TOKENS = [
    "کتاب", "روستاي", "جنگلك", "خانهٔ", "زنده", "نوشته", "می", "نمی", "شود", "رفت", "ها", "های", "تر", "ترین",
    "یی", "ای", "گی", "که", "و", "ـ", "کتـاب", "1953", "٢٠", "۱۲", "The", "Wall", "COVID-19", "Lévy",
    " ", " ", " ", "\n", "\n\n", ZWNJ, "،", ",", "?", "؟", ";", ".", ":", "«", "»", '"', "(", ")", "[", "]",
    "`", "$", "[^1]", "{.x}", "\u064e", "\u0650", "\u0654", "\u064b", "https://ex.org/a1?b=2", "# ", "1. ",
    "[11 سنبله 1332]{.shamsi}", "---\n", "*", "!", "<b>", "</b>",
]
_SOUP = st.lists(st.sampled_from(_TOKENS), max_size=40).map("".join)
_LATIN = st.sampled_from([
    "The Wall Street Journal", 'Lévy, "BHL" 2021', "COVID-19", "Bernard-Henri Lévy", "9 September 2001",
])
_URL = st.sampled_from(["https://ex.org/a_1,2?b=ي&c=3", "http://x.org/(a)/1"])


@settings(max_examples=200, deadline=None)
@given(_SOUP, st.sampled_from(PROFILES))
def test_fix_is_idempotent_and_leaves_nothing_fixable(text, profile):
    config = LintConfig(profile)
    once = fix_markdown(text, config)
    assert fix_markdown(once, config) == once
    assert not [f for f in lint_markdown(once, "x.md", config) if f.fixable]
    assert DIACRITICS.findall(once) == DIACRITICS.findall(text)


@settings(max_examples=200, deadline=None)
@given(_SOUP, st.one_of(_LATIN, _URL), _SOUP)
def test_fix_never_changes_latin_runs_or_urls(before, latin, after):
    text = f"{before} متن {latin} متن {after}"
    fixed = fix_markdown(text, LintConfig())
    assert latin in fixed


@settings(max_examples=100, deadline=None)
@given(_SOUP)
def test_positions_point_inside_the_text(text):
    for f in lint_markdown(text, "x.md", LintConfig()):
        assert 1 <= f.line <= len(text.split("\n"))
        assert f.col >= 1


# ---------------------------------------------------------------------------------------------------------
# Configuration


def test_config_from_mapping():
    c = LintConfig.from_mapping({"profile": "dari", "disable": ["fa-repeat"], "fa-latin-quote": False})
    assert c == LintConfig("dari", frozenset({"fa-repeat", "fa-latin-quote"}))
    assert LintConfig.from_mapping(None) == LintConfig()
    assert LintConfig.from_mapping({"disable": "fa-yeh"}).disabled == {"fa-yeh"}


def test_chapter_config_overrides_the_book():
    book = LintConfig.from_mapping({"profile": "dari", "disable": ["fa-repeat", "fa-yeh"]})
    chapter = LintConfig.from_mapping({"profile": "iranian", "fa-repeat": True}, base=book)
    assert chapter == LintConfig("iranian", frozenset({"fa-yeh"}))
    assert LintConfig.from_mapping({}, base=book) == book


def test_config_errors_are_reported_together():
    with pytest.raises(LintConfigError) as caught:
        LintConfig.from_mapping({"profile": "afghan", "disable": ["fa-nope"], "colour": 1, "fa-yeh": "no"})
    assert len(caught.value.problems) == 4
    with pytest.raises(ValueError):
        LintConfig.from_mapping(["fa-yeh"])


def test_finding_str():
    f = Finding("a.md", 3, 7, "fa-yeh", "Arabic yeh", True)
    assert str(f) == "a.md:3:7: fa-yeh: Arabic yeh"
