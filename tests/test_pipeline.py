"""The recipe: every stage once, each writer only for the formats asked for."""

from __future__ import annotations

import pytest

from ketab import pipeline
from ketab.writers import print as print_writer
from support import Epub


def _no_pdf(*args, **kwargs):
    raise AssertionError("an EPUB-only build assembled a PDF")


def test_an_epub_only_build_lays_out_but_assembles_no_pdf(project, tmp_path, monkeypatch):
    monkeypatch.setattr(print_writer, "assemble_pdf", _no_pdf)
    result = pipeline.build(project("english-small"), tmp_path / "out", formats=("epub",), use_cache=False)
    assert set(result.outputs) == {"epub"}
    assert sorted(p.name for p in (tmp_path / "out").glob("*.pdf")) == []
    # the layout still ran: the EPUB's page-list maps to the print pages
    nav = Epub(result.outputs["epub"]).nav()
    page_list = nav.find(".//{*}nav[@{http://www.idpf.org/2007/ops}type='page-list']")
    assert page_list is not None and len(page_list.findall(".//{*}a")) >= 2
    assert result.pages > 0


@pytest.mark.parametrize(("formats", "written"), [
    (("print",), {"print", "cover"}),
    (("screen",), {"screen"}),
    (("screen", "epub"), {"screen", "epub"}),
])
def test_each_writer_runs_only_for_its_format(project, tmp_path, formats, written):
    result = pipeline.build(project("english-small"), tmp_path / "out", formats=formats, use_cache=False)
    assert set(result.outputs) == written
    files = {p.name for p in (tmp_path / "out").iterdir() if p.suffix in (".pdf", ".epub")}
    assert files == {f"small-test-{f}.pdf" if f != "epub" else "small-test.epub" for f in written}


def test_weasyprint_warnings_name_the_chapter(project, tmp_path):
    import shutil

    from ketab.render import default_templates

    root = project("english-small")
    with open(root / "chapters" / "01-one.md", "a", encoding="utf-8") as md:
        md.write("\nA formula, $E = mc^2$, drawn before the layout.\n")  # drawing it must not silence WeasyPrint
    templates = tmp_path / "templates"
    shutil.copytree(default_templates(), templates)
    with open(templates / "book.css", "a", encoding="utf-8") as css:
        css.write("\np { colr: red; }\n")  # a typo WeasyPrint warns about in every unit
    for use_cache in (True, False, True):  # laid out, then taken from the cache: the warnings stay
        result = pipeline.build(root, tmp_path / "out", formats=("screen",), templates=templates, use_cache=use_cache)
        said = [d for d in result.warnings if d.code == "layout.warning"]
        assert said and all("colr" in d.message for d in said)
        assert any(d.path.endswith("02-two.md") for d in said) and any(d.path.endswith("book.yaml") for d in said)


def test_text_set_past_the_side_of_the_text_block_is_a_warning_about_its_chapter(project, tmp_path):
    """A word no line can hold sticks out of the text block (the stylesheet lets code break anywhere, not
    prose): the build says so, about the chapter, quoting the line — from a fresh layout and from the cache."""
    root = project("english-small")
    word = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 3
    with open(root / "chapters" / "02-two.md", "a", encoding="utf-8") as md:
        md.write(f"\nThe word {word} has no break.\n")
    for use_cache in (False, True):
        result = pipeline.build(root, tmp_path / "out", formats=("print",), use_cache=use_cache)
        said = [d for d in result.warnings if "past the side of its text block" in d.message]
        assert said and all(d.path.endswith("02-two.md") and d.code == "layout.warning" for d in said), result.warnings
        assert any(word[:30] in d.message for d in said)
