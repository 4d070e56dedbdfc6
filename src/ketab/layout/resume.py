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

    first: int
    """The first block the segment may end before (its anchor)."""
    last: int
    """The last block it may end before (the blocks laid out with that page must be in the window)."""
    section: str


def read_params(html: str) -> Params | None:
    match = _META.search(html[:4000])
    if match is None:
        return None
    values = dict(item.split("=", 1) for item in match.group(1).split())
    return Params(int(values["first"]), int(values["last"]), values.get("section", ""))


def stopper(params: Params, record: dict):
    """The layout's stop test for one segment (see :data:`ketab.layout.weasyfix.STOP`): the first
    resumable page break before a block from the anchor on."""
    from ketab.layout.boxes import fresh_block

    def when(index: int, context, root_box) -> bool:
        found = fresh_block(context, root_box, index)
        if found is None:
            return False
        block, forced = found
        if not max(1, params.first) <= block <= params.last:
            return False
        record.update(end=block, forced=forced)
        return True

    return when
