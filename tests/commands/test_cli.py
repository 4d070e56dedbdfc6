"""The command line: outputs, diagnostics format, exit codes, outputs kept on failure."""

from __future__ import annotations

import re

from conftest import run_cli


def test_build_writes_the_outputs(project, tmp_path):
    root = project("english-small")
    out = tmp_path / "out"
    proc = run_cli("build", root, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["small-test-cover.pdf", "small-test-print.pdf", "small-test-screen.pdf", "small-test.epub"]


def test_format_option_selects_outputs(project, tmp_path):
    out = tmp_path / "out"
    proc = run_cli("build", project("english-small"), "--out", out, "--format", "epub")
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == ["small-test.epub"]
    assert run_cli("build", project("english-small"), "--format", "mobi").returncode == 2


def test_errors_are_reported_as_path_line_and_previous_outputs_survive(project, tmp_path):
    root = project("english-small")
    out = tmp_path / "out"
    assert run_cli("build", root, "--out", out, "--format", "epub").returncode == 0
    before = (out / "small-test.epub").read_bytes()
    chapter = root / "chapters" / "02-two.md"
    chapter.write_text(chapter.read_text() + "\nA dangling note.[^9]\n\nA bad date [1999-02-30]{.miladi}.\n")
    proc = run_cli("build", root, "--out", out, "--format", "epub")
    assert proc.returncode == 1
    lines = [l for l in proc.stderr.splitlines() if ": error:" in l]
    assert len(lines) == 2
    for line in lines:
        assert re.match(r"^\S+chapters/02-two\.md:\d+: error: .+ \[[a-z.-]+\]$", line), line
    assert any("[note.undefined]" in l for l in lines) and any("[date.invalid]" in l for l in lines)
    assert (out / "small-test.epub").read_bytes() == before
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_warnings_do_not_fail_the_build(project, tmp_path):
    root = project("english-small")
    (root / "book.yaml").write_text((root / "book.yaml").read_text() + "colour: blue\n")
    proc = run_cli("build", root, "--out", tmp_path / "out", "--format", "epub")
    assert proc.returncode == 0
    assert re.search(r"book\.yaml:\d+: warning: unknown key 'colour' is ignored \[config\.unknown-key\]", proc.stderr)


def test_linter_findings_are_warnings_and_errors_with_strict(project, tmp_path):
    root = project("persian-small")
    chapter = root / "chapters" / "02-second.md"
    text = chapter.read_text(encoding="utf-8") + "\nاين متن ياء عربي دارد.\n"
    chapter.write_text(text, encoding="utf-8")
    line = text.count("\n")
    proc = run_cli("build", root, "--out", tmp_path / "a", "--format", "epub")
    assert proc.returncode == 0, proc.stderr
    assert re.search(rf"02-second\.md:{line}: warning: .* \[lint\.fa-yeh\]", proc.stderr), proc.stderr
    proc = run_cli("build", root, "--out", tmp_path / "b", "--format", "epub", "--strict")
    assert proc.returncode == 1
    assert re.search(rf"02-second\.md:{line}: error: .* \[lint\.fa-yeh\]", proc.stderr), proc.stderr
