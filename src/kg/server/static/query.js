// The query page: load examples, run the query on /sparql, show the table, keep the reuse links current.
// Without this script the forms GET /query and the server does the same work.
(function () {
  "use strict";
  var form = document.getElementById("query-form");
  var text = document.getElementById("query-text");
  var results = document.getElementById("results");
  if (!form || !text || !results) { return; }
  var select = document.getElementById("canned-select");
  var paramsBox = document.getElementById("canned-params");
  var description = document.getElementById("canned-description");
  var loadButton = document.getElementById("canned-load");
  var status = document.getElementById("results-status");
  var errorBox = document.getElementById("results-error");
  var tableBox = document.getElementById("results-table");
  var shareLink = document.getElementById("share-link");
  var csvLink = document.getElementById("csv-link");
  var jsonLink = document.getElementById("json-link");
  var curlBox = document.getElementById("curl-command");
  var copyButton = document.getElementById("copy-curl");
  var copyStatus = document.getElementById("copy-status");

  var baseIri = results.dataset.baseIri || "";
  var vocabNs = results.dataset.vocabNs || "";
  var ontologyIri = results.dataset.ontologyIri || "";
  var ontologyNs = ontologyIri + "#";
  var prefixes = JSON.parse(results.dataset.prefixes || "{}");
  var maxRows = parseInt(results.dataset.maxRows || "1000", 10);
  var ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9";
  var CURL_ACCEPT = "application/sparql-results+json";

  // The canned query on show and the text its current values render to (for the share link).
  var canned = { name: select && select.value ? select.value : "", text: select && select.value ? text.value : null };

  // ---- links to entity pages (mirrors kg.server.explorer.links.page_url) ----
  function encodePath(rest) { return rest.split("/").map(encodeURIComponent).join("/"); }
  function pageUrl(iri) {
    if (iri === ontologyIri) { return "/ontology"; }
    var spaces = [[baseIri, "/"], [vocabNs, "/vocab/"]];
    if (iri.indexOf(ontologyNs) !== 0) {
      for (var i = 0; i < spaces.length; i++) {
        var ns = spaces[i][0];
        var rest = iri.slice(ns.length);
        if (ns && iri.indexOf(ns) === 0 && rest && rest.indexOf("?") < 0 && rest.indexOf("#") < 0) {
          return spaces[i][1] + encodePath(rest);
        }
      }
    }
    return "/resource?iri=" + encodeURIComponent(iri);
  }
  function curie(iri) {
    for (var prefix in prefixes) {
      var ns = prefixes[prefix];
      if (iri.indexOf(ns) === 0 && iri.length > ns.length) { return prefix + ":" + iri.slice(ns.length); }
    }
    return iri;
  }

  // ---- reuse: share link, downloads, curl ----
  function shellQuote(value) {
    if (/^[A-Za-z0-9_@%+=:,.\/-]+$/.test(value)) { return value; }
    return "'" + value.replace(/'/g, "'\"'\"'") + "'";
  }
  function curlCommand(query) {
    return ["curl", "-H", shellQuote("Accept: " + CURL_ACCEPT), "--data-urlencode",
      shellQuote("query=" + query), shellQuote(window.location.origin + "/sparql")].join(" ");
  }
  function shareUrl(query) {
    if (canned.name && canned.text === query) {
      var params = new URLSearchParams({ canned: canned.name });
      paramsBox.querySelectorAll("input").forEach(function (input) {
        if (input.value) { params.append(input.name, input.value); }
      });
      return "/query?" + params.toString();
    }
    return "/query?" + new URLSearchParams({ query: query }).toString();
  }
  function updateReuse() {
    var query = text.value;
    shareLink.href = shareUrl(query);
    csvLink.href = "/sparql?" + new URLSearchParams({ query: query, format: "csv" }).toString();
    jsonLink.href = "/sparql?" + new URLSearchParams({ query: query, format: "json" }).toString();
    curlBox.textContent = curlCommand(query);
  }

  // ---- canned queries ----
  function field(param, value) {
    var wrap = document.createElement("div");
    wrap.className = "field";
    var id = "param-" + param.name;
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = param.name + " ";
    var type = document.createElement("span");
    type.className = "meta";
    type.textContent = "(" + param.type + ")";
    label.appendChild(type);
    var input = document.createElement("input");
    input.id = id;
    input.name = param.name;
    input.value = value || "";
    input.placeholder = param.default || "";
    input.setAttribute("aria-describedby", id + "-help");
    var help = document.createElement("p");
    help.id = id + "-help";
    help.className = "help";
    help.textContent = param.description;
    wrap.appendChild(label);
    wrap.appendChild(input);
    wrap.appendChild(help);
    return wrap;
  }
  function cannedParams() {
    var params = new URLSearchParams();
    paramsBox.querySelectorAll("input").forEach(function (input) {
      if (input.value) { params.append(input.name, input.value); }
    });
    return params;
  }
  function loadCanned(name, withParams) {
    if (!name) { canned = { name: "", text: null }; paramsBox.textContent = ""; description.textContent = ""; updateReuse(); return; }
    var query = withParams ? cannedParams().toString() : "";
    fetch("/api/canned/" + encodeURIComponent(name) + (query ? "?" + query : ""), { headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error(errorMessage(body, response.status)); }
          return body;
        });
      })
      .then(function (body) {
        if (!withParams) {
          paramsBox.textContent = "";
          body.parameters.forEach(function (param) { paramsBox.appendChild(field(param, "")); });
        }
        description.textContent = body.description;
        text.value = body.sparql;
        canned = { name: body.name, text: body.sparql };
        updateReuse();
      })
      .catch(function (error) { description.textContent = "Could not load the example: " + error.message; });
  }
  if (select) {
    if (loadButton) { loadButton.hidden = true; }
    select.addEventListener("change", function () { loadCanned(select.value, false); });
    var paramTimer = null;
    paramsBox.addEventListener("input", function () {
      clearTimeout(paramTimer);
      paramTimer = setTimeout(function () { loadCanned(select.value, true); }, 250);
    });
    document.getElementById("canned-form").addEventListener("submit", function (event) {
      event.preventDefault();
      loadCanned(select.value, true);
    });
  }

  // ---- running ----
  function errorMessage(body, code) {
    if (body && typeof body === "object") {
      var detail = body.detail || body.message || (body.error && (body.error.message || body.error));
      if (typeof detail === "string") { return detail; }
      return JSON.stringify(body);
    }
    return "HTTP " + code;
  }
  function cell(term) {
    var td = document.createElement("td");
    if (!term) { return td; }
    if (term.type === "uri") {
      var link = document.createElement("a");
      link.href = pageUrl(term.value);
      link.textContent = curie(term.value);
      td.appendChild(link);
      return td;
    }
    var value = document.createElement("span");
    value.className = "literal";
    value.textContent = term.value;
    td.appendChild(value);
    var meta = term["xml:lang"] ? "@" + term["xml:lang"] : (term.datatype ? curie(term.datatype) : "");
    if (meta && meta.indexOf("xsd:") !== 0) {  // XML Schema types read plainly; others are named
      var small = document.createElement("span");
      small.className = "meta";
      small.textContent = " " + meta;
      td.appendChild(small);
    }
    return td;
  }
  function showSolutions(data, seconds) {
    var vars = data.head.vars || [];
    var rows = data.results.bindings || [];
    var table = document.createElement("table");
    table.className = "list results-table";
    var head = table.createTHead().insertRow();
    vars.forEach(function (name) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = name;
      head.appendChild(th);
    });
    var body = table.createTBody();
    rows.slice(0, maxRows).forEach(function (binding) {
      var tr = body.insertRow();
      vars.forEach(function (name) { tr.appendChild(cell(binding[name])); });
    });
    tableBox.appendChild(table);
    status.textContent = rows.length + (rows.length === 1 ? " row" : " rows") +
      (rows.length > maxRows ? ", the first " + maxRows + " shown" : "") + ", in " + seconds + " s.";
  }
  function run() {
    var query = text.value;
    var started = performance.now();
    errorBox.textContent = "";
    tableBox.textContent = "";
    status.textContent = "Running…";
    updateReuse();
    fetch("/sparql", {
      method: "POST",
      headers: { Accept: ACCEPT, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ query: query }).toString()
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var seconds = ((performance.now() - started) / 1000).toFixed(2);
      if (!response.ok) {
        return response.text().then(function (body) {
          var message;
          try { message = errorMessage(JSON.parse(body), response.status); } catch (e) { message = body || "HTTP " + response.status; }
          throw new Error(message);
        });
      }
      if (type.indexOf("json") >= 0) {
        return response.json().then(function (data) {
          if (typeof data.boolean === "boolean") {
            status.textContent = "The answer is " + (data.boolean ? "yes (true)." : "no (false).");
          } else {
            showSolutions(data, seconds);
          }
        });
      }
      return response.text().then(function (body) {
        var pre = document.createElement("pre");
        pre.className = "graph";
        pre.textContent = body;
        tableBox.appendChild(pre);
        var lines = body.split("\n").filter(function (line) { return line.trim(); }).length;
        status.textContent = lines + (lines === 1 ? " triple" : " triples") + ", in " + seconds + " s.";
      });
    }).then(function () {
      window.history.replaceState(null, "", shareUrl(query));
    }).catch(function (error) {
      status.textContent = "The query failed.";
      var pre = document.createElement("pre");
      pre.className = "error";
      pre.textContent = error.message;
      errorBox.appendChild(pre);
    });
  }
  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });

  // ---- editor keys: Tab indents (Escape first to leave), Ctrl+Enter runs ----
  var escaped = false;
  text.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { escaped = true; return; }
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") { event.preventDefault(); run(); return; }
    if (event.key === "Tab" && !event.shiftKey && !escaped) {
      event.preventDefault();
      var start = text.selectionStart;
      var end = text.selectionEnd;
      text.value = text.value.slice(0, start) + "  " + text.value.slice(end);
      text.selectionStart = text.selectionEnd = start + 2;
      updateReuse();
      return;
    }
    escaped = false;
  });
  var reuseTimer = null;
  text.addEventListener("input", function () {
    clearTimeout(reuseTimer);
    reuseTimer = setTimeout(updateReuse, 200);
  });

  // ---- copy as curl ----
  copyButton.hidden = false;
  copyButton.addEventListener("click", function () {
    var command = curlBox.textContent;
    var done = function () { copyStatus.textContent = "Copied."; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(command).then(done, function () { copyStatus.textContent = "Select the command and copy it."; });
    } else {
      var range = document.createRange();
      range.selectNodeContents(curlBox);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try { document.execCommand("copy"); done(); } catch (e) { copyStatus.textContent = "Press Ctrl+C to copy the selected command."; }
    }
  });
}());
