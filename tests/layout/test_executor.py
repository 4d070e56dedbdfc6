"""Layout on a real dask.distributed cluster (a scheduler and two worker processes on 127.0.0.1):
the same bytes as a local build, a killed worker's units laid out again, and a worker that
reads nothing from its own disk."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time

import pikepdf
import pytest

from conftest import PROJECTS, outputs_of, run_cli

pytest.importorskip("distributed")

FIGURE = PROJECTS / "english-small" / "images" / "figure.png"


def test_a_catalogue_laid_out_on_the_cluster_is_byte_identical_to_a_local_build(dask_cluster, local_catalogue, tmp_path):
    books, local_out = local_catalogue
    proc = run_cli("build", *books, "--out", tmp_path / "out", "--scheduler", dask_cluster.address, "-v")
    assert proc.returncode == 0, proc.stderr + dask_cluster.log()
    for book in ("azmayeshi", "small-test"):
        got, want = outputs_of(tmp_path / "out" / book), outputs_of(local_out / book)
        assert set(got) == set(want) and len(want) == 4
        assert got == want, f"{book}: {[n for n in want if got[n] != want[n]]} differ"
    assert "0 laid out" not in proc.stderr  # every unit was laid out, on the cluster
    # the cluster did the work: its scheduler computed ketab's layout tasks
    def computed(dask_scheduler=None):
        return {name: dict(p.all_durations) for name, p in dask_scheduler.task_prefixes.items()}

    assert dask_cluster.client.run_on_scheduler(computed)["ketab-layout"]["compute"] > 0


def test_a_worker_serves_only_the_bytes_that_came_with_the_unit(tmp_path, monkeypatch):
    """No path of the client is opened on the worker: the manuscript folder does not even exist
    there, yet the picture shipped with the unit is drawn; a file of the worker's disk that
    did not come with the unit is refused, as the client's sandbox would refuse it."""
    from ketab.layout.engine import Engine
    from ketab.layout.executor import UnitJob, _render_remote, pack

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")  # a worker sets the unit's epoch: not for the tests after this one
    book = tmp_path / "book"
    (book / "images").mkdir(parents=True)
    (book / "images" / "figure.png").write_bytes(FIGURE.read_bytes())
    outside = tmp_path / "outside.png"
    outside.write_bytes(FIGURE.read_bytes())
    html = (f'<html><body><p>a</p><img src="images/figure.png"><img src="{outside.as_uri()}">'
            f'<img src="file:///etc/passwd"></body></html>')
    job = UnitJob("k", book, (book,), html, "@page { size: 100mm 100mm } img { width: 20mm }", "0", None,
                  ("images/figure.png", outside.as_uri(), "file:///etc/passwd"), Engine)
    payload, blobs = pack(job)
    assert list(payload.files) == [str(book / "images" / "figure.png")]  # the sandbox left the others out
    assert not payload.assets and not blobs
    local = Engine(book, (book,)).render(job.html, job.css)
    (book / "images" / "figure.png").unlink()  # gone from the disk: only the payload has it
    pdf, pages, *_ = _render_remote(payload)
    assert pages == 1 and _images(pdf) > 0
    assert pdf == local[0]  # the shipped picture drawn, the files outside the sandbox left out, as at home
    without = Engine(book, (book,)).render(job.html, job.css)[0]  # the picture is gone from the disk now
    assert _images(without) < _images(pdf)


def _images(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return sum(len(page.get_images()) for page in doc.pages)


def test_templates_travel_once_by_digest(tmp_path):
    """A font named by absolute URL outside the manuscript goes as a digest; its bytes once."""
    from ketab.layout.executor import UnitJob, pack
    from ketab.render import default_templates

    font = default_templates() / "fonts" / "vazirmatn" / "Vazirmatn-Regular.ttf"
    css = f'@font-face {{ font-family: V; src: url("{font.as_uri()}") }}'
    job = UnitJob("k", tmp_path, (tmp_path, default_templates()), "<p>x</p>", css, "0", None, (font.as_uri(),))
    payload, blobs = pack(job)
    (uri, d), = payload.assets.values()
    assert blobs == {d: font.read_bytes()} and not payload.files
    assert font.read_bytes() not in repr(payload).encode()  # the payload itself carries only the digest


def test_a_killed_workers_units_are_laid_out_again(dask_cluster, local_catalogue, tmp_path):
    books, local_out = local_catalogue
    book = books[0]
    pids = dask_cluster.worker_pids()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    build = subprocess.Popen(
        [sys.executable, "-m", "ketab", "build", book, "--out", tmp_path / "out", "--no-cache", "--scheduler", dask_cluster.address],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    victim, deadline = None, time.monotonic() + 90
    try:
        while victim is None and time.monotonic() < deadline and build.poll() is None:
            busy = dask_cluster.client.processing()
            for addr, keys in busy.items():
                if any(str(k).startswith("ketab-layout") for k in keys):
                    victim = addr, pids[addr], list(keys)
                    break
            time.sleep(0.02)
        assert victim is not None, "no worker was seen laying out a unit"
        addr, pid, held = victim
        os.kill(pid, signal.SIGKILL)
        out, err = build.communicate(timeout=180)
    finally:
        if build.poll() is None:
            build.kill()
    assert build.returncode == 0, err + dask_cluster.log()
    assert outputs_of(tmp_path / "out") == outputs_of(local_out / "azmayeshi")
    assert addr not in dask_cluster.client.scheduler_info()["workers"]  # it really died; its units were laid out elsewhere
    dask_cluster.add_worker()  # two workers again for the tests that follow
    dask_cluster.client.wait_for_workers(2, timeout=120)


def test_a_worker_with_other_versions_refuses_the_unit(tmp_path, monkeypatch):
    """Other versions would lay out other bytes under the client's cache salt: refused, with the reason."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    from ketab.cache import tool_versions
    from ketab.layout.engine import Engine
    from ketab.layout.executor import UnitJob, VersionMismatch, _render_remote, pack, versions_digest

    job = UnitJob("k", tmp_path, (tmp_path,), "<p>x</p>", "", "0", None, (), Engine)
    payload, _ = pack(job, versions_digest(dict(tool_versions(), weasyprint="69.0")))
    with pytest.raises(VersionMismatch, match="other versions"):
        _render_remote(payload)
    payload, _ = pack(job, versions_digest(tool_versions()))
    assert _render_remote(payload)[1] == 1


def test_ketab_jobs_sets_the_local_pool_and_one_lays_out_in_process(monkeypatch, tmp_path):
    """KETAB_JOBS=1: every unit is laid out in the build's own process (no worker is started)."""
    from ketab.layout.engine import Layouter
    from ketab.layout.executor import LocalPool

    monkeypatch.setenv("KETAB_JOBS", "1")
    assert LocalPool().jobs == 1
    layouter = Layouter(tmp_path, [tmp_path], executor=LocalPool())  # as the pipeline makes it when KETAB_JOBS is set
    css = "@page { size: 50mm 50mm }"
    units = layouter.layout_many([(f"<p>{n}</p>", css) for n in range(2)])
    assert [u.pages for u in units] == [1, 1] and layouter.executor._pool is None
    layouter.close()
    layouter.executor.close()
    monkeypatch.setenv("KETAB_JOBS", "three")
    assert LocalPool().jobs == min(os.cpu_count() or 1, 4)
