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


class _Composing:
    """The composer without aliases: ``&a [*a]`` recurses forever and nested aliases multiply a small
    file into millions of nodes; ketab's files have no use for them."""

    depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, f"aliases (*{event.anchor}) are not supported", event.start_mark)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:  # the composer recurses: [[[[…]]]] of 5000 levels would exhaust Python's stack
                raise yaml.composer.ComposerError(None, None, f"collections nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
            return yaml.composer.Composer.compose_node(self, parent, index)
        finally:
            self.depth -= 1


class _PureLoader(_Composing, yaml.SafeLoader):
    """SafeLoader (PyYAML's reader, scanner and parser in Python) without aliases."""


if getattr(yaml, "__with_libyaml__", False):
    class _Loader(_Composing, yaml.composer.Composer, yaml.cyaml.CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """libyaml's parser (C) under PyYAML's composer, constructor and resolver: the events come six times
        faster (the book's names register: 64 → 10 ms, with the same values and lines), the nodes are
        composed here, without aliases."""

        def __init__(self, stream):
            yaml.cyaml.CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
else:  # PyYAML built without libyaml
    _Loader = _PureLoader


# Dates stay text: book.yaml's `date` is checked by its own schema (2024-02-30 is then a diagnostic with its
# line, not a ValueError from the YAML library), and nothing else in a manuscript means a timestamp.
_Loader.yaml_implicit_resolvers = _PureLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load(text: str, first_line: int = 1) -> LocatedYaml:
    """Parse ``text`` (one YAML document) that starts at ``first_line`` of its file."""
    try:
        return _load(text, first_line, _Loader)
    except YamlSyntaxError:
        if _Loader is _PureLoader:
            raise
        return _load(text, first_line, _PureLoader)  # raises, with PyYAML's words («found character '\t' that…»)


def _load(text: str, first_line: int, loader_class) -> LocatedYaml:
    loader = None
    try:
        loader = loader_class(text)  # a control character is refused here already (ReaderError)
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
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + first_line if mark is not None else _reader_line(text, exc, first_line)
        raise YamlSyntaxError(f"malformed YAML: {_one_line(exc)}", line) from None
    except RecursionError:
        raise YamlSyntaxError(f"malformed YAML: nested more than {MAX_DEPTH} levels deep", first_line) from None
    except (ValueError, TypeError, OverflowError, AttributeError) as exc:  # a value its tag cannot construct (!!timestamp 2024-02-30x)
        raise YamlSyntaxError(f"malformed YAML: a value cannot be read ({exc})", _node_line(loader, first_line)) from None
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict = {}
    if node is not None:
        try:
            _walk(node, (), lines, first_line - 1)
        except RecursionError:
            raise YamlSyntaxError(f"malformed YAML: nested more than {MAX_DEPTH} levels deep", first_line) from None
    return LocatedYaml(value, lines, first_line)


MAX_DEPTH = 100
"""Deepest nesting of collections accepted (deeper ones would exhaust the recursion of the parser)."""


def _one_line(exc) -> str:
    return " ".join(str(exc).split())


def _reader_line(text: str, exc, first_line: int) -> int:
    """The line of a ReaderError (a control character: it has a position, not a mark)."""
    position = getattr(exc, "position", None)
    if isinstance(position, int):
        return text.count("\n", 0, position) + first_line
    return first_line


def _node_line(loader, first_line: int) -> int:
    return first_line


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
