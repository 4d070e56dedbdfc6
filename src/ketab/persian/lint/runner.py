"""The editorial linter: Persian orthography and punctuation in Markdown chapters (``ketab lint``).

Every rule has a stable code, a description, whether it can fix what it finds, and the orthographic
profiles it applies to.  Two profiles exist:

``iranian``
    the Academy of Persian Language and Literature's orthography (دستور خط فارسی).
``dari``
    Afghan (Dari) usage, which the Iranian rules must not "Iranize".  Two rules are Iranian only:
    ``fa-zwnj-he`` (Dari writes the indefinite and relative «یی» after a silent ه apart: «نوشته یی»,
    «خانه یی»; the Iranian profile wants «نوشته‌ای») and ``fa-he-gi`` (Dari keeps the silent ه before «گی»:
    «زنده‌گی», «بنده‌گی»; the Iranian profile wants «زندگی»).  Every other rule applies to both.

Only prose is checked (see :mod:`ketab.persian.markdown`): not the front matter, code, math, URLs, link
targets, attribute blocks, footnote labels, raw HTML, date-markup bodies, text marked with another
``lang``, paragraphs without a Persian letter, nor *Latin runs* (:mod:`ketab.persian.script`), inside
which Latin digits, quotes and commas are correct.  Diacritics (ezafe ِ, hamza ٔ, tanwin) are never flagged
and never removed.

A fix is offered only where it is unambiguous; positions are 1-based lines and columns (in characters) of
the file as given, front matter included.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import yaml

from ketab.persian.markdown import LineIndex, front_matter
from ketab.persian.lint.rules import PROFILES, RULES, RULES_BY_CODE, Rule, _Issue, _View, _issues_for, prose_view

__all__ = [
    "PROFILES",
    "RULES",
    "Finding",
    "LintConfig",
    "LintConfigError",
    "Rule",
    "fix_markdown",
    "lint_markdown",
    "lint_paths",
    "prose_view",
]


# ---------------------------------------------------------------------------------------------------------
# Public data


@dataclass(frozen=True)
class Finding:
    """One problem in one file."""

    path: str
    line: int  #: 1-based
    col: int  #: 1-based, in characters
    code: str  #: the rule code (``fa-yeh``), or ``encoding``/``config``/``io`` for a file that cannot be read
    message: str
    fixable: bool  #: ``ketab lint --fix`` would correct it

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.code}: {self.message}"


class LintConfigError(ValueError):
    """An invalid ``lint:`` mapping; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class LintConfig:
    """Which rules run: the ``lint:`` key of ``book.yaml`` and of a chapter's front matter."""

    #: ``'iranian'`` or ``'dari'``.
    profile: str = "iranian"
    #: Rule codes turned off.
    disabled: frozenset[str] = frozenset()

    @classmethod
    def from_mapping(cls, mapping: Mapping | None, base: "LintConfig | None" = None) -> "LintConfig":
        """Read ``{profile: dari, disable: [fa-repeat], fa-latin-quote: false}`` on top of *base*.

        ``<code>: false`` turns a rule off, ``<code>: true`` turns back on a rule that *base* turned off.
        Raises :class:`LintConfigError` listing every problem (unknown profile, key or rule code).
        """
        base = base or cls()
        if mapping is None:
            return base
        if not isinstance(mapping, Mapping):
            raise LintConfigError([f"lint: expected a mapping, found {type(mapping).__name__}"])
        problems: list[str] = []
        profile = mapping.get("profile", base.profile)
        if profile not in PROFILES:
            problems.append(f"lint.profile: unknown profile {profile!r} (expected one of {', '.join(PROFILES)})")
            profile = base.profile
        disabled = set(base.disabled)
        codes = mapping.get("disable", [])
        if isinstance(codes, str):
            codes = [codes]
        if not isinstance(codes, list):
            problems.append("lint.disable: expected a list of rule codes")
            codes = []
        for code in codes:
            if code in RULES_BY_CODE:
                disabled.add(code)
            else:
                problems.append(f"lint.disable: unknown rule {code!r}")
        for key, value in mapping.items():
            if key in ("profile", "disable"):
                continue
            if key not in RULES_BY_CODE:
                problems.append(f"lint: unknown key or rule {key!r}")
            elif value is False:
                disabled.add(key)
            elif value is True:
                disabled.discard(key)
            else:
                problems.append(f"lint.{key}: expected true or false")
        if problems:
            raise LintConfigError(problems)
        return cls(profile, frozenset(disabled))

    def rules(self) -> list[Rule]:
        return [r for r in RULES if self.profile in r.profiles and r.code not in self.disabled]


# ---------------------------------------------------------------------------------------------------------
# Linting and fixing


def _all_issues(text: str, config: LintConfig) -> list[tuple[Rule, _Issue]]:
    view = _View(text, prose_view(text), config.profile)
    return [(rule, issue) for rule in config.rules() for issue in _issues_for(view, rule)]


def lint_markdown(text: str, path: str, config: LintConfig) -> list[Finding]:
    """Every finding of the rules *config* enables in the Markdown chapter *text* (front matter included)."""
    index = LineIndex(text)
    findings = []
    for rule, issue in _all_issues(text, config):
        line, col = index.position(issue.position)
        findings.append(Finding(path, line, col, rule.code, issue.message, issue.replacement is not None))
    return sorted(set(findings), key=lambda f: (f.line, f.col, f.code, f.message))


def fix_markdown(text: str, config: LintConfig) -> str:
    """*text* with every fixable finding corrected; ``fix_markdown(fix_markdown(x)) == fix_markdown(x)``."""
    for _ in range(20):
        edits = sorted(
            (issue.start, issue.end, issue.replacement)
            for _, issue in _all_issues(text, config)
            if issue.replacement is not None and text[issue.start:issue.end] != issue.replacement
        )
        chosen: list[tuple[int, int, str]] = []
        for start, end, replacement in edits:
            if chosen:
                last_start, last_end, _ = chosen[-1]
                if start < last_end or (start == last_end and (start == end or last_start == last_end)):
                    continue  # overlaps an edit already chosen: next round
            chosen.append((start, end, replacement))
        if not chosen:
            return text
        parts = []
        pos = 0
        for start, end, replacement in chosen:
            parts.append(text[pos:start])
            parts.append(replacement)
            pos = end
        parts.append(text[pos:])
        text = "".join(parts)
    return text


# ---------------------------------------------------------------------------------------------------------
# Files


def _yaml_key_line(source: str, key: str) -> int:
    """0-based line of *key* at the top level of the YAML mapping *source* (0 if not found)."""
    try:
        node = yaml.compose(source)
    except yaml.YAMLError:
        return 0
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if getattr(k, "value", None) == key:
                return k.start_mark.line
    return 0


def _load_yaml(source: str, path: str, first_line: int, findings: list[Finding]):
    """The YAML document *source* (book.yaml or front matter), or None with a ``config`` finding."""
    try:
        return yaml.safe_load(source)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = first_line + (mark.line if mark else 0)
        col = (mark.column + 1) if mark else 1
        findings.append(Finding(path, line, col, "config", f"invalid YAML: {getattr(e, 'problem', e)}", False))
        return None


def _apply_lint_key(data, source: str, path: str, first_line: int, base: LintConfig,
                    findings: list[Finding]) -> LintConfig:
    """The ``lint:`` key of a YAML mapping applied to *base*; problems become ``config`` findings."""
    if not isinstance(data, Mapping) or "lint" not in data:
        return base
    try:
        return LintConfig.from_mapping(data["lint"], base)
    except LintConfigError as e:
        line = first_line + _yaml_key_line(source, "lint")
        findings.extend(Finding(path, line, 1, "config", p, False) for p in e.problems)
        return base


@dataclass(frozen=True)
class _Book:
    config: LintConfig
    chapters: tuple[Path, ...] | None  # the written chapters book.yaml lists, in reading order


def _load_book(book: Path, findings: list[Finding]) -> _Book:
    """The lint settings of a ``book.yaml``: its ``lint:`` key on top of the profile its ``language``
    implies (``fa-AF``/``prs`` → dari), and its list of chapter files."""
    source, problem = _decode(book.read_bytes(), str(book))
    if problem:
        findings.append(problem)
        return _Book(LintConfig(), None)
    data = _load_yaml(source, str(book), 1, findings)
    if not isinstance(data, Mapping):
        return _Book(LintConfig(), None)
    language = str(data.get("language") or "").lower().replace("_", "-")
    dari = language == "prs" or language.startswith("prs-") or (
        language.split("-")[0] in ("fa", "fas", "per") and "af" in language.split("-")[1:])
    config = _apply_lint_key(data, source, str(book), 1, LintConfig("dari" if dari else "iranian"), findings)
    chapters = data.get("chapters")
    if not isinstance(chapters, list):
        return _Book(config, None)
    files = tuple(book.parent / entry.strip() for entry in chapters if isinstance(entry, str) and entry.strip())
    return _Book(config, files)


def _book_yaml_for(directory: Path) -> Path | None:
    for d in [directory, *directory.parents]:
        candidate = d / "book.yaml"
        if candidate.is_file():
            return candidate
        if (d / ".git").exists():
            return None
    return None


def _decode(data: bytes, path: str) -> tuple[str | None, Finding | None]:
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as e:
        good = data[:e.start].decode("utf-8")
        line, col = LineIndex(good).position(len(good))
        return None, Finding(path, line, col, "encoding",
                             f"not UTF-8: byte 0x{data[e.start]:02x} at offset {e.start}", False)


def lint_paths(
    paths: Iterable[str | Path],
    *,
    fix: bool = False,
    profile: str | None = None,
    book_config: LintConfig | None = None,
    out: TextIO | None = None,
) -> int:
    """``ketab lint [PATH…] [--fix] [--profile dari|iranian]``.

    A folder that holds a ``book.yaml`` means the chapter files its ``chapters:`` list names, in reading
    order (so generated files such as a cleaning report are never "fixed"); any other folder means every
    ``*.md`` under it (sorted, hidden folders skipped).  The book's settings come from *book_config*, or else
    from the nearest ``book.yaml`` at or above the folder (or the file's folder): its ``lint:`` key on top of
    the profile its ``language`` implies.  A chapter's front matter ``lint:`` key overrides them, and
    *profile* overrides the profile of both.  Prints
    ``path:line:col: code: message`` lines to *out*; with *fix*, fixable findings are corrected in place first
    and only what remains is printed.  Returns 1 if anything was printed, else 0.
    """
    out = out if out is not None else sys.stdout
    if profile is not None and profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r} (expected one of {', '.join(PROFILES)})")
    findings: list[Finding] = []
    books: dict[Path, _Book] = {}

    def book_at(directory: Path) -> _Book | None:
        book = _book_yaml_for(directory.resolve())
        if book is None:
            return None
        if book not in books:
            books[book] = _load_book(book, findings)
        return books[book]

    def base_for(book: _Book | None) -> LintConfig:
        if book_config is not None:
            return book_config
        return book.config if book else LintConfig()

    for target in paths:
        target = Path(target)
        if target.is_dir():
            book = book_at(target)
            own_book = (target / "book.yaml").is_file()
            if own_book and book is not None and book.chapters is not None:
                files = list(book.chapters)
            else:
                files = sorted(
                    f for f in target.rglob("*.md")
                    if f.is_file() and not any(part.startswith(".") for part in f.relative_to(target).parts)
                )
        elif target.is_file():
            book = book_at(target.parent)
            files = [target]
        else:
            findings.append(Finding(str(target), 1, 1, "io", "no such file or folder", False))
            continue
        base = base_for(book)
        for file in files:
            findings.extend(_lint_file(file, base, profile, fix))

    for finding in findings:
        print(finding, file=out)
    return 1 if findings else 0


def _lint_file(file: Path, base: LintConfig, profile: str | None, fix: bool) -> list[Finding]:
    name = str(file)
    try:
        data = file.read_bytes()
    except OSError as e:
        return [Finding(name, 1, 1, "io", e.strerror or str(e), False)]
    text, problem = _decode(data, name)
    if problem:
        return [problem]
    findings: list[Finding] = []
    config = base
    fm = front_matter(text)
    if fm is not None:
        config = _apply_lint_key(_load_yaml(fm, name, 2, findings), fm, name, 2, base, findings)
    if profile is not None:
        config = LintConfig(profile, config.disabled)
    if fix:
        fixed = fix_markdown(text, config)
        if fixed != text:
            file.write_bytes(fixed.encode("utf-8"))
            text = fixed
    return findings + lint_markdown(text, name, config)
