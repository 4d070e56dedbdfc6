"""``ketab proof``: a proof PDF with the changes since a revision marked (see :mod:`ketab.proof`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ketab.commands.console import err, print_diagnostic
from ketab.diagnostics import BuildError, ExitCode
from ketab.proof import manuscript_at, write_proof


@click.command("proof")
@click.argument("folders", nargs=-1, metavar="[OLD NEW]", type=click.Path(file_okay=False, path_type=Path))
@click.option("--since", "revision", metavar="REV", help="Compare with the manuscript as committed at this git revision.")
@click.option("--manuscript", "manuscript", type=click.Path(file_okay=False, path_type=Path), help="The manuscript (with --since; default manuscript/).")
@click.option("--out", "out_dir", default="build", show_default=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
def command(folders: tuple[Path, ...], revision: str | None, manuscript: Path | None, out_dir: Path) -> None:
    """A proof PDF with the changes since REV (or from OLD to NEW) marked.

    \b
    ketab proof --since REV [--manuscript DIR]
    ketab proof OLD NEW

    Changed and inserted paragraphs get a bar in the outer margin, deleted ones
    a «حذف» marker; the first page summarises what changed in which chapter.
    Written to <out>/<slug>-proof.pdf."""
    import tempfile

    if revision is not None:
        if len(folders) > 1 or (folders and manuscript):
            raise click.UsageError("with --since, give one manuscript folder (or --manuscript), not OLD NEW")
        new_dir = folders[0] if folders else (manuscript or Path("manuscript"))
    elif len(folders) == 2 and manuscript is None:
        new_dir = folders[1]
    else:
        raise click.UsageError("give --since REV, or the OLD and NEW manuscript folders")
    try:
        with tempfile.TemporaryDirectory(prefix="ketab-proof-") as tmp:
            if revision is not None:
                old_dir, against = manuscript_at(revision, new_dir, Path(tmp))
                shown = revision
            else:
                old_dir, against, shown = folders[0], str(folders[0]), None
            with err.status("starting…", spinner="dots") as status:
                result = write_proof(old_dir, new_dir, out_dir, against, old_shown_as=shown, progress=lambda s: status.update(s + "…"))
    except BuildError as exc:
        for d in exc.diagnostics:
            print_diagnostic(d)
        err.print("proof failed", style="bold red")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted", style="bold red")
        sys.exit(ExitCode.INTERRUPTED)
    for c in result.changed:
        err.print(
            f"  {c.status:<8} {c.id}: {c.changed} changed, {c.inserted} inserted, {c.deleted} deleted; "
            f"+{c.words_added} −{c.words_removed} words",
            markup=False,
        )
    if not result.changed:
        err.print("  no changes", markup=False)
    err.print(f"  proof   {result.path} ({result.pages} pages, {len(result.marked_pages)} with changes)", markup=False)
