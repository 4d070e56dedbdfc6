#!/usr/bin/env python3
"""How long ``ketab watch`` takes to show an edit: save → the new text in the open preview page, and
save → the laid-out pages (the build's EPUB, with its print page numbers) in that page.

A scratch copy of the book is watched by a real ``python -m ketab watch`` process; its preview is open in
Debian's headless Chromium (``tests/browser.py``: the DevTools protocol on a pipe) at the middle chapter.  Each
edit adds a sentence to a paragraph of that chapter; the times are taken in the page (``Date.now()`` when the
sentence is in the DOM, and when the "pages pending" mark has gone and the page's version changed) against
the time of the save.  The first build (cold) is not measured.

    python scripts/watch_latency.py [MANUSCRIPT] [--edits 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

DRAFTS: list = []
"""Milliseconds the watcher says each draft took (the save's chapter converted and rendered)."""
ORDINALS = ["نخستین", "دومین", "سومین", "چهارمین", "پنجمین", "ششمین", "هفتمین", "هشتمین", "نهمین", "دهمین"]


def measure(manuscript: Path, work: Path, edits: int = 3, say=print) -> dict:
    """Watch a copy of ``manuscript`` (in ``work``), make ``edits`` edits: the figures, in milliseconds."""
    from bench import edit_targets
    from tests.browser import Browser

    work.mkdir(parents=True, exist_ok=True)
    ms = work / "ms"
    shutil.rmtree(ms, ignore_errors=True)
    shutil.copytree(manuscript, ms)
    chapter = edit_targets(ms)["middle"]
    proc = subprocess.Popen([sys.executable, "-m", "ketab", "watch", str(ms), "--out", str(work / "out"), "--port", "0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    browser = None
    try:
        url = _first_build(proc, say)
        page = _page(ms, chapter)
        browser = Browser()
        browser.goto(url + page, width=1000, height=800)
        time.sleep(3)  # an editor's first save comes a moment after the preview opens (the watcher gets ready meanwhile)
        texts, pages = [], []
        for n in range(edits):
            version = browser.evaluate("document.getElementById('ketab-preview').getAttribute('data-version')")
            sentence = f"این {ORDINALS[n % len(ORDINALS)]} جمله‌ای است که در هنگام تماشا به این بند افزوده شد."
            saved = _add(chapter, sentence, n)
            text_at = _wait(browser, f"document.body.textContent.includes({json.dumps(sentence)})")
            pages_at = _wait(browser, "!document.getElementById('ketab-pending') && document.getElementById('ketab-preview')"
                                      f".getAttribute('data-version') !== {json.dumps(version)}")
            texts.append(text_at - saved)
            pages.append(pages_at - saved)
            say(f"edit {n + 1}: save → text {texts[-1]:.0f} ms, save → pages {pages[-1]:.0f} ms")
            time.sleep(1.0)
    finally:
        if browser is not None:
            browser.close()
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
    return {"chapter": chapter.name, "text_ms": texts, "pages_ms": pages, "draft_ms": list(DRAFTS),
            "text_median_ms": statistics.median(texts), "pages_median_ms": statistics.median(pages)}


def _first_build(proc, say) -> str:
    """The preview's address, once the watcher's first build finished."""
    url = None
    for line in proc.stderr:
        found = re.search(r"preview at (http://127\.0\.0\.1:\d+/)", line)
        if found:
            url = found.group(1)
        if url and re.search(r"built \d+ pages|nothing to do|build failed", line):
            break
    if url is None:
        raise RuntimeError("ketab watch did not start")
    say(f"watching, first build done: {url}")
    import threading

    def drain():  # keep the pipe drained; the watcher's own figure for each draft
        for line in proc.stderr:
            found = re.search(r"new text in the preview in ([\d.]+) s", line)
            if found:
                DRAFTS.append(float(found.group(1)) * 1000)

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + 30
    while True:  # the terminal hears of the build a moment before the preview does
        with urllib.request.urlopen(url + "status", timeout=10) as r:
            status = json.load(r)
        if status["state"] == "ok":
            return url
        if status["state"] == "failed" or time.monotonic() > deadline:
            raise RuntimeError(f"the first build failed: {status['errors']}")
        time.sleep(0.1)


def _add(chapter: Path, sentence: str, n: int) -> float:
    """Add ``sentence`` at the end of a prose paragraph of ``chapter`` (``bench_edits.paragraphs``: never a
    note's, a list's or a code block's line), from its middle one on; the time of the save (ms)."""
    import bench_edits

    text = chapter.read_text(encoding="utf-8")
    found = bench_edits.paragraphs(text)
    if not found:
        raise RuntimeError(f"{chapter.name}: no prose paragraph to add a sentence to")
    _, last = found[(len(found) // 2 + n) % len(found)]
    lines = text.split("\n")
    lines[last] = lines[last].rstrip() + " " + sentence
    data = "\n".join(lines).encode("utf-8")
    saved = time.time() * 1000
    chapter.write_bytes(data)
    return saved


def _page(ms: Path, chapter: Path) -> str:
    """The preview's page of ``chapter``: the EPUB document named by its id (front matter ``id:``, else its file's)."""
    from ketab.manuscript import load_manuscript

    for ch in load_manuscript(ms).chapters:
        if not ch.generate and (ms / ch.rel).resolve() == chapter.resolve():
            return f"{ch.id}.xhtml"
    raise RuntimeError(f"{chapter} is not a chapter of {ms}")


def _wait(browser, condition: str, timeout: float = 300) -> float:
    """When ``condition`` holds in the page (ms since the epoch); a page the preview reloads meanwhile is asked again."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return _wait_once(browser, condition, max(1.0, deadline - time.monotonic()))
        except RuntimeError as exc:
            if "navigated" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _wait_once(browser, condition: str, timeout: float) -> float:
    at = browser.evaluate(f"""new Promise((resolve) => {{
      const check = () => {{ try {{ return !!({condition}); }} catch (e) {{ return false; }} }};
      if (check()) {{ resolve(Date.now()); return; }}
      const seen = new MutationObserver(() => {{ if (check()) {{ seen.disconnect(); resolve(Date.now()); }} }});
      seen.observe(document, {{subtree: true, childList: true, characterData: true, attributes: true}});
      setTimeout(() => {{ seen.disconnect(); resolve(null); }}, {int(timeout * 1000)});
    }})""")
    if at is None:
        raise RuntimeError(f"not in the page after {timeout} s: {condition}")
    return at


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="save → preview latency of ketab watch")
    parser.add_argument("manuscript", nargs="?", type=Path, default=ROOT / "manuscript")
    parser.add_argument("--edits", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="ketab-watch-latency-"))
    try:
        fig = measure(args.manuscript, work, args.edits, lambda m: print(m, file=sys.stderr, flush=True))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(fig, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
