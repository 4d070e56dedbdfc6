"""Fetch the external test books into tests/projects/_external/ (git-ignored).

Markdown that nobody on this project wrote, from a package registry, made into ketab manuscripts by adding
front matter only:

* ``pandoc-tests/`` — pandoc's own test documents ``test/testsuite.txt``, ``test/tables.markdown``,
  ``test/pipe-tables.txt`` and ``test/markdown-reader-more.txt``, one chapter each, bodies byte for byte
  (with the two pictures ``testsuite.txt`` shows, ``lalune.jpg`` and ``movie.jpg``, beside them);
* ``pandoc-manual/`` — pandoc's ``MANUAL.txt`` split into chapters at its level-1 headings: each heading
  becomes the chapter's ``title:`` and the text under it the chapter body, unchanged.

Both come from Debian's source package ``pandoc`` (bookworm, 2.17.1.1), whose ``.orig`` tarball is the
release tarball.  It is fetched with ``apt-get source --download-only`` against a private apt configuration
(a ``deb-src`` line of its own, lists under the cache folder): the machine's apt setup is not touched.
The tarball's SHA-256 is checked against the value recorded here, and pandoc's licence files
(``COPYRIGHT``, ``COPYING.md``, GPL-2.0-or-later) are kept beside each book.

Idempotent: a second run with everything in place does nothing.  ``--force`` rebuilds the books from the
cached tarball.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
EXTERNAL = ROOT / "tests" / "projects" / "_external"
DOWNLOADS = EXTERNAL / "_downloads"

PANDOC_SOURCE = "pandoc=2.17.1.1-2~deb12u1"
PANDOC_TARBALL = "pandoc_2.17.1.1.orig.tar.gz"
PANDOC_SHA256 = "df7c6c605d084252fc28687dffe63ca57dd04a463698d323924d3be2f1f5df32"
PANDOC_DIR = "pandoc-2.17.1.1"
APT_SOURCE = """Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
LICENCE_FILES = ("COPYRIGHT", "COPYING.md")
TEST_DOCUMENTS = (  # (file in the tarball, chapter title)
    ("test/testsuite.txt", "Pandoc Test Suite"),
    ("test/tables.markdown", "Tables"),
    ("test/pipe-tables.txt", "Pipe tables"),
    ("test/markdown-reader-more.txt", "More Markdown reader tests"),
)
TEST_PICTURES = ("test/lalune.jpg", "test/movie.jpg")  # the pictures testsuite.txt shows, beside it as in pandoc


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_pandoc_source() -> Path:
    """The verified .orig tarball of Debian's pandoc source package (downloaded once)."""
    tarball = DOWNLOADS / PANDOC_TARBALL
    if tarball.exists() and sha256(tarball) == PANDOC_SHA256:
        return tarball
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    apt = DOWNLOADS / "apt"
    (apt / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (apt / "sources.list.d").mkdir(parents=True, exist_ok=True)
    (apt / "sources.list.d" / "debian-src.sources").write_text(APT_SOURCE, encoding="utf-8")
    options = [
        "-o", f"Dir::Etc::SourceParts={apt / 'sources.list.d'}",
        "-o", "Dir::Etc::SourceList=/dev/null",
        "-o", f"Dir::State::Lists={apt / 'lists'}",
        "-o", "APT::Sandbox::User=root",
        "-qq",
    ]
    subprocess.run(["apt-get", *options, "update"], check=True)
    with tempfile.TemporaryDirectory(dir=DOWNLOADS) as tmp:
        subprocess.run(["apt-get", *options, "source", "--download-only", PANDOC_SOURCE], check=True, cwd=tmp)
        got = Path(tmp) / PANDOC_TARBALL
        digest = sha256(got)
        if digest != PANDOC_SHA256:
            sys.exit(f"{PANDOC_TARBALL}: SHA-256 {digest}, expected {PANDOC_SHA256}")
        shutil.move(str(got), tarball)
    return tarball


def read_members(tarball: Path, names) -> dict[str, bytes]:
    out = {}
    with tarfile.open(tarball) as tar:
        for name in names:
            member = tar.getmember(f"{PANDOC_DIR}/{name}")
            out[name] = tar.extractfile(member).read()
    return out


def front_matter(fields: dict) -> str:
    return "---\n" + yaml.safe_dump(fields, allow_unicode=True, sort_keys=False) + "---\n"


def write_book(folder: Path, config: dict, chapters: list[tuple[str, str, str]], licences: dict[str, bytes], assets=None) -> None:
    """``chapters``: (file name, title, body).  The body is written as it is, after the front matter."""
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "chapters").mkdir(parents=True)
    for name, data in licences.items():
        (tmp / name).write_bytes(data)
    for name, data in (assets or {}).items():
        (tmp / "chapters" / name).write_bytes(data)
    for name, title, body in chapters:
        with open(tmp / "chapters" / name, "w", encoding="utf-8", newline="") as f:
            f.write(front_matter({"title": title}) + "\n" + body)
    config = dict(config, chapters=[f"chapters/{name}" for name, _, _ in chapters])
    (tmp / "book.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


_FENCE = re.compile(r"^(`{3,}|~{3,})")


def split_at_level_one(text: str) -> tuple[str, list[tuple[str, str]]]:
    """(preamble, [(heading text, body)…]) of a pandoc Markdown document split at its ATX level-1 headings.

    Lines inside fenced code are never headings; a heading needs a blank line (or the start) before it, as
    pandoc's ``blank_before_header`` wants.  The bodies are the text between the headings, unchanged."""
    lines = text.splitlines(keepends=True)
    fence, cuts, previous_blank = None, [], True
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line[len(m.group(1)):].strip():
                fence = None
        elif m:
            fence = m.group(1)
        elif previous_blank and re.match(r"^# +\S", line):
            cuts.append(i)
        previous_blank = not line.strip()
    preamble = "".join(lines[: cuts[0]] if cuts else lines)
    parts = []
    for n, start in enumerate(cuts):
        end = cuts[n + 1] if n + 1 < len(cuts) else len(lines)
        heading = re.sub(r"\s+#+\s*$", "", lines[start][1:].strip())
        body = "".join(lines[start + 1 : end]).lstrip("\n")
        parts.append((heading, body))
    return preamble, parts


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "chapter"


def base_config(title: str, slug_: str, uuid: str, author: str, date: str) -> dict:
    return {
        "title": title,
        "language": "en",
        "slug": slug_,
        "identifier": f"urn:uuid:{uuid}",
        "creators": [{"name": author, "role": "author"}],
        "rights": "GPL-2.0-or-later (see COPYRIGHT and COPYING.md beside this file)",
        "date": date,
    }


def make_books(tarball: Path) -> None:
    files = read_members(tarball, [*LICENCE_FILES, "MANUAL.txt", *TEST_PICTURES, *(name for name, _ in TEST_DOCUMENTS)])
    licences = {name: files[name] for name in LICENCE_FILES}
    tests = [(Path(name).name.replace(".txt", ".md").replace(".markdown", ".md"), title, files[name].decode("utf-8"))
             for name, title in TEST_DOCUMENTS]
    write_book(
        EXTERNAL / "pandoc-tests",
        base_config("Pandoc's test documents", "pandoc-tests", "6f1c3f0e-6a43-4c39-9a55-0d0b2b6c1a01", "John MacFarlane", "2022-01-30"),
        tests,
        licences,
        {Path(name).name: files[name] for name in TEST_PICTURES},
    )
    preamble, parts = split_at_level_one(files["MANUAL.txt"].decode("utf-8"))
    meta = yaml.safe_load(preamble.strip().strip("-")) if preamble.strip() else {}
    chapters = [(f"{n:02d}-{slug(title)}.md", title, body) for n, (title, body) in enumerate(parts, start=1)]
    write_book(
        EXTERNAL / "pandoc-manual",
        base_config(meta.get("title", "Pandoc User's Guide"), "pandoc-manual", "6f1c3f0e-6a43-4c39-9a55-0d0b2b6c1a02",
                    meta.get("author", "John MacFarlane"), "2022-01-30"),
        chapters,
        licences,
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="rebuild the books from the cached downloads")
    args = parser.parse_args(argv)
    stamp = EXTERNAL / ".complete"
    expected = f"{PANDOC_SHA256}\n{sha256(Path(__file__))}\n"
    if not args.force and stamp.exists() and stamp.read_text() == expected:
        return 0
    tarball = fetch_pandoc_source()
    make_books(tarball)
    stamp.write_text(expected)
    print(f"external test books in {EXTERNAL.relative_to(ROOT)}: pandoc-tests, pandoc-manual")
    return 0


if __name__ == "__main__":
    sys.exit(main())
