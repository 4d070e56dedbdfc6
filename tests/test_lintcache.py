"""The linter's findings kept per chapter in the build cache: after any edit, a build reports what a build
without a cache reports — a chapter's own findings, and the book-wide ones that count every chapter."""

from __future__ import annotations

import shutil
from pathlib import Path

from ketab import pipeline

PROJECTS = Path(__file__).parent / "projects"


def _lint(root: Path, cache) -> list[str]:
    _, _, warnings = pipeline.load_and_convert(root, cache)
    return sorted(str(d) for d in warnings if d.code.startswith("lint."))


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text + "\n", encoding="utf-8")


def test_lint_findings_after_edits_are_those_of_a_build_without_a_cache(tmp_path):
    root = tmp_path / "book"
    shutil.copytree(PROJECTS / "persian-small", root, ignore=shutil.ignore_patterns("build"))
    cache = pipeline.open_cache(tmp_path / "out")
    chapters = root / "chapters"
    # one spelling three times in one chapter, the other once in another: the book-wide rule flags the one
    _append(chapters / "01-first.md", "همچنین گفت. همچنین نوشت. همچنین رفت.")
    _append(chapters / "02-second.md", "هم‌چنین آمد.")
    first = _lint(root, cache)
    assert any("fa-spelling" in w and "02-second.md" in w for w in first)
    assert first == _lint(root, None)
    steps = [
        ("01-first.md", "متنی دیگر بی‌ربط به املا."),  # the other chapter's finding must still be said
        ("02-second.md", "هم‌چنین دید. هم‌چنین شنید. هم‌چنین خواند."),  # now the other spelling is the usual one
        ("01-first.md", "كتاب"),  # a chapter's own finding (Arabic kaf)
    ]
    for name, text in steps:
        _append(chapters / name, text)
        assert _lint(root, cache) == _lint(root, None), f"after adding {text!r} to {name}"
    last = _lint(root, cache)
    assert any("fa-spelling" in w and "01-first.md" in w for w in last)
    assert not any("fa-spelling" in w and "02-second.md" in w for w in last)
