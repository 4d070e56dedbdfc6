"""A long chapter is laid out in segments, and an edit lays out only the segments from the page
break before it to where the layout converges — with the bytes of a cold build.

Material nobody here wrote: pandoc's manual's chapter on pandoc's Markdown (tables, lists, code,
definition lists; ~70 pages as one chapter, from tests/projects/_external), and, right to left
with notes on every page, the book's own four chapters joined into one.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from ketab import pipeline
from ketab.layout import engine as layoutmod
from ketab.layout import segments

ROOT = Path(__file__).resolve().parents[2]
EXTERNAL = ROOT / "tests" / "projects" / "_external" / "pandoc-manual"
FORMATS = ("print", "epub")


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file() and not p.name.startswith(".")}


def _english_book(dest: Path) -> Path:
    if not (EXTERNAL / "book.yaml").exists():
        pytest.fail(f"{EXTERNAL} is missing: run `make testbooks` (scripts/fetch_testbooks.py)")
    shutil.copytree(EXTERNAL, dest)
    config = (dest / "book.yaml").read_text(encoding="utf-8")
    head = config.split("chapters:")[0]
    (dest / "book.yaml").write_text(head + "chapters:\n- chapters/08-pandoc-s-markdown.md\n", encoding="utf-8")
    return dest


def _persian_book(dest: Path) -> Path:
    """The real book's four texts with notes as one chapter (their note labels kept apart)."""
    shutil.copytree(ROOT / "manuscript", dest)
    bodies = []
    names = ["01-biography.md", "02-sputnik.md", "03-bernardini.md", "04-levy-interview.md"]
    for i, name in enumerate(names):
        text = (dest / "chapters" / name).read_text(encoding="utf-8")
        front, body = re.match(r"(?s)^(---\n.*?\n---\n)(.*)$", text).groups()
        body = re.sub(r"\[\^([^\]\s]+)\]", lambda m, i=i: f"[^s{i}-{m.group(1)}]", body)
        bodies.append(body if i == 0 else "\n\n" + body)
        if i == 0:
            first = front
    (dest / "chapters" / "long.md").write_text(first + "".join(bodies), encoding="utf-8")
    config = (dest / "book.yaml").read_text(encoding="utf-8")
    head = config.split("\nchapters:")[0]
    (dest / "book.yaml").write_text(head + "\nchapters:\n  - chapters/long.md\n", encoding="utf-8")
    return dest


@pytest.fixture
def segments_laid_out(monkeypatch) -> Counter:
    """Windows of chapters WeasyPrint laid out during the test (``segment``), and those taken from the cache (``reused``)."""
    seen: Counter = Counter()
    original = layoutmod.Layouter.layout_many

    def spy(self, jobs):
        for html, css in jobs:
            if segments.read_params(html) is not None:
                seen["segment" if self.lookup(self.key(html, css + self.extra_css)) is None else "reused"] += 1
        return original(self, jobs)

    monkeypatch.setattr(layoutmod.Layouter, "layout_many", spy)
    return seen


class Built:
    def __init__(self, root: Path, out: Path):
        self.root, self.out = root, out
        windows: list = []
        original = segments.Chain.take

        def count(chain, unit):
            windows.append(unit.segment.get("end"))
            return original(chain, unit)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(segments.Chain, "take", count)
            self.result = pipeline.build(root, out, formats=FORMATS)
        self.segments = len(windows)
        """Windows the cold build laid out (its segments, and any laid out again longer)."""

    def clone(self, dest: Path) -> tuple[Path, Path]:
        root, out = dest / "ms", dest / "build"
        shutil.copytree(self.root, root)
        shutil.copytree(self.out, out)
        return root, out


@pytest.fixture(scope="module")
def english(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", "0")
        base = tmp_path_factory.mktemp("english")
        return Built(_english_book(base / "ms"), base / "build")


@pytest.fixture(scope="module")
def persian(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", "0")
        base = tmp_path_factory.mktemp("persian")
        return Built(_persian_book(base / "ms"), base / "build")


@pytest.fixture(autouse=True)
def _epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")


def _paragraphs(text: str) -> list[tuple[int, str]]:
    """(offset, paragraph) of the chapter's plain prose paragraphs (no code, lists, tables, headings)."""
    body_start = text.index("\n---\n", 4) + 5
    found, offset = [], body_start
    fenced = False
    for block in re.split(r"(\n\s*\n)", text[body_start:]):
        if block.count("```") % 2:
            fenced = not fenced
        plain = not fenced and "```" not in block and not re.match(r"\s*([#>|:*+-]|\d+\.|\[|\s{4})", block) and len(block) > 200
        if plain:
            found.append((offset, block))
        offset += len(block)
    return found


def _edit(chapter: Path, where: str, kind: str) -> str:
    """Change one paragraph's text: a word into another with the same letters (``words``: its lines
    keep their length) or half the paragraph again (``lines``: lines pushed on to the next pages)."""
    text = chapter.read_text(encoding="utf-8")
    paragraphs = _paragraphs(text)
    offset, paragraph = {"start": paragraphs[0], "middle": paragraphs[len(paragraphs) // 2], "end": paragraphs[-1]}[where]
    words = paragraph.split(" ")
    cut = len(words) // 2
    if kind == "lines":
        words = words[:cut] + words[2:cut] + words[cut:]
    else:
        i = next(i for i in range(cut, len(words)) if re.fullmatch(r"\w{5,}", words[i]) and len(set(words[i])) > 1)
        words[i] = words[i][::-1]
    new = " ".join(words)
    chapter.write_text(text[:offset] + new + text[offset + len(paragraph):], encoding="utf-8")
    return new


def _assert_cold(root: Path, out: Path, tmp_path: Path) -> None:
    cold = tmp_path / "cold"
    pipeline.build(root, cold, formats=FORMATS, use_cache=False)
    want, got = _outputs(cold), _outputs(out)
    assert sorted(got) == sorted(want)
    assert [name for name in want if got[name] != want[name]] == [], "the incremental build differs from a cold one"


@pytest.mark.parametrize("where, kind", [("start", "lines"), ("middle", "words"), ("middle", "lines"), ("end", "words")])
def test_an_edit_in_a_long_chapter_lays_out_from_the_page_break_before_it(english, where, kind, tmp_path, segments_laid_out):
    root, out = english.clone(tmp_path)
    _edit(root / "chapters" / "08-pandoc-s-markdown.md", where, kind)
    pipeline.build(root, out, formats=FORMATS)
    laid = segments_laid_out["segment"]
    assert english.segments >= 7  # the chapter's ~60 pages in windows of a few pages (no window laid out twice)
    if kind == "words":  # the page breaks after the edit do not move: the layout converges at once
        assert 1 <= laid <= 2, f"{laid} windows laid out again for a few words"
    else:  # lines pushed on move every page break after them until a page absorbs them
        assert 1 <= laid <= english.segments - (english.segments // 2 if where == "middle" else 0) + 1
    if where == "end":
        assert laid <= 2
    _assert_cold(root, out, tmp_path)


def _replace_paragraph(chapter: Path, index: int, change) -> None:
    """The chapter's ``index``-th prose paragraph replaced by ``change(paragraph)``."""
    text = chapter.read_text(encoding="utf-8")
    offset, paragraph = _paragraphs(text)[index]
    chapter.write_text(text[:offset] + change(paragraph) + text[offset + len(paragraph):], encoding="utf-8")


def _insert_before(chapter: Path, pattern: str, words: str, after: float = 0.0) -> None:
    """``words`` inserted where the first group of ``pattern`` begins (searched from ``after`` × the chapter's length)."""
    text = chapter.read_text(encoding="utf-8")
    match = re.compile(pattern, flags=re.M).search(text, int(len(text) * after))
    assert match, pattern
    chapter.write_text(text[:match.start(1)] + words + text[match.start(1):], encoding="utf-8")


def test_an_edit_that_adds_pages_equals_a_cold_build(english, tmp_path):
    root, out = english.clone(tmp_path)
    _replace_paragraph(root / "chapters" / "08-pandoc-s-markdown.md", 5, lambda p: "\n\n".join([p] * 8))
    result = pipeline.build(root, out, formats=FORMATS)
    assert result.pages > english.result.pages
    _assert_cold(root, out, tmp_path)


def test_an_edit_that_removes_pages_equals_a_cold_build(english, tmp_path):
    """Paragraphs cut from the chapter's middle: every page after them is pulled back, fewer pages in all."""
    root, out = english.clone(tmp_path)
    chapter = root / "chapters" / "08-pandoc-s-markdown.md"
    text = chapter.read_text(encoding="utf-8")
    paragraphs = _paragraphs(text)
    first, last = paragraphs[len(paragraphs) // 3], paragraphs[len(paragraphs) // 3 + 4]
    chapter.write_text(text[:first[0]] + text[last[0] + len(last[1]):], encoding="utf-8")
    result = pipeline.build(root, out, formats=FORMATS)
    assert result.pages < english.result.pages
    _assert_cold(root, out, tmp_path)


@pytest.mark.parametrize("element, pattern, after", [
    ("a table cell", r"^\s+Right\s+Left\s+(Center)\s+Default", 0.0),  # a simple table's header row
    ("a list item", r"^\s*[-*] (\w+ \w+)", 0.5),
])
def test_edits_inside_tables_and_lists_equal_a_cold_build(english, element, pattern, after, tmp_path):
    root, out = english.clone(tmp_path)
    chapter = root / "chapters" / "08-pandoc-s-markdown.md"
    text = chapter.read_text(encoding="utf-8")
    _insert_before(chapter, pattern, "changed words ", after)
    assert chapter.read_text(encoding="utf-8") != text, element
    pipeline.build(root, out, formats=FORMATS)
    _assert_cold(root, out, tmp_path)


def test_right_to_left_edits_in_the_text_and_in_a_note_equal_a_cold_build(persian, tmp_path, segments_laid_out):
    root, out = persian.clone(tmp_path)
    chapter = root / "chapters" / "long.md"
    _edit(chapter, "middle", "lines")
    text = chapter.read_text(encoding="utf-8")
    note = re.search(r"^\[\^s3-[^\]]+\]: (\S+ \S+)", text, flags=re.M)
    assert note, "a note of the last text"
    chapter.write_text(text[:note.start(1)] + "افزوده در یادداشت " + text[note.start(1):], encoding="utf-8")
    pipeline.build(root, out, formats=FORMATS)
    assert segments_laid_out["reused"] >= 1  # not the segments before the edit (the ones after it may all be laid out again)
    _assert_cold(root, out, tmp_path)


def test_a_note_added_renumbers_the_notes_after_it(persian, tmp_path):
    root, out = persian.clone(tmp_path)
    chapter = root / "chapters" / "long.md"
    _replace_paragraph(chapter, 3, lambda p: p + "[^added]")
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n\n[^added]: یادداشت تازه.\n", encoding="utf-8")
    pipeline.build(root, out, formats=FORMATS)
    _assert_cold(root, out, tmp_path)


def test_segments_join_into_the_chapter_a_reader_sees(persian):
    """The joined chapter passes ketab check: every note printed once, in order, on its call's page
    (numbered on from segment to segment), the page-list and cross-references where they fell."""
    from ketab.preflight import preflight

    findings = preflight(persian.root, persian.out)
    assert [d for d in findings if d.is_error and d.code != "check.missing-output"] == []  # no screen PDF built here
    assert persian.segments >= 5
    import pypdfium2

    from ketab.persian.digits import to_latin_digits

    notes = len(re.findall(r"^\[\^[^\]]+\]:", (persian.root / "chapters" / "long.md").read_text(encoding="utf-8"), flags=re.M))
    printed = []
    pdf = pypdfium2.PdfDocument(persian.result.outputs["print"])
    for page in pdf:  # a note's number and its full stop, in either order (PDFium gives the visual order)
        text = page.get_textpage().get_text_range()
        printed += [int(to_latin_digits(a or b)) for a, b in re.findall(r"^(?:([۰-۹]+)\.|\.([۰-۹]+)) ", text, flags=re.M)]
    pdf.close()
    assert printed[-notes // 2:] == list(range(notes - notes // 2 + 1, notes + 1))  # numbered on, segment after segment


def test_a_chapter_composed_again_from_other_segments_is_concatenated_again():
    """compose keeps a chapter's PDF by its segments' keys for the next build: the same segments give the
    same PDF, a segment changed gives the PDF of the new segments, never the one kept."""
    import io

    import pikepdf

    def segment(key: str, pages: int, width: int) -> layoutmod.LaidOutUnit:
        pdf = pikepdf.new()
        for _ in range(pages):
            pdf.add_blank_page(page_size=(width, 500))
        data = io.BytesIO()
        pdf.save(data, deterministic_id=True)
        return layoutmod.LaidOutUnit(key, data.getvalue(), pages, {}, (), None, (), (), {"letters": 0})

    def widths(unit) -> list[int]:
        with pikepdf.open(io.BytesIO(unit.pdf)) as pdf:
            return [int(page.mediabox[2]) for page in pdf.pages]

    before = segments.compose([segment("a", 2, 300), segment("b", 1, 310)], "ch")
    again = segments.compose([segment("a", 2, 300), segment("b", 1, 310)], "ch")
    edited = segments.compose([segment("a", 2, 300), segment("b2", 2, 320)], "ch")
    assert again.pdf == before.pdf and again.key == before.key
    assert widths(before) == [300, 300, 310]
    assert widths(edited) == [300, 300, 320, 320] and edited.pages == 4
    assert edited.pdf == segments.concatenate([segment("a", 2, 300).pdf, segment("b2", 2, 320).pdf])


def test_a_name_every_segment_carries_points_to_the_chapters_first_page():
    """Every segment's document holds the chapter's section, so each has a destination named by the chapter's
    id: the chapter's is the first one (a link to the chapter opened its last segment's first page)."""
    import io

    import pikepdf

    from ketab.pdfnames import named_destinations

    def segment(pages: int, names: dict) -> bytes:
        pdf = pikepdf.new()
        for _ in range(pages):
            pdf.add_blank_page(page_size=(300, 500))
        tree = pikepdf.NameTree.new(pdf)
        for name, page in names.items():
            tree[name] = pikepdf.Array([pdf.pages[page].obj, pikepdf.Name.XYZ, 0, 500, 0])
        pdf.Root.Names = pikepdf.Dictionary(Dests=tree.obj)
        data = io.BytesIO()
        pdf.save(data, deterministic_id=True)
        return data.getvalue()

    joined = segments.concatenate([segment(2, {"ch-one": 0, "p1": 1}), segment(3, {"ch-one": 0, "p9": 2})])
    with pikepdf.open(io.BytesIO(joined)) as pdf:
        pages = {name: index for name, index, _ in named_destinations(pdf)}
    assert pages == {"ch-one": 0, "p1": 1, "p9": 4}


def test_a_link_to_a_passage_a_segment_may_not_lay_out_is_resolved_at_assembly():
    """A note's link to a passage pages on: the segment may stop before the passage, and WeasyPrint drops a link
    whose anchor it did not lay out.  Such links are left to the assembly (as links to other units are); a link
    to a block the segment is sure to lay out stays the document's own."""
    words = " ".join(["word"] * 400)
    blocks = [f'<p id="p{i}">{words} <a href="#p0">back</a> <a href="#p39">on</a></p>' for i in range(40)]
    html = f'<!DOCTYPE html><html><head></head><body><section class="chapter" id="ch"><h1 id="t">T</h1>{"".join(blocks)}</section></body></html>'
    chain = segments.Chain(segments.split(html))
    laid = chain.html()
    assert 'href="#p0"' in laid
    assert 'href="#p39"' not in laid and f'href="{segments.UNIT_LINK}p39"' in laid
