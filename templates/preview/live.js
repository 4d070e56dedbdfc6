/* ketab watch: keep the page in step with the build (Server-Sent Events from /events).
   When what the page shows changed — a chapter's new text saved a moment ago (a draft, marked "pages pending"),
   or a build's pages — the page is fetched again and its body swapped in place: no reload, the reader keeps
   their place.  A page whose stylesheet or fonts changed, or that is not one of the book's, is reloaded.
   Added only to pages as the preview serves them, never to the EPUB. */
(function () {
  "use strict";
  var bar = document.getElementById("ketab-preview");
  if (!bar || !window.EventSource) { return; }
  var key = "ketab-scroll:" + location.pathname;
  var xhtml = document.contentType === "application/xhtml+xml" && !!window.DOMParser && !!window.fetch;
  var me = document.querySelector('script[src="/_ketab/live.js"]');
  var shown = { version: "", draft: "", style: "", page: "" };
  var busy = false, latest = null;

  // Keep the reader's place across reloads.
  var saved = sessionStorage.getItem(key);
  if (saved !== null) {
    sessionStorage.removeItem(key);
    window.scrollTo(0, parseInt(saved, 10) || 0);
  }

  function bind() {
    bar = document.getElementById("ketab-preview");
    shown.version = bar.getAttribute("data-version");
    shown.draft = bar.getAttribute("data-draft");
    shown.style = bar.getAttribute("data-style");
    shown.page = bar.getAttribute("data-page");
    var dismiss = document.getElementById("ketab-dismiss");
    if (dismiss) {
      dismiss.addEventListener("click", function () {
        document.getElementById("ketab-errors").className = "ketab-hidden";
      });
    }
  }

  function say(text) {
    var state = document.getElementById("ketab-state");
    if (state) { state.textContent = text; }
  }

  function reload() {
    source.close();
    sessionStorage.setItem(key, String(window.scrollY));
    location.reload();
  }

  // The page as the preview serves it now, swapped into this one (the script itself stays).
  function swap(doc) {
    var body = doc.body;
    if (!body || doc.getElementsByTagName("parsererror").length) { throw new Error("not a page"); }
    var x = window.scrollX, y = window.scrollY, nodes = [];
    for (var n = body.firstChild; n; n = n.nextSibling) {
      if (n.nodeName.toLowerCase() === "script") { continue; }
      nodes.push(document.importNode(n, true));
    }
    nodes.push(me);
    document.body.replaceChildren.apply(document.body, nodes);
    if (doc.title) { document.title = doc.title; }
    window.scrollTo(x, y);
    bind();
  }

  function refresh() {
    busy = true;
    fetch(location.pathname, { cache: "no-store", credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
      .then(function (text) { swap(new DOMParser().parseFromString(text, "application/xhtml+xml")); })
      .then(function () { busy = false; if (latest) { heard(latest); } }, reload);
  }

  function heard(status) {
    latest = status;
    if (busy) { return; }
    var newer = String(status.version) !== shown.version;
    var redraft = String(status.draft) !== shown.draft &&
      (status.drafts.indexOf(shown.page) >= 0 || !!document.getElementById("ketab-pending"));
    if (newer && (!xhtml || status.style !== shown.style)) { reload(); return; }
    if (xhtml && (newer || redraft)) { latest = null; refresh(); return; }
    say(status.state === "building" ? bar.getAttribute("data-rebuilding") + " " + (status.stage || "") : "");
  }

  bind();
  var source = new EventSource("/events");
  source.onmessage = function (event) { heard(JSON.parse(event.data)); };
  source.onerror = function () { say(bar.getAttribute("data-not-running")); };
})();
