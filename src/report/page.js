// headcount report.html: draws every figure with Vega-Embed from the specs in
// <script id="report-data">, and the attention heatmaps for the example chosen
// in the selector. Nothing is fetched: the CSP forbids it, and "ast: true" runs
// Vega's expressions through its interpreter instead of eval.
//
// When a figure has rendered, its container gets data-rendered="1"; when all
// have, <body> gets data-figures-rendered (the count). Errors go to
// pre#render-log (see the capture script in <head>).
//
// Modes, from the URL fragment (several joined by "&"):
//   #only=sec-x   show that section alone (the docs' screenshots)
//   #selftest     hover one attention cell as a user would and copy the tooltip
//                 into pre#hover-probe (the browser test reads it)
//   #export-png   render each figure as a PNG and list them in
//                 pre#png-export as "figure-id<TAB>base64" lines
//                 (headcount analyze --png reads them)
(function () {
  "use strict";
  var R = window.hcReport;
  R.flush();
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var modes = {};
  (location.hash || "").replace(/^#/, "").split("&").forEach(function (m) {
    var kv = m.split("=");
    if (kv[0]) modes[decodeURIComponent(kv[0])] = kv.length > 1 ? decodeURIComponent(kv[1]) : "1";
  });
  if (modes.only) {
    document.body.classList.add("only");
    var keep = document.getElementById(modes.only);
    if (!keep) R.error("#only: no section with the id " + modes.only);
    else keep.classList.add("shown");
  }
  var options = {mode: "vega-lite", ast: true, renderer: "svg", actions: false,
                 tooltip: {theme: "light"}, config: {font: "sans-serif"}};
  var views = {};

  function embed(id, spec) {
    var el = document.getElementById(id);
    el.removeAttribute("data-rendered");
    return vegaEmbed(el, spec, options).then(function (result) {
      views[id] = result.view;
      el.setAttribute("data-rendered", "1");
      return result.view;
    }).catch(function (e) {
      R.error("figure " + id + ": " + (e && e.message ? e.message : e));
    });
  }

  // ---- attention heatmaps ----
  var att = data.attention;
  function attentionSpec(ex) {
    var values = [];
    var n = ex.tokens.length;
    att.heads.forEach(function (head, h) {
      var p = ex.patterns[h], i = 0;
      for (var q = 0; q < n; q++) {
        for (var k = 0; k <= q; k++, i++) {
          values.push({head: head, q: q, k: k, query: ex.tokens[q], key: ex.tokens[k], weight: p[i]});
        }
      }
    });
    var names = JSON.stringify(ex.tokens.map(function (t, i) { return (i === ex.query_pos ? "\u25b8" : "") + t; }));
    var axis = function (title) { return {title: title, labelExpr: names + "[datum.value]", labelAngle: 0}; };
    var cell = n > 16 ? 12 : 16;
    return {
      data: {values: values},
      facet: {field: "head", type: "nominal", sort: att.heads, title: null,
              header: {labelExpr: "'head ' + datum.value"}},
      columns: Math.max(1, Math.min(4, Math.floor(1100 / (cell * n + 70)))),
      spec: {
        width: {step: cell}, height: {step: cell},
        mark: "rect",
        encoding: {
          x: {field: "k", type: "ordinal", axis: axis("key")},
          y: {field: "q", type: "ordinal", axis: axis("query")},
          color: {field: "weight", type: "quantitative", title: "weight",
                   scale: {domain: [0, 1], scheme: "blues"}},
          tooltip: [
            {field: "head", title: "head"},
            {field: "query", title: "query token"},
            {field: "q", title: "query position"},
            {field: "key", title: "key token"},
            {field: "k", title: "key position"},
            {field: "weight", title: "weight", format: ".6f"}
          ]
        }
      }
    };
  }
  function drawAttention(index) {
    return embed("fig-attention", attentionSpec(att.examples[index]));
  }

  var jobs = [];
  Object.keys(data.figures).forEach(function (id) { jobs.push(embed(id, data.figures[id])); });
  if (att) {
    var select = document.getElementById("attention-example");
    att.examples.forEach(function (ex, i) {
      var o = document.createElement("option");
      o.value = String(i);
      o.textContent = "#" + i + ": " + ex.text + "  (answer " + ex.answer + ", predicted " + ex.prediction + ")";
      select.appendChild(o);
    });
    select.addEventListener("change", function () { drawAttention(Number(select.value)); });
    jobs.push(drawAttention(0));
  }

  function pre(id, text) {
    var el = document.createElement("pre");
    el.id = id;
    el.className = "probe";
    el.textContent = text;
    document.body.appendChild(el);
  }

  // Hovers the query row's most-attended key of the first head in example 0,
  // through the same mouse event a user's pointer sends, and copies what the
  // tooltip shows.
  function selftest() {
    if (!att) { pre("hover-probe", "no attention section"); return Promise.resolve(); }
    var ex = att.examples[0], n = ex.tokens.length, q = ex.query_pos, best = 0;
    var row = q * (q + 1) / 2;
    for (var k = 1; k <= q; k++) if (ex.patterns[0][row + k] > ex.patterns[0][row + best]) best = k;
    var target = null;
    document.querySelectorAll("#fig-attention svg path").forEach(function (el) {
      var d = el.__data__ && el.__data__.datum;
      if (d && d.head === att.heads[0] && d.q === q && d.k === best) target = el;
    });
    if (!target) { R.error("selftest: no heatmap cell for head " + att.heads[0] + ", query " + q + ", key " + best); return Promise.resolve(); }
    var box = target.getBoundingClientRect();
    var at = {bubbles: true, cancelable: true, view: window, clientX: box.x + box.width / 2, clientY: box.y + box.height / 2};
    // Vega 6 listens to pointer events (older versions to mouse events): send what a real pointer sends.
    ["pointerover", "pointermove", "mouseover", "mousemove"].forEach(function (type) {
      var E = type.indexOf("pointer") === 0 && window.PointerEvent ? PointerEvent : MouseEvent;
      target.dispatchEvent(new E(type, at));
    });
    return new Promise(function (resolve) {
      setTimeout(function () {
        var tip = document.getElementById("vg-tooltip-element");
        var lines = [];
        if (tip && tip.classList.contains("visible")) {
          tip.querySelectorAll("tr").forEach(function (tr) {
            var cells = tr.querySelectorAll("td");
            if (cells.length === 2) lines.push(cells[0].textContent + "=" + cells[1].textContent);
          });
        }
        pre("hover-probe", "target=" + att.heads[0] + "|" + q + "|" + best + "\n" + lines.join("\n"));
        resolve();
      }, 100);
    });
  }

  function exportPngs() {
    var ids = Object.keys(views);
    return Promise.all(ids.map(function (id) {
      return views[id].toImageURL("png", 2).then(function (url) {
        return id + "\t" + url.slice(url.indexOf(",") + 1);
      }).catch(function (e) { return "error\t" + id + ": " + e; });
    })).then(function (lines) { pre("png-export", lines.join("\n")); });
  }

  Promise.all(jobs).then(function () {
    var done = document.querySelectorAll(".vis[data-rendered='1']").length;
    document.body.setAttribute("data-figures-total", String(document.querySelectorAll(".vis").length));
    var next = Promise.resolve();
    if (modes.selftest) next = next.then(selftest);
    if (modes["export-png"]) next = next.then(exportPngs);
    return next.then(function () { document.body.setAttribute("data-figures-rendered", String(done)); });
  }).catch(function (e) { R.error("report: " + e); });
})();
