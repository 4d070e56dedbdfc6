"""One diagnostics registry: every code the source uses is in it, and docs/diagnostics.md is made from it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ketab.diagnostics import CODES, Collector, markdown_table, registered

ROOT = Path(__file__).resolve().parents[1]
REPORTERS = {"error", "warning", "Diagnostic", "report"}
RETURNED = {"image.broken", "chapter.too-large"}  # returned by pictures.picture_problem, or chosen by a reason (manuscript)


def codes_in_source() -> dict[str, str]:
    """Code → where, for every string literal passed as the code of a diagnostic."""
    found = {}
    for path in sorted((ROOT / "src" / "ketab").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            last = node.args[-1]
            if name in REPORTERS and isinstance(last, ast.Constant) and isinstance(last.value, str) and len(node.args) >= 3:
                found.setdefault(last.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_code_the_source_reports_is_registered():
    used = codes_in_source()
    assert len(used) > 30  # the scan sees the reporters
    assert {c: w for c, w in used.items() if not registered(c)} == {}


DATA_FILE_CODES = {f"{kind}.{what}" for kind in ("chronology", "glossary", "abbreviations", "register") for what in ("missing", "syntax", "type")}
"""Codes made as f"{kind}.missing" for a data file of one kind (manuscript.load_data_file, generate)."""


def test_every_data_file_code_is_registered():
    assert sorted(c for c in DATA_FILE_CODES if not registered(c)) == []


def test_no_registered_code_is_stale():
    used = set(codes_in_source()) | {"lint.<rule>"} | DATA_FILE_CODES | RETURNED
    assert sorted(set(CODES) - used) == []


def test_docs_are_generated_from_the_table():
    """Regenerate with ``python -m ketab.diagnostics > docs/diagnostics.md``."""
    assert (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8") == markdown_table()


def test_an_unregistered_code_is_refused():
    with pytest.raises(AssertionError):
        Collector().error("x.md", 1, "message", "made.up")


def test_every_code_has_a_meaning_and_a_severity():
    assert all(c.meaning.strip() and c.severity.value in ("error", "warning") for c in CODES.values())
