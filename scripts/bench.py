#!/usr/bin/env python3
"""Benchmark ketab's builds (``make bench``): the editor's loop, the cold build against two peers, memory
and the cost per page.

Books, each in a scratch copy:

* ``manuscript`` — the book in ``manuscript/``;
* ``manual`` — pandoc's MANUAL.txt as ONE chapter (its YAML preamble replaced by a ketab front matter,
  the text unchanged; from the tarball ``scripts/fetch_testbooks.py`` fetches);
* ``big`` — about 500 pages made of the manuscript's chapters (``scripts/make_big_book.py``).

For each book:

* cold build (empty output folder), all formats: wall time, CPU time, memory;
* the single-pass reference with ketab's stylesheet: one process that converts every part with pandoc
  (same options and filter), joins them into one HTML document with the print stylesheet and lays it out
  and writes it once with WeasyPrint — what the cold build is judged against (CPU, ≤ 1.2×);
* a peer: pandoc's own ``-s`` HTML5 template and default styles (``pandoc -s --file-scope``, no filter),
  then ``python -m weasyprint`` on it — the plain pandoc → WeasyPrint route;
* no-change rebuild (5 times);
* one-paragraph edits (``scripts/bench_edits.py``): a few words, then more than a line's worth, inserted
  inside the first prose paragraph of the first written chapter, the middle paragraph of the middle
  chapter and the last paragraph of the last chapter (the manual: of its one chapter), each followed by a
  rebuild of all formats; after the last, a cold build of the edited book: its outputs must be the
  incremental build's, byte for byte.

``ketab watch`` (``scripts/watch_latency.py``): a real watcher on a copy of the manuscript (and of the manual),
its preview open in headless Chromium; three saves, each a sentence added to a paragraph of the middle chapter:
save → the new text in the preview (target ≤ 1 s) and save → the laid-out pages, every format rebuilt in
the watcher's warm process (the editor's loop, against the ≤ 1.5 s edit target).

Then the cost per page: cold builds of books of about 50, 250, 500 and 1000 pages (``--quick``: 50, 100,
150) made of the manuscript's chapters; peak memory at the largest.

Targets: edit ≤ 1.5 s and ≤ 10 % of cold (the 253-page chapter, the 500-page book); no-change ≤ 0.3 s;
cold CPU ≤ 1.2 × the reference's; peak memory (process tree) ≤ 600 MB at 1000 pages; the marginal cost of
a page (Δ seconds / Δ pages between sizes) within ±15 % of its mean.

Usage::

    python scripts/bench.py [--quick] [--record] [--repeat N] [--only real|manual|big|scale|catalogue] [--keep DIR]

``--quick`` takes minutes on an idle machine (the manual cut at a level-1 heading after its first third, a
150-page big book, sizes to 150 pages, no catalogue; 27 min at a load average of 12 on two cores); the full
run about a quarter of an hour on an idle two-core machine, most of it the 1000-page book, the long books'
edits (today a third of a cold build each) and the catalogue (it prints its estimate after the first book).  ``--record`` writes the figures to ``docs/benchmark.md`` (keeping the catalogue's part
when this run did not measure it).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import bench_edits  # noqa: E402
import bench_run  # noqa: E402
from bench_edits import KINDS, POSITIONS  # noqa: E402
from bench_report import print_report, record  # noqa: E402
from bench_run import Run, digests, ketab_build, run  # noqa: E402

SIZES = {"full": (50, 250, 500, 1000), "quick": (50, 100, 150)}
BIG = {"full": 500, "quick": 150}


# --- the books ---------------------------------------------------------------------


def written_chapters(ms: Path) -> list[Path]:
    """The chapters an editor writes, in reading order (no front matter, no generated part)."""
    import yaml

    book = yaml.safe_load((ms / "book.yaml").read_text(encoding="utf-8"))
    out = []
    for entry in book["chapters"]:
        if isinstance(entry, str):
            head = (ms / entry).read_text(encoding="utf-8").split("\n---", 1)[0]
            if "kind: frontmatter" not in head:
                out.append(ms / entry)
    return out


def edit_targets(ms: Path) -> dict[str, Path]:
    """Position → chapter: start, the first written chapter; middle, the middle one; end, the last."""
    chapters = written_chapters(ms)
    return {"start": chapters[0], "middle": chapters[len(chapters) // 2], "end": chapters[-1]}



# --- ketab watch: save → preview ------------------------------------------------------


def bench_watch(source: Path, work: Path, say, edits: int = 3) -> dict:
    """save → the new text in the open preview, and save → its laid-out pages, in headless Chromium
    (``scripts/watch_latency.py``): per edit and their medians, in ms (target: text ≤ 1000 ms)."""
    import watch_latency

    return watch_latency.measure(source, work, edits, say)


def bench_watches(work: Path, say) -> dict:
    """bench_watch on the manuscript, and on the manual when this run made it."""
    books = {"manuscript": ROOT / "manuscript"}
    if (work / "manual" / "ms").is_dir():
        books["manual"] = work / "manual" / "ms"
    out = {}
    for name, source in books.items():
        say(f"{name}: ketab watch, save → preview")
        try:
            out[name] = bench_watch(source, work / "watch" / name, say)
        except (RuntimeError, OSError) as exc:  # the rest of the run's figures are still printed and recorded
            say(f"{name}: ketab watch could not be measured: {exc}")
    return out


def make_manual(dest: Path, quick: bool) -> Path:
    """pandoc's MANUAL.txt as one chapter: the text after its YAML preamble, unchanged, under a ketab front
    matter (``--quick``: only up to the level-1 heading nearest its first third)."""
    import fetch_testbooks as ft
    import yaml

    tarball = ft.fetch_pandoc_source()
    files = ft.read_members(tarball, ["MANUAL.txt", *ft.LICENCE_FILES])
    text = files["MANUAL.txt"].decode("utf-8")
    preamble, parts = ft.split_at_level_one(text)
    body = text[len(preamble):]
    if quick:
        cut = body.find("\n# ", len(body) // 3)
        body = body[: cut + 1] if cut > 0 else body
    meta = yaml.safe_load(preamble.strip().strip("-")) or {}
    shutil.rmtree(dest, ignore_errors=True)
    (dest / "chapters").mkdir(parents=True)
    for name in ft.LICENCE_FILES:
        (dest / name).write_bytes(files[name])
    (dest / "chapters" / "manual.md").write_text(ft.front_matter({"title": meta.get("title", "Pandoc User's Guide")}) + "\n" + body, encoding="utf-8")
    config = ft.base_config(meta.get("title", "Pandoc User's Guide"), "pandoc-manual-one", "6f1c3f0e-6a43-4c39-9a55-0d0b2b6c1a03",
                            meta.get("author", "John MacFarlane"), "2022-01-30")
    config["chapters"] = ["chapters/manual.md"]
    (dest / "book.yaml").write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return dest


def make_sized(dest: Path, pages: int, source_pdf: Path | None) -> Path:
    import make_big_book

    count, _ = make_big_book.chapters_for(ROOT / "manuscript", pages, source_pdf)
    make_big_book.write_big_book(ROOT / "manuscript", dest, 0, count)
    return dest


# --- the two passes it is judged against -----------------------------------------------


def reference(ms: Path, out: Path) -> dict:
    """The single pass with ketab's stylesheet (runs in its own process: ``bench.py --reference``)."""
    import html as htmllib
    from types import SimpleNamespace

    start = time.perf_counter()
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


def peer_inputs(ms: Path, work: Path) -> tuple[list[str], list[Path]]:
    """pandoc's arguments (metadata) and one Markdown file per part, headed by its title — the same text
    ketab builds (generated parts included, not the index), written before anything is timed."""
    from ketab.generate import generated_markdown
    from ketab.manuscript import load_manuscript

    manuscript = load_manuscript(ms)
    config, lang = manuscript.config, manuscript.config.language
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    files = []
    for n, ch in enumerate(manuscript.chapters):
        if ch.generate == "index":
            continue
        markdown = generated_markdown(manuscript, ch) if ch.generate else ch.body
        path = work / f"{n:03d}.md"
        path.write_text(f"# {ch.title}\n\n{markdown}\n", encoding="utf-8")
        files.append(path)
    meta = ["--metadata", f"title={config.title}", "--metadata", f"lang={lang.tag}", "--metadata", f"dir={lang.direction}"]
    return meta, files


def peer(ms: Path, work: Path) -> tuple[Run, int]:
    """pandoc -s (its own template and styles) → one HTML file → ``python -m weasyprint``; two processes,
    summed.  Returns the run and the PDF's pages."""
    import pikepdf
    import pypandoc

    meta, files = peer_inputs(ms, work)
    html, pdf = work / "book.html", work / "book.pdf"
    first = run([pypandoc.get_pandoc_path(), "-s", "--file-scope", "-t", "html5", "--resource-path", str(ms), *meta, "-o", str(html), *map(str, files)])
    second = run([sys.executable, "-m", "weasyprint", "--base-url", ms.resolve().as_uri() + "/", str(html), str(pdf)])
    both = Run(first.seconds + second.seconds, max(first.max_rss, second.max_rss), max(first.peak_pss, second.peak_pss), first.cpu + second.cpu)
    with pikepdf.open(pdf) as doc:
        return both, len(doc.pages)


# --- one book -------------------------------------------------------------------------


@dataclass
class BookFigures:
    name: str
    pages: int = 0
    chapters: int = 0
    cold: list = field(default_factory=list)
    nochange: list = field(default_factory=list)
    ref: list = field(default_factory=list)
    ref_pages: int = 0
    ref_laps: dict = field(default_factory=dict)
    peer: list = field(default_factory=list)
    peer_pages: int = 0
    edits: dict = field(default_factory=dict)
    """(position, kind) → [Run]"""
    edited: dict = field(default_factory=dict)
    """(position, kind) → 'file:line'"""
    identical: bool | None = None
    """The last incremental build's outputs are a cold build's, byte for byte."""

    @staticmethod
    def med(runs) -> float:
        return statistics.median(r.seconds for r in runs)

    @staticmethod
    def cpu(runs) -> float:
        return statistics.median(r.cpu for r in runs)


def units(r: Run) -> str:
    found = r.find(r"layout units: (\d+) laid out, (\d+) reused")
    return f"{found[0]} laid out, {found[1]} reused" if found else "?"


def bench_book(name: str, ms: Path, work: Path, repeat: int, say, edits: bool = True) -> BookFigures:
    out = work / "build"
    fig = BookFigures(name, chapters=len(written_chapters(ms)))
    for i in range(repeat):
        shutil.rmtree(out, ignore_errors=True)
        say(f"{name}: cold build {i + 1}/{repeat}")
        fig.cold.append(ketab_build(ms, out))
    fig.pages = int(fig.cold[0].find(r"built (\d+) pages")[0])
    say(f"{name}: {fig.pages} pages, cold {fig.med(fig.cold):.1f} s ({fig.pages / fig.med(fig.cold):.1f} pages/s)")
    for _ in range(5):
        r = ketab_build(ms, out)
        if not r.find(r"(nothing to do)"):
            raise SystemExit(f"a rebuild without changes did work:\n{r.stderr}")
        fig.nochange.append(r)
    for i in range(repeat):
        say(f"{name}: reference pass (ketab's stylesheet) {i + 1}/{repeat}")
        r = run([sys.executable, str(Path(__file__).resolve()), "--reference", str(ms), "--ref-out", str(work / "reference.pdf")])
        fig.ref.append(r)
        data = json.loads(r.stdout.strip().splitlines()[-1])
        fig.ref_pages, fig.ref_laps = data["pages"], data["laps"]
        say(f"{name}: pandoc -s → weasyprint {i + 1}/{repeat}")
        r, fig.peer_pages = peer(ms, work / "peer")
        fig.peer.append(r)
    if edits:
        bench_edits_of(fig, ms, out, repeat, say)
        say(f"{name}: a cold build of the edited book, to compare")
        ketab_build(ms, work / "cold-after-edits")
        fig.identical = digests(out) == digests(work / "cold-after-edits")
    return fig


def bench_edits_of(fig: BookFigures, ms: Path, out: Path, repeat: int, say) -> None:
    targets = edit_targets(ms)
    n = 0
    for position in POSITIONS:
        for kind in KINDS:
            runs = []
            for _ in range(repeat):
                fig.edited[position, kind] = bench_edits.edit(targets[position], position, kind, n)
                n += 1
                say(f"{fig.name}: edit ({kind}) at the {position}: {fig.edited[position, kind]}")
                r = ketab_build(ms, out)
                if r.find(r"(nothing to do)"):
                    raise SystemExit(f"the edit {fig.edited[position, kind]} changed nothing")
                runs.append(r)
            fig.edits[position, kind] = runs


# --- cost per page --------------------------------------------------------------------


@dataclass
class SizeFigures:
    target: int
    pages: int
    run: Run


def bench_sizes(sizes, work: Path, say, known: dict, source_pdf: Path | None) -> list[SizeFigures]:
    """A cold build at each size; ``known``: target pages → (pages, Run) already measured (the big book)."""
    out = []
    for target in sizes:
        if target in known:
            out.append(SizeFigures(target, *known[target]))
            continue
        ms = make_sized(work / f"size-{target}" / "ms", target, source_pdf)
        say(f"size {target}: cold build")
        r = ketab_build(ms, work / f"size-{target}" / "build")
        out.append(SizeFigures(target, int(r.find(r"built (\d+) pages")[0]), r))
        shutil.rmtree(work / f"size-{target}", ignore_errors=True)
    return out


# --- the run ----------------------------------------------------------------------------


def _parse(argv):
    parser = argparse.ArgumentParser(description="Benchmark ketab's builds.")
    parser.add_argument("--quick", action="store_true", help="smaller books and sizes: a few minutes")
    parser.add_argument("--record", action="store_true", help="write the figures to docs/benchmark.md")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (median)")
    parser.add_argument("--only", choices=("real", "manual", "big", "scale", "watch", "catalogue"), help="one part of the benchmark")
    parser.add_argument("--copies", type=int, default=10, help="copies of each sample book in the catalogue")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--reference", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--ref-out", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def estimate(fig: BookFigures, mode: str, repeat: int) -> float:
    """Seconds the rest of the run should take, from the first book's cold build (cost per page)."""
    per_page = fig.med(fig.cold) / max(1, fig.pages)
    pages = 253 if mode == "full" else 90
    books = [pages, BIG[mode]]
    # per book: cold + two references (~ cold each) + six edits (~ a third of cold today) + a cold check
    work = sum(p * (1 + 2 + 6 / 3 + 1) * repeat for p in books) + sum(s for s in SIZES[mode] if s != BIG[mode])
    return per_page * work + 60


def main(argv=None) -> int:
    args = _parse(argv)
    if args.reference:
        print(json.dumps(reference(args.reference, args.ref_out)))
        return 0
    import os

    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    mode = "quick" if args.quick else "full"
    started = time.perf_counter()

    def say(msg):
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    loads = bench_run.LoadWatcher()
    loads.start()
    m = bench_run.machine()
    work = args.keep or Path(tempfile.mkdtemp(prefix="ketab-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    figs, sizes, catalogue, watch = [], [], None, {}
    want = (lambda part: args.only in (None, part)) if not args.quick else (lambda part: args.only in (None, part) and part != "catalogue")
    try:
        bench_run.freeze_code(work)
        pdf = None
        if want("real"):
            shutil.copytree(ROOT / "manuscript", work / "real" / "ms")
            figs.append(bench_book("manuscript", work / "real" / "ms", work / "real", args.repeat, say))
            say(f"estimated time for the rest of this run: {estimate(figs[0], mode, args.repeat) / 60:.0f} min")
            pdf = next((work / "real" / "cold-after-edits").glob("*-screen.pdf"), None)
        if want("manual"):
            figs.append(bench_book("manual", make_manual(work / "manual" / "ms", args.quick), work / "manual", args.repeat, say))
        known = {}
        if want("big"):
            say(f"making a ~{BIG[mode]}-page book from the manuscript's chapters")
            big = make_sized(work / "big" / "ms", BIG[mode], pdf)
            figs.append(bench_book("big book", big, work / "big", args.repeat, say))
            known[BIG[mode]] = (figs[-1].pages, figs[-1].cold[0])
        if want("scale"):
            sizes = bench_sizes(SIZES[mode], work / "sizes", say, known, pdf)
        if want("watch"):
            watch = bench_watches(work, say)
        if want("catalogue"):
            from bench_catalogue import bench_catalogue

            catalogue = bench_catalogue(work / "catalogue", args.copies, say)
    finally:
        loads.done.set()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    m.update(load_after=bench_run.loadavg(), loads=loads.summary(), mode=mode, repeat=args.repeat,
             minutes=(time.perf_counter() - started) / 60)
    print_report(m, figs, sizes, catalogue, watch)
    if args.record:
        record(m, figs, sizes, ROOT / "docs" / "benchmark.md", catalogue, watch)
        print(f"\nwrote {ROOT / 'docs' / 'benchmark.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
