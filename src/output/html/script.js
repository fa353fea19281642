// The report's interactive parts. Everything the page shows without this script (summary,
// coverage, findings) stays readable; this adds the findings' filters, the workloads with
// their explanations (from the JSON in #report-data, a page at a time), zooming the graph,
// and printing everything expanded. Names are only ever set as text (textContent), never as
// markup.
(function () {
  "use strict";
  var STATES = ["isolated", "pods only (open from outside the cluster)", "open", "unknown", "ambiguous"];
  var PAGE = 100;

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (k === "text") e.textContent = attrs[k];
      else if (k === "class") e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    }
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }

  // Findings: filters by rule, severity and namespace.
  // A finding's row: severity, rule, namespace, object, message (and its fix) cells.
  var rows = Array.prototype.slice.call(document.querySelectorAll("#findings-table tbody tr.e, #findings-table tbody tr.w, #findings-table tbody tr.i"));
  var fRule = document.getElementById("f-rule"), fSev = document.getElementById("f-sev"), fNs = document.getElementById("f-ns");
  var fCount = document.getElementById("f-count");
  function filterFindings() {
    var r = fRule.value, s = fSev.value, n = fNs.value, shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var c = row.cells;
      var show = (!r || c[1].textContent === r) && (!s || c[0].textContent === s) &&
        (!n || c[2].textContent === n);
      if (row.hidden === show) row.hidden = !show;
      if (show) shown++;
    }
    fCount.textContent = shown === rows.length ? rows.length + " findings" : shown + " of " + rows.length + " findings shown";
  }
  [fRule, fSev, fNs].forEach(function (s) { s.addEventListener("change", filterFindings); });
  document.getElementById("f-clear").addEventListener("click", function () {
    fRule.value = ""; fSev.value = ""; fNs.value = ""; filterFindings();
  });
  filterFindings();

  // Workloads and their explanations.
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var W = data.w;
  var app = document.getElementById("workloads-app");
  var byWorkload = null; // finding rows by workload index, built on first use
  function findingsOf(i) {
    if (!byWorkload) {
      byWorkload = {};
      rows.forEach(function (row) {
        var w = row.getAttribute("data-w");
        if (w !== null) (byWorkload[w] = byWorkload[w] || []).push(row);
      });
    }
    return byWorkload[i] || [];
  }
  function fullName(w) { return data.kinds[w[1]] + " " + data.ns[w[0]] + "/" + w[2]; }

  var query = el("input", { type: "search", id: "w-q", "aria-describedby": "w-count" });
  var nsSelect = el("select", { id: "w-ns" }, [el("option", { value: "", text: "all namespaces" })]);
  data.ns.map(function (n, i) { return [n, i]; }).sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; })
    .forEach(function (p) { nsSelect.appendChild(el("option", { value: String(p[1]), text: p[0] })); });
  var openOnly = el("input", { type: "checkbox", id: "w-open" });
  var count = el("span", { id: "w-count", role: "status", "aria-live": "polite" });
  app.appendChild(el("div", { class: "controls", role: "group", "aria-label": "Filter the workloads" }, [
    el("label", { for: "w-q", text: "Name contains " }), query,
    el("label", null, ["Namespace ", nsSelect]),
    el("label", null, [openOnly, " only workloads not isolated both ways"]),
    count
  ]));
  var tbody = el("tbody");
  app.appendChild(el("div", { class: "scroll" }, [el("table", { class: "workloads", id: "workloads-table" }, [
    el("thead", null, [el("tr", null, ["Namespace", "Workload", "Pods", "Ingress", "Egress"].map(function (h) {
      return el("th", { scope: "col", text: h });
    }))]), tbody])]));
  var prev = el("button", { type: "button", id: "w-prev", text: "Previous page" });
  var next = el("button", { type: "button", id: "w-next", text: "Next page" });
  var pageLabel = el("span", { id: "w-page" });
  app.appendChild(el("div", { class: "pager" }, [prev, pageLabel, next]));
  var panel = el("section", { id: "explain", class: "explain", tabindex: "-1", "aria-labelledby": "explain-h", hidden: "" });
  app.appendChild(panel);

  var matches = [], page = 0;
  function applyFilter() {
    var q = query.value.toLowerCase(), ns = nsSelect.value, open = openOnly.checked;
    matches = [];
    for (var i = 0; i < W.length; i++) {
      var w = W[i];
      if (ns && String(w[0]) !== ns) continue;
      if (open && w[5] === 0 && w[9] === 0) continue;
      if (q && w[2].toLowerCase().indexOf(q) < 0 && data.kinds[w[1]].toLowerCase().indexOf(q) < 0) continue;
      matches.push(i);
    }
    page = 0;
    count.textContent = matches.length === W.length ? W.length + " workloads" : matches.length + " of " + W.length + " workloads";
    draw();
  }
  function stateCell(state) { return el("td", { class: "state-" + state, text: STATES[state] }); }
  function row(i) {
    var w = W[i];
    var b = el("button", { type: "button", class: "link", "data-w": String(i), "aria-controls": "explain", text: data.kinds[w[1]] + "/" + w[2] });
    return el("tr", null, [el("td", { text: data.ns[w[0]] }), el("td", null, [b]), el("td", { class: "num", text: String(w[3]) }),
      stateCell(w[5]), stateCell(w[9])]);
  }
  function draw(all) {
    tbody.textContent = "";
    var from = all ? 0 : page * PAGE, to = all ? matches.length : Math.min(matches.length, from + PAGE);
    var frag = document.createDocumentFragment();
    for (var k = from; k < to; k++) frag.appendChild(row(matches[k]));
    tbody.appendChild(frag);
    var pages = Math.max(1, Math.ceil(matches.length / PAGE));
    pageLabel.textContent = "Page " + (page + 1) + " of " + pages;
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }
  query.addEventListener("input", applyFilter);
  nsSelect.addEventListener("change", applyFilter);
  openOnly.addEventListener("change", applyFilter);
  prev.addEventListener("click", function () { if (page > 0) { page--; draw(); } });
  next.addEventListener("click", function () { page++; draw(); });
  tbody.addEventListener("click", function (e) {
    var t = e.target.closest ? e.target.closest("button[data-w]") : null;
    if (t) explain(Number(t.getAttribute("data-w")), true);
  });

  function direction(w, at, way) {
    var state = w[at], set = w[at + 1], dec = w[at + 2], reason = w[at + 3];
    var parts = [el("span", { class: "state-" + state, text: STATES[state] })];
    if (w[4]) parts.push(" (the workload runs on the host network: no NetworkPolicy isolates it)");
    if (dec >= 0) {
      var d = data.dec[dec];
      parts.push(". Decided by the " + d[0] + " layer: " + d[1] + " " + d[2] + (d[3] ? ", " + d[3] : ""));
    }
    if (reason) parts.push(". " + reason);
    var list = el("ul");
    if (set >= 0) data.sets[set].forEach(function (p) { list.appendChild(el("li", { text: data.pol[p] })); });
    else list.appendChild(el("li", { text: "No policy selects it for " + way + "." }));
    return [el("dt", { text: way[0].toUpperCase() + way.slice(1) }), el("dd", null, [el("div", null, parts), el("div", { text: "Selected by:" }), list])];
  }
  function explain(i, focus) {
    var w = W[i];
    panel.textContent = "";
    panel.hidden = false;
    panel.appendChild(el("h3", { id: "explain-h", text: "Why " + fullName(w) + " is" + (w[5] === 0 && w[9] === 0 ? "" : " not") + " isolated" }));
    var dl = el("dl");
    dl.appendChild(el("dt", { text: "Pods" }));
    dl.appendChild(el("dd", { text: String(w[3]) + (w[4] ? ", on the host network" : "") }));
    direction(w, 5, "ingress").concat(direction(w, 9, "egress")).forEach(function (n) { dl.appendChild(n); });
    panel.appendChild(dl);
    var found = findingsOf(i);
    panel.appendChild(el("h3", { text: found.length ? "Findings on it" : "No findings on it" }));
    if (found.length) {
      var ul = el("ul");
      found.forEach(function (r) {
        var c = r.cells;
        ul.appendChild(el("li", { text: c[0].textContent + " " + c[1].textContent + ": " + c[4].firstChild.textContent }));
      });
      panel.appendChild(ul);
    }
    var close = el("button", { type: "button", class: "explain-close", text: "Close" });
    close.addEventListener("click", function () {
      panel.hidden = true;
      var b = tbody.querySelector('button[data-w="' + i + '"]');
      if (b) b.focus();
    });
    panel.appendChild(close);
    if (focus) panel.focus();
  }
  applyFilter();

  // The graph: zoom and pan by changing the SVG's viewBox, with buttons, the keyboard, the wheel
  // and the mouse.
  var box = document.getElementById("graph");
  var svg = box && box.querySelector("svg");
  if (svg) {
    var vb0 = (svg.getAttribute("viewBox") || "").split(/[\s,]+/).map(Number);
    if (vb0.length !== 4 || vb0.some(isNaN)) {
      var bb = svg.getBBox();
      vb0 = [bb.x, bb.y, bb.width || 1, bb.height || 1];
    }
    var vb = vb0.slice();
    var set = function () { svg.setAttribute("viewBox", vb.join(" ")); };
    var zoom = function (f, cx, cy) {
      if (cx === undefined) { cx = vb[0] + vb[2] / 2; cy = vb[1] + vb[3] / 2; }
      var w = Math.min(vb0[2] * 4, Math.max(vb0[2] / 20, vb[2] * f)), k = w / vb[2];
      vb = [cx - (cx - vb[0]) * k, cy - (cy - vb[1]) * k, vb[2] * k, vb[3] * k];
      set();
    };
    var pan = function (dx, dy) { vb[0] += dx * vb[2]; vb[1] += dy * vb[3]; set(); };
    var reset = function () { vb = vb0.slice(); set(); };
    document.querySelectorAll("button[data-zoom]").forEach(function (b) {
      b.addEventListener("click", function () {
        var z = b.getAttribute("data-zoom");
        if (z === "in") zoom(0.8); else if (z === "out") zoom(1.25); else reset();
      });
    });
    box.addEventListener("keydown", function (e) {
      var k = e.key, done = true;
      if (k === "+" || k === "=") zoom(0.8);
      else if (k === "-" || k === "_") zoom(1.25);
      else if (k === "0") reset();
      else if (k === "ArrowLeft") pan(-0.1, 0);
      else if (k === "ArrowRight") pan(0.1, 0);
      else if (k === "ArrowUp") pan(0, -0.1);
      else if (k === "ArrowDown") pan(0, 0.1);
      else done = false;
      if (done) e.preventDefault();
    });
    var point = function (e) {
      var r = svg.getBoundingClientRect();
      return [vb[0] + (e.clientX - r.left) / r.width * vb[2], vb[1] + (e.clientY - r.top) / r.height * vb[3]];
    };
    box.addEventListener("wheel", function (e) {
      e.preventDefault();
      var p = point(e);
      zoom(e.deltaY < 0 ? 0.9 : 1.1, p[0], p[1]);
    }, { passive: false });
    var drag = null;
    box.addEventListener("pointerdown", function (e) { drag = [e.clientX, e.clientY]; box.setPointerCapture(e.pointerId); });
    box.addEventListener("pointermove", function (e) {
      if (!drag) return;
      var r = svg.getBoundingClientRect();
      pan(-(e.clientX - drag[0]) / r.width, -(e.clientY - drag[1]) / r.height);
      drag = [e.clientX, e.clientY];
    });
    box.addEventListener("pointerup", function () { drag = null; });
  }

  // Printing: every finding, every fix and every workload, without the controls.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) { d.open = true; opened.push(d); });
    draw(true);
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
    draw();
  });

  // Tests read how long the page took to become usable, measured by the page itself.
  document.documentElement.setAttribute("data-ready-ms", String(Math.round(performance.now())));
})();
