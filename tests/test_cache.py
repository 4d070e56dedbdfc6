"""The build cache: a change to each kind of input invalidates what it should and
nothing else, an unreadable or foreign cache means a clean rebuild (never a
crash), and an incremental build writes the same bytes as a cold one.

The key property is checked after every incremental build: its outputs are
compared byte for byte with a cold build (``use_cache=False``) of the same input
into another folder.  (Comparing the bytes of two builds made by the same tools
is what "incremental equals cold" means; it is not a golden-file comparison.)

Which layout units a build laid out is read from a spy on
``Layouter.layout_many``: units are named after what they hold (a chapter's id,
``front``, ``index``, ``furniture``, ``blank``, ``cover``).
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from ketab import cache as cachemod
from ketab import layout as layoutmod
from ketab import pipeline
from ketab.manuscript import load_manuscript
from ketab.render import default_templates

PROJECTS = Path(__file__).parent / "projects"

# A realistic edit that keeps every page break: one sentence of chapter 1 changes.
EDIT_FROM = "این جمله سه رقم لاتین دارد: 123."
EDIT_TO = "این جمله سه رقم لاتین دارد: 456."


@pytest.fixture(scope="module", autouse=True)
def _same_tools():
    """The tools do not change during the session: salt every build with the same versions
    (ketab's own source is part of the salt; an edit to it mid-run must not reset these caches)."""
    versions = cachemod.tool_versions()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cachemod, "tool_versions", lambda: dict(versions))
        yield


@pytest.fixture(autouse=True)
def _epoch(monkeypatch):
    """Build as ``make`` does (SOURCE_DATE_EPOCH=0); the last test builds without it, as ``ketab build`` may."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")


# --- helpers ------------------------------------------------------------------


def unit_name(html: str) -> str:
    if 'class="furniture-page"' in html:
        return "furniture"
    if 'id="half-title"' in html:
        return "front"
    if 'class="panel front"' in html:
        return "cover"
    m = re.search(r'<section class="index" id="', html)
    if m:
        return "index"
    m = re.search(r'<section class="chapter[^"]*" id="([^"]+)"', html)
    if m:
        return m.group(1)
    if '<div class="plain-page"></div>' in html:
        return "blank"
    return "other"


@pytest.fixture
def laid_out(monkeypatch) -> Counter:
    """Counter of the units WeasyPrint laid out (not taken from the cache) during the test."""
    seen: Counter = Counter()
    original = layoutmod.Layouter.layout_many

    def spy(self, jobs):
        todo = {}
        for html, css in jobs:
            key = self.key(html, css)
            if key not in todo and self.lookup(key) is None:
                todo[key] = unit_name(html)
        seen.update(todo.values())
        return original(self, jobs)

    monkeypatch.setattr(layoutmod.Layouter, "layout_many", spy)
    return seen


def outputs_of(out: Path) -> dict[str, bytes]:
    """The files a build wrote (not the cache, the lock or temporaries)."""
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file() and not p.name.startswith(".")}


def assert_same_as_cold(root: Path, out: Path, tmp_path: Path, templates: Path | None = None, formats=pipeline.DEFAULT_FORMATS):
    """The outputs in ``out`` are byte-identical to a cold build of ``root``."""
    cold = tmp_path / f"cold-{len(list(tmp_path.glob('cold-*')))}"
    pipeline.build(root, cold, formats=formats, templates=templates, use_cache=False)
    want, got = outputs_of(cold), outputs_of(out)
    assert sorted(got) == sorted(want)
    differ = [name for name in want if got[name] != want[name]]
    assert not differ, f"incremental build differs from a cold build in {differ}"


def converted(result) -> list[str]:
    """Chapters pandoc converted in this build (from the build report)."""
    for line in result.report:
        if line.startswith("pandoc converted: "):
            return line.removeprefix("pandoc converted: ").split(", ")
    return []


def layout_counts(result) -> tuple[int, int]:
    for line in result.report:
        m = re.fullmatch(r"layout units: (\d+) laid out, (\d+) reused", line)
        if m:
            return int(m.group(1)), int(m.group(2))
    raise AssertionError(f"no layout line in {result.report}")


def body_chapters(root: Path) -> set[str]:
    """Ids of the chapters laid out as units of their own (front-matter chapters are in ``front``)."""
    return {ch.id for ch in load_manuscript(root).chapters if ch.kind != "frontmatter" and not ch.generate}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# --- a built book to start from ------------------------------------------------


class Base:
    """persian-small built once (with the cache); ``clone()`` gives each test its own copy."""

    def __init__(self, factory):
        self.dir = factory.mktemp("base")
        self.templates = self.dir / "templates"
        shutil.copytree(default_templates(), self.templates)
        self.root = self.dir / "ms"
        shutil.copytree(PROJECTS / "persian-small", self.root)
        self.out = self.dir / "build"
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("SOURCE_DATE_EPOCH", "0")
            self.result = pipeline.build(self.root, self.out, templates=self.templates)

        manuscript = load_manuscript(self.root)
        self.all_parts = [ch.id for ch in manuscript.chapters]
        """What pandoc converts in a clean build: every part, generated ones included, in order."""
        self.chapters = body_chapters(self.root)
        self.units = self.chapters | {"front", "index", "furniture", "blank", "cover"}
        """Every kind of unit a clean build lays out."""

    def clone(self, dest: Path, as_built_there: bool = True) -> tuple[Path, Path]:
        """A copy of the manuscript and of the build folder (outputs and cache).

        ``as_built_there``: the copied manifest names the copy's outputs, as if the book
        had been built in that folder (whatever way the manifest records them)."""
        root, out = dest / "ms", dest / "build"
        shutil.copytree(self.root, root)
        shutil.copytree(self.out, out)
        if as_built_there:
            manifest = out / ".ketab-cache" / "manifest.json"
            text = manifest.read_text(encoding="utf-8")
            manifest.write_text(text.replace(json.dumps(str(self.out))[1:-1], json.dumps(str(out))[1:-1]), encoding="utf-8")
        return root, out


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Base:
    return Base(tmp_path_factory)


@pytest.fixture(scope="module")
def cold_outputs(base, tmp_path_factory) -> dict[str, bytes]:
    """A cold build of the unchanged book."""
    out = tmp_path_factory.mktemp("cold-base")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", "0")
        pipeline.build(base.root, out, templates=base.templates, use_cache=False)
    return outputs_of(out)


# --- what each kind of change invalidates ----------------------------------------


def test_no_change_is_nothing_to_do(base, laid_out):
    result = pipeline.build(base.root, base.out, templates=base.templates)
    assert result.nothing_to_do
    assert result.report == ("nothing to do",)
    assert set(result.outputs) == set(base.result.outputs)
    assert not laid_out


def test_editing_one_chapter_converts_and_lays_out_that_chapter_only(base, tmp_path, laid_out):
    root, out = base.clone(tmp_path)
    edit(root / "chapters" / "01-first.md", EDIT_FROM, EDIT_TO)
    result = pipeline.build(root, out, templates=base.templates)
    assert not result.nothing_to_do
    assert "chapters/01-first.md: changed" in result.report
    assert converted(result) == ["ch-01-first"]
    assert laid_out == Counter({"ch-01-first": 1}), "only the edited chapter is laid out again"
    assert layout_counts(result)[0] == 1
    assert_same_as_cold(root, out, tmp_path, base.templates)


def test_a_new_character_in_one_chapter_reaches_the_epub_font_and_the_print_pdf(base, tmp_path, laid_out):
    """The EPUB's faces are cut to the characters of the documents, each document's kept in the cache:
    a letter only the edited chapter has (ŋ, Latin Extended: Noto Serif Ext) must be in the EPUB's subset,
    and every output the bytes of a cold build."""
    import io
    import zipfile

    from fontTools.ttLib import TTFont

    root, out = base.clone(tmp_path)
    edit(root / "chapters" / "02-second.md", "زندگی کرد.", "زندگی کرد (Diŋ).")
    result = pipeline.build(root, out, templates=base.templates)
    assert laid_out["ch-02-second"] == 1 and "ch-01-first" not in laid_out
    with zipfile.ZipFile(result.outputs["epub"]) as epub:
        cmaps = [TTFont(io.BytesIO(epub.read(n))).getBestCmap() for n in epub.namelist() if n.endswith((".ttf", ".woff2"))]
    assert any(ord("ŋ") in cmap for cmap in cmaps)
    assert_same_as_cold(root, out, tmp_path, base.templates)


def test_changing_the_title_lays_out_furniture_and_front_matter_without_pandoc(base, tmp_path, laid_out):
    root, out = base.clone(tmp_path)
    edit(root / "book.yaml", "title: کتاب آزمایشی", "title: کتاب آزمایشی دیگر")
    result = pipeline.build(root, out, templates=base.templates)
    assert "book.yaml: changed" in result.report
    assert converted(result) == [], "the title is not in any chapter's Markdown"
    # running heads (the book's title on versos), the title pages and the cover show the title…
    assert {"furniture", "front", "cover"} <= set(laid_out)
    # …the text of the chapters and the index does not
    assert not base.chapters & set(laid_out) and "index" not in laid_out, f"laid out again: {dict(laid_out)}"
    assert_same_as_cold(root, out, tmp_path, base.templates)


def test_changing_the_rights_renews_the_cover_pdf_whose_layout_is_reused(base, tmp_path, laid_out):
    """The finished cover PDF is kept under its layout and book.yaml: the rights are in its metadata,
    not on the wrap, so its layout is reused and the cover must be finished again all the same."""
    import pikepdf

    root, out = base.clone(tmp_path)
    edit(root / "book.yaml", "rights: همهٔ حقوق محفوظ است.", "rights: بازنشر با ذکر منبع آزاد است.")
    result = pipeline.build(root, out, templates=base.templates)
    assert "cover" not in laid_out, f"the wrap does not show the rights: {dict(laid_out)}"
    with pikepdf.open(result.outputs["cover"]) as pdf:
        assert "بازنشر با ذکر منبع آزاد است." in str(pdf.open_metadata().get("dc:rights"))
    assert_same_as_cold(root, out, tmp_path, base.templates)


def test_changing_the_stylesheet_lays_out_every_unit_without_pandoc(project, tmp_path, laid_out):
    root, templates = project("persian-small"), tmp_path / "templates"
    shutil.copytree(default_templates(), templates)
    out = tmp_path / "build"
    pipeline.build(root, out, templates=templates)
    laid_out.clear()
    with (templates / "book.css").open("a", encoding="utf-8") as f:
        f.write("\np { word-spacing: 0.1em; }\n")
    result = pipeline.build(root, out, templates=templates)
    assert "templates changed" in result.report
    assert converted(result) == []
    # every unit set in the book's stylesheet (furniture and cover do not use it)
    assert body_chapters(root) | {"front", "index", "blank"} <= set(laid_out), dict(laid_out)
    assert_same_as_cold(root, out, tmp_path, templates)


def test_changing_a_font_file_lays_out_every_unit(project, tmp_path, laid_out):
    root, templates = project("persian-small"), tmp_path / "templates"
    shutil.copytree(default_templates(), templates)
    out = tmp_path / "build"
    pipeline.build(root, out, templates=templates)
    cold_units = set(laid_out)
    laid_out.clear()
    # same file name, other glyphs: the running heads' light face becomes the regular one
    vazir = templates / "fonts" / "vazirmatn"
    shutil.copyfile(vazir / "Vazirmatn-Regular.ttf", vazir / "Vazirmatn-Light.ttf")
    result = pipeline.build(root, out, templates=templates)
    assert "fonts changed" in result.report
    assert converted(result) == []
    assert set(laid_out) == cold_units, "every unit embeds the fonts"
    assert_same_as_cold(root, out, tmp_path, templates)


def test_new_tool_versions_mean_a_clean_rebuild_with_its_reason(base, tmp_path, laid_out, monkeypatch):
    root, out = base.clone(tmp_path)
    real = cachemod.tool_versions

    def other_pandoc():
        return {**real(), "pandoc": "0.0-test"}

    monkeypatch.setattr(cachemod, "tool_versions", other_pandoc)
    result = pipeline.build(root, out, templates=base.templates)
    assert result.report[0] == "clean build: the cache was made by other versions (pandoc)"
    assert converted(result) == base.all_parts
    assert set(laid_out) == base.units, "nothing is taken from the old cache"
    assert_same_as_cold(root, out, tmp_path, base.templates)
    # and the new versions are recorded: the next build has nothing to do
    assert pipeline.build(root, out, templates=base.templates).nothing_to_do


def test_a_missing_or_modified_output_is_rewritten_from_the_cache(base, tmp_path, laid_out, cold_outputs):
    root, out = base.clone(tmp_path)
    (out / "azmayeshi.epub").unlink()
    (out / "azmayeshi-print.pdf").write_bytes(b"%PDF-1.7 edited by hand")
    result = pipeline.build(root, out, templates=base.templates)
    assert not result.nothing_to_do
    assert "outputs missing or modified since the last build" in result.report
    assert converted(result) == [] and not laid_out, "everything comes from the cache"
    assert outputs_of(out) == cold_outputs


def test_a_copied_build_folder_is_checked_against_its_own_outputs(base, tmp_path, cold_outputs):
    """The cache records which outputs it made; a copy of the folder must not trust the original's files."""
    root, out = base.clone(tmp_path, as_built_there=False)
    (out / "azmayeshi-screen.pdf").unlink()
    result = pipeline.build(root, out, templates=base.templates)
    assert not result.nothing_to_do, "the screen PDF of this folder is missing"
    assert outputs_of(out) == cold_outputs
    assert all(Path(p).parent == out for p in result.outputs.values())


def test_an_epub_only_build_reuses_the_print_layout(base, tmp_path, laid_out):
    """The EPUB's page-list needs the print layout: the layout already cached serves it."""
    root, out = base.clone(tmp_path)
    edit(root / "chapters" / "01-first.md", EDIT_FROM, EDIT_TO)
    result = pipeline.build(root, out, formats=("epub",), templates=base.templates)
    assert converted(result) == ["ch-01-first"]
    assert laid_out == Counter({"ch-01-first": 1}), f"laid out again: {dict(laid_out)}"
    cold = tmp_path / "cold-epub"
    pipeline.build(root, cold, formats=("epub",), templates=base.templates, use_cache=False)
    assert (out / "azmayeshi.epub").read_bytes() == (cold / "azmayeshi.epub").read_bytes()


def test_changing_an_image_lays_out_the_chapter_that_shows_it(project, tmp_path, laid_out):
    from PIL import Image

    root = project("persian-small")
    (root / "images").mkdir()
    Image.new("RGB", (60, 40), "navy").save(root / "images" / "map.png")
    chapter = root / "chapters" / "02-second.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n![نقشه](../images/map.png)\n", encoding="utf-8")
    out = tmp_path / "build"
    pipeline.build(root, out)
    laid_out.clear()
    Image.new("RGB", (60, 40), "darkred").save(root / "images" / "map.png")
    result = pipeline.build(root, out)
    assert "images/map.png: changed" in result.report
    relaid = set(laid_out)
    assert_same_as_cold(root, out, tmp_path)  # a stale picture would be in the PDFs
    assert relaid == {"ch-02-second"}, "only the chapter that shows the picture is laid out again"


# --- unreadable and foreign caches --------------------------------------------------


def _manifest(out: Path) -> Path:
    return out / ".ketab-cache" / "manifest.json"


@pytest.mark.parametrize(
    "garbage",
    [
        pytest.param(b"\x00\xff{not json", id="binary"),
        pytest.param(b'["a", "list"]', id="not-a-mapping"),
        pytest.param(None, id="right-salt-broken-state"),
    ],
)
def test_an_unreadable_manifest_means_a_clean_rebuild(base, tmp_path, garbage, cold_outputs):
    root, out = base.clone(tmp_path)
    if garbage is None:
        data = json.loads(_manifest(out).read_text(encoding="utf-8"))
        data["state"] = ["not", "a", "mapping"]
        garbage = json.dumps(data).encode()
    _manifest(out).write_bytes(garbage)
    result = pipeline.build(root, out, templates=base.templates)
    assert result.report[0].startswith("clean build: the cache was unreadable"), result.report
    assert converted(result) == base.all_parts
    assert outputs_of(out) == cold_outputs
    assert pipeline.build(root, out, templates=base.templates).nothing_to_do


def test_truncated_cache_entries_are_misses_not_crashes(base, tmp_path, laid_out):
    root, out = base.clone(tmp_path)
    entries = [p for kind in ("pandoc", "layout") for p in (out / ".ketab-cache" / kind).rglob("*") if p.is_file()]
    assert len(entries) >= 10
    for i, path in enumerate(entries):
        blob = path.read_bytes()
        # torn writes: cut in half, cut after the checksum line, or emptied
        path.write_bytes([blob[: len(blob) // 2], blob[: blob.index(b"\n") + 1], b""][i % 3])
    edit(root / "chapters" / "01-first.md", EDIT_FROM, EDIT_TO)
    result = pipeline.build(root, out, templates=base.templates)
    assert converted(result) == base.all_parts, "every pandoc entry was unusable"
    assert set(laid_out) == base.units, "every layout entry was unusable"
    assert_same_as_cold(root, out, tmp_path, base.templates)


def test_a_cache_of_another_format_is_discarded(base, tmp_path, cold_outputs):
    root, out = base.clone(tmp_path)
    data = json.loads(_manifest(out).read_text(encoding="utf-8"))
    data["salt"]["format"] = cachemod.FORMAT - 1
    _manifest(out).write_text(json.dumps(data), encoding="utf-8")
    stale = out / ".ketab-cache" / "layout" / "zz" / "zz-old-layout-entry"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"from an older ketab")
    result = pipeline.build(root, out, templates=base.templates)
    assert result.report[0] == "clean build: the cache was made by other versions (format)"
    assert converted(result) == base.all_parts
    assert not stale.exists(), "entries of the old format are deleted with it"
    assert outputs_of(out) == cold_outputs


# --- outputs never carry the clock ----------------------------------------------------


def test_without_source_date_epoch_a_new_date_gives_the_bytes_of_a_cold_build(project, tmp_path, monkeypatch):
    """`ketab build` is also run without SOURCE_DATE_EPOCH, each time in a new process."""
    root = project("persian-small")
    out = tmp_path / "build"

    def build_in_a_fresh_process(**kwargs):
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
        return pipeline.build(root, kwargs.pop("out", out), **kwargs)

    build_in_a_fresh_process()
    edit(root / "book.yaml", "date: 2026-11-01", "date: 2027-03-21")
    build_in_a_fresh_process()
    cold = tmp_path / "cold"
    build_in_a_fresh_process(out=cold, use_cache=False)
    want, got = outputs_of(cold), outputs_of(out)
    assert [name for name in want if got[name] != want[name]] == []
