"""Facing pages end on a common last line (layout/balance.py), tested on chapters of pandoc's manual
(headings, lists, code, tables, definition lists: tests/projects/_external, ``make testbooks``) and on
the Persian sample book: set flush, every spread of two pages the text runs on from ends on one line,
and not a word moves from the page it was on when the bottoms are left ragged."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from ketab import pipeline
from ketab.preflight import preflight
from ketab.preflight.spreads import text_bottoms

ROOT = Path(__file__).resolve().parents[2]
MANUAL = ROOT / "tests" / "projects" / "_external" / "pandoc-manual"
CHAPTERS = ("02-description.md", "07-extensions.md", "09-citations.md", "11-epubs.md")


def _manual_book(root: Path, bottom: str) -> Path:
    if not (MANUAL / "book.yaml").exists():
        pytest.fail(f"{MANUAL} is missing: run `make testbooks` (scripts/fetch_testbooks.py)")
    root.mkdir(parents=True)
    shutil.copytree(MANUAL / "chapters", root / "chapters")
    text = (MANUAL / "book.yaml").read_text(encoding="utf-8")
    head = text.split("\nchapters:")[0]
    chapters = "".join(f"- chapters/{name}\n" for name in CHAPTERS)
    (root / "book.yaml").write_text(f"{head}\nprint: {{bottom: {bottom}}}\nchapters:\n{chapters}", encoding="utf-8")
    return root


def _page_words(path: Path) -> list[str]:
    doc = pdfium.PdfDocument(str(path))
    return [re.sub(r"\s+", " ", page.get_textpage().get_text_range()).strip() for page in doc]


@pytest.fixture(scope="module")
def manual(tmp_path_factory):
    """The four chapters built with flush bottoms and with ragged ones: {bottom: (root, out, print PDF)}."""
    base = tmp_path_factory.mktemp("balance")
    built = {}
    for bottom in ("flush", "ragged"):
        root = _manual_book(base / bottom, bottom)
        result = pipeline.build(root, base / f"{bottom}-out", formats=("print",))
        built[bottom] = root, base / f"{bottom}-out", result.outputs["print"]
    return built


def _spread_findings(root, out):
    return [d for d in preflight(root, out) if d.code == "layout.spread"]


def test_ragged_bottoms_leave_spreads_apart_and_check_says_so(manual):
    root, out, _ = manual["ragged"]
    findings = _spread_findings(root, out)
    assert findings, "the chapters have no spread ending apart when ragged: the test tests nothing"
    assert re.search(r"\d+–\d+ \(\d+\.\d mm\)", findings[0].message)


def test_flush_bottoms_end_every_spread_on_one_line(manual):
    root, out, path = manual["flush"]
    assert _spread_findings(root, out) == []
    # the pages stretched are the ones ragged left short, and they now end on the foot
    flush, ragged = text_bottoms(path, 22), text_bottoms(manual["ragged"][2], 22)
    moved = [i for i, (a, b) in enumerate(zip(flush, ragged)) if a is not None and b is not None and b - a > 6]
    assert len(moved) >= 3
    assert all(abs(flush[i]) < 6 for i in moved)


def test_balancing_moves_no_word_to_another_page(manual):
    assert _page_words(manual["flush"][2]) == _page_words(manual["ragged"][2])


def test_the_persian_sample_book_has_no_spread_apart(persian_book):
    assert [d for d in preflight(persian_book.root, persian_book.out) if d.code == "layout.spread"] == []
