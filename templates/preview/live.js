/* ketab watch: reload the page when a build finished or failed (Server-Sent Events from /events).
   Added only to pages as the preview serves them, never to the EPUB. */
(function () {
  "use strict";
  var bar = document.getElementById("ketab-preview");
  if (!bar || !window.EventSource) { return; }
  var version = bar.getAttribute("data-version");
  var state = document.getElementById("ketab-state");
  var key = "ketab-scroll:" + location.pathname;

  // Keep the reader's place across reloads.
  var saved = sessionStorage.getItem(key);
  if (saved !== null) {
    sessionStorage.removeItem(key);
    window.scrollTo(0, parseInt(saved, 10) || 0);
  }

  var dismiss = document.getElementById("ketab-dismiss");
  if (dismiss) {
    dismiss.addEventListener("click", function () {
      document.getElementById("ketab-errors").className = "ketab-hidden";
    });
  }

  function say(text) { if (state) { state.textContent = text; } }

  var source = new EventSource("/events");
  source.onmessage = function (event) {
    var status = JSON.parse(event.data);
    if (String(status.version) !== version) {
      source.close();
      sessionStorage.setItem(key, String(window.scrollY));
      location.reload();
      return;
    }
    say(status.state === "building" ? bar.getAttribute("data-rebuilding") + " " + (status.stage || "") : "");
  };
  source.onerror = function () { say(bar.getAttribute("data-not-running")); };
})();
