"""Layout: every unit placed, chapters on rectos, anchors on their pages."""

from __future__ import annotations

import dataclasses

import pytest


@pytest.mark.parametrize("name", ["persian-small", "english-small"])
def test_every_chapter_opens_on_a_recto_and_the_pages_add_up(staged, name):
    layout = staged(name).layout
    body = [p for p in layout.units if p.name != "front"]
    assert all(p.folio % 2 == 1 for p in body)  # odd folio: a recto
    assert layout.pagination.front_pages % 2 == 0
    last = body[-1]
    assert layout.total_pages == last.first_page + last.unit.pages
    for p in body:
        assert all(layout.anchor_page[a] == p.first_page + i for a, i in p.unit.anchors.items())


def test_the_book_layout_is_frozen(staged):
    with pytest.raises(dataclasses.FrozenInstanceError):
        staged("english-small").layout.cover = None
