"""Markdown nobody on this project wrote builds unmodified: pandoc's test documents and pandoc's manual split into
chapters (front matter added only), fetched from Debian's pandoc source package by ``make testbooks``
(scripts/fetch_testbooks.py) into tests/projects/_external/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pikepdf
import pytest

from ketab import pipeline
from support import epubcheck_messages
from test_elements import assert_no_text_past_the_trim

EXTERNAL = Path(__file__).parent / "projects" / "_external"
BOOK_FONTS = ("Parastoo", "Vazirmatn", "Noto-Serif", "Vazir-Code")


@pytest.mark.parametrize("name", ["pandoc-tests", "pandoc-manual"])
def test_external_book_builds_passes_epubcheck_and_embeds_only_its_fonts(name, tmp_path):
    source = EXTERNAL / name
    if not (source / "book.yaml").exists():
        pytest.fail(f"{source} is missing: run `make testbooks` (scripts/fetch_testbooks.py)")
    root = tmp_path / name
    shutil.copytree(source, root)
    result = pipeline.build(root, tmp_path / "out")
    assert [m for m in epubcheck_messages(result.outputs["epub"]) if m["severity"] in ("ERROR", "FATAL", "WARNING")] == []
    with pikepdf.open(result.outputs["print"]) as pdf:
        fonts = {str(f.get("/BaseFont")).split("+")[-1] for p in pdf.pages for f in (p.resources.get("/Font") or {}).values()}
    assert fonts and all(f.startswith(BOOK_FONTS) for f in fonts), fonts
    assert_no_text_past_the_trim(result.outputs["print"])
    assert not [d for d in result.warnings if d.code == "font.missing-glyph" and "GREEK" in d.message]  # math is drawn
