"""What pandoc parsed as code or raw HTML, found again in the Markdown: the one source for the checks, the
lines of diagnostics, the reference scanner and the Persian linter."""

from __future__ import annotations

from ketab.pandocrun import nonprose, pandoc
from ketab.sourcemap import SourceMap

BODY = """\
Prose with `[^a]` inline, and <!-- a [^b] comment --> here.

<!--
[^c]: a definition in a comment
-->

    [^d] indented code

> ```
> [^e] fenced code in a quotation
> ```

- a list item

      [^f] code inside the item

~~~ {.python}
[^g] = 1
~~~

The calls [^a] [^b] [^c] [^d] [^e] [^f] [^g] stand here.
"""


def test_every_piece_of_code_and_raw_html_pandoc_parsed_is_found_in_the_markdown():
    result = pandoc(BODY)
    source = SourceMap(BODY, 10, result.parsed)
    covered = "".join(BODY[a:b] for a, b in source.spans)
    for label in "abcdefg":
        assert f"[^{label}]" in covered  # each label's first occurrence is in code or raw HTML
    # and nothing of the prose: the last line is outside every span
    last = BODY.index("The calls")
    assert all(b <= last for _, b in source.spans)
    # a diagnostic about [^d] names the line pandoc read as prose, not the indented code's
    assert source.line("[^d]") == 10 + BODY.count("\n", 0, last)
    assert source.line("[^d]", raw=True) == 10 + BODY.count("\n", 0, last)  # code is never where to look
    assert source.line("[^b]", raw=True) == 10  # raw HTML is, when asked (a refused tag's line)


def test_the_linter_outside_a_build_reads_the_same_parse():
    text = "---\ntitle: t\n---\n\n" + BODY
    spans = nonprose(text)
    start = text.index(BODY)
    assert [(a - start, b - start) for a, b in spans] == SourceMap(BODY, 1, pandoc(BODY).parsed).spans


def test_a_reference_defined_in_code_or_a_comment_is_not_a_definition():
    from ketab import links

    body = "[Used] here.\n\n    [Used]: code.md\n\n<!--\n[Used]: comment.md\n-->\n\n[Other]: real.md\n"
    labels = links.read_labels(body, SourceMap(body, 1, pandoc(body).parsed).spans)
    assert set(labels.definitions) == {"other"} and "used" in labels.uses


# --- the anchored search finds what a scan of the whole text finds -------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ketab import sourcemap  # noqa: E402

_PIECES = st.lists(st.sampled_from(["`", "``", " ", "\t", "\n", "> ", "a", "b", "ab", "x y", "<br>", "<i>", "\n\n"]), max_size=40)


@given(_PIECES, st.sampled_from(["a", "ab", "b", "x y", "a b", "<br>", "<i>"]), st.integers(0, 5))
@settings(max_examples=300, deadline=None)
def test_anchored_matches_are_those_of_a_full_scan(pieces, needle, start):
    """Inline code and raw HTML are looked for only where their first word stands (a long chapter has
    thousands of them: a scan of the whole chapter for each was most of a build of pandoc's manual); the
    matches must be the ones a scan of the whole text finds, in the same order."""
    import re

    text = "".join(pieces)
    start = min(start, len(text))
    words = [re.escape(w) for w in needle.split(" ") if w]
    inline = re.compile(r"(?<!`)(`+)[ \t]*" + r"\s+(?:>[ \t]*)?".join(words) + r"\s*\1(?!`)")
    raw = re.compile(re.escape(needle))
    for pattern, lead in ((inline, True), (raw, False)):
        want = [m.span() for m in pattern.finditer(text, start)]
        got = [m.span() for m in sourcemap._matches(text, pattern, start, needle.split(" ")[0], lead)]
        assert got == want
