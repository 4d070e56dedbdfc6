// Opens an EPUB in a real reading-system engine — epub.js in Debian's headless Chromium — and
// reports, as JSON on stdout, what a reader sees: where pages come from when turned, which side
// the first page sits on, which font the body text is drawn with, where a note call leads, where
// each page-list entry lands, the index's locators, links in day and night mode.  Screenshots go
// to --out.  Everything is served from 127.0.0.1; Chromium runs with a fresh profile and no network.
//
//   node tests/reader/read.mjs --epub build/book.epub --out build/reader [--chromium /usr/bin/chromium]

import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const epubPath = path.resolve(args.epub);
const outDir = path.resolve(args.out || "build/reader");
const executablePath = args.chromium || "/usr/bin/chromium";
fs.mkdirSync(outDir, { recursive: true });

const WIDTH = 600, HEIGHT = 800;          // one page, a phone or small tablet held upright
const SPREAD_WIDTH = 1200;                // two pages side by side

const files = {
  "/epub.min.js": [path.join(here, "node_modules/epubjs/dist/epub.min.js"), "text/javascript"],
  "/jszip.min.js": [path.join(here, "node_modules/jszip/dist/jszip.min.js"), "text/javascript"],
  "/book.epub": [epubPath, "application/epub+zip"],
};
const PAGE = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>reader</title>
<style>html,body{margin:0;padding:0;background:#fff}#viewer{position:absolute;left:0;top:0}</style>
<script src="/jszip.min.js"></script><script src="/epub.min.js"></script></head>
<body><div id="viewer"></div></body></html>`;

const server = http.createServer((req, res) => {
  const url = req.url.split("?")[0];
  if (url === "/" || url === "/reader.html") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    return res.end(PAGE);
  }
  const file = files[url];
  if (!file) {
    res.writeHead(404);
    return res.end();
  }
  res.writeHead(200, { "content-type": file[1] });
  fs.createReadStream(file[0]).pipe(res);
});
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const origin = `http://127.0.0.1:${server.address().port}`;

const profile = fs.mkdtempSync(path.join(os.tmpdir(), "ketab-reader-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
  viewport: { width: WIDTH, height: HEIGHT },
  offline: false,
});
const report = { errors: [] };

try {
  const page = context.pages()[0] || (await context.newPage());
  // nothing leaves the machine: every request that is not ours is refused
  await context.route("**/*", (route) => {
    const url = route.request().url();
    return url.startsWith(origin) || url.startsWith("blob:") || url.startsWith("data:") ? route.continue() : route.abort();
  });
  page.on("pageerror", (e) => report.errors.push(String(e)));
  await page.goto(`${origin}/reader.html`);

  // open the book; `R` holds the rendition in the page
  const open = async (width, height, spread) => {
    await page.setViewportSize({ width, height });
    return page.evaluate(async ({ width, height, spread }) => {
      if (window.R) window.R.destroy();
      document.getElementById("viewer").innerHTML = "";
      const book = window.B || (window.B = ePub("/book.epub", { openAs: "epub" }));
      await book.ready;
      await book.loaded.navigation;
      window.R = book.renderTo("viewer", { width, height, flow: "paginated", spread, allowScriptedContent: false });
      await window.R.display();
      const md = book.packaging.metadata;
      return {
        title: md.title, creator: md.creator, language: md.language, direction: md.direction,
        renditionDirection: window.R.settings.direction,
        spine: book.spine.spineItems.map((s) => s.href),
        pageList: (book.pageList && book.pageList.pageList || []).map((p) => ({ href: p.href, page: Number.isNaN(p.page) ? null : p.page })),
        toc: book.navigation.toc.map(function walk(t) { return { label: t.label.trim(), href: t.href, sub: (t.subitems || []).map(walk) }; }),
      };
    }, { width, height, spread });
  };

  // show a spine item (href or href#fragment) and wait until it is laid out
  const display = (target) => page.evaluate(async (target) => {
    await window.R.display(target);
    await new Promise((r) => setTimeout(r, 60));
    const loc = window.R.currentLocation();
    return { start: loc.start && loc.start.href, page: loc.start && loc.start.displayed.page, total: loc.start && loc.start.displayed.total };
  }, target);

  // where an element of the shown document is, in viewer (screen) coordinates
  const where = (selector) => page.evaluate((selector) => {
    const iframe = document.querySelector("#viewer iframe");
    const doc = iframe.contentDocument;
    const el = typeof selector === "string" ? doc.querySelector(selector) : null;
    if (!el) return null;
    const f = iframe.getBoundingClientRect();
    const r = el.getBoundingClientRect();
    const v = document.querySelector("#viewer").getBoundingClientRect();
    return { left: f.left + r.left - v.left, right: f.left + r.right - v.left, top: f.top + r.top - v.top, bottom: f.top + r.bottom - v.top, viewer: { width: v.width, height: v.height } };
  }, selector);

  // on the screen: inside the viewer (an empty marker has no width, only a place)
  const visible = (box) => !!box && box.right >= 0 && box.left <= box.viewer.width && box.bottom >= 0 && box.top <= box.viewer.height
    && (box.right - box.left === 0 || Math.min(box.right, box.viewer.width) - Math.max(box.left, 0) > 0);

  const meta = await open(WIDTH, HEIGHT, "none");
  Object.assign(report, meta);
  const spine = meta.spine;
  // mark the first paragraph of running text (not a heading, byline or note) of the shown document
  const markProbe = () => page.evaluate(() => {
    const doc = document.querySelector("#viewer iframe").contentDocument;
    const p = [...doc.querySelectorAll("p")].find((p) => !p.closest("header, aside, nav, .footnotes") && p.textContent.trim().length > 40);
    if (!p) return null;
    p.setAttribute("data-reader-probe", "1");
    return p.textContent.slice(0, 40);
  });
  // the chapter read: the first chapter of the body that fills more than one page
  let chapter = null;
  for (const href of spine.filter((h) => /^ch-/.test(h) && !/preface/.test(h))) {
    const shown = await display(href);
    chapter = chapter || href;
    if (shown.total > 1) { chapter = href; break; }
  }
  report.turnFontSize = "100%";
  if ((await display(chapter)).total < 2) {
    // a book of short chapters: the reader makes the text larger, so that it turns a page
    for (const size of ["200%", "300%", "400%"]) {
      await page.evaluate((size) => window.R.themes.fontSize(size), size);
      report.turnFontSize = size;
      if ((await display(chapter)).total > 1) break;
    }
  }

  // 1. the cover: fits one screen
  await display(spine[0]);
  report.cover = { href: spine[0], image: await where("img"), svg: await where("svg") };
  await page.screenshot({ path: path.join(outDir, "cover.png") });

  // 2. turning a page: where does the next page come from?
  await display(chapter);
  const first = await markProbe();
  const before = await where("[data-reader-probe]");
  const turned = await page.evaluate(async () => { await window.R.next(); await new Promise((r) => setTimeout(r, 100)); return window.R.currentLocation().start.displayed.page; });
  const after = await where("[data-reader-probe]");
  report.turn = { chapter, probe: first, before, after, pageAfter: turned };
  if (report.turnFontSize !== "100%") await page.evaluate(() => window.R.themes.fontSize("100%"));

  // 3. the body font: computed family, the face loaded, and what Chromium actually drew with
  await display(chapter);
  await markProbe();
  const fontInfo = await page.evaluate(async () => {
    const doc = document.querySelector("#viewer iframe").contentDocument;
    await doc.fonts.ready;
    const p = doc.querySelector("[data-reader-probe]");
    window.__probe = p;
    const faces = [...doc.fonts].map((f) => ({ family: f.family.replace(/["']/g, ""), weight: f.weight, status: f.status }));
    return { fontFamily: getComputedStyle(p).fontFamily, faces };
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send("DOM.enable");
  await cdp.send("CSS.enable");
  await cdp.send("DOM.getDocument", { depth: -1, pierce: true });
  const { result } = await cdp.send("Runtime.evaluate", { expression: "window.__probe" });
  const { nodeId } = await cdp.send("DOM.requestNode", { objectId: result.objectId });
  const { fonts } = await cdp.send("CSS.getPlatformFontsForNode", { nodeId });
  report.font = { ...fontInfo, platformFonts: fonts };

  // 4. a note call: clicked, where does it lead?  (epub.js follows the link; it has no popups)
  let noteref = null, noteChapter = null;
  for (const href of spine.filter((h) => /^ch-/.test(h))) {
    await display(href);
    noteref = await page.evaluate(() => {
      const doc = document.querySelector("#viewer iframe").contentDocument;
      const a = doc.querySelector("a[role='doc-noteref']");
      return a && { id: a.id, href: a.getAttribute("href"), text: a.textContent };
    });
    if (noteref) { noteChapter = href; break; }
  }
  report.note = { call: noteref, chapter: noteChapter };
  if (noteref) {
    await display(`${noteChapter}#${noteref.id}`);
    report.note.callShown = visible(await where(`[id='${noteref.id}']`));
    const frame = page.frames().find((f) => f !== page.mainFrame());
    const relocated = page.evaluate(() => new Promise((ok) => window.R.once("relocated", () => setTimeout(ok, 150))));
    await frame.locator(`[id='${noteref.id}']`).click();
    await relocated;
    const noteId = noteref.href.split("#")[1];
    report.note.noteBox = await where(`[id='${noteId}']`);
    report.note.noteShown = visible(report.note.noteBox);
    report.note.noteText = await page.evaluate((id) => document.querySelector("#viewer iframe").contentDocument.getElementById(id).textContent.trim(), noteId);
    // the sign that ends a translator's or editor's note («ـ م.»): is its tatweel a stroke?
    report.note.tatweel = await page.evaluate(() => {
      const doc = document.querySelector("#viewer iframe").contentDocument;
      const t = doc.querySelector(".note-sign .tatweel");
      if (!t) return null;
      const r = t.getBoundingClientRect();
      return { width: r.width, fontSize: parseFloat(getComputedStyle(t).fontSize), family: getComputedStyle(t).fontFamily };
    });
    await page.screenshot({ path: path.join(outDir, "note.png") });
  }

  // 5. every page-list entry: shown, and the text right after its marker
  report.pages = [];
  for (const entry of meta.pageList) {
    const [file, id] = entry.href.split("#");
    await display(entry.href);
    const box = id ? await where(`[id='${id}']`) : null;
    const text = await page.evaluate((id) => {
      const doc = document.querySelector("#viewer iframe").contentDocument;
      const marker = id && doc.getElementById(id);
      if (!marker) return null;
      const walker = doc.createTreeWalker(doc.body, NodeFilter.SHOW_TEXT);
      walker.currentNode = marker;
      let out = "";
      while (out.replace(/\s+/g, " ").trim().length < 80 && walker.nextNode()) {
        if (!marker.contains(walker.currentNode)) out += walker.currentNode.textContent;
      }
      return out.replace(/\s+/g, " ").trim().slice(0, 80);
    }, id);
    report.pages.push({ ...entry, file, shown: visible(box), text });
  }

  // 5b. the contents in the book: its entries, and whether the lists number them
  await display("nav.xhtml");
  report.contents = await page.evaluate(() => {
    const doc = document.querySelector("#viewer iframe").contentDocument;
    const toc = doc.querySelector("nav#toc") || doc.querySelector("nav");
    return {
      entries: [...toc.querySelectorAll("a")].map((a) => a.textContent.trim()),
      listStyles: [...new Set([...toc.querySelectorAll("ol")].map((ol) => getComputedStyle(ol).listStyleType))],
      navLabels: [...doc.querySelectorAll("nav")].map((n) => n.getAttribute("aria-label") || (n.querySelector("h1,h2") || {}).textContent),
    };
  });
  await page.screenshot({ path: path.join(outDir, "contents.png") });

  // 6. the index: its locators, as a reader sees them, and links in day and night mode
  const index = spine.find((h) => /index/.test(h));
  if (index) {
    await display(index);
    report.index = await page.evaluate(() => {
      const doc = document.querySelector("#viewer iframe").contentDocument;
      const entries = [...doc.querySelectorAll("li")].map((li) => ({
        text: li.textContent.trim(),
        locators: [...li.querySelectorAll("a")].map((a) => ({ text: a.textContent.trim(), href: a.getAttribute("href") })),
      }));
      return { entries };
    });
    await page.screenshot({ path: path.join(outDir, "index.png") });
    const linkLook = () => page.evaluate(() => {
      const doc = document.querySelector("#viewer iframe").contentDocument;
      const a = doc.querySelector("li a");
      const li = a.closest("li");
      const s = getComputedStyle(a), t = getComputedStyle(li), b = getComputedStyle(doc.body);
      return { color: s.color, textColor: t.color, background: b.backgroundColor, decoration: s.textDecorationLine };
    });
    report.links = { day: await linkLook() };
    // night mode as reading systems do it: text and background forced on the body
    await page.evaluate(() => {
      window.R.themes.register("night", { "body": { "color": "#dddddd !important", "background": "#111111 !important" }, "p, li": { "color": "#dddddd !important" } });
      window.R.themes.select("night");
    });
    await display(index);
    report.links.night = await linkLook();
    await page.screenshot({ path: path.join(outDir, "index-night.png") });
  }

  // 7. two pages side by side: on which side is the first page of a chapter?
  await open(SPREAD_WIDTH, HEIGHT, "auto");
  await display(chapter);
  report.spread = { title: await where(`h1`) };
  await page.screenshot({ path: path.join(outDir, "spread.png") });
} catch (e) {
  report.errors.push(String(e && e.stack || e));
} finally {
  await context.close();
  server.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(report));
