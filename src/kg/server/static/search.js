// Search as you type: asks /api/search (debounced) and lists the answers as links.
// Without this script the form submits to /search, which renders the same results.
(function () {
  "use strict";
  var input = document.getElementById("search-q");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  if (!input || !list || !status) { return; }
  var timer = null;
  var pending = null;
  var lastQuery = "";

  function links() { return Array.prototype.slice.call(list.querySelectorAll("a")); }

  function render(query, hits) {
    list.textContent = "";
    hits.forEach(function (hit) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = hit.url;
      link.textContent = hit.label;
      item.appendChild(link);
      if (hit.type) {
        var type = document.createElement("span");
        type.className = "meta";
        type.textContent = hit.type;
        link.appendChild(document.createTextNode(" "));
        item.appendChild(type);
      }
      list.appendChild(item);
    });
    list.hidden = hits.length === 0;
    var server = document.getElementById("server-results");
    if (server) { server.hidden = true; }
    status.textContent = hits.length === 0
      ? "No match for " + query + "."
      : hits.length + (hits.length === 1 ? " match" : " matches") + " for " + query + ". Press the down arrow to reach them.";
  }

  function search() {
    var query = input.value.trim();
    if (query === lastQuery) { return; }
    lastQuery = query;
    if (pending) { pending.abort(); }
    if (!query) { list.textContent = ""; list.hidden = true; status.textContent = ""; return; }
    pending = new AbortController();
    fetch("/api/search?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" }, signal: pending.signal })
      .then(function (response) {
        if (!response.ok) { throw new Error("search failed (" + response.status + ")"); }
        return response.json();
      })
      .then(function (hits) { render(query, hits); })
      .catch(function (error) {
        if (error.name !== "AbortError") { status.textContent = "Search is not available: " + error.message; }
      });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 180);
  });
  input.addEventListener("keydown", function (event) {
    var items = links();
    if (event.key === "ArrowDown" && items.length) { event.preventDefault(); items[0].focus(); }
    if (event.key === "Escape") { list.hidden = true; }
  });
  list.addEventListener("keydown", function (event) {
    var items = links();
    var index = items.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && index < items.length - 1) { event.preventDefault(); items[index + 1].focus(); }
    if (event.key === "ArrowUp") { event.preventDefault(); if (index > 0) { items[index - 1].focus(); } else { input.focus(); } }
    if (event.key === "Escape") { event.preventDefault(); input.focus(); }
  });
}());
