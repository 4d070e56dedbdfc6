"""book.yaml: every error reported together, with its line; unknown keys warn."""

from __future__ import annotations

import pytest

from ketab.config import load_config
from ketab.diagnostics import BuildError

GOOD = """\
title: T
language: fa
slug: t
identifier: urn:uuid:6f1c1c7e-2b1f-4c55-9a55-0d6f3a4f7a10
chapters: [a.md]
"""


def load(tmp_path, text):
    path = tmp_path / "book.yaml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_direction_is_derived_from_the_language(tmp_path):
    config, _ = load(tmp_path, GOOD)
    assert config.direction == "rtl"
    config, _ = load(tmp_path, GOOD.replace("language: fa", "language: en"))
    assert config.direction == "ltr"


def test_named_and_explicit_trims(tmp_path):
    config, _ = load(tmp_path, GOOD)
    assert (config.trim.width, config.trim.height) == (145.0, 215.0)  # raqi is the default
    config, _ = load(tmp_path, GOOD + "trim: {width: 120, height: 180}\n")
    assert (config.trim.width, config.trim.height) == (120.0, 180.0)


def test_all_errors_are_reported_together_with_lines(tmp_path):
    text = GOOD.replace("language: fa", "language: xx-klingon!").replace("slug: t", "slug: Bad Slug") + "trim: huge\n"
    with pytest.raises(BuildError) as info:
        load(tmp_path, text)
    diags = [d for d in info.value.diagnostics if d.is_error]
    assert {d.line for d in diags} == {2, 3, 6}
    assert all(d.code == "config.value" for d in diags)
    assert any("trim" in d.message and "raqi" in d.message for d in diags)


def test_unknown_language_is_an_error(tmp_path):
    with pytest.raises(BuildError) as info:
        load(tmp_path, GOOD.replace("language: fa", "language: tlh"))
    assert "unknown language" in str(info.value)


def test_unknown_key_warns_with_its_line(tmp_path):
    config, warnings = load(tmp_path, GOOD + "colour: blue\n")
    assert [(w.line, w.code) for w in warnings] == [(6, "config.unknown-key")]


def test_missing_required_keys(tmp_path):
    with pytest.raises(BuildError) as info:
        load(tmp_path, "title: T\n")
    missing = {d.message.split("'")[1] for d in info.value.diagnostics if d.code == "config.required"}
    assert missing == {"language", "slug", "identifier", "chapters"}


def test_malformed_yaml_points_at_the_line(tmp_path):
    with pytest.raises(BuildError) as info:
        load(tmp_path, GOOD + "creators: [unclosed\nrights: x\n")
    (d,) = info.value.diagnostics
    assert d.code == "config.syntax" and d.line in (6, 7, 8)


def test_bad_identifier(tmp_path):
    with pytest.raises(BuildError) as info:
        load(tmp_path, GOOD.replace("urn:uuid:6f1c1c7e-2b1f-4c55-9a55-0d6f3a4f7a10", "urn:uuid:not-a-uuid"))
    assert "urn:uuid" in str(info.value)


def test_chapters_listed_twice(tmp_path):
    with pytest.raises(BuildError) as info:
        load(tmp_path, GOOD.replace("[a.md]", "[a.md, b.md, a.md]"))
    assert [d.code for d in info.value.diagnostics] == ["chapter.duplicate"]
