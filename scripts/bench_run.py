"""Running a build as a process and measuring it, and the machine it runs on (for ``scripts/bench.py``).

Every measured build is a real process; its wall time, CPU time (``wait4``: the process and the children
it waited for) and memory (the largest resident set, ``wait4``; the peak of the summed PSS of the process
tree, polled from ``/proc``) are taken here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    seconds: float
    """Wall time of the process, start to exit."""
    max_rss: float
    """MB: the largest resident set of the process or any child it waited for (wait4)."""
    peak_pss: float
    """MB: the largest sum of proportional set sizes over the process tree (polled)."""
    cpu: float = 0.0
    """CPU seconds (user + system) of the process and the children it waited for."""
    stderr: str = ""
    stdout: str = ""

    def find(self, pattern: str, default=None):
        m = re.search(pattern, self.stderr + self.stdout)
        return m.groups() if m else default


class TreeWatcher(threading.Thread):
    """Polls /proc for the process tree below ``pid``: peak of the summed PSS."""

    def __init__(self, pid: int, interval: float = 0.1):
        super().__init__(daemon=True)
        self.pid, self.interval, self.peak_kb = pid, interval, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.interval):
            total = sum(_pss_kb(p) for p in tree(self.pid))
            self.peak_kb = max(self.peak_kb, total)


def tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


CODE: Path | None = None
"""A copy of src/ and templates/ taken when the benchmark starts: every process runs that code."""


def freeze_code(work: Path) -> Path:
    global CODE
    CODE = work / "code"
    shutil.copytree(ROOT / "src", CODE / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copytree(ROOT / "templates", CODE / "templates")
    import compileall

    compileall.compile_dir(CODE / "src", quiet=1)  # as an installed ketab has (PYTHONDONTWRITEBYTECODE may be set)
    return CODE


def run(cmd: list[str], check: bool = True) -> Run:
    env = dict(os.environ, COLUMNS="10000", PYTHONUNBUFFERED="1")
    if CODE is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CODE / "src"), env.get("PYTHONPATH")]))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        watcher = TreeWatcher(proc.pid)
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        watcher.done.set()
        watcher.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        result = Run(seconds, usage.ru_maxrss / 1024, watcher.peak_kb / 1024, usage.ru_utime + usage.ru_stime,
                     err.read().decode(), out.read().decode())
    if check and proc.returncode:
        sys.stderr.write(result.stderr[-4000:])
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    return result


def ketab_build(ms: Path, out: Path, formats: str = "print,screen,epub") -> Run:
    return run([sys.executable, "-m", "ketab", "build", str(ms), "--out", str(out), "--format", formats, "-v"])


def env() -> dict:
    out = dict(os.environ, PYTHONUNBUFFERED="1")
    if CODE is not None:
        out["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CODE / "src"), out.get("PYTHONPATH")]))
    return out


def digests(out: Path) -> dict:
    """Output file → SHA-256 (the cache and lock files left out)."""
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and ".ketab" not in p.as_posix()}


class LoadWatcher(threading.Thread):
    """The machine's 1-minute load average, sampled every ``interval`` seconds for the whole run."""

    def __init__(self, interval: float = 5.0):
        super().__init__(daemon=True)
        self.interval, self.samples = interval, []
        self.done = threading.Event()

    def run(self) -> None:
        while True:
            load = loadavg()
            if load != "?":
                self.samples.append(float(load))
            if self.done.wait(self.interval):
                return

    def summary(self) -> str:
        if not self.samples:
            return "?"
        s = sorted(self.samples)
        return f"{s[0]:.1f} to {s[-1]:.1f} (median {s[len(s) // 2]:.1f}) over {len(s)} samples"


# --- the machine ------------------------------------------------------------------------


def machine() -> dict:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        pass
    from importlib.metadata import version

    import pypandoc

    return {
        "cores": os.cpu_count(),
        "usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "model": model,
        "memory": mem,
        "speedup": _parallel_speedup(),
        "python": platform.python_version(),
        "weasyprint": version("weasyprint"),
        "pandoc": pypandoc.get_pandoc_version(),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "load": loadavg(),
    }


def loadavg() -> str:
    """1-minute load average: other work on the machine skews every figure."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def _burn(n: int) -> int:
    s = 0
    for i in range(n):
        s += i * i
    return s


def _parallel_speedup(n: int = 3_000_000) -> float:
    """How much faster two CPU-bound processes finish than one doing both jobs (ideal: 2)."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    start = time.perf_counter()
    _burn(n)
    _burn(n)
    serial = time.perf_counter() - start
    with ctx.Pool(2) as pool:
        start = time.perf_counter()
        pool.map(_burn, [n, n])
        parallel = time.perf_counter() - start
    return serial / parallel

