"""``ketab build BOOK_DIR…`` and ``--catalogue FILE``: many books in one run."""

from __future__ import annotations

import os
import shutil

from conftest import PROJECTS, outputs_of, run_cli
from ketab.catalogue import Outcome, plan, read_catalogue


def test_each_book_of_a_catalogue_comes_out_as_when_built_alone(local_catalogue, tmp_path):
    books, out = local_catalogue
    for book, slug in zip(books, ("azmayeshi", "small-test")):
        alone = run_cli("build", book, "--out", tmp_path / slug)
        assert alone.returncode == 0, alone.stderr
        assert outputs_of(tmp_path / slug) == outputs_of(out / slug)
        assert len(outputs_of(out / slug)) == 4


def test_one_books_errors_do_not_stop_the_others(tmp_path):
    good = tmp_path / "good"
    shutil.copytree(PROJECTS / "english-small", good)
    broken = tmp_path / "broken"
    shutil.copytree(PROJECTS / "english-small", broken)
    text = (broken / "book.yaml").read_text(encoding="utf-8")
    (broken / "book.yaml").write_text("\n".join(l for l in text.splitlines() if not l.startswith("title:")), encoding="utf-8")
    catalogue = tmp_path / "catalogue.txt"
    catalogue.write_text("# the spring list\nbroken\ngood   # the small one\n", encoding="utf-8")
    proc = run_cli("build", "--catalogue", catalogue)
    assert proc.returncode == 1
    assert "broken/book.yaml" in proc.stderr and "error" in proc.stderr  # the failed book's diagnostics
    assert "1 of 2 books failed" in proc.stderr
    table = [line for line in proc.stderr.splitlines() if "│" in line]
    assert any("failed" in line for line in table) and any("built" in line for line in table)
    assert len(outputs_of(good / "build")) == 4  # without --out: BOOK_DIR/build/
    assert not (broken / "build").exists() or not outputs_of(broken / "build")


def test_a_catalogue_file_lists_folders_relative_to_itself(tmp_path):
    (tmp_path / "list.txt").write_text("a\n  # nothing\nsub/b  # a comment\n\n", encoding="utf-8")
    assert read_catalogue(tmp_path / "list.txt") == [tmp_path / "a", tmp_path / "sub/b"]
    (tmp_path / "list.yaml").write_text("books:\n  - a\n  - path: c\n", encoding="utf-8")
    assert read_catalogue(tmp_path / "list.yaml") == [tmp_path / "a", tmp_path / "c"]
    (tmp_path / "plain.yaml").write_text("- x\n- y\n", encoding="utf-8")
    assert read_catalogue(tmp_path / "plain.yaml") == [tmp_path / "x", tmp_path / "y"]


def test_two_books_with_one_slug_do_not_share_an_output_folder(tmp_path):
    for name in ("one", "two"):
        shutil.copytree(PROJECTS / "english-small", tmp_path / name)
    first, second = plan([tmp_path / "one", tmp_path / "two"], tmp_path / "out")
    assert first.out == tmp_path / "out" / "small-test"
    assert isinstance(second, Outcome) and second.failed and "already the output folder" in second.error
    a, b = plan([tmp_path / "one", tmp_path / "two"], None)  # each into its own BOOK_DIR/build
    assert (a.out, b.out) == (tmp_path / "one" / "build", tmp_path / "two" / "build")


def test_a_bad_catalogue_or_store_is_a_usage_error(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing here\n", encoding="utf-8")
    proc = run_cli("build", "--catalogue", empty)
    assert proc.returncode == 2 and "names no book" in proc.stderr
    proc = run_cli("build", PROJECTS / "english-small", "--out", tmp_path / "o", "--cache", "nosuchprotocol://x")
    assert proc.returncode == 2 and "--cache" in proc.stderr
    os.environ["DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT"] = "2s"
    try:
        proc = run_cli("build", PROJECTS / "english-small", "--out", tmp_path / "o", "--scheduler", "tcp://127.0.0.1:9")
    finally:
        del os.environ["DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT"]
    assert proc.returncode == 1 and "cannot reach the Dask scheduler" in proc.stderr
