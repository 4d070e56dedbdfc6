"""The stop test of a chapter's segment (:mod:`ketab.layout.segments`), read by the engine.

A segment's document says, in a ``<meta name="ketab-segment">`` of its head, where it may end;
:func:`stopper` is the test WeasyPrint's page loop runs after each page
(:data:`ketab.layout.weasyfix.STOP`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_META = re.compile(r'<meta name="ketab-segment" content="([^"]*)">')


@dataclass(frozen=True)
class Params:
    """What a segment's document tells the layout (a ``<meta>`` of its head)."""

    min_pages: int
    last: int
    """The last block a segment may end before (its lookahead must be in the window)."""
    marked: frozenset
    section: str


def read_params(html: str) -> Params | None:
    match = _META.search(html[:4000])
    if match is None:
        return None
    values = dict(item.split("=", 1) for item in match.group(1).split())
    marked = frozenset(int(x) for x in values.get("marked", "").split(",") if x)
    return Params(int(values["min"]), int(values["last"]), marked, values.get("section", ""))


def stopper(params: Params, record: dict):
    """The layout's stop test for one segment (see :data:`ketab.layout.weasyfix.STOP`)."""
    from ketab.layout.boxes import fresh_block

    def when(index: int, context, root_box) -> bool:
        if index + 1 < params.min_pages:
            return False
        found = fresh_block(context, root_box, index)
        if found is None:
            return False
        block, forced = found
        if not 0 < block <= params.last:
            return False
        if block not in params.marked:
            record.setdefault("fallback", (index + 1, block, forced))
            return False
        record.update(end=block, forced=forced)
        return True

    return when
