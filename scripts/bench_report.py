"""The benchmark's tables, printed and written to ``docs/benchmark.md`` (for ``scripts/bench.py``)."""

from __future__ import annotations

import statistics
from pathlib import Path

TARGETS = {"nochange": 0.3, "edit_seconds": 1.5, "edit_share": 0.10, "cpu": 1.2, "memory": 600, "linear": 0.15}
LONG = ("manual", "big book")
"""The books the ≤ 10 %-of-cold target is for (the 253-page chapter, the 500-page book)."""
KIND_NAMES = {"words": "a few words", "line": "more than a line"}


def ok(good: bool) -> str:
    return "✓" if good else "✗"


def s(x: float) -> str:
    return f"{x:.2f} s" if x < 10 else f"{x:.1f} s"


def _units(r) -> str:
    found = r.find(r"layout units: (\d+) laid out, (\d+) reused")
    return f"{found[0]}/{int(found[0]) + int(found[1])} units" if found else "? units"


def book_rows(figs) -> list[tuple[str, list[str], str]]:
    """(measure, [value per book], target): the cold build against the two single passes."""
    def ref_laps(f):
        return " / ".join(f"{f.ref_laps.get(k, 0):.1f}" for k in ("pandoc", "import", "layout", "write")) + " s"

    def ratio(f, runs):
        return f.cpu(f.cold) / max(1e-9, f.cpu(runs))

    return [
        ("pages (print, before padding)", [f"{f.pages} ({f.chapters} written chapters)" for f in figs], ""),
        ("cold build, all formats: wall", [s(f.med(f.cold)) for f in figs], ""),
        ("cold build: CPU (process and children)", [s(f.cpu(f.cold)) for f in figs], ""),
        ("cold build: layout units", [_units(f.cold[0]).replace("/", " of ") for f in figs], ""),
        ("reference, ketab's stylesheet: wall / CPU", [f"{s(f.med(f.ref))} / {s(f.cpu(f.ref))}" for f in figs], ""),
        ("  pages; pandoc / import / layout / write", [f"{f.ref_pages}; {ref_laps(f)}" for f in figs], ""),
        ("peer, pandoc -s → weasyprint: wall / CPU", [f"{s(f.med(f.peer))} / {s(f.cpu(f.peer))}" for f in figs], ""),
        ("  pages", [str(f.peer_pages) for f in figs], ""),
        ("CPU: cold / reference", [f"{ratio(f, f.ref):.2f}× {ok(ratio(f, f.ref) <= TARGETS['cpu'])}" for f in figs], f"≤ {TARGETS['cpu']}×"),
        ("CPU: cold / peer", [f"{ratio(f, f.peer):.2f}×" for f in figs], ""),
        ("peak memory, cold: largest process / tree (PSS)", [f"{max(r.max_rss for r in f.cold):.0f} / {max(r.peak_pss for r in f.cold):.0f} MB" for f in figs], ""),
        ("peak memory, reference / peer (largest process)", [f"{max(r.max_rss for r in f.ref):.0f} / {max(r.max_rss for r in f.peer):.0f} MB" for f in figs], ""),
        ("no-change rebuild (process): wall (CPU)", [f"{s(f.med(f.nochange))} ({s(f.cpu(f.nochange))}) {ok(f.med(f.nochange) <= TARGETS['nochange'])}" for f in figs], f"≤ {TARGETS['nochange']} s"),
    ]


def edit_rows(figs) -> list[tuple[str, list[str], str]]:
    from bench_edits import KINDS, POSITIONS

    out = []
    for position in POSITIONS:
        for kind in KINDS:
            values = []
            for f in figs:
                runs = f.edits.get((position, kind))
                if not runs:
                    values.append("—")
                    continue
                t, share = f.med(runs), f.med(runs) / f.med(f.cold)
                good = t <= TARGETS["edit_seconds"] and (share <= TARGETS["edit_share"] or f.name not in LONG)
                values.append(f"{s(t)} (CPU {s(f.cpu(runs))}) · {100 * share:.0f} % · {_units(runs[-1])} {ok(good)}")
            out.append((f"{position}: {KIND_NAMES[kind]}", values, f"≤ {TARGETS['edit_seconds']} s; ≤ {100 * TARGETS['edit_share']:.0f} % (long books)"))
    out.append(("incremental = cold after the edits (SHA-256)", ["—" if f.identical is None else ("yes ✓" if f.identical else "NO ✗") for f in figs], "yes"))
    return out


def size_rows(sizes) -> tuple[list[tuple], list[str]]:
    """[(target, pages, wall, CPU, s/page, marginal s/page, largest process, tree PSS)], verdicts."""
    rows, marginal, marginal_cpu = [], [], []
    for i, z in enumerate(sizes):
        m = ""
        if i:
            prev = sizes[i - 1]
            marginal.append((z.run.seconds - prev.run.seconds) / max(1, z.pages - prev.pages))
            marginal_cpu.append((z.run.cpu - prev.run.cpu) / max(1, z.pages - prev.pages))
            m = f"{1000 * marginal[-1]:.0f} ms ({1000 * marginal_cpu[-1]:.0f} ms CPU)"
        rows.append((f"~{z.target}", str(z.pages), s(z.run.seconds), s(z.run.cpu), f"{1000 * z.run.seconds / z.pages:.0f} ms", m,
                     f"{z.run.max_rss:.0f} MB", f"{z.run.peak_pss:.0f} MB"))
    verdicts = []
    for name, costs in (("wall time", marginal), ("CPU time (steadier on a loaded machine)", marginal_cpu)):
        if costs:
            mean = statistics.mean(costs)
            spread = max(abs(c - mean) / mean for c in costs) if mean > 0 else float("inf")
            verdicts.append(f"marginal cost of a page, {name}: {1000 * mean:.0f} ms on average, every step within ±{100 * spread:.0f} % of it "
                            f"{ok(spread <= TARGETS['linear'])} (target ±{100 * TARGETS['linear']:.0f} %)")
    if sizes:
        top = sizes[-1]
        verdicts.append(f"peak memory at {top.pages} pages: {top.run.peak_pss:.0f} MB (process tree, PSS), largest process {top.run.max_rss:.0f} MB "
                        f"{ok(top.run.peak_pss <= TARGETS['memory'])} (target ≤ {TARGETS['memory']} MB at 1000 pages)")
    return rows, verdicts


SIZE_HEAD = ("size", "pages", "cold, wall", "CPU", "per page", "marginal per page", "largest process", "tree (PSS)")


def machine_line(m: dict) -> str:
    return (
        f"{m['cores']} cores ({m['usable']} usable), {m['model']}, {m['memory']} RAM; two CPU-bound processes run "
        f"{m['speedup']:.2f}× as fast as one; load average {m['load']} before, {m.get('load_after', '?')} after, "
        f"{m.get('loads', '?')} during the run; Python {m['python']}, WeasyPrint {m['weasyprint']}, pandoc {m['pandoc']}"
    )


def _text_table(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [head, *rows]) + 2 for i in range(len(head))]
    return ["".join(str(c).ljust(w) for c, w in zip(r, widths)) for r in [head, *rows]]


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *("| " + " | ".join(str(c).strip() for c in r) + " |" for r in rows)]


def watch_rows(watch: dict) -> list[list[str]]:
    """ketab watch: per book, save → text and save → laid-out pages (medians, and each edit)."""
    rows = []
    for name, w in watch.items():
        each_text = ", ".join(f"{x:.0f}" for x in w["text_ms"])
        each_pages = ", ".join(f"{x:.0f}" for x in w["pages_ms"])
        rows.append([f"{name} ({w['chapter']})", f"{w['text_median_ms']:.0f} ms ({each_text}) {ok(w['text_median_ms'] <= 1000)}",
                     f"{w['pages_median_ms'] / 1000:.2f} s ({each_pages} ms) {ok(w['pages_median_ms'] <= 1000 * TARGETS['edit_seconds'])}"])
    return rows


def _tables(figs, sizes, table, watch=None):
    out = []
    if figs:
        names = [f.name for f in figs]
        out += [("Cold build against one pandoc → WeasyPrint pass", table(["measure", *names, "target"], [[n, *v, t] for n, v, t in book_rows(figs)]))]
        edit_figs = [f for f in figs if f.edits]
        if edit_figs:
            head = ["one-paragraph edit, all formats", *(f.name for f in edit_figs), "target"]
            out += [("One-paragraph edits: wall (CPU) · share of the cold build's wall time · units laid out", table(head, [[n, *v, t] for n, v, t in edit_rows(edit_figs)]))]
    if sizes:
        rows, verdicts = size_rows(sizes)
        out += [("Cold build by size", table(list(SIZE_HEAD), [list(r) for r in rows]) + [""] + [f"- {v}" for v in verdicts])]
    if watch:
        head = ["book (chapter edited)", "save → new text in the preview (median; each)", "save → laid-out pages, all formats (warm)"]
        out += [("ketab watch: save → preview (targets ≤ 1 s for the text, ≤ 1.5 s for an edit)", table(head, watch_rows(watch)))]
    return out


def print_report(m: dict, figs, sizes, catalogue=None, watch=None) -> None:
    print(f"\nketab benchmark ({m['mode']}) — {m['date']}, {m['minutes']:.0f} min")
    print(f"machine: {machine_line(m)}")
    for title, lines in _tables(figs, sizes, _text_table, watch):
        print(f"\n{title}\n")
        print("\n".join(lines))
    for f in figs:
        for (position, kind), where in f.edited.items():
            print(f"{f.name}: {position} ({kind}) edited {where}")
    if catalogue is not None:
        from bench_catalogue import print_catalogue

        print_catalogue(catalogue)


def method(m: dict, figs) -> list[str]:
    return [
        f"- **Date:** {m['date']}; mode `{m['mode']}`{' (`--quick`: smaller books; the targets are for the full sizes)' if m['mode'] == 'quick' else ''}; "
        f"the run took {m['minutes']:.0f} min",
        f"- **Machine:** {machine_line(m)}",
        "- **Method:** every build is a real `python -m ketab build … -v` process on a scratch copy of the book, running a copy of `src/` and "
        f"`templates/` taken (and byte-compiled) when the benchmark starts; wall time, median of {m['repeat']} run(s) (no-change: 5); CPU: user + "
        "system of the process and the children it waited for (`wait4`: pandoc, the layout workers). Memory: the largest resident set (`wait4`) and "
        "the peak of the process tree's summed PSS (polled from `/proc` every 0.1 s).",
        "- **Reference:** one process converts every part with pandoc (ketab's options and filter), joins them into one HTML document with "
        "the print stylesheet (folios and running heads, no index) and lays it out and writes it once with WeasyPrint. **Peer:** "
        "`pandoc -s --file-scope` with pandoc's own HTML5 template and default styles (no filter) on the same Markdown (one file a part, "
        "headed by its title), then `python -m weasyprint` on the HTML — two processes, summed.",
        "- **Edits** (`scripts/bench_edits.py`): words inserted between two plain words near the middle of one prose paragraph — three "
        "words, then a clause of more than a line — in the first paragraph of the first written chapter (start), the middle paragraph of "
        "the middle chapter (middle) and the last paragraph of the last chapter (end); each followed by a build of all formats. After "
        "the last, a cold build of the edited book in a new folder: its outputs must equal the incremental build's (SHA-256).",
        "- **Books:** " + "; ".join(f"`{f.name}` — {f.pages} pages, {f.chapters} written chapter(s), edits at "
                                    + ", ".join(f"`{w}`" for w in dict.fromkeys(f.edited.values())) for f in figs),
        "- **Sizes:** books of about 50, 250, 500 and 1000 pages (`--quick`: 50, 100, 150) made of the manuscript's chapters "
        "(`scripts/make_big_book.py`: a prefix of its written chapters, repeated), one cold build each; the marginal cost of a page is "
        "Δ wall time / Δ pages between consecutive sizes (the fixed cost — start, imports — is not a page's).",
    ]


def record(m: dict, figs, sizes, path: Path, catalogue=None, watch=None) -> None:
    """Write the figures measured to ``path``, keeping the catalogue's part when this run did not measure it."""
    from bench_catalogue import catalogue_markdown

    old = path.read_text(encoding="utf-8") if path.exists() else ""
    books_part, _, catalogue_part = old.partition("## Catalogue build")
    catalogue_part = "\n".join(catalogue_markdown(m, catalogue)) if catalogue else ("## Catalogue build" + catalogue_part if catalogue_part else "")
    lines = ["# Build benchmark", "", "Written by `python scripts/bench.py --record` (`make bench` prints the same tables without writing them; "
             "`make bench-quick` is the few-minute version).", ""]
    if figs or sizes or watch:
        lines += method(m, figs)
        for title, table in _tables(figs, sizes, _md_table, watch):
            lines += ["", f"### {title}", "", *table]
        lines.append("")
    else:
        lines = [books_part.rstrip("\n"), ""]
    if catalogue_part:
        lines += ["", catalogue_part.rstrip("\n"), ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
