"""The shared cache (``ketab build --cache URL``): a folder, an S3-compatible server and a Dask
cluster writing to it; a second client (another output folder, another copy of the book)
reuses every layout; torn, partial and concurrent writes never give a wrong entry."""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import socket
import subprocess
import sys
import time

import pytest

from conftest import PROJECTS, outputs_of, run_cli
from ketab.cachestore import SharedStore, frame, unframe


def laid_out(stderr: str) -> tuple[int, int]:
    found = re.findall(r"layout units: (\d+) laid out, (\d+) reused", stderr)
    assert found, stderr
    return tuple(sum(int(f[i]) for f in found) for i in (0, 1))


def test_a_second_client_reuses_every_layout_from_a_shared_folder(local_catalogue, tmp_path):
    books, local_out = local_catalogue
    shared = (tmp_path / "shared").as_uri()
    first = run_cli("build", books[0], "--out", tmp_path / "one", "--cache", shared, "-v")
    assert first.returncode == 0, first.stderr
    assert laid_out(first.stderr)[0] > 0
    # another machine: its own copy of the book elsewhere, its own output folder, the same store
    elsewhere = tmp_path / "elsewhere" / "book"
    shutil.copytree(PROJECTS / "persian-small", elsewhere)
    second = run_cli("build", elsewhere, "--out", tmp_path / "two", "--cache", shared, "-v")
    assert second.returncode == 0, second.stderr
    assert laid_out(second.stderr) == (0, laid_out(first.stderr)[0])
    assert outputs_of(tmp_path / "two") == outputs_of(tmp_path / "one") == outputs_of(local_out / "azmayeshi")
    assert not (tmp_path / "two" / ".ketab-cache" / "layout").exists()  # the entries are in the store only


def test_the_cluster_fills_the_shared_cache_for_everyone(dask_cluster, local_catalogue, tmp_path):
    books, local_out = local_catalogue
    shared = (tmp_path / "shared").as_uri()
    on_cluster = run_cli("build", *books, "--out", tmp_path / "cluster", "--cache", shared, "--scheduler", dask_cluster.address, "-v")
    assert on_cluster.returncode == 0, on_cluster.stderr
    here = run_cli("build", *books, "--out", tmp_path / "here", "--cache", shared, "-v")
    assert here.returncode == 0, here.stderr
    assert laid_out(here.stderr) == (0, laid_out(on_cluster.stderr)[0])
    for book in ("azmayeshi", "small-test"):
        assert outputs_of(tmp_path / "here" / book) == outputs_of(tmp_path / "cluster" / book) == outputs_of(local_out / book)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def s3_server(tmp_path):
    """moto's S3-compatible server on 127.0.0.1, with a bucket."""
    pytest.importorskip("s3fs")
    pytest.importorskip("moto.server")
    port = _free_port()
    log = open(tmp_path / "moto.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
    env = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1",
           "FSSPEC_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError as exc:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("moto server did not start: " + (tmp_path / "moto.log").read_text()) from exc
                time.sleep(0.2)
        import fsspec

        # (this process read fsspec's environment settings at import: name the endpoint here)
        fs = fsspec.filesystem("s3", skip_instance_cache=True, endpoint_url=env["FSSPEC_S3_ENDPOINT_URL"])
        fs.mkdir("ketab-cache")
        yield "s3://ketab-cache/shared", fs
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_a_shared_cache_on_an_s3_compatible_store(s3_server, local_catalogue, tmp_path):
    books, local_out = local_catalogue
    url, fs = s3_server
    first = run_cli("build", books[1], "--out", tmp_path / "one", "--cache", url, "-v")
    assert first.returncode == 0, first.stderr
    second = run_cli("build", books[1], "--out", tmp_path / "two", "--cache", url, "-v")
    assert second.returncode == 0, second.stderr
    assert laid_out(first.stderr)[0] > 0 and laid_out(second.stderr) == (0, laid_out(first.stderr)[0])
    assert outputs_of(tmp_path / "two") == outputs_of(local_out / "small-test")
    stored = fs.find("ketab-cache/shared")
    assert any("/layout/" in p for p in stored) and not any(p.endswith(".tmp") for p in stored)


# --- the store itself ---------------------------------------------------------------


def test_a_torn_or_partial_blob_is_a_miss(tmp_path):
    store = SharedStore(tmp_path.as_uri(), "ns")
    store.put("layout/ab/abc", b"x" * 1000)
    assert store.get("layout/ab/abc") == b"x" * 1000
    path = tmp_path / "ns" / "layout" / "ab" / "abc"
    whole = path.read_bytes()
    path.write_bytes(whole[:-10])  # an upload cut short
    assert store.get("layout/ab/abc") is None
    path.write_bytes(whole[:-1] + b"y")  # the right length, other bytes
    assert store.get("layout/ab/abc") is None
    path.write_bytes(b"x" * 1000)  # not a blob of ours at all
    assert store.get("layout/ab/abc") is None
    assert store.get("layout/cd/missing") is None
    assert unframe(frame(b"")) == b""


def _writer(url: str, n: int, seed: int) -> None:
    store = SharedStore(url, "ns")
    for i in range(n):
        store.put("layout/00/same", bytes([seed]) * (200_000 + 37 * i))


def test_concurrent_writers_never_leave_a_torn_entry(tmp_path):
    """Four processes write the same entry over and over while this one reads it: every read
    gives one writer's whole blob (or a miss before the first write), never a mixture."""
    url = tmp_path.as_uri()
    ctx = multiprocessing.get_context("fork")
    writers = [ctx.Process(target=_writer, args=(url, 40, seed)) for seed in (1, 2, 3, 4)]
    for w in writers:
        w.start()
    store, seen = SharedStore(url, "ns"), 0
    while any(w.is_alive() for w in writers):
        blob = store.get("layout/00/same")
        if blob is not None:
            seen += 1
            assert len(set(blob)) == 1 and (len(blob) - 200_000) % 37 == 0
    for w in writers:
        w.join()
        assert w.exitcode == 0
    assert seen > 0
    assert [p.name for p in (tmp_path / "ns" / "layout" / "00").iterdir()] == ["same"]  # no temporary left
