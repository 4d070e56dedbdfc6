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


def test_slots_are_widened_when_the_book_outgrows_the_estimate(project, tmp_path, monkeypatch):
    """A cross-reference's page number never outgrows the place kept for it: a book longer than
    its text suggested is laid out again with wider slots."""
    from ketab import pipeline
    from ketab.layout import pagination

    root = project("persian-small")
    widths = []
    original = pagination.with_xref_pages

    def spy(body, folios, lang, digits=3):
        if folios is None and "xref" in body:
            widths.append(digits)
        return original(body, folios, lang, digits)

    monkeypatch.setattr(pagination, "slot_digits", lambda book: 1)
    monkeypatch.setattr(pagination, "with_xref_pages", spy)
    result = pipeline.build(root, tmp_path / "out", formats=("print",), use_cache=False)
    assert result.pages >= 10 and widths and widths[0] == 1
    assert widths[-1] >= len(str(result.pages))
