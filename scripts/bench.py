#!/usr/bin/env python3
"""Benchmark ketab's incremental build (``make bench``).

For the book in ``manuscript/`` and for a ~500-page book made from its chapters
(``scripts/make_big_book.py``), each in a scratch copy, this measures

* cold build: empty output folder (no cache), all formats;
* no-change rebuild: the same command again ('nothing to do');
* one-chapter edit: a sentence added to one paragraph of the chapter in the middle
  of the book, then a rebuild of all formats;
* EPUB-only after an edit: another sentence added, then ``--format epub``;
* the reference: one pandoc → WeasyPrint pass over the same chapters — every part
  converted by pandoc (``--wrap=none``, the same filter), concatenated into ONE HTML
  document with the print stylesheet (folios and running heads in it), rendered and
  written once, in one process;

and, for a catalogue of ten distinct copies of each sample book in ``tests/projects/``
(``--copies``), one ``ketab build --catalogue`` run on the local process pool, one on a
two-worker Dask cluster started on 127.0.0.1 (filling a shared cache folder), and a
rebuild into new output folders from that warm shared cache;

and prints, per book, the wall time of each (every build is a real
``python -m ketab build`` process), the peak memory of the build (largest process,
from ``wait4``; and the whole process tree's PSS, polled from ``/proc``), pages per
second and the ratios the incremental build is judged by:

    no-change < 0.5 s;   one-chapter edit ≤ 15 % of cold;   cold ≤ 1.1 × the reference.

Usage::

    python scripts/bench.py [--record] [--pages 500] [--repeat N] [--only real|big|catalogue] [--copies 10] [--keep DIR]

``--record`` also writes the figures to ``docs/benchmark.md``.  ``--repeat N``
takes the median of N runs of each measurement (the no-change rebuild is always
run 5 times).
"""

from __future__ import annotations

import argparse
import datetime as dt
import html as htmllib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

TARGETS = {"nochange": 0.5, "edit": 0.15, "cold": 1.1}
ADDED = [
    "این جمله در ویرایش تازهٔ متن افزوده شد.",
    "ویراستار این جمله را برای روشن‌تر شدن متن افزود.",
    "این توضیح کوتاه در بازبینی دوم به بند افزوده شد.",
]


# --- running a process and watching its memory --------------------------------------


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
            total = sum(_pss_kb(p) for p in _tree(self.pid))
            self.peak_kb = max(self.peak_kb, total)


def _tree(pid: int) -> list[int]:
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


# --- the edit ----------------------------------------------------------------------


def middle_chapter(ms: Path) -> Path:
    """The written chapter in the middle of the reading order (front matter excluded)."""
    import yaml

    book = yaml.safe_load((ms / "book.yaml").read_text(encoding="utf-8"))
    written = []
    for entry in book["chapters"]:
        if isinstance(entry, str):
            head = (ms / entry).read_text(encoding="utf-8").split("\n---", 1)[0]
            if not re.search(r"^kind:\s*frontmatter", head, re.M):
                written.append(ms / entry)
    return written[len(written) // 2]


def add_sentence(chapter: Path, n: int) -> str:
    """Add a sentence at the end of a paragraph of ``chapter`` (the middle one, then the next…)."""
    text = chapter.read_text(encoding="utf-8")
    head, body = text.split("\n---\n", 1)
    lines = body.split("\n")
    plain = [
        i for i, line in enumerate(lines)
        if len(line) > 100 and not re.match(r"\s*([#>*|:<!-]|\d+\.|\[\^|```|~~~)", line)
    ]
    i = plain[(len(plain) // 2 + n) % len(plain)]
    lines[i] = lines[i].rstrip() + " " + ADDED[n % len(ADDED)]
    chapter.write_text(head + "\n---\n" + "\n".join(lines), encoding="utf-8")
    return f"{chapter.name}:{i + head.count(chr(10)) + 3}"


# --- ketab watch: save → preview ------------------------------------------------------


def bench_watch(source: Path, work: Path, say, edits: int = 3) -> dict:
    """save → the new text in the open preview, and save → its laid-out pages, in headless Chromium
    (``scripts/watch_latency.py``): per edit and their medians, in ms (target: text ≤ 1000 ms)."""
    import watch_latency

    return watch_latency.measure(source, work, edits, say)


# --- the reference pass -------------------------------------------------------------


def reference(ms: Path, out: Path) -> dict:
    """One pandoc → WeasyPrint pass (runs in its own process: ``bench.py --reference``)."""
    start = time.perf_counter()
    from types import SimpleNamespace

    import pypandoc

    from ketab import render
    from ketab.convert import PANDOC_ARGS, PANDOC_FROM
    from ketab.generate import generated_markdown
    from ketab.manuscript import load_manuscript

    manuscript = load_manuscript(ms)
    config, lang = manuscript.config, manuscript.config.language
    laps = {"load": time.perf_counter() - start}
    sections = []
    for ch in manuscript.chapters:
        if ch.generate == "index":
            continue  # the index needs page numbers: not something one pass can make
        markdown = generated_markdown(manuscript, ch) if ch.generate else ch.body
        body = pypandoc.convert_text(markdown, "html5", format=PANDOC_FROM, extra_args=list(PANDOC_ARGS))
        title = htmllib.escape(ch.title)
        sections.append(f'<section class="chapter recto" id="{ch.id}"><header class="chapter-head"><h1>{title}</h1></header>\n{body}</section>')
    laps["pandoc"] = time.perf_counter() - start - sum(laps.values())
    document = (
        f'<!DOCTYPE html><html lang="{lang.tag}" dir="{lang.direction}"><head><meta charset="utf-8"><title>{htmllib.escape(config.title)}</title></head>'
        f'<body>{"".join(sections)}</body></html>'
    )
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    laps["import"] = time.perf_counter() - start - sum(laps.values())
    templates = render.default_templates()
    book = SimpleNamespace(language=lang, config=config)
    style = render.PrintStyle("baked", 1, lang.counter_style, config.title, config.title, bleed=config.bleed)
    css_text = render.print_css(book, templates, style)
    fonts = FontConfiguration()
    base = ms.resolve().as_uri() + "/"
    css = weasyprint.CSS(string=css_text, base_url=base, font_config=fonts)
    doc = weasyprint.HTML(string=document, base_url=base).render(stylesheets=[css], font_config=fonts)
    laps["layout"] = time.perf_counter() - start - sum(laps.values())
    doc.write_pdf(out)
    laps["write"] = time.perf_counter() - start - sum(laps.values())
    return {"pages": len(doc.pages), "laps": laps, "seconds": time.perf_counter() - start}


# --- one book ---------------------------------------------------------------------


@dataclass
class BookFigures:
    name: str
    pages: int = 0
    chapters: int = 0
    edited: str = ""
    cold: list = field(default_factory=list)
    nochange: list = field(default_factory=list)
    edit: list = field(default_factory=list)
    epub: list = field(default_factory=list)
    ref: list = field(default_factory=list)
    ref_pages: int = 0
    ref_laps: dict = field(default_factory=dict)

    @staticmethod
    def med(runs) -> float:
        return statistics.median(r.seconds for r in runs)

    def units(self, runs) -> str:
        found = runs[0].find(r"layout units: (\d+) laid out, (\d+) reused")
        return f"{found[0]} laid out, {found[1]} reused" if found else "?"


def bench_book(name: str, source: Path, work: Path, repeat: int, say) -> BookFigures:
    ms, out = work / "ms", work / "build"
    if source != ms:
        shutil.copytree(source, ms)
    fig = BookFigures(name)
    fig.chapters = sum(1 for line in (ms / "book.yaml").read_text(encoding="utf-8").splitlines() if re.match(r"\s*-\s*chapters/", line))
    for i in range(repeat):
        shutil.rmtree(out, ignore_errors=True)
        say(f"{name}: cold build {i + 1}/{repeat}")
        fig.cold.append(ketab_build(ms, out))
    fig.pages = int(fig.cold[0].find(r"built (\d+) pages")[0])
    for i in range(5):
        say(f"{name}: no-change rebuild {i + 1}/5")
        r = ketab_build(ms, out)
        if not r.find(r"(nothing to do)"):
            raise SystemExit(f"a rebuild without changes did work:\n{r.stderr}")
        fig.nochange.append(r)
    for i in range(repeat):
        say(f"{name}: reference pass {i + 1}/{repeat}")
        r = run([sys.executable, str(Path(__file__).resolve()), "--reference", str(ms), "--ref-out", str(work / "reference.pdf")])
        fig.ref.append(r)
        data = json.loads(r.stdout.strip().splitlines()[-1])
        fig.ref_pages, fig.ref_laps = data["pages"], data["laps"]
    chapter = middle_chapter(ms)
    for i in range(repeat):
        fig.edited = add_sentence(chapter, 2 * i)
        say(f"{name}: one-chapter edit {i + 1}/{repeat} ({fig.edited})")
        fig.edit.append(ketab_build(ms, out))
        add_sentence(chapter, 2 * i + 1)
        say(f"{name}: EPUB-only rebuild after an edit {i + 1}/{repeat}")
        fig.epub.append(ketab_build(ms, out, "epub"))
    return fig


# --- a catalogue ------------------------------------------------------------------


def make_catalogue(dest: Path, copies: int) -> Path:
    """``copies`` distinct copies of every sample book (own slug, title, identifier and a
    line in every chapter: no layout unit is shared between copies); the catalogue file."""
    import yaml

    lines = []
    for project in sorted((ROOT / "tests" / "projects").iterdir()):
        for i in range(copies):
            book = dest / f"{project.name}-{i:02d}"
            shutil.copytree(project, book)
            meta = (book / "book.yaml").read_text(encoding="utf-8")
            data = yaml.safe_load(meta)
            meta = meta.replace(f"slug: {data['slug']}", f"slug: {data['slug']}-{i:02d}")
            meta = meta.replace(f"title: {data['title']}", f"title: {data['title']} {i + 1}")
            meta = meta.replace(data["identifier"], data["identifier"][:-2] + f"{i:02x}")
            (book / "book.yaml").write_text(meta, encoding="utf-8")
            for chapter in (book / "chapters").glob("*.md"):
                chapter.write_text(chapter.read_text(encoding="utf-8").rstrip("\n") + f"\n\nCopy {i + 1}.\n", encoding="utf-8")
            lines.append(book.name)
    catalogue = dest / "catalogue.txt"
    catalogue.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return catalogue


def _env() -> dict:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if CODE is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CODE / "src"), env.get("PYTHONPATH")]))
    return env


class LocalCluster:
    """`dask scheduler` and two `dask worker` processes (one thread each) on 127.0.0.1."""

    def __init__(self, work: Path, workers: int = 2):
        work.mkdir(parents=True, exist_ok=True)
        self.file = work / "scheduler.json"
        self.log = open(work / "dask.log", "wb")

        def start(*cmd):
            return subprocess.Popen([sys.executable, "-m", *cmd], stdout=self.log, stderr=self.log, env=_env(), cwd=work)

        self.procs = [start("distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                            "--scheduler-file", str(self.file))]
        while not self.file.exists():
            time.sleep(0.1)
        self.procs += [start("distributed.cli.dask_worker", "--scheduler-file", str(self.file), "--host", "127.0.0.1",
                             "--nthreads", "1", "--no-dashboard", "--memory-limit", "0") for _ in range(workers)]
        from distributed import Client

        with Client(scheduler_file=str(self.file), timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
            self.address = client.scheduler.address

    def cpu(self) -> float:
        """CPU seconds of the cluster's processes and their children so far."""
        return sum(_cpu_of(p) for proc in self.procs for p in _tree(proc.pid))

    def close(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.log.close()


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _digests(out: Path) -> dict:
    import hashlib

    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and ".ketab" not in p.as_posix()}


@dataclass
class CatalogueFigures:
    books: int = 0
    pages: int = 0
    runs: dict = field(default_factory=dict)
    """name → (Run, cluster CPU seconds, units 'N laid out, M reused')"""
    identical: bool = False


def bench_catalogue(work: Path, copies: int, say) -> CatalogueFigures:
    catalogue = make_catalogue(work / "books", copies)
    fig = CatalogueFigures(books=len(catalogue.read_text().split()))
    shared = (work / "shared-cache").as_uri()

    def units(r: Run) -> str:
        found = re.findall(r"\((\d+) laid out, (\d+) reused\)", r.stderr)
        return f"{sum(int(a) for a, _ in found)} laid out, {sum(int(b) for _, b in found)} reused"

    def build(name: str, *extra: str, cluster: LocalCluster | None = None) -> Run:
        say(f"catalogue ({fig.books} books): {name}")
        before = cluster.cpu() if cluster else 0.0
        r = run([sys.executable, "-m", "ketab", "build", "--catalogue", str(catalogue), "--out", str(work / name), "-v", *extra])
        fig.runs[name] = (r, (cluster.cpu() - before) if cluster else 0.0, units(r))
        return r

    # both cold builds keep their cache in a shared folder of their own: units that copies share
    # (the blank page…) are laid out once in either, so the two do the same work
    r = build("local", "--cache", (work / "local-cache").as_uri())
    fig.pages = int(r.find(r"built \d+ books, (\d+) pages")[0])
    say("starting a scheduler and two workers on 127.0.0.1")
    started = time.perf_counter()
    cluster = LocalCluster(work / "dask")
    fig.runs["cluster start"] = time.perf_counter() - started
    try:
        build("cluster", "--scheduler", cluster.address, "--cache", shared, cluster=cluster)
    finally:
        cluster.close()
    build("warm", "--cache", shared)
    fig.identical = _digests(work / "local") == _digests(work / "cluster") == _digests(work / "warm")
    return fig


def catalogue_rows(fig: CatalogueFigures) -> list[tuple[str, str, str, str, str]]:
    """(build, wall, CPU client / cluster, units, pages per second)"""
    out = []
    names = {"local": "local process pool (2 workers), cold (own shared cache folder)", "cluster": "two-worker Dask cluster on this machine, cold",
             "warm": "rebuild from the warm shared cache (new output folders)"}
    for key, title in names.items():
        r, cluster_cpu, units = fig.runs[key]
        cpu = f"{r.cpu:.1f} s" + (f" + {cluster_cpu:.1f} s on the workers" if key == "cluster" else "")
        out.append((title, f"{r.seconds:.1f} s", cpu, units, f"{fig.pages / r.seconds:.1f}"))
    return out


def print_catalogue(fig: CatalogueFigures) -> None:
    print(f"\ncatalogue: {fig.books} books, {fig.pages} pages; outputs identical across the three builds: {fig.identical}")
    print(f"(starting the scheduler and two workers took {fig.runs['cluster start']:.1f} s, not counted)")
    for row in catalogue_rows(fig):
        print("  " + " | ".join(row))


def catalogue_markdown(m: dict, fig: CatalogueFigures) -> list[str]:
    lines = [
        "## Catalogue build",
        "",
        f"- **Date:** {m['date']}; load average {m['load']} before, {m.get('load_after', '?')} after",
        f"- **Catalogue:** {fig.books} books — ten distinct copies of each book in `tests/projects/` (own slug, title, "
        f"identifier and a line added to every chapter: only the two units of a book that carry none of its text, such as the blank page, are the same in every copy), {fig.pages} pages in all.",
        "- **Method:** one `python -m ketab build --catalogue FILE --out DIR -v` process each; the cluster is a `dask scheduler` "
        "and two `dask worker --nthreads 1` processes on 127.0.0.1 on the same two cores, started beforehand "
        f"({fig.runs['cluster start']:.1f} s, not counted); the cluster build fills a shared cache folder (`--cache file://…`; the local build fills one of its own, "
        "so both lay out the few units the copies share once), and the warm rebuild is a new output folder per book reading that cache, as a second machine would. "
        "CPU: the client process and its children (`wait4`), and the cluster's processes (`/proc`).",
        f"- **Outputs identical** across the three builds (every file's SHA-256): {'yes' if fig.identical else 'NO'}",
        "",
        "| build | wall time | CPU | layout units | pages per second |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {' | '.join(row)} |" for row in catalogue_rows(fig)]
    return lines + [""]


# --- the machine and the report -----------------------------------------------------------


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
        "load": _loadavg(),
    }


def _loadavg() -> str:
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


def rows(figs: list[BookFigures]) -> list[tuple[str, list[str], str]]:
    """(measure, [value per book], target) — the table, as text."""
    def s(x):
        return f"{x:.2f} s" if x < 10 else f"{x:.1f} s"

    def ok(good):
        return "✓" if good else "✗"

    out = [
        ("pages (print, before padding)", [f"{f.pages} ({f.chapters} chapters)" for f in figs], ""),
        ("cold build, all formats", [s(f.med(f.cold)) for f in figs], ""),
        ("  layout units", [f.units(f.cold) for f in figs], ""),
        ("no-change rebuild (process)", [s(f.med(f.nochange)) for f in figs], "< 0.5 s"),
        ("  of which in build()", [f"{statistics.median(float(r.find(r'up to date .([0-9.]+) s')[0]) for r in f.nochange):.2f} s" for f in figs], ""),
        ("one-chapter edit, all formats", [s(f.med(f.edit)) for f in figs], ""),
        ("  layout units", [f.units(f.edit) for f in figs], ""),
        ("EPUB-only rebuild after an edit", [s(f.med(f.epub)) for f in figs], ""),
        ("  layout units", [f.units(f.epub) for f in figs], ""),
        ("reference pandoc → WeasyPrint pass", [s(f.med(f.ref)) for f in figs], ""),
        ("  pages; pandoc / import / layout / write", [
            f"{f.ref_pages}; " + " / ".join(f"{f.ref_laps.get(k, 0):.1f}" for k in ("pandoc", "import", "layout", "write")) + " s" for f in figs], ""),
        ("peak memory, cold: largest process", [f"{max(r.max_rss for r in f.cold):.0f} MB" for f in figs], ""),
        ("peak memory, cold: process tree (PSS)", [f"{max(r.peak_pss for r in f.cold):.0f} MB" for f in figs], ""),
        ("peak memory, reference (largest process)", [f"{max(r.max_rss for r in f.ref):.0f} MB" for f in figs], ""),
        ("CPU time: cold / reference", [
            f"{statistics.median(r.cpu for r in f.cold):.1f} / {statistics.median(r.cpu for r in f.ref):.1f} s" for f in figs], ""),
        ("pages per second: cold / reference", [f"{f.pages / f.med(f.cold):.1f} / {f.ref_pages / f.med(f.ref):.1f}" for f in figs], ""),
        ("cold / reference", [f"{f.med(f.cold) / f.med(f.ref):.2f}× {ok(f.med(f.cold) / f.med(f.ref) <= TARGETS['cold'])}" for f in figs], "≤ 1.1×"),
        ("edit / cold", [f"{100 * f.med(f.edit) / f.med(f.cold):.0f} % {ok(f.med(f.edit) / f.med(f.cold) <= TARGETS['edit'])}" for f in figs], "≤ 15 %"),
        ("EPUB-only edit / cold", [f"{100 * f.med(f.epub) / f.med(f.cold):.0f} %" for f in figs], ""),
        ("no-change", [f"{f.med(f.nochange):.2f} s {ok(f.med(f.nochange) < TARGETS['nochange'])}" for f in figs], "< 0.5 s"),
    ]
    return out


def machine_line(m: dict) -> str:
    return (
        f"{m['cores']} cores ({m['usable']} usable), {m['model']}, {m['memory']} RAM; two CPU-bound processes run "
        f"{m['speedup']:.2f}× as fast as one; load average {m['load']} before, {m.get('load_after', '?')} after; "
        f"Python {m['python']}, WeasyPrint {m['weasyprint']}, pandoc {m['pandoc']}"
    )


def print_table(m: dict, figs: list[BookFigures], repeat: int) -> None:
    table = rows(figs)
    width = max(len(r[0]) for r in table) + 2
    cols = [max(len(f.name), *(len(r[1][i]) for r in table)) + 2 for i, f in enumerate(figs)]
    print(f"\nketab benchmark — {m['date']}")
    print(f"machine: {machine_line(m)}")
    print(f"each figure: median of {repeat} run(s) (no-change: 5); wall time of `python -m ketab build` processes\n")
    print("".ljust(width) + "".join(f.name.ljust(c) for f, c in zip(figs, cols)) + "target")
    for name, values, target in table:
        print(name.ljust(width) + "".join(v.ljust(c) for v, c in zip(values, cols)) + target)
    for f in figs:
        print(f"\n{f.name}: edited {f.edited} (a sentence added to one paragraph)")


def record(m: dict, figs: list[BookFigures], repeat: int, path: Path, catalogue: CatalogueFigures | None = None) -> None:
    """Write the figures measured to ``path``, keeping the part of it this run did not measure."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    books_part, _, catalogue_part = old.partition("## Catalogue build")
    catalogue_part = "\n".join(catalogue_markdown(m, catalogue)) if catalogue else ("## Catalogue build" + catalogue_part if catalogue_part else "")
    if not figs:
        text = books_part.rstrip("\n") + "\n\n" + catalogue_part
        path.write_text(text, encoding="utf-8")
        return
    table = rows(figs)
    lines = [
        "# Build benchmark",
        "",
        "Written by `python scripts/bench.py --record` (`make bench` prints the same table without writing it).",
        "",
        f"- **Date:** {m['date']}",
        f"- **Machine:** {machine_line(m)}",
        f"- **Method:** every build is a real `python -m ketab build … -v` process on a scratch copy of the book, "
        "running a copy of `src/` and `templates/` taken (and byte-compiled) when the benchmark starts; "
        f"wall time, median of {repeat} run(s) (the no-change rebuild: 5). The edit adds a sentence to one paragraph "
        "of the chapter in the middle of the reading order; the EPUB-only rebuild follows a second such edit. "
        "Memory: the largest resident set of any process of the build (`wait4`), and the peak of the summed PSS "
        "of the process tree (polled from `/proc` every 0.1 s). The reference is one process that converts every "
        "part with pandoc (same options and filter), concatenates them into one HTML document with the print "
        "stylesheet (folios and running heads included, no index), and lays it out and writes it once with WeasyPrint.",
        "- **Books:** " + "; ".join(f"`{f.name}` — {f.pages} pages, {f.chapters} chapters, edited `{f.edited}`" for f in figs),
        "",
        "| measure | " + " | ".join(f"`{f.name}`" for f in figs) + " | target |",
        "|---|" + "---|" * len(figs) + "---|",
    ]
    for name, values, target in table:
        lines.append(f"| {name.strip()} | " + " | ".join(values) + f" | {target} |")
    lines.append("")
    if catalogue_part:
        lines += ["", catalogue_part]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark ketab's incremental build.")
    parser.add_argument("--record", action="store_true", help="write the figures to docs/benchmark.md")
    parser.add_argument("--pages", type=int, default=500, help="pages of the big book")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (median)")
    parser.add_argument("--only", choices=("real", "big", "catalogue"), help="benchmark one book, or the catalogue, only")
    parser.add_argument("--copies", type=int, default=10, help="copies of each sample book in the catalogue")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--reference", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ref-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reference:
        print(json.dumps(reference(args.reference, args.ref_out)))
        return 0

    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")

    def say(msg):
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    m = machine()
    work = args.keep or Path(tempfile.mkdtemp(prefix="ketab-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    figs, catalogue = [], None
    try:
        freeze_code(work)
        if args.only in (None, "real"):
            figs.append(bench_book("manuscript", ROOT / "manuscript", work / "real", args.repeat, say))
        if args.only in (None, "big"):
            import make_big_book

            say(f"making a ~{args.pages}-page book from the manuscript's chapters")
            # measure the real book's screen PDF, if it was just built, instead of building it again
            pdf = next((work / "real" / "build").glob("*-screen.pdf"), None) if figs else None
            rounds, per_round, rest = make_big_book.rounds_for(ROOT / "manuscript", args.pages, pdf)
            big = work / "big" / "ms"
            make_big_book.write_big_book(ROOT / "manuscript", big, rounds)
            say(f"{rounds} rounds of chapters: about {rest + rounds * per_round} pages")
            figs.append(bench_book("big book", big, work / "big", args.repeat, say))
        if args.only in (None, "catalogue"):
            catalogue = bench_catalogue(work / "catalogue", args.copies, say)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    m["load_after"] = _loadavg()
    if figs:
        print_table(m, figs, args.repeat)
    if catalogue is not None:
        print_catalogue(catalogue)
    if args.record:
        record(m, figs, args.repeat, ROOT / "docs" / "benchmark.md", catalogue)
        print(f"\nwrote {ROOT / 'docs' / 'benchmark.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
