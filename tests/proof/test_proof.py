"""Revision proofs (``ketab proof``) and contact sheets (``ketab thumbnails``), checked on the PDFs and PNGs."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from click.testing import CliRunner
from PIL import Image

from ketab import proof
from ketab.commands import proof as proof_command
from ketab.commands import thumbnails as thumbnails_command
from ketab.writers import thumbnails

MM = 72 / 25.4
OUTER, INNER = 15 * MM, 20 * MM  # the print layout's margins (templates/print/print.css.j2)
CHANGED = ("زندگی کرد.", "زندگی و پیکار کرد.")  # chapters/02-second.md
CUT = "این جمله سه رقم لاتین دارد: 123."  # a sentence of chapters/01-first.md
GONE = "این بند را ویراستار برداشت زیرا تکرار گفته‌های پیشین بود."  # a paragraph only the old version has


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer contains {old!r}: update the test's known edit"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def known_edit(old_root: Path, new_root: Path) -> None:
    """The old version has one more paragraph in chapter 1; the new one changed chapter 2 and cut a sentence of chapter 1."""
    edit(old_root / "chapters/01-first.md", "\n## بخش دوم", f"\n{GONE}\n\n## بخش دوم")
    edit(new_root / "chapters/02-second.md", *CHANGED)
    edit(new_root / "chapters/01-first.md", " " + CUT, "")


def texts(path: Path) -> list[str]:
    doc = pdfium.PdfDocument(str(path))
    try:
        return [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    finally:
        doc.close()


def bar_pixels(path: Path, index: int, band: str, rtl: bool = True) -> int:
    """Pixels of the change-bar colour in the outer or inner margin of page ``index`` (1 px = 1 pt)."""
    doc = pdfium.PdfDocument(str(path))
    try:
        image = doc[index].render(scale=1).to_pil().convert("RGB")
    finally:
        doc.close()
    recto = index % 2 == 0  # the summary keeps the book's rectos on even indices
    outer_is_left = recto == rtl  # a recto is a left page in a right-to-left book
    w, h = image.size
    on_left = (band == "outer") == outer_is_left
    width = OUTER if band == "outer" else INNER
    region = image.crop((0, 0, int(width) - 2, h) if on_left else (w - int(width) + 2, 0, w, h))
    data = region.tobytes()
    return sum(1 for i in range(0, len(data), 3) if data[i] > 190 and data[i + 1] < 70 and data[i + 2] < 70)


@pytest.fixture(scope="module")
def proofed(tmp_path_factory):
    import shutil

    from conftest import PROJECTS

    base = tmp_path_factory.mktemp("proof")
    old, new = base / "old", base / "new"
    shutil.copytree(PROJECTS / "persian-small", old)
    shutil.copytree(PROJECTS / "persian-small", new)
    known_edit(old, new)
    result = proof.write_proof(old, new, base / "build", "old")
    return result, texts(result.path)


def test_proof_summary_lists_exactly_the_changed_chapters_with_their_counts(proofed):
    result, pages = proofed
    assert result.path.name == "azmayeshi-proof.pdf"
    changed = {c.id: c for c in result.changed}
    assert set(changed) == {"ch-01-first", "ch-02-second"}
    first, second = changed["ch-01-first"], changed["ch-02-second"]
    cut_words, gone_words = len(CUT.split()), len(GONE.split())
    assert (first.changed, first.inserted, first.deleted, first.words_added, first.words_removed) == (1, 0, 1, 0, cut_words + gone_words)
    assert (second.changed, second.inserted, second.deleted, second.words_added, second.words_removed) == (1, 0, 0, 2, 0)

    # What the editor reads on the first page: one row per changed chapter, its figures in Persian digits.
    summary = pages[0]
    rows = {}
    for line in summary.splitlines():  # a row: the title, then changed, inserted, deleted, +words, −words, pages
        m = re.fullmatch(r"([^\d:]+?)((?: [۰-۹]+)+)(?: [۰-۹،\s]*)?", line.strip())
        if m:
            rows[m.group(1)] = m.group(2).split()[:5]
    removed = str(cut_words + gone_words).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert rows.pop("فصل نخست") == ["۱", "۰", "۱", "۰", removed]
    assert rows.pop("فصل دوم") == ["۱", "۰", "۰", "۲", "۰"]
    assert set(rows) <= {"جمع"}, f"unchanged chapters listed: {rows}"
    for other in ("پیشگفتار", "فصل بلند", "نمایه"):
        assert other not in summary


def test_changed_page_has_a_bar_in_the_outer_margin_only(proofed):
    result, pages = proofed
    assert result.summary_pages % 2 == 0, "the summary must not turn rectos into versos"
    changed = next(i for i, t in enumerate(pages) if "پیکار" in t)
    assert changed >= result.summary_pages
    assert bar_pixels(result.path, changed, "outer") > 100
    assert bar_pixels(result.path, changed, "inner") == 0
    assert changed in result.marked_pages
    # the preface and every page without a change carry no bar
    unchanged = [i for i in range(result.summary_pages, result.pages) if i not in result.marked_pages]
    assert any("پیشگفتار" in pages[i] for i in unchanged)
    for i in unchanged:
        assert bar_pixels(result.path, i, "outer") == 0 and bar_pixels(result.path, i, "inner") == 0, f"page {i + 1}"


def test_deletions_are_marked_where_they_were(proofed):
    result, pages = proofed
    chapter_one = next(i for i, t in enumerate(pages) if "فصل نخست" in t and i >= result.summary_pages and "جنگلک" in t)
    text = pages[chapter_one]
    assert "حذف" in text, "the deleted paragraph leaves a «حذف» marker"
    assert "ویراستار برداشت" in text, "…with its text struck through"
    assert "جمله سه رقم" in text, "the cut sentence is shown struck through in its paragraph"
    assert bar_pixels(result.path, chapter_one, "outer") > 100
    assert chapter_one in result.marked_pages


def test_proof_keeps_outline_labels_and_direction(proofed):
    result, _ = proofed
    pdf = pikepdf.open(result.path)
    assert pdf.Root.ViewerPreferences.Direction == pikepdf.Name.R2L
    with pdf.open_outline() as outline:
        titles = [item.title for item in outline.root]
    assert titles[0] == "خلاصهٔ تغییرات" and "فصل دوم" in titles
    # the body's page labels still start at 1 after the summary
    nums = list(pdf.Root.PageLabels.Nums)
    assert int(nums[0]) == 0 and int(nums[-2]) > result.summary_pages


def test_a_proof_after_a_build_lays_out_only_the_marked_units(proofed, tmp_path):
    """The proof goes through the build's stages and cache: after ``ketab build`` of the new version, only
    the units with marks (and the summary) are laid out again, and the proof's pages are those of a proof
    with no cache to draw on."""
    import shutil

    from conftest import PROJECTS
    from ketab import pipeline

    cold, cold_pages = proofed
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(PROJECTS / "persian-small", old)
    shutil.copytree(PROJECTS / "persian-small", new)
    known_edit(old, new)
    pipeline.build(new, tmp_path / "build", formats=("screen",))
    warm = proof.write_proof(old, new, tmp_path / "build", "old")
    laid_out, reused = warm.layout_units
    assert laid_out == 3 and reused > laid_out  # the two changed chapters and the summary
    assert sum(cold.layout_units) == laid_out + reused and cold.layout_units[1] == 0
    assert texts(warm.path) == cold_pages and warm.marked_pages == cold.marked_pages


def test_mark_chapter_word_and_list_changes():
    labels = {**proof.LABELS["en"], "digits": str}
    old = "<p>one two three four</p><ol><li>x y</li><li>z w</li></ol><p>last one</p>"
    new = "<p>one two 3 four five</p><ol><li>x y</li></ol><p>last one</p><p>a new paragraph</p>"
    html, counts = proof.mark_chapter(old, new, "ch", labels)
    assert counts == {"changed": 1, "inserted": 1, "deleted": 1, "words_added": 5, "words_removed": 3}
    assert '<del class="proof-del">three</del> <ins class="proof-ins">3</ins> four <ins class="proof-ins">five</ins>' in html
    assert "<li>x y</li><div class=\"proof-deleted\"" in html.replace("\n", ""), "a deleted list item is marked inside its list"
    assert '<p class="proof-inserted" data-proof-part="ch">a new paragraph</p>' in html


def git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo)}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


def test_proof_since_a_git_revision(project, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    book = repo / "book"
    project("persian-small").rename(book)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first draft")
    edit(book / "chapters/02-second.md", *CHANGED)

    out = tmp_path / "out"
    run = CliRunner().invoke(proof_command.command, ["--since", "HEAD", "--manuscript", str(book), "--out", str(out)])
    assert run.exit_code == 0, run.output
    path = out / "azmayeshi-proof.pdf"
    summary = texts(path)[0]
    # (mixed Latin/Persian lines are extracted in visual order: look for words, not the line)
    assert {"HEAD", "first", "draft"} <= set(summary.replace("(", " ").split()), "the summary names the revision compared with"
    assert "فصل دوم" in summary and "فصل نخست" not in summary

    bad = CliRunner().invoke(proof_command.command, ["--since", "no-such-rev", "--manuscript", str(book), "--out", str(out)])
    assert bad.exit_code == 1
    assert "[proof.git]" in bad.output


# --- contact sheets ------------------------------------------------------------


def is_background(pixel) -> bool:
    return pixel == thumbnails.BACKGROUND


def test_thumbnails_rtl_spreads_start_on_the_left_page_at_the_top_right(persian_book, tmp_path):
    pdf = persian_book.path("print")
    pages = len(pikepdf.open(pdf).pages)
    sheet = thumbnails.contact_sheet(pdf, tmp_path / "sheet.png", per_row=4, height=120)
    image = Image.open(sheet.path).convert("RGB")
    w, h = sheet.page_size
    spreads = pages // 2 + 1  # page 1 alone, then pairs; an even count ends with a page alone
    rows = -(-spreads // 4)
    assert sheet.rtl and len(sheet.spreads) == spreads
    assert (w, h) == (round(120 * 145 / 215), 120), "pages are cut to the raqi trim, without bleed"
    assert image.size == (
        2 * thumbnails.MARGIN + 4 * 2 * w + 3 * thumbnails.SPREAD_GAP,
        2 * thumbnails.MARGIN + rows * (h + thumbnails.LABEL_HEIGHT) + (rows - 1) * thumbnails.ROW_GAP,
    )
    # the first spread is the rightmost of the top row: page 1 on its left half, nothing on its right half
    right_edge, top = image.size[0] - thumbnails.MARGIN, thumbnails.MARGIN
    assert not is_background(image.getpixel((right_edge - 2 * w + 5, top + 5))), "page 1 is on the left"
    assert is_background(image.getpixel((right_edge - w + 5, top + 5))), "nothing faces page 1"
    # the next spread, to its left, holds pages 3 | 2
    assert sheet.page_box(2)[0] == right_edge - 2 * w - thumbnails.SPREAD_GAP - w
    assert sheet.page_box(3)[2] == sheet.page_box(2)[0]
    # every page is on the sheet once, trimmed (a page's corner is paper, not bleed or crop marks)
    corners = {sheet.page_box(n)[:2] for n in range(1, pages + 1)}
    assert len(corners) == pages
    assert all(image.getpixel((x + 3, y + 3)) == (255, 255, 255) for x, y in corners)


def test_thumbnails_ltr_page_one_on_the_right(english_book, tmp_path):
    pdf = english_book.path("print")
    run = CliRunner().invoke(thumbnails_command.command, [str(pdf), "--out", str(tmp_path), "--per-row", "3", "--height", "100"])
    assert run.exit_code == 0, run.output
    path = tmp_path / "small-test-thumbnails.png"
    image = Image.open(path).convert("RGB")
    pages = len(pikepdf.open(pdf).pages)
    rows = -(-(pages // 2 + 1) // 3)
    page_w = (image.size[0] - 2 * thumbnails.MARGIN - 2 * thumbnails.SPREAD_GAP) // 6
    assert image.size[1] == 2 * thumbnails.MARGIN + rows * (100 + thumbnails.LABEL_HEIGHT) + (rows - 1) * thumbnails.ROW_GAP
    left, top = thumbnails.MARGIN, thumbnails.MARGIN
    assert is_background(image.getpixel((left + 5, top + 5))), "nothing faces page 1 on its left"
    assert not is_background(image.getpixel((left + page_w + 5, top + 5))), "page 1 is on the right"
