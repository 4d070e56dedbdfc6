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
    more: bool = False
    """Whether the chapter goes on past the window (else the window runs to the chapter's end)."""


def read_params(html: str) -> Params | None:
    match = _META.search(html[:4000])
    if match is None:
        return None
    values = dict(item.split("=", 1) for item in match.group(1).split())
    return Params(int(values["first"]), int(values["last"]), values.get("section", ""), values.get("more") == "1")


def stopper(params: Params, record: dict):
    """The layout's stop test for one segment (see :data:`ketab.layout.weasyfix.STOP`): the first
    resumable page break before a block from the anchor on.

    In a window the chapter goes on past, the layout gives up as soon as a page begins past the
    last block it may end before (no break can come): it then ends at the last resumable page
    break before the anchor, if there was one (the pages after it are dropped: ``record["end"]``
    says the segment ended early), or ends without one (the window is laid out again, longer).
    Returns the number of pages to keep once the layout is to stop, 0 while it goes on."""
    from ketab.layout.boxes import next_page_start

    def when(index: int, context, root_box) -> int:
        found = next_page_start(context, root_box, index)
        if found is None:
            return 0
        block, fresh, forced = found
        if fresh and max(1, params.first) <= block <= params.last:
            record.update(end=block, forced=forced)
            return index + 1
        if fresh and 1 <= block < params.first:
            record["before"] = (block, forced, index + 1)
        if params.more and block >= params.last:
            if "before" in record:
                end, forced, keep = record["before"]
                record.update(end=end, forced=forced)
                return keep
            return index + 1
        return 0

    return when
