"""Interrupted and concurrent builds, with real ``python -m ketab build`` processes.

Killed at random moments (seeded), a build leaves every output either as it was or whole — never torn —,
no temporary file that looks like an output, and a cache the next build can use: the build that follows
succeeds and writes the same bytes as a clean build of the same input.  Two builds of one book at once
both succeed (the second waits for the first's lock) and leave the same outputs as a clean build.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pikepdf
import pytest

PROJECT = Path(__file__).parent / "projects" / "persian-small"
SLUG = "azmayeshi"
OUTPUTS = {f"{SLUG}-print.pdf", f"{SLUG}-screen.pdf", f"{SLUG}-cover.pdf", f"{SLUG}.epub"}
ENV = {**os.environ, "SOURCE_DATE_EPOCH": "0"}
SEED = 20261101
KILLS = 8


class Build:
    """One ``python -m ketab build`` in its own process group (as a shell runs a job)."""

    def __init__(self, ms: Path, out: Path, *args: str):
        self.log = out.parent / f"build-{time.monotonic_ns()}.log"
        self.started = time.monotonic()
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ketab", "build", str(ms), "--out", str(out), *args],
                stdout=subprocess.DEVNULL, stderr=log, env=ENV, start_new_session=True,
            )

    def signal(self, sig: int, group: bool) -> None:
        try:
            if group:
                os.killpg(self.proc.pid, sig)  # Ctrl-C in a terminal reaches the whole foreground group
            else:
                self.proc.send_signal(sig)  # `kill PID`
        except ProcessLookupError:
            pass

    def wait(self, timeout: float = 90) -> int:
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL, group=True)
            raise AssertionError(f"the build hung after the signal:\n{self.stderr}") from None
        # every process of the build (the layout workers too) is gone soon after
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return rc
            time.sleep(0.05)
        self.signal(signal.SIGKILL, group=True)
        raise AssertionError("processes of the build outlived it")

    @property
    def stderr(self) -> str:
        return self.log.read_text(errors="replace")


def outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file() and not p.name.startswith(".")} if out.is_dir() else {}


def whole(path: Path) -> str | None:
    """None if ``path`` is a complete output; else what is wrong with it."""
    try:
        if path.suffix == ".pdf":
            if not path.read_bytes().rstrip().endswith(b"%%EOF"):
                return "no %%EOF at the end"
            with pikepdf.open(path, attempt_recovery=False) as pdf:
                return None if len(pdf.pages) > 0 else "no pages"
        if path.suffix == ".epub":
            with zipfile.ZipFile(path) as z:
                if z.testzip() is not None:
                    return "a zip member is corrupt"
                if z.namelist()[0] != "mimetype" or "META-INF/container.xml" not in z.namelist():
                    return "not an EPUB"
                return None
    except Exception as exc:  # noqa: BLE001 — any failure to open is the finding
        return f"{type(exc).__name__}: {exc}"
    return "unexpected file"


def check_outputs(out: Path, before: dict[str, bytes]) -> dict[str, bytes]:
    after = outputs(out)
    assert set(after) <= OUTPUTS, f"files that are not outputs: {sorted(set(after) - OUTPUTS)}"
    for name, data in after.items():
        if data != before.get(name):
            problem = whole(out / name)
            assert problem is None, f"{name} is torn: {problem}"
    return after


def set_round(ms: Path, n: int) -> None:
    """A new input for round ``n``: another trim (every unit is laid out again) and another sentence."""
    book = ms / "book.yaml"
    text = re.sub(r"(?m)^trim: .*$", f"trim: {{width: {140 + n}, height: {210 + n % 3}}}", book.read_text(encoding="utf-8"))
    book.write_text(text, encoding="utf-8")
    chapter = ms / "chapters" / "01-first.md"
    body = re.sub(r"\n\nدور [۰-۹0-9]+\.\n$", "\n", chapter.read_text(encoding="utf-8"))
    chapter.write_text(body.rstrip("\n") + f"\n\nدور {n}.\n", encoding="utf-8")


def clean_build(ms: Path, out: Path) -> dict[str, bytes]:
    build = Build(ms, out, "--no-cache")
    assert build.wait() == 0, build.stderr
    return outputs(out)


@pytest.fixture
def book(tmp_path):
    ms = tmp_path / "ms"
    shutil.copytree(PROJECT, ms)
    assert re.search(r"(?m)^trim: ", (ms / "book.yaml").read_text(encoding="utf-8"))
    return ms


def test_killed_builds_leave_whole_outputs_and_a_usable_cache(book, tmp_path):
    out = tmp_path / "out"
    first = Build(book, out)
    assert first.wait() == 0, first.stderr
    duration = time.monotonic() - first.started
    before = outputs(out)
    assert set(before) == OUTPUTS
    for name, data in before.items():  # the check below can tell a torn file from a whole one
        assert whole(out / name) is None
        torn = tmp_path / f"torn-{name}"
        torn.write_bytes(data[: len(data) * 2 // 3])
        assert whole(torn) is not None, name
        torn.unlink()

    rng = random.Random(SEED)
    plan = [(signal.SIGINT, True), (signal.SIGTERM, False), (signal.SIGINT, False), (signal.SIGTERM, True)] * KILLS
    outcomes = []
    for n in range(1, KILLS + 1):
        set_round(book, n)
        sig, group = plan[n - 1] if n < KILLS else (signal.SIGKILL, True)
        delay = rng.uniform(0.05, duration)
        build = Build(book, out)
        time.sleep(delay)
        build.signal(sig, group)
        rc = build.wait()
        outcomes.append((n, signal.Signals(sig).name, round(delay, 2), rc))
        if sig == signal.SIGKILL:
            assert rc in (0, -signal.SIGKILL), build.stderr
        else:
            # 130: interrupted and cleaned up; 0: finished first; -SIG: arrived before Python set its handlers.
            # (1 with click's "Aborted!": Ctrl-C while the command starts — pinned by test_ctrl_c_while_starting.)
            startup = rc == 1 and build.stderr.strip() == "Aborted!"
            assert rc in (0, 130, -signal.SIGINT, -signal.SIGTERM) or startup, (outcomes, build.stderr)
            if rc == 130:
                assert "interrupted; previous outputs left as they were" in build.stderr
            if rc in (0, 130):
                assert not list(out.glob(".*.tmp")), "temporary files left behind"
        before = check_outputs(out, before)
    print("round, signal, delay (s), exit status:", outcomes)
    assert sum(rc != 0 for *_, rc in outcomes) >= KILLS // 2, f"too few builds were interrupted: {outcomes}"

    # The next build uses (or discards) what the killed ones left, and writes what a clean build writes.
    final = Build(book, out, "-v")
    assert final.wait() == 0, final.stderr
    assert "Traceback" not in final.stderr, final.stderr
    assert not list(out.glob(".*.tmp")), "stale temporary files survived the next build"
    got = outputs(out)
    want = clean_build(book, tmp_path / "clean")
    assert set(got) == OUTPUTS
    assert {k: v for k, v in got.items() if want[k] != v} == {}, f"differ from a clean build: {[k for k in got if want[k] != got[k]]} {outcomes}"
    again = Build(book, out)
    assert again.wait() == 0 and "nothing to do" in again.stderr, again.stderr


def test_ctrl_c_while_starting(book, tmp_path):
    """Ctrl-C while ketab starts (here: while it imports the pipeline) exits with 130, like any interrupt."""
    out = tmp_path / "out"
    code = (
        "import builtins, sys\n"
        "real = builtins.__import__\n"
        "def interrupt(name, globals=None, locals=None, fromlist=(), level=0):\n"
        "    if name == 'ketab' and fromlist and 'pipeline' in fromlist:\n"
        "        raise KeyboardInterrupt  # as if Ctrl-C arrived right here\n"
        "    return real(name, globals, locals, fromlist, level)\n"
        "builtins.__import__ = interrupt\n"
        "from ketab.commands import main\n"
        f"sys.argv = ['ketab', 'build', {str(book)!r}, '--out', {str(out)!r}]\n"
        "main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=60)
    assert proc.returncode == 130, proc.stderr
    assert "interrupted" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_two_builds_at_once(book, tmp_path):
    out = tmp_path / "out"
    clean = Build(book, tmp_path / "clean", "--no-cache")
    first, second = Build(book, out), Build(book, out)
    assert first.wait() == 0, first.stderr
    assert second.wait() == 0, second.stderr
    assert clean.wait() == 0, clean.stderr
    got, want = outputs(out), outputs(tmp_path / "clean")
    assert set(got) == OUTPUTS and got == want
    assert all(whole(out / name) is None for name in got)
    # one waited for the other's lock, then found the outputs up to date
    assert ["nothing to do" in b.stderr for b in (first, second)].count(True) == 1, (first.stderr, second.stderr)
    assert not list(out.glob(".*.tmp"))
