"""Bidi isolation and digits in generated HTML: what WeasyPrint and EPUB readers will lay out."""

import html as _html
import re

import lxml.html
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ketab.persian.bidi import isolate_text, localize_html
from ketab.persian.digits import to_latin_digits

LATIN = '<span class="latin" dir="ltr" lang="und-Latn">'


def L(s):
    return f"{LATIN}{s}</span>"


@pytest.mark.parametrize(
    "given_html, expected",
    [
        (
            "<p>او در سال 1953 با The Wall Street Journal و Bernard-Henri Lévy گفت‌وگو کرد.</p>",
            f"<p>او در سال ۱۹۵۳ با {L('The Wall Street Journal')} و {L('Bernard-Henri Lévy')} گفت‌وگو کرد.</p>",
        ),
        # Digits that touch Latin words belong to the Latin run; a lone number is Persian.
        (
            "<p>در 2 September 1953 و COVID-19 و سال 9/11 و iPhone 12 را</p>",
            f"<p>در {L('2 September 1953')} و {L('COVID-19')} و سال ۹/۱۱ و {L('iPhone 12')} را</p>",
        ),
        # Brackets and quotes around a run stay Persian; those opened inside it close inside it.
        (
            '<p>کتاب (The Book) و "Le Monde" و Lévy (born 1948) بود</p>',
            f'<p>کتاب ({L("The Book")}) و "{L("Le Monde")}" و {L("Lévy (born 1948)")} بود</p>',
        ),
        ("<p>در U.S. بود</p>", f"<p>در {L('U.S.')} بود</p>"),
        # A run across inline elements is wrapped whole, so its words keep their order.
        (
            "<p>در The <em>Wall Street</em> Journal خواند</p>",
            f"<p>در {L('The <em>Wall Street</em> Journal')} خواند</p>",
        ),
        (
            '<p>در <a href="https://x.org/1">The Wall</a> Street خواند</p>',
            "<p>در " + L('<a href="https://x.org/1">The Wall</a> Street') + " خواند</p>",
        ),
        # An element a run starts inside is split (the id stays on the first part).
        (
            '<p><em id="k">فارسی The</em> Wall Street</p>',
            f'<p><em id="k">فارسی </em>{L("<em>The</em> Wall Street")}</p>',
        ),
        # A block with no Persian letter is Latin as a whole; a block with only digits is Persian.
        ("<p>Version 2.0 (2021)</p><td>1953</td>", f"<p>{L('Version 2.0 (2021)')}</p><td>۱۹۵۳</td>"),
        # Footnote calls always get Persian digits, even right after a Latin word.
        (
            '<p>Lévy<a href="#fn1" class="footnote-ref" id="fnref1" role="doc-noteref"><sup>1</sup></a> گفت</p>',
            f'<p>{L("Lévy")}<a href="#fn1" class="footnote-ref" id="fnref1" role="doc-noteref"><sup>۱</sup></a>'
            " گفت</p>",
        ),
        (
            '<h1 id="sec-1"><span class="header-section-number">1.2</span> فصل</h1>',
            '<h1 id="sec-1"><span class="header-section-number">۱.۲</span> فصل</h1>',
        ),
        # Code is isolated as a whole and never changed inside.
        (
            "<p>دستور <code>ls -l 2</code> را بزنید</p>",
            f"<p>دستور {L('<code>ls -l 2</code>')} را بزنید</p>",
        ),
        # Leading text, tails and whitespace survive.
        ("  متن 1 <em>کتاب</em> دنباله 2\n", "  متن ۱ <em>کتاب</em> دنباله ۲\n"),
        ("متن &amp; &lt;1&gt; <em>کتاب</em>", "متن &amp; &lt;۱&gt; <em>کتاب</em>"),
        ("  متن <em>کتاب</em> Foo", f"  متن <em>کتاب</em> {L('Foo')}"),
    ],
)
def test_localize(given_html, expected):
    assert localize_html(given_html, "fa-AF") == expected
    assert localize_html(expected, "fa-AF") == expected  # idempotent


@pytest.mark.parametrize(
    "fragment, kept",
    [
        ('<pre><code class="python">x = "کتاب 1"\n</code></pre>', '<pre><code class="python">x = "کتاب 1"\n</code></pre>'),
        ('<p>متن <span class="math inline">x^2 + 1</span></p>', '<span class="math inline">x^2 + 1</span>'),
        ("<p>متن <kbd>Ctrl 1</kbd> و <samp>2</samp></p>", "<kbd>Ctrl 1</kbd>"),
        ("<p>متن <kbd>Ctrl 1</kbd> و <samp>2</samp></p>", "<samp>2</samp>"),
        ('<p dir="ltr">Hello 12 دنیا</p>', '<p dir="ltr">Hello 12 دنیا</p>'),
        ('<p lang="en">Hello 12</p>', '<p lang="en">Hello 12</p>'),
        ('<blockquote lang="ar"><p>كتاب ١٢ 3</p></blockquote>', '<blockquote lang="ar"><p>كتاب ١٢ 3</p></blockquote>'),
        ('<p>متن <span dir="ltr">already 12</span> تمام</p>', '<p>متن <span dir="ltr">already 12</span> تمام</p>'),
        ("<p>متن <math><mi>x</mi><mn>2</mn></math> تمام</p>", "<math><mi>x</mi><mn>2</mn></math>"),
    ],
)
def test_protected_content_is_not_changed(fragment, kept):
    out = localize_html(fragment, "fa")
    assert kept in out
    assert localize_html(out, "fa") == out


def test_attributes_are_never_changed():
    fragment = (
        '<p id="p-12" class="c1" title="The 12">متن 5 <a href="https://x.org/a?b=1" data-x="2">پیوند 3</a> '
        '<time datetime="1953-09-02" class="date shamsi">۱۱ سنبلهٔ ۱۳۳۲</time> '
        '<img src="img/1.png" alt="Figure 1"></p>'
    )
    out = localize_html(fragment, "fa")
    before = lxml.html.fragment_fromstring(fragment)
    after = lxml.html.fragment_fromstring(out)
    attrs = lambda root: [(e.tag, dict(e.attrib)) for e in root.iter() if not e.get("dir")]  # noqa: E731
    assert attrs(after) == attrs(before)
    assert "متن ۵" in out and "پیوند ۳" in out


def test_nothing_to_do_returns_the_input_unchanged():
    fragment = '<section id="s"><h1>فصل</h1><p>الف<br />ب &amp; &quot;ج&quot;</p></section>\n'
    assert localize_html(fragment, "fa") is fragment


@pytest.mark.parametrize("lang", ["en", "ar", "de", ""])
def test_other_languages_are_not_touched(lang):
    fragment = "<p>او در سال 1953 با The Wall Street Journal</p>"
    assert localize_html(fragment, lang) == fragment


def test_q_elements_are_not_split():
    out = localize_html("<p>متن <q>فارسی Foo</q> Bar تمام</p>", "fa")
    assert out == f"<p>متن <q>فارسی {L('Foo')}</q> {L('Bar')} تمام</p>"


def test_isolate_text():
    assert isolate_text("کتاب The Book & 2 <x> ۳", "fa") == f"کتاب {L('The Book &amp; 2 &lt;x&gt;')} ۳"
    assert isolate_text("فصل 3: آغاز", "fa-AF") == "فصل ۳: آغاز"
    assert isolate_text("«الف» & <ب> 3", "fa") == "«الف» &amp; &lt;ب&gt; ۳"
    assert isolate_text("Chapter 3 <b>", "en") == "Chapter 3 &lt;b&gt;"


def test_greek_and_cyrillic_runs_are_tagged_with_their_script():
    out = localize_html("<p>واژهٔ λόγος و слово</p>", "fa")
    assert '<span class="latin" dir="ltr" lang="und-Grek">λόγος</span>' in out
    assert '<span class="latin" dir="ltr" lang="und-Cyrl">слово</span>' in out


# ---------------------------------------------------------------------------------------------------------
# Properties on random fragments

_WORDS = st.sampled_from(
    ["کتاب", "سال", "مقاله‌ای", "1953", "٢٠", "۱۲", "The", "Wall", "Street", "COVID-19", "Lévy", "U.S.", "(", ")",
     '"', ",", "،", ".", "«", "»", "&", "<", "9/11", "x", "\n"]
)
_TEXT = st.lists(_WORDS, max_size=8).map(lambda ws: _html.escape(" ".join(ws), quote=False))
_TAGS = st.sampled_from(["em", "strong", "a", "span", "code", "q", "sup", "b"])
_INLINE = st.recursive(
    _TEXT,
    lambda inner: st.tuples(_TAGS, st.lists(inner, max_size=3)).map(
        lambda t: f"<{t[0]}>{''.join(t[1])}</{t[0]}>"
    ),
    max_leaves=8,
)
_FRAGMENT = st.lists(
    st.tuples(st.sampled_from(["p", "li", "h2", ""]), st.lists(_INLINE, min_size=1, max_size=4)), min_size=1,
    max_size=3,
).map(lambda blocks: "\n".join(f"<{t}>{''.join(c)}</{t}>" if t else "".join(c) for t, c in blocks))


def _text(fragment):
    # (lxml drops leading whitespace when it parses a fragment: compare the rest)
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    return root.text_content().lstrip()


def _unisolated(fragment, pattern):
    """Text matching *pattern* that stands outside every dir="ltr" element and every code element."""
    root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    bad = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for text, holder in ((el.text, el), (el.tail, el.getparent())):
            if not text or holder is None or not re.search(pattern, text):
                continue
            chain = [holder, *holder.iterancestors()]
            if not any(a.get("dir") == "ltr" or a.tag == "code" for a in chain):
                bad.append(text)
    return bad


@settings(max_examples=200, deadline=None)
@given(_FRAGMENT)
def test_random_fragments(fragment):
    out = localize_html(fragment, "fa-AF")
    assert localize_html(out, "fa-AF") == out
    assert to_latin_digits(_text(out)) == to_latin_digits(_text(fragment))
    assert _unisolated(out, "[A-Za-zé]") == []
    assert _unisolated(out, "[0-9]") == []
