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

from collections.abc import Mapping
from dataclasses import dataclass

from ketab.persian.lint.rules import BOOK_RULES, PROFILES, RULES, RULES_BY_CODE, Rule, _Issue, _issues_for, _View, prose_view
from ketab.persian.markdown import LineIndex

__all__ = [
    "PROFILES",
    "RULES",
    "Finding",
    "LintConfig",
    "LintConfigError",
    "Rule",
    "fix_markdown",
    "lint_markdown",
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
            if isinstance(code, str) and (code in RULES_BY_CODE or code in BOOK_RULES):  # a list is not a code (nor hashable)
                disabled.add(code)
            else:
                problems.append(f"lint.disable: unknown rule {code!r}")
        for key, value in mapping.items():
            if key in ("profile", "disable"):
                continue
            if not isinstance(key, str) or (key not in RULES_BY_CODE and key not in BOOK_RULES):
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


def _all_issues(text: str, config: LintConfig, nonprose=()) -> list[tuple[Rule, _Issue]]:
    nonprose = tuple(nonprose)
    view = _View(text, prose_view(text, nonprose), config.profile, nonprose)
    return [(rule, issue) for rule in config.rules() for issue in _issues_for(view, rule)]


def lint_markdown(text: str, path: str, config: LintConfig, nonprose=()) -> list[Finding]:
    """Every finding of the rules *config* enables in the Markdown chapter *text* (front matter included).

    ``nonprose``: the spans of *text* pandoc parsed as code or raw HTML (:func:`ketab.pandocrun.nonprose`,
    or the conversion's own parse): the linter never reads them."""
    index = LineIndex(text)
    findings = []
    for rule, issue in _all_issues(text, config, nonprose):
        line, col = index.position(issue.position)
        findings.append(Finding(path, line, col, rule.code, issue.message, issue.replacement is not None))
    return sorted(set(findings), key=lambda f: (f.line, f.col, f.code, f.message))


def fix_markdown(text: str, config: LintConfig, parse=lambda text: ()) -> str:
    """*text* with every fixable finding corrected; ``fix_markdown(fix_markdown(x)) == fix_markdown(x)``.
    ``parse(text)``: the spans of a text pandoc parses as code or raw HTML (read again after each round)."""
    for _ in range(20):
        edits = sorted(
            (issue.start, issue.end, issue.replacement)
            for _, issue in _all_issues(text, config, parse(text))
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
