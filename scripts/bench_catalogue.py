"""The catalogue benchmark (``scripts/bench.py --only catalogue``): ten distinct copies of each sample book
built with ``ketab build --catalogue`` on the local process pool, on a two-worker Dask cluster started on
127.0.0.1 (filling a shared cache folder), and again into new output folders from that warm cache."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench_run import ROOT, Run, digests, env, run, tree


def make_catalogue(dest: Path, copies: int) -> Path:
    """``copies`` distinct copies of every sample book (own slug, title, identifier and a
    line in every chapter: no layout unit is shared between copies); the catalogue file."""
    import yaml

    lines = []
    for project in sorted((ROOT / "tests" / "projects").iterdir()):
        if project.name.startswith("_") or not (project / "book.yaml").is_file():
            continue  # _external: the fetched test books (not sample books)
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


class LocalCluster:
    """`dask scheduler` and two `dask worker` processes (one thread each) on 127.0.0.1."""

    def __init__(self, work: Path, workers: int = 2):
        work.mkdir(parents=True, exist_ok=True)
        self.file = work / "scheduler.json"
        self.log = open(work / "dask.log", "wb")

        def start(*cmd):
            return subprocess.Popen([sys.executable, "-m", *cmd], stdout=self.log, stderr=self.log, env=env(), cwd=work)

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
        return sum(_cpu_of(p) for proc in self.procs for p in tree(proc.pid))

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
    fig.identical = digests(work / "local") == digests(work / "cluster") == digests(work / "warm")
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
