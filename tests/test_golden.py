"""Golden files: the XHTML that convert and the EPUB writer emit, reviewed as diffs.

Each case is ``tests/golden/<case>/in`` (a manuscript) and ``tests/golden/<case>/golden`` (what it gives).
Regenerate with ``pytest tests/test_golden.py --save-golden`` and review ``git diff tests/golden``."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from ketab.assemble import assemble
from ketab.convert import convert_chapters
from ketab.generate import generated_markdown
from ketab.manuscript import load_manuscript
from ketab.render import default_templates
from ketab.writers.epub import write_epub

CASES = sorted(p.name for p in (Path(__file__).parent / "golden").iterdir() if (p / "in").is_dir())


@pytest.mark.parametrize("case", CASES)
def test_convert_and_epub_xhtml_match_the_golden_files(case, tmp_path, golden):
    here = Path(__file__).parent / "golden" / case
    root = tmp_path / "in"
    shutil.copytree(here / "in", root)
    manuscript = load_manuscript(root)
    converted, _ = convert_chapters(manuscript, lambda ch: generated_markdown(manuscript, ch))
    for chapter in converted:
        golden(here / "golden" / f"{chapter.chapter.id}.convert.html", chapter.html + "\n")
    path = write_epub(assemble(manuscript, converted), default_templates(), tmp_path)
    with zipfile.ZipFile(path) as epub:
        for name in sorted(n for n in epub.namelist() if n.endswith(".xhtml")):
            golden(here / "golden" / "epub" / Path(name).name, epub.read(name).decode("utf-8"))


def test_there_are_golden_cases():
    assert len(CASES) >= 2
