"""LibreOffice (Debian's ``libreoffice-writer-nogui``), headless, for the Word tests: convert a DOCX to PDF,
and edit one through UNO (``python3-uno``, run by the system's python3, which is where Debian puts ``uno``)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

EDIT_SCRIPT = Path(__file__).with_name("lo_edit.py")
SYSTEM_PYTHON = "/usr/bin/python3"


def soffice() -> str | None:
    return shutil.which("soffice")


def has_uno() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    return subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0


def to_pdf(docx: Path, out_dir: Path) -> Path:
    """``docx`` converted by LibreOffice to ``out_dir/<stem>.pdf`` (a fresh profile each time)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ketab-lo-") as profile:
        proc = subprocess.run(
            [soffice(), "--headless", "--norestore", f"-env:UserInstallation=file://{profile}",
             "--convert-to", "pdf", "--outdir", str(out_dir), str(docx)],
            capture_output=True, text=True, timeout=180,
        )
    pdf = out_dir / (docx.stem + ".pdf")
    assert pdf.is_file(), proc.stdout + proc.stderr
    return pdf


def replace_with_tracked_changes(src: Path, dst: Path, old: str, new: str) -> int:
    """Open ``src`` in LibreOffice, record changes, replace ``old`` by ``new`` everywhere (body and footnotes),
    save as Word to ``dst``; the number of replacements."""
    with tempfile.TemporaryDirectory(prefix="ketab-lo-") as profile:
        proc = subprocess.run([SYSTEM_PYTHON, str(EDIT_SCRIPT), str(src), str(dst), old, new, profile],
                              capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return int(proc.stdout.strip().splitlines()[-1])
