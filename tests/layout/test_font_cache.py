"""A font named in book.yaml that lives in the manuscript is an input of the layout: replacing the file (same
name, other face) rebuilds the pages with the new face, never reuses the cached layout."""

from __future__ import annotations

import io

import pikepdf
from fontTools.ttLib import TTFont

from ketab import pipeline
from ketab.render import default_templates

BOOK = """\
title: Faces
language: en
slug: faces
identifier: urn:uuid:2d1b5b0e-3f7a-4c55-9a55-0d6f3a4f7b07
date: 2026-11-01
signature: 1
fonts: {body: {regular: fonts/own.ttf}}
chapters: [chapters/a.md]
"""


def embedded_families(pdf_path) -> set[str]:
    """The family names inside the font programs the PDF embeds (not the names the PDF gives them)."""
    names = set()
    with pikepdf.open(pdf_path) as pdf:
        for page in pdf.pages:
            for font in (page.resources.get("/Font") or {}).values():
                fonts = [font] + list(font.get("/DescendantFonts") or [])
                for f in fonts:
                    program = (f.get("/FontDescriptor") or {}).get("/FontFile2")
                    if program is not None:
                        names.add(TTFont(io.BytesIO(program.read_bytes()))["name"].getDebugName(1))
    return names


def test_replacing_a_manuscript_font_file_rebuilds_the_layout_with_it(tmp_path):
    fonts = default_templates() / "fonts"
    root = tmp_path / "ms"
    (root / "chapters").mkdir(parents=True)
    (root / "fonts").mkdir()
    own = root / "fonts" / "own.ttf"
    own.write_bytes((fonts / "vazir-code" / "Vazir-Code.ttf").read_bytes())
    (root / "book.yaml").write_text(BOOK, encoding="utf-8")
    (root / "chapters" / "a.md").write_text("---\ntitle: Faces\n---\n\nPlain text in the book's own face.\n", encoding="utf-8")
    out = tmp_path / "out"
    first = pipeline.build(root, out, formats=("print",))
    before = embedded_families(first.outputs["print"])
    assert any("Vazir Code" in n for n in before), before

    own.write_bytes((fonts / "vazirmatn" / "Vazirmatn-Regular.ttf").read_bytes())  # same name, another face
    second = pipeline.build(root, out, formats=("print",))
    after = embedded_families(second.outputs["print"])
    assert any("Vazirmatn" in n for n in after) and not any("Vazir Code" in n for n in after), after
