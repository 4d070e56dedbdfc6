"""ketab watch in a real browser (Debian's headless Chromium): a saved chapter's new text shows in the open
page at once, marked "pages pending", without a reload and at the reader's place; then the build's pages
replace it, with their print page numbers; a failed build keeps the last good pages and says why."""

from __future__ import annotations

import json
import time

import pytest
from tests.browser import Browser, chromium_path

from ketab.commands import watch

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="needs chromium (make installs it)")

TIMEOUT = 60.0
SENTENCE = "این جمله در هنگام تماشا نوشته شد و باید بی‌درنگ دیده شود."
PENDING = "متن تازه شد؛ صفحه‌ها در راه‌اند"
PERSIAN_DIGITS = set("۰۱۲۳۴۵۶۷۸۹")


def wait_in_page(browser: Browser, condition: str, timeout: float = TIMEOUT):
    """Wait in the page until the JavaScript ``condition`` holds (checked on every change of the DOM);
    its time (``Date.now()``, ms) — or a failure naming the condition after ``timeout`` seconds."""
    script = f"""new Promise((resolve) => {{
      const check = () => {{ try {{ return !!({condition}); }} catch (e) {{ return false; }} }};
      if (check()) {{ resolve(Date.now()); return; }}
      const seen = new MutationObserver(() => {{ if (check()) {{ seen.disconnect(); resolve(Date.now()); }} }});
      seen.observe(document, {{subtree: true, childList: true, characterData: true, attributes: true}});
      setTimeout(() => {{ seen.disconnect(); resolve(check() ? Date.now() : null); }}, {int(timeout * 1000)});
    }})"""
    at = browser.evaluate(script)
    assert at is not None, f"not in the page after {timeout} s: {condition}"
    return at


@pytest.fixture
def live(project, tmp_path):
    root = project("persian-small")
    w = watch.Watcher(root, tmp_path / "out", port=0, echo=False).start()
    browser = None
    try:
        assert w.wait_for_build(0, TIMEOUT) and w.last_error is None, w.last_error
        browser = Browser()
        browser.goto(f"{w.url}ch-03-long.xhtml", width=900, height=700)
        browser.evaluate("window.ketabNoReload = true; window.scrollTo(0, 400); window.scrollY")
        w.root = root
        yield w, browser
    finally:
        if browser is not None:
            browser.close()
        w.stop()


def section(browser: Browser) -> dict:
    return browser.evaluate("""(() => { const s = document.getElementById('ch-03-long');
      return {text: s.textContent, draft: s.classList.contains('ketab-draft'),
              folios: [...s.querySelectorAll('[role~="doc-pagebreak"]')].map(m => m.getAttribute('aria-label')),
              shown: [...s.querySelectorAll('[role~="doc-pagebreak"]')].map(m => getComputedStyle(m, '::before').content),
              pending: (document.getElementById('ketab-pending') || {}).textContent || null,
              kept: window.ketabNoReload === true, y: window.scrollY}; })()""")


def test_a_saved_chapter_shows_its_text_at_once_then_its_pages_with_their_numbers(live):
    w, browser = live
    before = section(browser)
    assert before["folios"] and not before["draft"] and before["pending"] is None, before
    assert all(set(f) <= PERSIAN_DIGITS for f in before["folios"])
    chapter = w.root / "chapters" / "03-long.md"
    builds = w.build_count

    saved = time.time() * 1000
    chapter.write_text(chapter.read_text(encoding="utf-8") + f"\n{SENTENCE}\n", encoding="utf-8")

    # the new text, marked as waiting for its pages, in the page as it stands (no reload, the same place)
    text_at = wait_in_page(browser, f"document.getElementById('ch-03-long').textContent.includes({json.dumps(SENTENCE)})")
    draft = section(browser)
    assert draft["pending"] == PENDING and draft["draft"], draft
    assert draft["kept"] and draft["y"] == before["y"] == 400, "the page was reloaded or lost its place"
    assert w.drafts_made == 1

    # then the build's pages: the mark goes, the print page numbers are back (shown in the text)
    pages_at = wait_in_page(browser, "!document.getElementById('ketab-pending') && "
                                     "document.querySelector('#ch-03-long [role~=\"doc-pagebreak\"]')")
    after = section(browser)
    assert w.build_count == builds + 1 and w.last_error is None, w.last_error
    assert SENTENCE in after["text"] and not after["draft"], after
    assert after["folios"][: len(before["folios"])] == before["folios"], after["folios"]
    assert after["shown"] == [json.dumps(f, ensure_ascii=False) for f in after["folios"]], after["shown"]
    assert after["kept"] and after["y"] == 400
    assert saved <= text_at <= pages_at
    print(f"save → text {text_at - saved:.0f} ms, save → pages {pages_at - saved:.0f} ms")


def test_a_failed_build_after_a_draft_keeps_the_last_good_pages_and_shows_the_error(live):
    w, browser = live
    chapter = w.root / "chapters" / "03-long.md"
    good = chapter.read_text(encoding="utf-8")
    builds = w.build_count
    chapter.write_text(good.replace("[^2]:", "[^2x]:", 1), encoding="utf-8")  # note 2 now goes nowhere

    wait_in_page(browser, "document.getElementById('ketab-errors')")
    assert w.wait_for_build(builds, TIMEOUT) and w.last_error is not None
    shown = section(browser)
    errors = browser.evaluate("document.getElementById('ketab-errors').textContent")
    assert "note.undefined" in errors, errors
    assert shown["folios"] and not shown["draft"] and shown["pending"] is None, shown  # the last good pages
    assert shown["kept"], "the page was reloaded"
