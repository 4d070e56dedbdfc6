"""The Persian editorial linter behind ``ketab lint`` and the build's warnings.

* :mod:`ketab.persian.lint.rules` -- the rules and the profiles (Iranian, Dari) that select them;
* :mod:`ketab.persian.lint.runner` -- linting and fixing a text, a file, a manuscript;
* :mod:`ketab.persian.lint.verbs` -- the verb forms the joined-prefix rule must not split.
"""

from ketab.persian.lint.runner import (
    PROFILES,
    RULES,
    Finding,
    LintConfig,
    LintConfigError,
    Rule,
    fix_markdown,
    lint_markdown,
    lint_paths,
    prose_view,
)

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
