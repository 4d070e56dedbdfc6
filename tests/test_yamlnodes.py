"""YAML with the line of every value (ketab/yamlnodes.py): libyaml's parser under PyYAML's composer gives
what PyYAML's own Python parser gives — the values, the lines, the errors and their lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketab import yamlnodes

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "manuscript").glob("**/*.yaml")) + sorted((ROOT / "tests" / "projects").glob("*/**/*.yaml"))

HOSTILE = {
    "alias": "a: &x [1, 2]\nb: *x\n",
    "billion laughs": "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n",
    "deep": "[" * 150 + "]" * 150,
    "control character": "title: a\x07b\n",
    "tab indent": "a:\n\tb: 1\n",
    "unclosed": "a: [1, 2\nb: 3\n",
    "bad mapping": "a: b: c\n",
    "duplicate key": "a: 1\na: 2\n",
    "timestamp": "date: 2024-02-30\n",
    "bad tag": "a: !!int x\n",
    "bom and tabs": "\ufeffkey: value\n",
}


def _outcome(loader, text: str):
    try:
        located = yamlnodes._load(text, 3, loader)
        return "value", located.value, located.lines
    except yamlnodes.YamlSyntaxError as exc:
        return "error", exc.line


@pytest.mark.skipif(yamlnodes._Loader is yamlnodes._PureLoader, reason="PyYAML was built without libyaml")
@pytest.mark.parametrize("text", [p.read_text(encoding="utf-8") for p in FILES] + list(HOSTILE.values()),
                         ids=[str(p.relative_to(ROOT)) for p in FILES] + list(HOSTILE))
def test_the_fast_parser_reads_what_the_python_parser_reads(text):
    assert _outcome(yamlnodes._Loader, text) == _outcome(yamlnodes._PureLoader, text)


def test_aliases_and_deep_nesting_are_refused_with_their_line():
    for text in (HOSTILE["alias"], HOSTILE["billion laughs"], HOSTILE["deep"]):
        with pytest.raises(yamlnodes.YamlSyntaxError) as caught:
            yamlnodes.load(text)
        assert caught.value.line is not None and ("alias" in caught.value.message or "nested" in caught.value.message)


def test_an_error_is_said_in_pythons_words_at_its_line():
    with pytest.raises(yamlnodes.YamlSyntaxError) as caught:
        yamlnodes.load(HOSTILE["tab indent"], first_line=5)
    assert "found character '\\t' that cannot start any token" in caught.value.message and caught.value.line == 6
