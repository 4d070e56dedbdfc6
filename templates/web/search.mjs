// The web edition's search: Pagefind's index (pagefind/), asked through its JavaScript API.
// Only the search page loads this; everything else in the edition works without JavaScript.
const form = document.getElementById("search-form");
const input = document.getElementById("q");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const pagefind = await import("./pagefind/pagefind.js");

async function run(query) {
  list.replaceChildren();
  status.textContent = "";
  if (!query.trim()) return;
  const found = await pagefind.search(query);
  const results = await Promise.all(found.results.slice(0, 30).map((r) => r.data()));
  if (!results.length) {
    status.textContent = status.dataset.none;
    return;
  }
  for (const r of results) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = r.url; // Pagefind gives the path from where its own script was loaded, so the site may live in any folder
    a.textContent = r.meta.title || r.url;
    const p = document.createElement("p");
    p.innerHTML = r.excerpt; // Pagefind's excerpt: the page's own text, escaped, with <mark> around the hits
    li.append(a, p);
    list.append(li);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const url = new URL(location.href);
  url.searchParams.set("q", input.value);
  history.replaceState(null, "", url);
  run(input.value);
});
input.addEventListener("input", () => run(input.value));
const initial = new URLSearchParams(location.search).get("q");
if (initial) {
  input.value = initial;
  run(initial);
}
