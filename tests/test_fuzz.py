"""Property: whatever the manuscript says, a build ends in outputs or in a BuildError — never another exception.

Random Markdown, front matter and book.yaml values are built in this process.  When the build succeeds the
outputs are whole (the EPUB's documents are well-formed XML, the PDFs open); when it fails every diagnostic
has the one format and names a line inside its file.

``KETAB_FUZZ_EXAMPLES`` sets the examples per test (default 25, derandomized so that ``make test`` is
repeatable; ``make fuzz`` runs 2000, randomly).  The Markdown, front-matter and book.yaml tests take the cheap
path — the pipeline's stages up to the EPUB, without WeasyPrint —; ``test_full_builds`` runs
``pipeline.build`` itself, PDFs included, on a fifth as many examples.
"""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from lxml import etree

from ketab import pipeline
from ketab.diagnostics import BuildError
from ketab.persian import dates as pdates

EXAMPLES = int(os.environ.get("KETAB_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="KETAB_FUZZ_EXAMPLES" not in os.environ,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
DIAGNOSTIC = re.compile(r"^[^\s:][^:]*(:\d+)?: (error|warning): .+ \[[a-z0-9.-]+\]$", re.S)

# --- what goes into a manuscript --------------------------------------------------------------------------------
# Mostly well-formed (so that examples get past validation into pandoc, layout and the EPUB writer), with a
# sprinkle of trouble in every strategy.

PERSIAN = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیآءأؤئۀيك" + "\u200c\u064b\u064e\u0650\u0651\u0640"
LATIN = "abcdefxyzABCQ"
DIGITS = "0123456789۰۱۲۳۴۵۶۷۸۹٠١٢"
MARKS = " .,;:!?،؛؟«»()[]{}*_`~#^<>|\\/&\"'-=+%$@\n\t\u200f\u200e\u202b\u202e\u2066\u2069\ufeff\r\u00a0"
text = st.text(alphabet=PERSIAN + LATIN + DIGITS + MARKS, max_size=40)
word = st.text(alphabet=PERSIAN + LATIN + DIGITS, min_size=1, max_size=12)
words = st.lists(word, min_size=1, max_size=12).map(" ".join)


def mostly(good, *bad, ratio: int = 5):
    """``good`` about ``ratio`` times in ``ratio + 1``, else one of ``bad`` (shrinks towards ``good``)."""
    return st.integers(0, ratio).flatmap(lambda i: good if i < ratio else st.one_of(*bad))


def mostly_key(good, *bad):
    """A value for one key: a document has many keys, and each should rarely be wrong."""
    return mostly(good, *bad, ratio=14)


def digits(n: int, persian: bool) -> str:
    return str(n).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")) if persian else str(n)


SOLAR = pdates.SOLAR_MONTHS_DARI + pdates.SOLAR_MONTHS_IRANIAN
shamsi_ok = st.builds(
    lambda form, d, m, y, fa: " ".join([digits(d, fa), m, digits(y, fa)][3 - form:]),
    st.integers(1, 3), st.integers(1, 29), st.sampled_from(SOLAR), st.integers(1300, 1420), st.booleans(),
)
miladi_ok = st.builds(
    lambda form, y, m, d, fa: "-".join([digits(y, fa), f"{m:02}", f"{d:02}"][:form]),
    st.integers(1, 3), st.integers(1900, 2030), st.integers(1, 12), st.integers(1, 28), st.booleans(),
)
date_bad = st.one_of(
    st.builds(lambda d, m, y: f"{d} {m} {y}", st.integers(-1, 40), st.sampled_from(SOLAR + ("Mars", "")), st.integers(-5, 3000)),
    st.builds(lambda y, m, d: f"{y}-{m}-{d}", st.integers(-5, 3000), st.integers(0, 14), st.integers(0, 33)),
    text,
)
date_markup = mostly(
    st.one_of(shamsi_ok.map(lambda b: f"[{b}]{{.shamsi}}"), miladi_ok.map(lambda b: f"[{b}]{{.miladi}}")),
    st.tuples(date_bad, st.sampled_from(["shamsi", "miladi"])).map(lambda t: f"[{t[0]}]{{.{t[1]}}}"),
    ratio=8,
)
image_ok = st.sampled_from(["ok.png", "ok.svg", "sub%20dir/ok.png", "./ok.png"])
image_bad = st.sampled_from(
    ["missing.png", "../x.png", "/etc/hostname", "http://127.0.0.1:9/x.png", "text.png", "%2e%2e/x.png", "ok.png?x#y", "",
     "data:image/png;base64,iVBORw0KGgo=", "notes.txt", "clip.mp4", "a%00b.png", "x" * 300 + ".png"]
)
SAFE_HTML = [
    "<b>bold</b>", "<span dir=\"ltr\">ltr</span>", "<br>", "<div>\n", "\n</div>", "<p style=\"color: red\">p</p>", "</p>", "<sup>1</sup>",
    "<!-- note -->", "<table><tr><td>cell</td></tr></table>", "<a href=\"https://example.org\">out</a>",
    "<details><summary>s</summary>d</details>", "<ruby>x<rt>y</rt></ruby>", "<bdi>", "&amp;", "&#0;", "&#x202e;", "&nbsp;",
    "&bogus;", "<", ">", "</", "<x-y>", "<a rel=\"attachment\" href=\"ok.png\">a</a>", "<span style=\"background: url(ok.png)\">s</span>",
]
TROUBLE_HTML = ["<math><mi>x</mi></math>", "<script>1</script>", "<iframe></iframe>", "<p onclick=\"x()\">", "<svg><image href=\"ok.png\"/></svg>",
                "<image src=\"ok.png\">", "<object data=\"ok.svg\"></object>", "<base href=\"/\">"]
STRUCTURE = [
    "\n\n", "\n", "\n\n> ", "\n- ", "\n1. ", "\n\n```\ncode <script>\n```\n\n", "\n\n~~~\n```\n~~~\n\n", "\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    "\n\n***\n\n", "\n\n    code\n\n", "*", "**", "_", "\\", "$x^2$", "::: chronology\n", ":::\n", "\n\nterm\n:   definition\n\n",
    "^sup^", "~sub~", "[link](https://example.org)", "<https://example.org>", "\n# ", "\n###### ", "[", "]", "\u0000",
    "\t", " \n", "`", "``", "\\\n", "@ref", "[@cite]", "\n\n---\ntitle: inner\n---\n\n", "> " * 40 + "deep\n\n", "- " * 30 + "deep\n\n",
    "ا" * 400, "x" * 400, "\n\n" + "| c " * 30 + "|\n" + "|---" * 30 + "|\n\n",
]


@st.composite
def markdown(draw, chapter: str = "a", trouble: bool = True):
    """A chapter body: text and markup, notes that are (nearly always) defined, links to anchors it has."""
    parts, defs, defined, anchors = [draw(words)], [], set(), []
    kinds = ["text"] * 6 + ["structure"] * 3 + ["html", "date", "date", "note", "note", "idx", "anchor", "xref", "heading", "image"]
    for _ in range(draw(st.integers(0, 25))):
        kind = draw(st.sampled_from(kinds + (["trouble"] if trouble else [])))
        if kind == "text":
            parts.append(draw(st.one_of(words, text)))
        elif kind == "structure":
            parts.append(draw(st.sampled_from(STRUCTURE)))
        elif kind == "html":
            parts.append(draw(st.sampled_from(SAFE_HTML)))
        elif kind == "date":
            parts.append(" " + draw(date_markup) + " ")
        elif kind == "note":
            label = draw(st.sampled_from(["1", "2", "3", "x", "۱", "a-b", "long_label"]))
            parts.append(f"{draw(word)}[^{label}]")
            if label not in defined:
                defined.add(label)
                sign = draw(st.sampled_from(["", "", "م: ", "tr: ", "و: ", "ed: "]))
                defs.append(f"[^{label}]: {sign}{draw(words)}{draw(st.sampled_from(['', '', ' [1332]{.shamsi}', ' [x]{.idx}', ' *em*']))}")
        elif kind == "idx":
            parts.append(draw(st.one_of(word.map(lambda w: f"[{w}]{{.idx}}"), st.tuples(word, words).map(lambda t: f"[{t[0]}]{{.idx entry=\"{t[1]}\"}}"))))
        elif kind == "anchor":
            anchors.append(f"{chapter}-q{len(anchors)}")
            parts.append(f"[{draw(word)}]{{#{anchors[-1]}}}")
        elif kind == "xref":
            target = draw(st.sampled_from(anchors or [f"{chapter}-title"])) if anchors or draw(st.booleans()) else f"{chapter}-title"
            parts.append(f"[{draw(word)}](#{target})")
        elif kind == "heading":
            anchors.append(f"{chapter}-h{len(anchors)}")
            parts.append(f"\n\n## {draw(words)} {{#{anchors[-1]}}}\n\n" if draw(st.booleans()) else f"\n\n## {draw(words)}\n\n")
        elif kind == "image":
            parts.append(f"![{draw(word)}]({draw(image_ok)})")
        else:  # trouble: each of these is refused, or leaves something undefined or outside
            parts.append(draw(st.one_of(
                st.sampled_from(TROUBLE_HTML), image_bad.map(lambda i: f"![x]({i})"), st.just("x[^undefined]"), st.just("[y](#nowhere)"),
                st.just("\n\n[^unused]: never referenced\n\n"), st.just("[dup]{#same}"), st.sampled_from(["", " ", "\n\n"]),
                st.just("x{.shamsi}"), st.just("[^"), date_bad.map(lambda d: f"[{d}]{{.miladi}}"),
            )))
    return "".join(parts) + "\n\n" + "\n\n".join(defs) + "\n"


yaml_scalar = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True), text, word, st.dates())
yaml_value = st.recursive(yaml_scalar, lambda inner: st.one_of(st.lists(inner, min_size=1, max_size=3), st.dictionaries(word, inner, min_size=1, max_size=3)), max_leaves=4)


def dump(value) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=1000)


front_matter = mostly(
    st.fixed_dictionaries(
        {"title": mostly_key(words, text, yaml_value)},
        optional={
            "kind": mostly_key(st.sampled_from(["frontmatter", "chapter", "appendix", "backmatter"]), st.sampled_from(["Chapter", ""]), yaml_value),
            "subtitle": mostly_key(words, text, yaml_value), "author": mostly_key(words, yaml_value), "translator": mostly_key(words, yaml_value),
            "source": mostly_key(st.just("001"), st.sampled_from(["002", 1]), yaml_value),
            "id": mostly_key(st.sampled_from(["intro", "x-1", "Chapter_2"]), st.sampled_from(["b", "1x", "ä", ""]), yaml_value),
            "lint": mostly_key(
                st.fixed_dictionaries({}, optional={"profile": st.sampled_from(["dari", "iranian"]), "disable": st.lists(st.sampled_from(["fa-yeh", "fa-digits"]), max_size=2)}),
                st.fixed_dictionaries({"profile": st.sampled_from(["x", 1]), "disable": st.sampled_from([["nope"], [3], "fa-yeh"])}),
                yaml_value,
            ),
            "colour": yaml_value,
        },
    ).map(lambda d: "---\n" + dump(d) + "---\n"),
    st.text(alphabet=PERSIAN + LATIN + MARKS, max_size=60).map(lambda t: f"---\n{t}\n---\n"),
    st.sampled_from(["", "---\n", "---\ntitle: t\n", "---\n---\n", "---\ntitle: [x\n---\n", "---\n- a\n---\n", "---\ntitle: &a [*a]\n---\n",
                     "---\r\ntitle: crlf\r\n---\r\n", "\ufeff---\ntitle: bom\n---\n", "---\ntitle: !!python/object:os.system x\n---\n",
                     "---\ntitle: a\n...\n", "--- \ntitle: a\n---\n"]),
    ratio=8,
)
encoding = mostly(st.just("utf-8"), st.sampled_from(["utf-8-sig", "crlf", "cp1256"]), ratio=6)


def encode(s: str, how: str) -> bytes:
    if how == "crlf":
        return s.replace("\n", "\r\n").encode("utf-8")
    if how == "cp1256":
        return s.encode("cp1256", errors="replace")
    return s.encode(how)


def chapter_file(fm: str, md: str, how: str) -> bytes:
    return encode(fm + "\n" + md + "\n", how)


GOOD_BOOK = {
    "title": "کتاب", "language": "fa-AF", "slug": "fuzz", "identifier": "urn:uuid:3f0c2f4e-9a7b-4c1d-8e2f-5a6b7c8d9e0f",
    "date": "2026-11-01", "signature": 4, "chapters": ["a.md", "b.md"],
}
chapter_ref = mostly(
    st.sampled_from(["a.md", "b.md", "c.md"]),
    st.fixed_dictionaries({"generate": st.sampled_from(["index", "sources", "chronology"])},
                          optional={"title": mostly(words, yaml_value), "data": mostly(st.just("data/c.yaml"), st.sampled_from(["missing.yaml", "../c.yaml"]), yaml_value)}),
    st.sampled_from(["missing.md", "../a.md", "/etc/hostname", "sub/../a.md", "./a.md", "a.md\x00", "", "x" * 300, "data/c.yaml", "ok.png"]),
    st.fixed_dictionaries({"generate": st.sampled_from(["toc", 5])}, optional={"extra": yaml_value}),
    yaml_value,
    ratio=14,
)
book_values = st.fixed_dictionaries(
    {},
    optional={
        "title": mostly_key(words, text, yaml_value),
        "subtitle": mostly_key(words, text, yaml_value),
        "language": mostly_key(st.sampled_from(["fa", "fa-AF", "fa-IR", "prs", "en", "en-US"]), st.sampled_from(["ps", "ar", "de", "xx", "EN", "fa_AF", ""]), yaml_value),
        "direction": mostly_key(st.sampled_from(["rtl", "ltr"]), st.just("ttb"), yaml_value),
        "slug": mostly_key(st.sampled_from(["fuzz", "a.b-c_d"]), st.sampled_from(["Bad Slug", "../x", ".hidden", "-x"]), yaml_value),
        "identifier": mostly_key(st.sampled_from(["urn:uuid:3f0c2f4e-9a7b-4c1d-8e2f-5a6b7c8d9e0f", "urn:isbn:9780000000002", "isbn:978-0-00-000000-2"]),
                             st.sampled_from(["urn:uuid:nope", "x"]), yaml_value),
        "creators": mostly_key(st.lists(st.fixed_dictionaries({"name": mostly_key(words, yaml_value)},
                                                          optional={"role": mostly_key(st.sampled_from(["author", "editor", "translator", "publisher"]), st.just("cook"))}), max_size=3),
                           yaml_value),
        "publisher": mostly_key(words, yaml_value), "rights": mostly_key(words, text, yaml_value), "edition": mostly_key(words, yaml_value),
        "description": mostly_key(words, text, yaml_value),
        "date": mostly_key(st.sampled_from(["2026-11-01", "2026", "1400-01-01", "0001-01-01", "9999-12-31"]), st.dates(), st.just("2026-02-30"), yaml_value),
        "trim": mostly_key(
            st.one_of(st.sampled_from(["raqi", "vaziri", "jibi", "a5", "a4", "b5", "us-trade", "RAQI"]),
                      st.fixed_dictionaries({"width": st.floats(50, 400), "height": st.floats(50, 400)})),
            st.just("letter"), st.fixed_dictionaries({"width": st.one_of(st.floats(40, 1100), yaml_value), "height": st.one_of(st.floats(40, 1100), yaml_value)}),
            yaml_value,
        ),
        "bleed": mostly_key(st.floats(0, 10), st.floats(-1, 12), yaml_value),
        "signature": mostly_key(st.sampled_from([1, 4, 8, 12, 16, 24, 32, 16.0, True]), st.sampled_from([0, 7, "16"]), yaml_value),
        "caliper": mostly_key(st.floats(0.03, 1), st.floats(0, 2), yaml_value),
        "lint": mostly_key(st.fixed_dictionaries({}, optional={"profile": st.sampled_from(["dari", "iranian"]), "disable": st.lists(st.sampled_from(["fa-yeh", "fa-digits"]), max_size=2)}),
                       st.fixed_dictionaries({"profile": st.just("x"), "disable": st.just(["x"])}), yaml_value),
        "chapters": mostly_key(st.lists(chapter_ref, min_size=1, max_size=5), st.just([]), yaml_value),
        "colour": yaml_value,
    },
)


def book_yaml(overrides: dict, drop: list[str]) -> str:
    values = {**GOOD_BOOK, **overrides}
    for key in drop:
        values.pop(key, None)
    return dump(values)


def spoil(text_: str, cut: int, junk: str) -> str:
    """Malformed YAML, now and then: ``junk`` inserted at ``cut``."""
    cut = cut % (len(text_) + 1)
    return text_[:cut] + junk + text_[cut:]


# --- the property -----------------------------------------------------------------------------------------------


class Workspace:
    """One manuscript folder, rewritten for every example, and one output folder whose cache they share."""

    def __init__(self, base: Path):
        self.root, self.out = base / "ms", base / "out"

    def write(self, book: str | bytes, files: dict[str, bytes]) -> Path:
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        (self.root / "book.yaml").write_bytes(book if isinstance(book, bytes) else book.encode("utf-8"))
        assets = {
            "ok.png": bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415478da63f8cfc000000301010018dd8db40000000049454e44ae426082"),
            "ok.svg": b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>',
            "text.png": b"not a picture",
            "data/c.yaml": '- {date: "11 سنبله 1332", calendar: shamsi, event: رویداد}\n- {date: "2021-08-21", calendar: miladi, event: event}\n'.encode(),
            "sources/001.yaml": 'id: "001"\ntitle: منبع\nfile: raw/001.txt\n'.encode(),
        }
        for rel, data in {**assets, **files}.items():
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return self.root

    def build(self, formats=("epub",), cheap=False):
        try:
            result = cheap_build(self.root, self.out) if cheap else pipeline.build(self.root, self.out, formats=formats)
        except BuildError as exc:
            check_diagnostics(exc)
            note("error: " + " ".join(sorted({d.code for d in exc.diagnostics if d.is_error})))
            return exc
        check_outputs(result, formats)
        note("built")
        return result


def note(outcome: str) -> None:
    """Count outcomes for ``--hypothesis-show-statistics`` (outside a Hypothesis test there is nothing to count)."""
    try:
        event(outcome)
    except InvalidArgument:
        pass


@dataclass
class CheapResult:
    outputs: dict
    nothing_to_do: bool = False


def cheap_build(root: Path, out: Path) -> CheapResult:
    """``pipeline.build``'s stages without WeasyPrint (no PDF, no page-list): load, convert, assemble, EPUB."""
    from ketab.assemble import assemble
    from ketab.convert import convert_chapters
    from ketab.writers.epub import write_epub
    from ketab.generate import generated_markdown
    from ketab.manuscript import load_manuscript
    from ketab.render import default_templates

    manuscript = load_manuscript(root)
    converted, _ = convert_chapters(manuscript, lambda ch: generated_markdown(manuscript, ch))
    book = assemble(manuscript, converted)
    return CheapResult({"epub": write_epub(book, default_templates(), out)})


def check_diagnostics(exc: BuildError) -> None:
    assert any(d.is_error for d in exc.diagnostics), "a BuildError without an error"
    for d in exc.diagnostics:
        assert DIAGNOSTIC.match(str(d)), str(d)
        path = Path(d.path)
        if d.line is not None and path.is_file():
            lines = path.read_bytes().count(b"\n") + 1
            assert 1 <= d.line <= lines + 1, f"{d}: the file has {lines} lines"


def check_outputs(result, formats) -> None:
    assert result.nothing_to_do or {f for f in formats} <= set(result.outputs)
    for fmt, path in result.outputs.items():
        path = Path(path)
        if path.suffix == ".epub":
            with zipfile.ZipFile(path) as z:
                assert z.testzip() is None
                for name in z.namelist():
                    if name.endswith((".xhtml", ".opf", ".ncx", ".xml")):
                        etree.fromstring(z.read(name))  # well-formed, or this raises
        elif path.suffix == ".pdf":
            with pikepdf.open(path) as pdf:
                assert len(pdf.pages) > 0


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    return Workspace(tmp_path_factory.mktemp("fuzz"))


@FUZZ
@given(a=markdown("a"), b=markdown("b"), how=encoding)
def test_markdown(workspace, a, b, how):
    workspace.write(book_yaml({}, []), {
        "a.md": chapter_file("---\ntitle: الف\n---\n", a, how),
        "b.md": chapter_file("---\ntitle: ب\nkind: appendix\n---\n", b, "utf-8"),
    })
    workspace.build(cheap=True)


@FUZZ
@given(fm_a=front_matter, fm_b=front_matter, a=markdown("a", trouble=False), how=encoding)
def test_front_matter(workspace, fm_a, fm_b, a, how):
    workspace.write(book_yaml({"chapters": ["c.md", "a.md", "b.md"]}, []), {
        "a.md": chapter_file(fm_a, a, how), "b.md": chapter_file(fm_b, "متن دوم.", "utf-8"),
        "c.md": chapter_file("---\ntitle: پیشگفتار\nkind: frontmatter\n---\n", "پیشگفتار.", "utf-8"),
    })
    workspace.build(cheap=True)


@FUZZ
@given(values=book_values, drop=mostly(st.just([]), st.lists(st.sampled_from(list(GOOD_BOOK)), max_size=2), ratio=8), cut=st.integers(0, 10**4),
       junk=mostly(st.just(""), st.sampled_from(["\t", ": ", "[", "{", "- ", "&a ", "*a", "!!binary ", "'", "\n  x", "%"]), text, ratio=8),
       how=encoding)
def test_book_yaml(workspace, values, drop, cut, junk, how):
    book = encode(spoil(book_yaml(values, drop), cut, junk), how)
    workspace.write(book, {"a.md": chapter_file("---\ntitle: الف\n---\n", "متن [1332]{.shamsi}.[^1]\n\n[^1]: یادداشت.", "utf-8"),
                           "b.md": chapter_file("---\ntitle: ب\n---\n", "[مسعود]{.idx} متن.", "utf-8"),
                           "c.md": chapter_file("---\ntitle: ج\nkind: frontmatter\n---\n", "پیشگفتار.", "utf-8")})
    workspace.build(cheap=True)


@settings(FUZZ, max_examples=max(3, EXAMPLES // 5))
@given(values=book_values, fm=front_matter, a=markdown("a"), b=markdown("b", trouble=False),
       formats=st.sampled_from([("print", "screen", "epub"), ("epub",), ("print",), ("screen", "epub")]))
def test_full_builds(workspace, values, fm, a, b, formats):
    """``pipeline.build`` with WeasyPrint (fewer examples: each lays out every page)."""
    layout = {k: values[k] for k in ("trim", "bleed", "signature", "caliper", "language", "direction") if k in values}
    workspace.write(book_yaml(layout, []), {"a.md": chapter_file(fm, a, "utf-8"), "b.md": chapter_file("---\ntitle: ب\n---\n", b, "utf-8")})
    workspace.build(formats=formats)


# --- what fuzzing found, pinned ---------------------------------------------------------------------------------

KNOWN = {
    "generated-part-data-not-text": ({"chapters": ["a.md", {"generate": "chronology", "data": 5}]}, None),
    "generated-part-title-not-text": ({"chapters": ["a.md", {"generate": "index", "title": [1]}]}, None),
    "chapter-path-too-long": ({"chapters": ["a.md", "x" * 300 + ".md"]}, None),
    "chapter-path-nul": ({"chapters": ["a.md", "b\x00.md"]}, None),
    "recursive-alias-in-book-yaml": (None, "creators: &c [*c]\n"),
    "recursive-alias-in-front-matter": ({}, "---\ntitle: &t [*t]\n---\n"),
    "index-title-with-ampersand": ({"chapters": ["a.md", {"generate": "index", "title": "Names & places"}]}, None),
    "year-only-date": ({"date": "2026"}, None),
}


@pytest.mark.parametrize("case", list(KNOWN))
def test_former_crashers_give_an_output_or_a_diagnostic(workspace, case):
    overrides, raw = KNOWN[case]
    book = book_yaml(overrides or {}, [])
    front = "---\ntitle: الف\n---\n"
    if overrides is None:
        book += raw
    elif raw:
        front = raw
    workspace.write(book, {"a.md": chapter_file(front, "[واژه]{.idx} متن.", "utf-8"), "b.md": chapter_file("---\ntitle: ب\n---\n", "متن.", "utf-8")})
    result = workspace.build()
    if case == "index-title-with-ampersand":
        assert not isinstance(result, BuildError), result
