"""``ketab lint``: the Persian editorial linter on the manuscript's files.

The book's settings come from its ``book.yaml`` and each chapter's front matter,
read by the same functions the build uses (:func:`ketab.config.lint_settings`,
:func:`ketab.manuscript.chapter_lint`), so a book gets the same profile and the
same findings from ``ketab lint`` as from ``ketab build``, printed in the same
``path:line: severity: message [code]`` form.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

import click

from ketab import config as cfg
from ketab import manuscript as ms
from ketab import safeio
from ketab.diagnostics import Collector
from ketab.pandocrun import nonprose
from ketab.persian.lint import PROFILES, LintConfig, fix_markdown


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--fix", is_flag=True, help="Apply the unambiguous fixes in place.")
@click.option("--profile", type=click.Choice(["dari", "iranian"]), help="Orthography profile (default from book.yaml).")
def command(paths: tuple[Path, ...], fix: bool, profile: str | None) -> None:
    """Check Persian orthography in PATHS (default manuscript/)."""
    sys.exit(lint_paths(list(paths) or [Path("manuscript")], fix=fix, profile=profile, out=sys.stdout))


def lint_paths(
    paths: Iterable[str | Path],
    *,
    fix: bool = False,
    profile: str | None = None,
    book_config: LintConfig | None = None,
    out: TextIO | None = None,
) -> int:
    """``ketab lint [PATH…] [--fix] [--profile dari|iranian]``; 1 if anything was printed, else 0.

    A folder that holds a ``book.yaml`` means the chapter files its ``chapters:`` list names, in reading
    order (so generated files such as a cleaning report are never "fixed"); any other folder means every
    ``*.md`` under it (sorted, hidden folders skipped).  The book's settings come from *book_config*, or else
    from the nearest ``book.yaml`` at or above the folder (or the file's folder).  A chapter's front matter
    ``lint:`` key overrides them, and *profile* overrides the profile of both.  With *fix*, fixable findings
    are corrected in place first and only what remains is printed."""
    out = out if out is not None else sys.stdout
    if profile is not None and profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r} (expected one of {', '.join(PROFILES)})")
    diags = Collector()
    books = _Books(diags)
    for target in map(Path, paths):
        if not target.exists():
            diags.error(target, None, "no such file or folder", "lint.io")
            continue
        settings = books.at(target if target.is_dir() else target.parent)
        base = book_config or (settings.lint if settings else LintConfig())
        files = [f for f in _files(target, settings) if _inside(target, f, diags)]
        for file in files:
            lint_file(file, base, profile, fix, diags)
        if target.is_dir() and (target / "book.yaml").is_file() and settings is not None and settings.chapters:
            _lint_book(target, files, settings, base, diags)
    for d in diags.items:
        print(d, file=out)
    return 1 if diags.items else 0


class _Books:
    """The settings of every book.yaml met, each read once."""

    def __init__(self, diags: Collector):
        self.diags = diags
        self.read: dict[Path, cfg.LintSettings] = {}

    def at(self, directory: Path) -> cfg.LintSettings | None:
        book = _book_yaml_for(directory.resolve())
        if book is None:
            return None
        if book not in self.read:
            self.read[book] = cfg.lint_settings(book, self.diags)
        return self.read[book]


def _files(target: Path, settings: cfg.LintSettings | None) -> list[Path]:
    if not target.is_dir():
        return [target]
    if (target / "book.yaml").is_file() and settings is not None and settings.chapters is not None:
        return [target / ref.path for ref in settings.chapters if not ref.generate]
    return sorted(
        f for f in target.rglob("*.md")
        if f.is_file() and not any(part.startswith(".") for part in f.relative_to(target).parts)
    )


def _inside(target: Path, file: Path, diags: Collector) -> bool:
    """A folder's files stay inside it: a ../, absolute or symlinked chapter path of its book.yaml (which
    ``build`` refuses) is reported, neither read nor fixed."""
    if not target.is_dir():
        return True
    try:
        safeio.inside(target, os.path.relpath(file, target))
        return True
    except (safeio.Refused, ValueError) as exc:
        diags.error(file, None, f"not linted: {getattr(exc, 'message', exc)}", "lint.outside")
        return False


def _book_yaml_for(directory: Path) -> Path | None:
    for d in [directory, *directory.parents]:
        candidate = d / "book.yaml"
        if candidate.is_file():
            return candidate
        if (d / ".git").exists():
            return None
    return None


def _lint_book(root: Path, files: list[Path], settings: cfg.LintSettings, base: LintConfig, diags: Collector) -> None:
    """The rules that need the whole book (one spelling per word, the register's spellings of names)."""
    texts = []
    for file in files:
        try:
            text = safeio.read_bytes(file.parent, file.name, "chapter").decode("utf-8")
            texts.append((file, text, nonprose(text)))  # pandoc's code and raw HTML are not read
        except (OSError, UnicodeDecodeError):
            continue  # reported by the file's own pass
    register = ms.load_register(root, settings.chapters, root / "book.yaml", Collector())
    ms.lint_book_texts(texts, register, base, diags)


def lint_file(file: Path, base: LintConfig, profile: str | None, fix: bool, diags: Collector) -> None:
    """Lint one Markdown file (fixing it first with ``fix``); front matter is optional here."""
    try:
        raw = safeio.read_bytes(file.parent, file.name, "chapter")  # a regular file, bounded: never a FIFO
    except safeio.Refused as e:
        if e.reason != "outside":
            diags.error(file, None, e.message, "lint.io")
            return
        try:  # a symlink the user named on the command line: read where it points, never written through
            raw, fix = file.read_bytes(), False
        except OSError as e2:
            diags.error(file, None, e2.strerror or str(e2), "lint.io")
            return
    before = len(diags.errors)
    text = cfg.decode_text(raw, file, diags)
    if len(diags.errors) > before:
        return
    config = base
    if text.startswith("---\n"):
        meta, _, _ = ms.split_front_matter(text, file, diags)
        if meta is not None:
            config = ms.chapter_lint(meta, base, file, diags)
    if profile is not None:
        config = LintConfig(profile, config.disabled)
    source = raw.decode("utf-8")  # as the file is: line ends and all, for the fixer
    if fix:
        fixed = fix_markdown(source, config, nonprose)
        if fixed != source:
            file.write_bytes(fixed.encode("utf-8"))
            source = fixed
    ms.lint_text(source, file, config, diags, nonprose=nonprose(source))  # code and raw HTML as pandoc parses them
