"""Corrections to WeasyPrint 70's line layout, applied when ketab lays a unit out.

1. **Footnotes.**  When a line does not fit at the foot of a page and widows or
   orphans forbid breaking before it, WeasyPrint moves the page's footnotes to the
   next page to make room for the line (``block._linebox_layout``: "first try to
   report footnotes").  That sets notes on the page after their call, out of order
   (they are moved last first), and — since the line kept that way skips the
   footnote step — loses the notes called in that line altogether.  ketab never
   lets a note leave its call's page that way: the line breaks to the next page
   as widows and orphans allow, and ``footnote-policy: line`` (print.css) moves a
   line whose note does not fit, instead of the note.

2. **First-line indent in right-to-left text.**  ``inline.get_next_linebox`` adds
   ``text-indent`` to the line's left edge whatever the direction, so in RTL the
   gap appears at the line's end (left) and a justified first line is not
   justified.  In RTL the indent is taken from the right (start) edge instead;
   negative indents (hanging) follow.

3. **A space that hangs.**  ``line_break.split_first_line`` measured a run of text that fits its
   line but for the space it ends with (a run before an inline element: the space a line break
   removes) as one that does not fit at all, and cut the line after the run's *first* word: a
   one-word line in the middle of a justified paragraph (the real book's preface, «برافراشت.»).
   The run is measured without that space.

4. **A space removed at the end of a right-to-left line.**  ``inline.remove_last_whitespace`` moved
   *every* box of the line left by the width of the space it took from the line's last run — the
   shortened run too, whose space was on its left — so a gap of one space opened between that run and
   the box before it (a date's gloss, an emphasis: «۱۹۹۲) ، از تهدید»), and the run stuck out of the
   text block on the left by as much.  Only the boxes to the right of the shortened run move now.

Besides: a layout may stop after any page (:data:`STOP`, a chapter laid out in segments), and the
pages of a layout are set flush to the foot of their text block before they are drawn
(:mod:`ketab.layout.balance`, a wrapper around ``document.layout_document``).

Each correction is a one-line change to WeasyPrint's own function, applied to its
source text; if that text is not the one expected (another WeasyPrint version),
the correction is not applied and :data:`APPLIED` says so (``ketab check`` still
verifies every note on the laid-out pages).
"""

from __future__ import annotations

import inspect
import sys
import textwrap
import threading

APPLIED: dict[str, bool] = {}
VERSION = "weasyprint-70/7+flush/2+stop/2+overrun/1"
"""Part of every layout unit's cache key: change it when a correction changes, what a unit reports, or the stretch of
:mod:`ketab.layout.balance`."""


def _patch(module, name: str, replacements: list[tuple[str, str]]) -> bool:
    function = getattr(module, name)
    if getattr(function, "__ketab_fixed__", False):
        return True
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return False
    for old, new in replacements:
        if source.count(old) != 1:
            return False
        source = source.replace(old, new)
    if isinstance(module, type):  # a method: compiled among its module's names, set on its class
        home = sys.modules[module.__module__]
        namespace = dict(home.__dict__)
        exec(compile(textwrap.dedent(source), home.__file__, "exec"), namespace)  # noqa: S102
        namespace[name].__ketab_fixed__ = True
        setattr(module, name, namespace[name])
        return True
    namespace = module.__dict__
    exec(compile(source, module.__file__, "exec"), namespace)  # noqa: S102 — WeasyPrint's own code, corrected
    namespace[name].__ketab_fixed__ = True
    return True


STOP = threading.local()
"""``STOP.when(index, context, root_box)``: set while a layout may end early (a chapter laid out
in segments, :mod:`ketab.layout.segments`) — once page ``index`` is made, the number of pages to
keep when the layout is to stop there (at most ``index + 1``: the pages after are dropped, as if
it had stopped after the last one kept), 0 while it goes on."""


def _stoppable(make_all_pages):
    def pages(context, root_box, html, pages):
        when = getattr(STOP, "when", None)
        if when is None:
            yield from make_all_pages(context, root_box, html, pages)
            return
        made = []  # WeasyPrint takes the pages as a list: holding them back changes nothing
        keep = None
        for index, page in enumerate(make_all_pages(context, root_box, html, pages)):
            made.append(page)
            keep = when(index, context, root_box)
            if keep:
                break
        if keep:
            del made[keep:]
            del context.page_maker[keep + 1:]  # where the page after the last one kept resumes: as if stopped there
            # The page after the last one kept is not made: WeasyPrint would take it for a page whose content
            # changed and lay the document out again (up to its eight times), to stop at the same page.
            context.page_maker[keep][-1]["content_changed"] = False
        yield from made

    pages.__ketab_fixed__ = True
    return pages


def _flush(layout_document):
    def pages(html, root_box, context, max_loops=8):
        from ketab.layout import balance

        laid = list(layout_document(html, root_box, context, max_loops))
        if balance.wanted(root_box):
            balance.flush_pages(laid, context)
        return laid

    pages.__ketab_fixed__ = True
    return pages


def _font_per_file(fonts) -> bool:
    """One family split by unicode-range over two files: WeasyPrint keyed a document's fonts and tagged
    their subsets by the face's description alone, so the second file's glyph ids were drawn with the
    first file's program.  Keyed by the file too (Pango shares one HarfBuzz face per file), and the
    tag's last three letters name the file (ketab.writers.fonts.file_tag: what the print merge groups by)."""
    from weasyprint.pdf import stream

    return _patch(stream.Stream, "add_font", [(
        "        key, description, font_size = get_pango_font_key(pango_font)\n",
        "        key, description, font_size = get_pango_font_key(pango_font)\n"
        "        from weasyprint.text.fonts import get_pango_font_hb_face  # ketab: one Font per file\n"
        "        key = (key, int(ffi.cast('uintptr_t', get_pango_font_hb_face(pango_font))))\n",
    )]) and _patch(fonts.Font, "__init__", [(
        "in md5(description_string, usedforsecurity=False).digest()[:6])",
        "in md5(description_string, usedforsecurity=False).digest()[:3] + md5(md5("
        "self.file_content, usedforsecurity=False).digest() + b'#%d' % self.index, usedforsecurity=False).digest()[:3])",
    )])


def apply() -> dict[str, bool]:
    """Apply the corrections (once per process); which ones took."""
    if APPLIED:
        return APPLIED
    import weasyprint.layout as layout
    from weasyprint.layout import block, inline

    if not getattr(layout.make_all_pages, "__ketab_fixed__", False):
        layout.make_all_pages = _stoppable(layout.make_all_pages)
    APPLIED["stop"] = True
    import weasyprint.document as document

    if not getattr(document.layout_document, "__ketab_fixed__", False):
        document.layout_document = _flush(document.layout_document)  # facing pages end on one line (balance)
    APPLIED["flush-bottom"] = True

    APPLIED["footnotes"] = _patch(block, "_linebox_layout", [(
        "report = not context.in_column and can_break_now and not could_break_before",
        "report = False  # ketab: never move earlier notes off their call's page",
    )])
    APPLIED["rtl-indent"] = _patch(inline, "get_next_linebox", [
        (
            "        position_x += linebox.text_indent\n",
            "        rtl_indent = linebox.text_indent if containing_block.style['direction'] == 'rtl' else 0\n"
            "        position_x += linebox.text_indent - rtl_indent\n"
            "        max_x -= rtl_indent\n",
        ),
        (
            "            context, line, new_available_width,\n",
            "            context, line, new_available_width - rtl_indent,\n",
        ),
        (
            "            offset_x *= -1\n            offset_x -= line.width\n",
            "            offset_x *= -1\n            offset_x -= line.width\n            offset_x -= rtl_indent\n",
        ),
    ])
    from weasyprint.pdf import fonts

    APPLIED["subset-gids"] = _patch(fonts.Font, "_harfbuzz_subset", [(
        "        # Set flags.\n"
        "        flags = (\n"
        "            harfbuzz_subset.HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED |\n",
        "        # Set flags.\n"
        "        flags = (\n"
        "            harfbuzz_subset.HB_SUBSET_FLAGS_RETAIN_GIDS |  # ketab: components keep their ids\n"
        "            harfbuzz_subset.HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED |\n",
    )])
    APPLIED["font-file"] = _font_per_file(fonts)
    APPLIED["image-id"] = _image_by_content()
    APPLIED["hanging-space"] = _hanging_space(inline)
    APPLIED["rtl-trailing-space"] = _rtl_trailing_space(inline)
    return APPLIED


def _image_by_content() -> bool:
    """A picture's name in the PDF (``/i<id>``) was the digest of its URL: the folder the book is built in
    reached the bytes of every page that shows a picture, and a layout reused from a cache shared with
    another machine was not the one that machine would make.  Named by its bytes and orientation instead."""
    import weasyprint.document as document
    from weasyprint import images

    done = _patch(images, "get_image_from_uri", [(
        "image_id = md5(url.encode(), usedforsecurity=False).hexdigest()",
        "image_id = md5(bytestring + repr(orientation).encode(), usedforsecurity=False).hexdigest()  # ketab: not the path",
    )])
    if done:
        document.original_get_image_from_uri = images.get_image_from_uri  # the name the layout context calls it by
    return done


def _hanging_space(inline) -> bool:
    """A run of text that fits its line but for the space it ends with (before an inline element:
    the space a line break would remove) was taken for one that does not fit at all, and the line
    was cut after its *first* word — a one-word line in a justified paragraph."""
    from weasyprint.text import line_break

    fixed = _patch(line_break, "split_first_line", [(
        "    first_line_width, _ = line_size(first_line, style)\n"
        "    if resume_index is None and first_line_width <= max_width:\n",
        "    first_line_width, _ = line_size(first_line, style)\n"
        "    if resume_index is None and first_line_width > max_width and space_collapse and text.endswith(' '):\n"
        "        # ketab: a space at the end of a line hangs (CSS Text 3, 4.1.3)\n"
        "        stripped = create_layout(text.rstrip(' '), style, context, max_width, justification_spacing)\n"
        "        first_line_width, _ = line_size(stripped.get_first_line()[0], style)\n"
        "    if resume_index is None and first_line_width <= max_width:\n",
    )])
    if fixed:
        inline.split_first_line = line_break.split_first_line  # the line layout's own reference
    return fixed


def _rtl_trailing_space(inline) -> bool:
    """The space taken from the end of a right-to-left line was on the left of its run; WeasyPrint moved
    the whole line left by its width, the shortened run with it (a gap before the run, the run out of
    the text block).  The run and the boxes that hold it keep their left edge; what is right of it
    moves."""
    inline._ketab_close_rtl_space = _close_rtl_space
    return _patch(inline, "remove_last_whitespace", [(
        "        for child in line.children:\n"
        "            child.translate(dx=-space_width, ignore_floats=True)\n",
        "        _ketab_close_rtl_space(ancestors, box, space_width)  # ketab: not the shortened run\n",
    )])


def _close_rtl_space(ancestors, box, space_width: float) -> None:
    """Move left by ``space_width`` every box of the line that stands right of ``box`` (the run a
    space was taken from), not ``box`` nor the boxes that hold it."""
    chain = [*ancestors[1:], box]
    edge = box.position_x + box.width + space_width  # the run's right edge before it lost the space
    for holder, held in zip(ancestors, chain):
        for child in holder.children:
            if child is not held and child.is_in_normal_flow() and child.position_x >= edge - 0.01:
                child.translate(dx=-space_width, ignore_floats=True)
