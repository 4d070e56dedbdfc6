"""The old manuscript: a folder as committed at a git revision, loaded like a build loads it."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

from ketab.diagnostics import BuildError, Diagnostic, Severity


def manuscript_at(revision: str, manuscript_dir: Path, dest: Path) -> tuple[Path, str]:
    """Write the manuscript folder as it was at git ``revision`` into ``dest``.

    Returns (the old manuscript folder, a description of the revision for the
    summary).  The manuscript may be any folder inside the repository."""
    import subprocess
    import tarfile

    manuscript_dir = Path(manuscript_dir).resolve()
    top = Path(_git(manuscript_dir, "rev-parse", "--show-toplevel", what=str(manuscript_dir))).resolve()
    rel = manuscript_dir.relative_to(top).as_posix()
    commit = _git(top, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", what=f"revision {revision!r}")
    archive = subprocess.run(
        ["git", "-C", str(top), "archive", "--format=tar", commit, "--", rel if rel != "." else "."],
        capture_output=True,
    )
    if archive.returncode != 0:
        raise _git_error(manuscript_dir, f"{rel} does not exist at {revision}: {archive.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter=_manuscript_member)
    described = _git(top, "show", "-s", "--format=%h %cs %s", commit, what=revision)
    return (dest / rel if rel != "." else dest), f"{revision} ({described})" if not described.startswith(revision) else described


def _git(cwd: Path, *args: str, what: str) -> str:
    import subprocess

    try:
        proc = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True)
    except FileNotFoundError:
        raise _git_error(cwd, "git is not installed") from None
    if proc.returncode != 0:
        reason = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else f"unknown {what}"
        raise _git_error(cwd, f"git: {reason}")
    return proc.stdout.strip()


def _manuscript_member(member, path):
    """What of the old revision is written out: regular files and folders inside ``dest``.  Links are left
    out (a committed symlink may point anywhere; the old book then reports a missing chapter, if any)."""
    import tarfile

    if member.issym() or member.islnk():
        return None
    try:
        return tarfile.data_filter(member, path)
    except tarfile.FilterError:
        return None


def _git_error(path, message: str) -> BuildError:
    from ketab.diagnostics import display_path

    return BuildError([Diagnostic(display_path(path), None, Severity.ERROR, message, "proof.git")])


def load_book(manuscript_dir: Path, shown_as: str | None = None, cache=None, templates: Path | None = None, out_dir: Path | None = None):
    """Load, convert and assemble a manuscript with the pipeline's own stages (pandoc through ``cache``,
    the build cache): (Book, Manuscript).  With ``templates`` and ``out_dir``, assembled as a build
    assembles it for its layout (fontconfig shown the templates' fonts only).

    ``shown_as`` replaces the folder in diagnostics (``HEAD~2:chapters/01.md``)."""
    from ketab import pipeline
    from ketab.assemble import assemble

    try:
        manuscript, converted, _ = pipeline.load_and_convert(manuscript_dir, cache)
    except BuildError as exc:
        if shown_as is None:
            raise
        raise BuildError([_shown_as(d, manuscript_dir, shown_as) for d in exc.diagnostics]) from None
    if templates is not None and out_dir is not None:
        return pipeline.assemble_book(manuscript, converted, templates, out_dir)[0], manuscript
    return assemble(manuscript, converted), manuscript


def _shown_as(d: Diagnostic, folder: Path, prefix: str) -> Diagnostic:
    try:
        rel = Path(d.path).resolve().relative_to(Path(folder).resolve()).as_posix()
    except ValueError:
        return d
    return replace(d, path=f"{prefix}:{rel}")
