// The paths page's graph: fetches the same paths as JSON (/paths) and draws them as SVG,
// layered by distance from the source. Drag the background to pan, wheel or +/- to zoom;
// a node (click or Enter) opens its page; a line (click or Enter) shows its evidence.
// Without this script the page still lists every path as a sentence with its evidence.
// Data only ever reaches the page through textContent and setAttribute, never as markup.
(function () {
  "use strict";
  var COLUMN = 300;
  var ROW = 50;
  var RADIUS = 11;

  // -- suggestions for the source field (a datalist of /api/search answers) --
  var sourceInput = document.getElementById("paths-source");
  var options = document.getElementById("paths-source-options");
  if (sourceInput && options) {
    var timer = null;
    sourceInput.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = sourceInput.value.trim();
        if (q.length < 2 || q.indexOf("://") !== -1) { return; }
        fetch("/api/search?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (hits) {
            options.textContent = "";
            hits.forEach(function (hit) {
              var option = document.createElement("option");
              option.value = hit.iri;
              option.label = hit.label + (hit.type ? " (" + hit.type + ")" : "");
              options.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are optional */ });
      }, 200);
    });
  }

  var box = document.getElementById("paths-graph");
  var canvas = document.getElementById("paths-canvas");
  var svg = document.getElementById("paths-svg");
  var status = document.getElementById("paths-graph-status");
  var panel = document.getElementById("edge-evidence");
  if (!box || !canvas || !svg || !status || !panel || !box.dataset.api) { return; }
  var SVG = svg.namespaceURI; // the page's own <svg>: its namespace, without a URL in this file
  var known = {}; // IRI -> {url, kind}, computed by the server for this page's paths
  try { known = JSON.parse(box.dataset.urls || "{}"); } catch (e) { known = {}; }

  function urlOf(iri) { return known[iri] ? known[iri].url : "/resource?iri=" + encodeURIComponent(iri); }
  function kindOf(iri) { return known[iri] && known[iri].kind ? known[iri].kind : "other"; }

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }

  function shorten(text, n) { return text.length > n ? text.slice(0, n - 1) + "…" : text; }

  // Every path's nodes and edges, once each; a node's layer is its least distance from the source.
  function collect(paths) {
    var nodes = {}, order = [], edges = {}, edgeList = [];
    paths.forEach(function (path) {
      path.nodes.forEach(function (node, i) {
        if (!nodes[node.iri]) {
          nodes[node.iri] = { iri: node.iri, label: node.label, kind: kindOf(node.iri), layer: i };
          order.push(node.iri);
        } else if (i < nodes[node.iri].layer) {
          nodes[node.iri].layer = i;
        }
      });
      path.edges.forEach(function (edge) {
        var from = edge.direction === "forward" ? edge.source : edge.target;
        var to = edge.direction === "forward" ? edge.target : edge.source;
        var key = from + " " + edge.property + " " + to;
        if (!edges[key]) {
          edges[key] = { from: from, to: to, label: edge.property_label, evidence: edge.evidence, inferred: edge.inferred };
          edgeList.push(edges[key]);
        }
      });
    });
    return { nodes: nodes, order: order, edges: edgeList };
  }

  function layout(graph) {
    var layers = [];
    graph.order.forEach(function (iri) {
      var node = graph.nodes[iri];
      (layers[node.layer] = layers[node.layer] || []).push(node);
    });
    var tallest = 0;
    layers.forEach(function (layer) { if (layer && layer.length > tallest) { tallest = layer.length; } });
    layers.forEach(function (layer, l) {
      if (!layer) { return; }
      var top = (tallest - layer.length) * ROW / 2;
      layer.forEach(function (node, i) { node.x = 140 + l * COLUMN; node.y = 50 + top + i * ROW; });
    });
    return { width: 280 + (layers.length - 1) * COLUMN, height: 60 + tallest * ROW };
  }

  function showEvidence(edge, graph) {
    panel.textContent = "";
    var title = document.createElement("p");
    title.className = "evidence-title";
    title.textContent = graph.nodes[edge.from].label + " — " + edge.label + " → " + graph.nodes[edge.to].label;
    panel.appendChild(title);
    if (edge.inferred) {
      var note = document.createElement("p");
      note.className = "meta";
      note.textContent = "Inferred from other facts, not stated by a letter itself.";
      panel.appendChild(note);
    }
    if (!edge.evidence || !edge.evidence.length) {
      var none = document.createElement("p");
      none.textContent = "No passage is recorded for this step.";
      panel.appendChild(none);
      return;
    }
    var list = document.createElement("ul");
    edge.evidence.forEach(function (e) {
      var item = document.createElement("li");
      if (e.quote) {
        var quote = document.createElement("blockquote");
        quote.textContent = e.quote;
        item.appendChild(quote);
      }
      var where = document.createElement("p");
      where.className = "where";
      var link = document.createElement("a");
      link.href = urlOf(e.document);
      link.textContent = e.document.replace(/\/+$/, "").split("/").pop();
      where.appendChild(link);
      var text = "";
      if (e.start !== null && e.start !== undefined) { text += ", characters " + e.start + "–" + e.end; }
      if (!e.quote) { text += ": the sentence itself is not included in this record"; }
      where.appendChild(document.createTextNode(text));
      item.appendChild(where);
      list.appendChild(item);
    });
    panel.appendChild(list);
  }

  function draw(paths) {
    var graph = collect(paths);
    var size = layout(graph);
    var width = Math.max(canvas.clientWidth || 800, 320);
    var height = Math.min(Math.max(size.height, 320), 720);
    svg.textContent = "";
    svg.setAttribute("height", String(height));
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("aria-label", "The paths as a graph: " + graph.order.length + " entities");
    var defs = el("defs", {}, svg);
    var marker = el("marker", {
      id: "arrow", viewBox: "0 0 10 10", refX: "10", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse"
    }, defs);
    el("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrow-head" }, marker);
    var background = el("rect", { x: "0", y: "0", width: String(width), height: String(height), class: "graph-bg" }, svg);
    var view = el("g", {}, svg);
    var edgeLayer = el("g", {}, view);
    var nodeLayer = el("g", {}, view);

    graph.edges.forEach(function (edge) {
      var a = graph.nodes[edge.from], b = graph.nodes[edge.to];
      var dx = b.x - a.x, dy = b.y - a.y, len = Math.sqrt(dx * dx + dy * dy) || 1;
      var ux = dx / len, uy = dy / len;
      var x1 = a.x + ux * RADIUS, y1 = a.y + uy * RADIUS, x2 = b.x - ux * (RADIUS + 2), y2 = b.y - uy * (RADIUS + 2);
      var name = a.label + " " + edge.label + " " + b.label + ": show the evidence";
      var g = el("g", { class: "edge" + (edge.inferred ? " inferred" : ""), tabindex: "0", role: "button", "aria-label": name }, edgeLayer);
      el("title", {}, g).textContent = name;
      el("line", { x1: x1, y1: y1, x2: x2, y2: y2, class: "edge-hit" }, g);
      el("line", { x1: x1, y1: y1, x2: x2, y2: y2, class: "edge-line", "marker-end": "url(#arrow)" }, g);
      var label = el("text", { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 4, class: "edge-label", "text-anchor": "middle" }, g);
      label.textContent = edge.label;
      function open() {
        Array.prototype.forEach.call(edgeLayer.querySelectorAll(".selected"), function (s) { s.classList.remove("selected"); });
        g.classList.add("selected");
        showEvidence(edge, graph);
      }
      g.addEventListener("click", open);
      g.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); open(); }
      });
    });

    graph.order.forEach(function (iri) {
      var node = graph.nodes[iri];
      var g = el("g", {
        class: "node node-" + node.kind + (node.layer === 0 ? " source" : ""), tabindex: "0", role: "link",
        "aria-label": node.label + " (" + node.kind + "): open its page", "data-iri": iri
      }, nodeLayer);
      el("title", {}, g).textContent = node.label;
      el("circle", { cx: node.x, cy: node.y, r: node.layer === 0 ? RADIUS + 4 : RADIUS }, g);
      var text = el("text", { x: node.x, y: node.y + RADIUS + 16, "text-anchor": "middle", class: "node-label" }, g);
      text.textContent = shorten(node.label, 40);
      function go() { window.location.href = urlOf(iri); }
      g.addEventListener("click", go);
      g.addEventListener("keydown", function (event) { if (event.key === "Enter") { event.preventDefault(); go(); } });
    });

    // Pan and zoom: one transform on the view group.
    var state = { x: 0, y: 0, k: 1 };
    function apply() { view.setAttribute("transform", "translate(" + state.x + " " + state.y + ") scale(" + state.k + ")"); }
    function fit() {
      var k = Math.min(1, width / size.width, height / size.height);
      k = Math.max(k, 0.6); // labels stay readable: a larger graph is panned, not shrunk away
      state.k = k;
      state.x = (width - size.width * k) / 2;
      state.y = (height - size.height * k) / 2;
      if (state.x < 0) { state.x = 0; } // the source column stays in view
      apply();
    }
    function zoom(factor, cx, cy) {
      var k = Math.min(4, Math.max(0.2, state.k * factor));
      state.x = cx - (cx - state.x) * (k / state.k);
      state.y = cy - (cy - state.y) * (k / state.k);
      state.k = k;
      apply();
    }
    function point(event) {
      var rect = svg.getBoundingClientRect();
      return { x: (event.clientX - rect.left) * width / rect.width, y: (event.clientY - rect.top) * height / rect.height };
    }
    svg.addEventListener("wheel", function (event) {
      event.preventDefault();
      var p = point(event);
      zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15, p.x, p.y);
    }, { passive: false });
    var drag = null;
    background.addEventListener("pointerdown", function (event) {
      drag = { p: point(event), x: state.x, y: state.y };
      svg.classList.add("dragging");
      background.setPointerCapture(event.pointerId);
    });
    background.addEventListener("pointermove", function (event) {
      if (!drag) { return; }
      var p = point(event);
      state.x = drag.x + p.x - drag.p.x;
      state.y = drag.y + p.y - drag.p.y;
      apply();
    });
    function stop() { drag = null; svg.classList.remove("dragging"); }
    background.addEventListener("pointerup", stop);
    background.addEventListener("pointercancel", stop);
    Array.prototype.forEach.call(box.querySelectorAll("[data-zoom]"), function (button) {
      button.addEventListener("click", function () {
        var how = button.getAttribute("data-zoom");
        if (how === "reset") { fit(); } else { zoom(how === "in" ? 1.25 : 0.8, width / 2, height / 2); }
      });
    });

    status.hidden = true;
    fit();
  }

  box.hidden = false;
  fetch(box.dataset.api, { headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("the paths could not be loaded (" + response.status + ")"); }
      return response.json();
    })
    .then(function (body) { draw(body.paths || []); })
    .catch(function (error) { status.textContent = "The graph is not available: " + error.message; });
}());
