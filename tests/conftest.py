"""Shared fixtures: sample manuscripts in tests/projects/, built once per session."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROJECTS = Path(__file__).parent / "projects"


def pytest_addoption(parser):
    parser.addoption("--save-golden", action="store_true", help="Rewrite tests/golden/*/golden/ from the current code (review the diff).")


@pytest.fixture
def golden(request):
    """``golden(path, text)``: the text equals the golden file (with --save-golden: becomes it)."""
    save = request.config.getoption("--save-golden")

    def check(path: Path, text: str) -> None:
        if save:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.is_file(), f"{path} is missing: run pytest --save-golden and review it"
        assert text == path.read_text(encoding="utf-8"), f"{path} differs (if the change is meant: pytest --save-golden, then review git diff)"

    return check


@pytest.fixture
def project(tmp_path):
    """Copy ``tests/projects/<name>`` into a fresh folder and return that folder."""

    count = iter(range(1000))

    def make(name: str) -> Path:
        dest = tmp_path / f"{name}-{next(count)}"
        shutil.copytree(PROJECTS / name, dest)
        return dest

    return make


@pytest.fixture
def write_book(tmp_path):
    """Write a tiny manuscript on the fly: ``write_book(book_yaml, {path: text})``."""

    def make(book_yaml: str, files: dict[str, str | bytes]) -> Path:
        root = tmp_path / "ms"
        root.mkdir(exist_ok=True)
        (root / "book.yaml").write_text(book_yaml, encoding="utf-8")
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return make


class Built:
    def __init__(self, root: Path, out: Path, result):
        self.root, self.out, self.result = root, out, result

    def path(self, fmt: str) -> Path:
        return self.result.outputs[fmt]


def _build(tmp_path_factory, name: str) -> Built:
    from ketab import pipeline

    base = tmp_path_factory.mktemp(name.replace("/", "-"))
    root = base / "ms"
    shutil.copytree(PROJECTS / name, root)
    out = base / "build"
    result = pipeline.build(root, out)
    return Built(root, out, result)


@pytest.fixture(scope="session")
def persian_book(tmp_path_factory) -> Built:
    return _build(tmp_path_factory, "persian-small")


@pytest.fixture(scope="session")
def english_book(tmp_path_factory) -> Built:
    return _build(tmp_path_factory, "english-small")


@pytest.fixture(scope="session")
def pandoc_tests_book(tmp_path_factory) -> Built:
    """pandoc's test documents (``make testbooks``): Markdown nobody here wrote, four chapters."""
    if not (PROJECTS / "_external" / "pandoc-tests" / "book.yaml").exists():
        pytest.fail("tests/projects/_external/pandoc-tests is missing: run `make testbooks` (scripts/fetch_testbooks.py)")
    return _build(tmp_path_factory, "_external/pandoc-tests")


class Staged:
    """A sample book taken through the stages one by one: manuscript, book, layout."""

    def __init__(self, root: Path):
        from ketab.assemble import assemble
        from ketab.convert import convert_chapters
        from ketab.generate import generated_markdown
        from ketab.layout import Layouter, lay_out
        from ketab.manuscript import load_manuscript
        from ketab.render import default_templates

        self.root, self.templates = root, default_templates()
        self.manuscript = load_manuscript(root)
        converted, _ = convert_chapters(self.manuscript, lambda ch: generated_markdown(self.manuscript, ch))
        self.book = assemble(self.manuscript, converted)
        layouter = Layouter(root, [root, self.templates])
        try:
            self.layout = lay_out(self.book, layouter, self.templates)
        finally:
            layouter.close()


@pytest.fixture(scope="session")
def staged(tmp_path_factory):
    """``staged(name)``: tests/projects/<name> through load, convert, assemble and layout (once a session)."""
    done: dict = {}

    def make(name: str) -> Staged:
        if name not in done:
            root = tmp_path_factory.mktemp(f"staged-{name}") / "ms"
            shutil.copytree(PROJECTS / name, root)
            done[name] = Staged(root)
        return done[name]

    return make


@pytest.fixture(scope="session")
def epubcheck():
    """``epubcheck(path)``: every message epubcheck reports on the EPUB, usage notes included (``-u``).

    epubcheck runs once per book in the whole session, however many tests look at its report."""
    from support import epubcheck_messages

    reports: dict = {}

    def check(path: Path) -> list[dict]:
        key = Path(path).resolve()
        if key not in reports:
            reports[key] = epubcheck_messages(key, usage=True)
        return reports[key]

    return check


def run_cli(*args, cwd=None):
    """Run ``python -m ketab`` for real; return the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "ketab", *map(str, args)], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory):
    """A `dask scheduler` and two `dask worker` processes on 127.0.0.1, for the whole session."""
    pytest.importorskip("distributed")
    from cluster import Cluster

    cluster = Cluster(tmp_path_factory.mktemp("dask"))
    yield cluster
    cluster.close()


@pytest.fixture(scope="session")
def local_catalogue(tmp_path_factory):
    """Both sample books built by one local `ketab build A B --out DIR` (the reference)."""
    base = tmp_path_factory.mktemp("local-catalogue")
    books = [base / name for name in ("persian-small", "english-small")]
    for book in books:
        shutil.copytree(PROJECTS / book.name, book)
    proc = run_cli("build", *books, "--out", base / "out")
    assert proc.returncode == 0, proc.stderr
    return books, base / "out"


def outputs_of(folder: Path) -> dict[str, bytes]:
    """The output files of a book's folder (no cache, no lock), by name."""
    return {p.name: p.read_bytes() for p in sorted(Path(folder).iterdir()) if p.is_file() and not p.name.startswith(".")}
