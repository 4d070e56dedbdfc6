"""The benchmark's edits (scripts/bench_edits.py): words inserted inside one prose paragraph — the first,
the middle or the last of a chapter — never a new paragraph, never inside markup."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pypandoc
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import bench_edits  # noqa: E402

MANUAL = ROOT / "tests" / "projects" / "_external" / "pandoc-manual" / "chapters" / "08-pandoc-s-markdown.md"
CHAPTERS = [ROOT / "manuscript" / "chapters" / "01-biography.md", ROOT / "manuscript" / "chapters" / "03-bernardini.md", MANUAL]


def _paragraphs(markdown: str) -> list[str]:
    html = pypandoc.convert_text(markdown, "html5", format="markdown", extra_args=["--wrap=none"])
    html = re.split(r'<section[^>]*class="footnotes', html)[0]  # the notes' paragraphs are not the text's
    return [re.sub(r"<[^>]+>", "", p) for p in re.findall(r"<p>(.*?)</p>", html, re.S)]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
@pytest.mark.parametrize("where", bench_edits.POSITIONS)
@pytest.mark.parametrize("kind", bench_edits.KINDS)
def test_an_edit_changes_one_paragraph_of_the_chapter(chapter, where, kind, tmp_path):
    if not chapter.exists():
        pytest.skip(f"{chapter} is fetched by `make testbooks`")
    copy = tmp_path / chapter.name
    copy.write_text(chapter.read_text(encoding="utf-8"), encoding="utf-8")
    before = _paragraphs(bench_edits.body(copy.read_text(encoding="utf-8")))
    bench_edits.edit(copy, where, kind)
    after = _paragraphs(bench_edits.body(copy.read_text(encoding="utf-8")))
    assert len(after) == len(before), "no paragraph added or split"
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert len(changed) == 1, changed
    lang = bench_edits.language(after[changed[0]])
    words = bench_edits.LINE[lang] if kind == "line" else bench_edits.WORDS[lang][0]
    assert words in after[changed[0]] and after[changed[0]].replace(" " + words, "", 1) == before[changed[0]]
    place = changed[0] / len(before)
    assert {"start": place < 0.25, "middle": 0.25 <= place <= 0.75, "end": place > 0.75}[where], (where, changed[0], len(before))
