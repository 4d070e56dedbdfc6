"""A book's outputs do not depend on the folder it is built in: a second machine that shares the build cache
(``--cache URL``) reuses the first one's layouts and writes the bytes it would have written alone."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import outputs_of
from ketab import pipeline

PROJECTS = Path(__file__).parent / "projects"


def test_a_book_built_in_another_folder_and_from_a_shared_cache_has_the_same_bytes(tmp_path):
    shared = (tmp_path / "shared-cache").as_uri()
    built = {}
    for name, cache in (("first/machine", shared), ("second", shared), ("third/without/cache", None)):
        root = tmp_path / name / "english-small"  # pictures, a table, notes: every kind of resource a page names
        shutil.copytree(PROJECTS / "english-small", root, ignore=shutil.ignore_patterns("build"))
        out = tmp_path / name / "out"
        pipeline.build(root, out, cache_url=cache, use_cache=cache is not None)
        built[name] = outputs_of(out)
    first, second, third = built.values()
    assert sorted(first) == sorted(second) == sorted(third)
    differ = sorted(n for n in first if not first[n] == second[n] == third[n])
    assert differ == [], f"these outputs depend on the folder the book is built in: {differ}"
