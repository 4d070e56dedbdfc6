"""``ketab import FILE.docx``: a Word file becomes a chapter of the manuscript.

pandoc's docx reader (with ``+styles``, so ketab's own character styles come back) turns
the file into its AST; the styles of a review copy become ketab's markup again (dates,
index marks, anchors; glosses dropped), footnotes become pandoc notes, images are
extracted into ``images/<chapter>/``, tracked changes are accepted, rejected or kept
(``--track-changes``), and the Markdown is normalised with the linter's fixes; what the
linter still finds is reported.  A review copy of several chapters (``ketab build
--format docx``) names each chapter's file in its title: every chapter goes back to its
own file, or only the one ``--chapter`` names.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import click

from ketab.writers import docx_markup as A

PANDOC_TO = "markdown-smart-auto_identifiers-raw_attribute-simple_tables-multiline_tables-grid_tables"
IMPORT_KNOWN_PARAGRAPH_STYLES = {"Body Text", "First Paragraph", "Compact", "Footnote Text", "Block Text", "Normal"}


@dataclass
class ImportedChapter:
    rel: str | None
    """The chapter's file as the review copy names it (None for another Word file)."""
    title: str
    subtitle: str | None
    blocks: list


def read_docx(path: Path, track_changes: str, media_dir: Path) -> tuple[list[ImportedChapter], dict]:
    """The chapters of a Word file: a review copy's, or the whole file as one."""
    from ketab.writers.docx import pandoc

    media_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [pandoc(), "-f", "docx+styles", "-t", "json", f"--track-changes={track_changes}", f"--extract-media={media_dir}", str(path)],
        capture_output=True, check=False,
    )
    if proc.returncode != 0:
        raise click.ClickException(f"{path}: pandoc could not read it: {proc.stderr.decode(errors='replace').strip()}")
    doc = json.loads(proc.stdout)
    blocks = _unwrap_blocks(doc["blocks"])
    blocks = A.map_inlines(blocks, A.normalise_inlines)
    blocks = A.map_inlines(blocks, A.import_inlines)
    blocks = _tidy_blocks(blocks)
    chapters: list[ImportedChapter] = []
    current = None
    preamble = []
    for block in blocks:
        if block.get("t") == "Header" and block["c"][0] == 1:
            rel, title = _chapter_heading(block["c"][2])
            current = ImportedChapter(rel, title, None, [])
            chapters.append(current)
            continue
        if block.get("t") == "Div":
            style = dict(block["c"][0][2]).get("custom-style")
            if style == A.STYLE_SUBTITLE and current is not None:
                current.subtitle = A.plain(_inlines_of(block)).strip()
                continue
            if style == A.STYLE_BYLINE:
                continue
        (current.blocks if current is not None else preamble).append(block)
    if not chapters:
        chapters = [ImportedChapter(None, _meta_title(doc) or path.stem, None, preamble)]
    return chapters, doc


def _tidy_blocks(node):
    """Headings lose the ids pandoc's reader made up from their text, figures Word's style; a note loses
    the space Word puts after its number."""
    if isinstance(node, list):
        return [_tidy_blocks(x) for x in node]
    if isinstance(node, dict):
        t = node.get("t")
        if t == "Header":
            level, (ident, classes, attrs), inlines = node["c"]
            return {"t": "Header", "c": [level, ["", classes, attrs], _tidy_blocks(inlines)]}
        if t == "Figure":  # Word's figure style says nothing the book keeps (Markdown could not say it)
            attr, caption, body = node["c"]
            return {"t": "Figure", "c": [["", [], []], _tidy_blocks(caption), _tidy_blocks(body)]}
        if t == "Note":
            blocks = _tidy_blocks(node["c"])
            if blocks and blocks[0].get("t") in ("Para", "Plain"):
                inl = blocks[0]["c"]
                while inl and inl[0].get("t") == "Space":
                    inl = inl[1:]
                blocks[0] = {"t": blocks[0]["t"], "c": inl}
            return {"t": "Note", "c": blocks}
        return {k: _tidy_blocks(v) for k, v in node.items()}
    return node


def _chapter_heading(inlines) -> tuple[str | None, str]:
    rel = None
    kept = []
    for el in inlines:
        if el.get("t") == "Span" and dict(el["c"][0][2]).get("custom-style") == A.STYLE_CHAPTER:
            rel = A.plain(el["c"][1]).strip()
            continue
        kept.append(el)
    return rel, " ".join(A.plain(kept).split())


def _inlines_of(div) -> list:
    return [x for b in div["c"][1] if b.get("t") in ("Para", "Plain") for x in b["c"]]


def _meta_title(doc) -> str | None:
    title = doc.get("meta", {}).get("title")
    return A.plain(title["c"]).strip() if title and title.get("t") == "MetaInlines" else None


def _unwrap_blocks(blocks):
    """Paragraph styles pandoc reports (Body Text, First Paragraph…) carry nothing of the text: unwrap them."""
    out = []
    for block in blocks:
        if isinstance(block, dict) and block.get("t") == "Div":
            (ident, classes, attrs), inner = block["c"]
            style = dict(attrs).get("custom-style")
            if style in (A.STYLE_SUBTITLE, A.STYLE_BYLINE):
                out.append(block)
                continue
            if not ident and not classes and (style is None or style in IMPORT_KNOWN_PARAGRAPH_STYLES or not style.startswith("ketab")):
                out.extend(_unwrap_blocks(inner))
                continue
        if isinstance(block, dict):
            block = {k: (_unwrap_nested(v) if k == "c" else v) for k, v in block.items()}
        out.append(block)
    return out


def _unwrap_nested(node):
    if isinstance(node, list):
        if node and all(isinstance(x, dict) and "t" in x for x in node) and any(x.get("t") in _BLOCKS for x in node):
            return _unwrap_blocks(node)
        return [_unwrap_nested(x) for x in node]
    if isinstance(node, dict):
        if node.get("t") == "Note":
            return {"t": "Note", "c": _unwrap_blocks(node["c"])}
        return {k: _unwrap_nested(v) for k, v in node.items()}
    return node


_BLOCKS = {"Para", "Plain", "Header", "BlockQuote", "BulletList", "OrderedList", "Div", "CodeBlock", "HorizontalRule", "Table", "Figure", "LineBlock", "DefinitionList"}


def to_markdown(blocks, api_version) -> str:
    from ketab.writers.docx import pandoc

    doc = {"pandoc-api-version": api_version, "meta": {}, "blocks": blocks}
    proc = subprocess.run([pandoc(), "-f", "json", "-t", PANDOC_TO, "--wrap=none", "--eol=lf"],
                          input=json.dumps(doc).encode(), capture_output=True, check=True)
    return proc.stdout.decode()


# --- the chapter file ------------------------------------------------------------------


def front_matter(existing: dict | None, title: str, subtitle: str | None) -> str:
    import yaml

    data = dict(existing or {})
    data["title"] = title
    if subtitle:
        data["subtitle"] = subtitle
    if existing is None:
        data["kind"] = "chapter"
    order = ["title", "subtitle", "kind", "source", "author", "translator", "running_head", "lint", "id"]
    ordered = {k: data[k] for k in order if k in data} | {k: v for k, v in data.items() if k not in order}
    return "---\n" + yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=1000) + "---\n\n"


def read_front_matter(path: Path) -> dict | None:
    import yaml

    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8")
    m = re.match(r"---\n(.*?)\n---\n", text, re.S)
    if not m:
        return None
    data = yaml.safe_load(m.group(1))
    return data if isinstance(data, dict) else None


def add_to_book(book_yaml: Path, rel: str) -> bool:
    """List ``rel`` in book.yaml's ``chapters:`` (before a generated index), keeping the file's comments."""
    text = book_yaml.read_text(encoding="utf-8")
    lines = text.split("\n")
    try:
        start = next(i for i, l in enumerate(lines) if re.match(r"chapters:\s*(#.*)?$", l))
    except StopIteration:
        return False
    items = []
    i = start + 1
    while i < len(lines) and (lines[i].startswith((" ", "\t", "-")) or not lines[i].strip()):
        if lines[i].lstrip().startswith("- "):
            items.append(i)
        i += 1
    if any(lines[j].split("- ", 1)[1].strip().strip("'\"") == rel for j in items):
        return False
    indent = lines[items[0]][: len(lines[items[0]]) - len(lines[items[0]].lstrip())] if items else "  "
    generated = [j for j in items if "generate" in lines[j] and "index" in lines[j]]
    at = generated[0] if generated else (items[-1] + 1 if items else start + 1)
    lines.insert(at, f"{indent}- {rel}")
    book_yaml.write_text("\n".join(lines), encoding="utf-8")
    return True


# --- the command ---------------------------------------------------------------------


@click.command("import")
@click.argument("docx", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--chapter", "chapter", help="The chapter file to write, relative to the manuscript (e.g. chapters/03-new.md); "
              "for a review copy of several chapters, the one chapter to take from it.")
@click.option("--manuscript", "manuscript", type=click.Path(file_okay=False, path_type=Path),
              help="The manuscript folder (default: this folder when it holds book.yaml, else manuscript/).")
@click.option("--track-changes", "track", type=click.Choice(["accept", "reject", "all"]), default="accept", show_default=True,
              help="Tracked changes: accept them, reject them, or keep them all as marked insertions and deletions.")
def command(docx: Path, chapter: str | None, manuscript: Path | None, track: str) -> None:
    """Make a chapter of the manuscript from a Word file (DOCX): notes, images, tracked changes, a lint report."""
    from ketab.commands.build import find_manuscript
    from ketab.commands.lint import lint_paths
    from ketab.writers.docx import ast_version

    root = find_manuscript(manuscript)
    out = click.get_text_stream("stderr")
    with tempfile.TemporaryDirectory(prefix="ketab-import-") as tmp:
        chapters, doc = read_docx(docx, track, Path(tmp) / "media")
        wanted = _choose(chapters, chapter, docx)
        written = []
        for imported, rel in wanted:
            path = root / rel
            blocks = _move_images(imported.blocks, Path(tmp) / "media", root, Path(rel))
            body = to_markdown(blocks, doc.get("pandoc-api-version") or ast_version())
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(front_matter(read_front_matter(path), imported.title, imported.subtitle) + body, encoding="utf-8")
            listed = add_to_book(root / "book.yaml", rel)
            click.echo(f"  {'wrote' if not listed else 'added'} {path}{' (listed in book.yaml)' if listed else ''}", file=out)
            written.append(path)
    # normalisation: the linter's unambiguous fixes, then what it still finds (Persian orthography: not for
    # a book in Arabic, where «ي» is right)
    if not _book_language(root).linted:
        click.echo(f"imported {len(written)} chapter{'s' if len(written) != 1 else ''} from {docx}", file=out)
        return
    code = lint_paths(written, fix=True, out=sys.stdout)
    click.echo(f"imported {len(written)} chapter{'s' if len(written) != 1 else ''} from {docx}"
               + ("; the linter's findings are above" if code else "; the linter finds nothing"), file=out)


def _book_language(root: Path):
    from ketab.config import load_config
    from ketab.diagnostics import BuildError
    from ketab.language import Language

    try:
        return load_config(root / "book.yaml")[0].language
    except BuildError:
        return Language("fa", "rtl")  # a book.yaml the build will report on: normalise as for Persian


def _choose(chapters: list[ImportedChapter], chapter: str | None, docx: Path) -> list[tuple[ImportedChapter, str]]:
    """Which chapters to write, and where."""
    named = [c for c in chapters if c.rel]
    if named:
        if chapter is None:
            return [(c, c.rel) for c in named]
        match = [c for c in named if c.rel == chapter or Path(c.rel).stem == Path(chapter).stem]
        if not match:
            raise click.ClickException(f"{docx} has no chapter {chapter!r}; it has {', '.join(c.rel for c in named)}")
        return [(match[0], match[0].rel)]
    merged = ImportedChapter(None, chapters[0].title, chapters[0].subtitle, [b for c in chapters for b in c.blocks])
    if len(chapters) > 1:  # a Word file with several top-level headings: one chapter, the later ones as sections
        merged.blocks = []
        for i, c in enumerate(chapters):
            if i:
                merged.blocks.append({"t": "Header", "c": [2, ["", [], []], A.text_inlines(c.title)]})
            merged.blocks += c.blocks
    rel = chapter or f"chapters/{_slug(docx.stem)}.md"
    if Path(rel).is_absolute() or ".." in Path(rel).parts:
        raise click.BadParameter("the chapter must stay inside the manuscript folder", param_hint="--chapter")
    return [(merged, rel)]


def _slug(stem: str) -> str:
    import unicodedata

    s = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-") or "imported"


def _move_images(blocks, media: Path, root: Path, rel: Path):
    """Images pandoc extracted: into ``images/<chapter>/`` of the manuscript, linked relative to the chapter's file
    (as the build reads them)."""
    import os

    stem = rel.stem
    moved = {}

    def fix(node):
        if isinstance(node, list):
            return [fix(x) for x in node]
        if isinstance(node, dict):
            if node.get("t") == "Image":
                attr, alt, (src, title) = node["c"]
                p = Path(src)
                if p.is_absolute() and p.is_relative_to(media):
                    if src not in moved:
                        target = root / "images" / stem / p.name
                        target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(p, target)
                        moved[src] = Path(os.path.relpath(target, (root / rel).parent)).as_posix()
                    # the size Word gave the picture says nothing the book's layout keeps
                    return {"t": "Image", "c": [[attr[0], attr[1], []], fix(alt), [moved[src], title]]}
            return {k: fix(v) for k, v in node.items()}
        return node

    return fix(blocks)
