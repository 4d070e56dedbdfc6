"""YAML loading that remembers where every key and value stood.

PyYAML composes a node tree whose marks carry line numbers; we construct the
plain Python value from it and keep a map from key paths to 1-based lines, so
that every configuration error can name its file and line.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml


class YamlSyntaxError(Exception):
    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True)
class LocatedYaml:
    value: object
    lines: dict = field(default_factory=dict)
    """Maps a key path (tuple of keys and list indexes) to the 1-based line of its value."""
    first_line: int = 1

    def line(self, *path) -> int:
        """The line of ``path``, or of its nearest located ancestor."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.first_line


class _Loader(yaml.SafeLoader):
    """SafeLoader without aliases: ``&a [*a]`` recurses forever and nested aliases multiply a small
    file into millions of nodes; ketab's files have no use for them."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, f"aliases (*{event.anchor}) are not supported", event.start_mark)
        return super().compose_node(parent, index)


def load(text: str, first_line: int = 1) -> LocatedYaml:
    """Parse ``text`` (one YAML document) that starts at ``first_line`` of its file."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        value = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + first_line if mark is not None else None
        problem = exc.problem or str(exc)
        if exc.context:
            problem = f"{exc.context}: {problem}"
        raise YamlSyntaxError(f"malformed YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(f"malformed YAML: {exc}", first_line) from None
    finally:
        loader.dispose()
    lines: dict = {}
    if node is not None:
        _walk(node, (), lines, first_line - 1)
    return LocatedYaml(value, lines, first_line)


def _walk(node, path, lines, offset):
    lines[path] = node.start_mark.line + 1 + offset
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            _walk(value_node, path + (key,), lines, offset)
            lines[path + (key,)] = key_node.start_mark.line + 1 + offset
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, path + (i,), lines, offset)
