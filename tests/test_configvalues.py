"""book.yaml's print settings: paper and print-on-demand presets give the spine, the trim and bleed, and the
smallest margins; a margin under a preset's minimum is an error on its book.yaml line."""

from __future__ import annotations

import pytest

from ketab.config import load_config
from ketab.configvalues import PrintSettings
from ketab.diagnostics import BuildError

GOOD = """\
title: T
language: fa
slug: t
identifier: urn:uuid:6f1c1c7e-2b1f-4c55-9a55-0d6f3a4f7a10
chapters: [a.md]
"""
INCH = 25.4


def load(tmp_path, text):
    path = tmp_path / "book.yaml"
    path.write_text(GOOD + text, encoding="utf-8")
    return load_config(path)


@pytest.mark.parametrize(
    ("settings", "pages", "spine"),
    [
        ("print: {preset: kdp}", 300, 300 * 0.002252 * INCH),  # KDP white: pages × 0.002252 in
        ("print: {preset: kdp, paper: kdp-cream}", 300, 300 * 0.0025 * INCH),  # KDP cream: pages × 0.0025 in
        ("print: {preset: lulu}", 300, (300 / 444 + 0.06) * INCH),  # Lulu paperback: pages ÷ 444 + 0.06 in
        ("print: {paper: {caliper: 0.1}}", 300, 150 * 0.1),  # the caliper is a leaf's: two pages
        ("print: {paper: {ppi: 400}}", 300, 300 / 400 * INCH),
        ("print: {paper: uncoated-90}", 300, 150 * 0.113),
        ("caliper: 0.08", 300, 150 * 0.08),  # book.yaml's caliper when print names no paper
        ("caliper: 0.08\nprint: {paper: uncoated-80}", 301, 151 * 0.1),  # the paper wins; an odd page is a leaf
    ],
)
def test_the_spine_per_paper_and_preset(tmp_path, settings, pages, spine):
    config, _ = load(tmp_path, settings + "\n")
    assert config.print.spine(pages, config.caliper) == pytest.approx(spine, abs=0.01)


def test_the_spine_of_the_laid_out_book_follows_the_paper(staged):
    from dataclasses import replace

    from ketab.configvalues import _print
    from ketab.layout.cover import geometry

    book = staged("persian-small").book
    cream = replace(book, config=replace(book.config, print=_print({"preset": "kdp", "paper": "kdp-cream"})))
    assert geometry(cream, 64).spine == pytest.approx(64 * 0.0025 * INCH, abs=0.01)
    assert geometry(cream, 50).spine == geometry(cream, 64).spine  # 50 pages print as four 16-page signatures


def test_a_preset_sets_trim_and_bleed_unless_the_book_does(tmp_path):
    config, warnings = load(tmp_path, "print: {preset: kdp}\n")
    assert (config.trim.width, config.trim.height, config.trim.name) == (152.4, 228.6, "us-trade")  # 6 × 9 in
    assert config.bleed == pytest.approx(0.125 * INCH, abs=0.001) and not warnings
    config, warnings = load(tmp_path, "trim: a5\nbleed: 3\nprint: {preset: ingramspark}\n")
    assert config.trim.name == "a5" and config.bleed == 3
    assert [(w.line, w.code) for w in warnings] == [(7, "print.preset")]  # 3 mm is not IngramSpark's 0.125 in


def test_a_margin_under_the_presets_minimum_names_its_line(tmp_path):
    with pytest.raises(BuildError) as info:
        load(tmp_path, "print:\n  preset: kdp\n  margins:\n    top: 20\n    outer: 6\n    inner: 8\n")
    found = [(d.line, d.code, d.is_error) for d in info.value.diagnostics]
    assert found == [(10, "print.margin", True), (11, "print.margin", True)]  # outer 6 < 9.5 mm, inner 8 < 9.5 mm
    assert [str(d).split(": error: ")[0].rsplit("/", 1)[-1] for d in info.value.diagnostics] == ["book.yaml:10", "book.yaml:11"]
    assert "outer margin 6 mm is smaller than kdp's 9.5 mm" in str(info.value)


def test_the_default_margins_suit_every_preset(tmp_path):
    for preset in ("kdp", "ingramspark", "lulu"):
        config, warnings = load(tmp_path, f"print: {{preset: {preset}}}\n")
        assert config.print.margin_problems() == [] and not warnings


def test_the_gutter_grows_with_the_page_count():
    """KDP's inner margin: 0.375 in to 150 pages, 0.5 in to 300 … 0.875 in to 828."""
    settings = PrintSettings(preset="kdp", margins=(20.0, 15.0, 22.0, 13.0))
    assert settings.margin_problems(150) == settings.margin_problems(300) == []
    (side, what), = settings.margin_problems(301)
    assert side == "inner" and "15.9 mm" in what and "301–500 pages" in what
    (_, what), = PrintSettings(preset="kdp").margin_problems(750)  # ketab's 20 mm is short of 0.875 in
    assert "22.2 mm" in what


@pytest.mark.parametrize("bad", ["print: {paper: newsprint}", "print: {paper: {caliper: 5}}", "print: {preset: blurb}",
                                 "print: {margins: {gutter: 10}}", "print: {paper: {caliper: 0.1, ppi: 400}}"])
def test_what_does_not_fit_is_an_error_on_the_print_line(tmp_path, bad):
    with pytest.raises(BuildError) as info:
        load(tmp_path, bad + "\n")
    assert [(d.line, d.code) for d in info.value.diagnostics] == [(6, "config.value")]
