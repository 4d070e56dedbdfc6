"""The layout engine: WeasyPrint's messages are kept with the unit, never printed or silenced."""

from __future__ import annotations

import logging

from ketab.layout.engine import Layouter


def test_weasyprint_warnings_travel_with_the_unit_and_its_cache_entry(tmp_path, capfd):
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    layouter = Layouter(tmp_path, [tmp_path], jobs=1)
    try:
        unit = layouter.layout('<p>x <img src="broken.png"></p>', "")
    finally:
        layouter.close()
    assert unit.pages == 1
    assert any("broken.png" in m for m in unit.messages), unit.messages
    again = type(unit).from_bytes(unit.key, unit.to_bytes())
    assert again.messages == unit.messages
    assert "broken.png" not in capfd.readouterr().err  # funnelled, not printed
    assert logging.getLogger("weasyprint").level == logging.NOTSET  # and not silenced


def test_a_clean_unit_has_no_messages(tmp_path):
    layouter = Layouter(tmp_path, [tmp_path], jobs=1)
    try:
        assert layouter.layout("<p>Hello</p>", "").messages == ()
    finally:
        layouter.close()
