// The page: sections (sections.cpp builds them from the output directory),
// the inlined libraries, the data, and the PNG export through Chromium.
#include "report/report.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "report/assets.hpp"
#include "report/chromium.hpp"
#include "report/sections.hpp"

namespace hc {

namespace fs = std::filesystem;

const ReportAsset& report_asset(std::string_view name) {
  for (const auto& a : report_assets())
    if (a.name == name) return a;
  throw Error("report: no inlined asset named '" + std::string(name) + "' (a build problem: rerun cmake)");
}

const std::vector<std::string>& report_section_ids() {
  static const std::vector<std::string> ids = {
      "sec-model",       "sec-attention",     "sec-ablation",         "sec-edge-scaling",
      "sec-dla",         "sec-invariance",    "sec-circuits",
      "sec-composition", "sec-act-patching",  "sec-path-patching",    "sec-subset-ablation",
      "sec-logit-lens",  "sec-paper-heads",
      "sec-paper-w01",   "sec-paper-correlation", "sec-paper-isolated", "sec-paper-logit-dynamics"};
  return ids;
}

namespace {

// JSON inside <script type="application/json">: "<" only occurs inside JSON
// strings, where \u003c means the same, so "</script>" can never end the block.
std::string script_json(const nlohmann::json& j) {
  const std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '<') out += "\\u003c";
    else out += c;
  }
  return out;
}

// A library inlined as a classic script: without its source-map comment (a
// browser would try to fetch the .map), and never with "</script" inside.
std::string inline_script(const ReportAsset& a) {
  std::string code(a.text);
  const size_t map = code.rfind("//# sourceMappingURL=");
  if (map != std::string::npos) code.erase(map);
  std::string lower = code;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  if (lower.find("</script") != std::string::npos)
    throw Error("report: the inlined " + std::string(a.name) + " " + std::string(a.version) +
                " contains '</script', which would end its script block (pin another version in report/package.json)");
  return "<script>/* " + std::string(a.name) + " " + std::string(a.version) + " */\n" + code + "\n</script>\n";
}

// Reports errors from the first byte on: exceptions, rejected promises,
// console.error/console.warn (Vega's logger) and Content-Security-Policy
// violations (any attempt to load something from outside the file) go into
// <pre id="render-log"> and <pre id="render-warnings">, where a reader and the
// browser test see them.
const char* kCapture = R"JS(<script>
(function () {
  "use strict";
  var pending = {"render-log": [], "render-warnings": []};
  function put(id, msg) {
    var el = document.getElementById(id);
    if (!el) { pending[id].push(msg); return; }
    el.hidden = false;
    el.textContent += msg + "\n";
  }
  window.hcReport = {
    error: function (msg) { put("render-log", msg); },
    warn: function (msg) { put("render-warnings", msg); },
    flush: function () {
      Object.keys(pending).forEach(function (id) { var m = pending[id]; pending[id] = []; m.forEach(function (x) { put(id, x); }); });
    }
  };
  window.addEventListener("error", function (e) { put("render-log", "error: " + e.message + (e.filename ? " (" + e.filename + ":" + e.lineno + ")" : "")); });
  window.addEventListener("unhandledrejection", function (e) { put("render-log", "unhandled rejection: " + e.reason); });
  document.addEventListener("securitypolicyviolation", function (e) {
    put("render-log", "blocked by the Content-Security-Policy: " + e.violatedDirective + " " + (e.blockedURI || "inline"));
  });
  var origError = console.error, origWarn = console.warn;
  console.error = function () { put("render-log", "console.error: " + Array.prototype.join.call(arguments, " ")); origError.apply(console, arguments); };
  console.warn = function () { put("render-warnings", "console.warn: " + Array.prototype.join.call(arguments, " ")); origWarn.apply(console, arguments); };
})();
</script>
)JS";

}  // namespace

std::string render_report(const std::string& out_dir, const ReportInputs& in, const std::string& png_note,
                          ReportResult* result) {
  const ReportContent content = build_sections(in);
  std::string html;
  html += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Nothing may leave the file: no scripts, styles, images, fonts or requests
  // from anywhere else (img-src data: lets Vega export PNGs).
  html += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; "
          "style-src 'unsafe-inline'; img-src data:\">\n";
  html += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  html += "<title>" + html_escape(in.title.empty() ? "headcount report" : in.title) + "</title>\n";
  html += "<style>\n" + std::string(report_asset("page.css").text) + "</style>\n";
  html += kCapture;
  for (const char* lib : {"vega", "vega-lite", "vega-embed"}) html += inline_script(report_asset(lib));
  html += "</head>\n<body>\n<header>\n<h1>" + html_escape(in.title.empty() ? "headcount report" : in.title) + "</h1>\n";
  html += "<p class=\"meta\">Written by headcount " + std::string(report_asset("page.js").version) +
          " from <code>" + html_escape(fs::absolute(out_dir).lexically_normal().string()) +
          "</code>. Everything on this page is inside this one file: it opens offline, with no server.</p>\n";
  if (!png_note.empty()) html += "<p class=\"meta\" id=\"png-note\">" + html_escape(png_note) + "</p>\n";
  if (!in.links.empty()) {
    html += "<p class=\"meta\" id=\"report-links\">Reports of the models studied: ";
    for (size_t i = 0; i < in.links.size(); ++i)
      html += std::string(i ? ", " : "") + "<a href=\"" + html_escape(in.links[i].first) + "\">" +
              html_escape(in.links[i].second) + "</a>";
    html += ".</p>\n";
  }
  html += "<nav><ul>\n";
  for (const auto& s : content.sections)
    html += "<li><a href=\"#" + s.id + "\">" + html_escape(s.title) + "</a></li>\n";
  html += "</ul></nav>\n</header>\n";
  html += "<pre id=\"render-log\" class=\"log\" hidden></pre>\n<pre id=\"render-warnings\" class=\"log\" hidden></pre>\n";
  html += "<main>\n";
  for (const auto& s : content.sections) {
    html += "<section id=\"" + s.id + "\">\n<h2>" + html_escape(s.title) + "</h2>\n" + s.html + "</section>\n";
  }
  if (content.sections.empty())
    html += "<p>No analysis tables were found in this directory, so there is nothing to draw.</p>\n";
  html += "</main>\n<footer>Charts: ";
  for (const char* lib : {"vega", "vega-lite", "vega-embed"}) {
    const auto& a = report_asset(lib);
    html += std::string(a.name) + " " + std::string(a.version) + (std::string(lib) == "vega-embed" ? "" : ", ");
  }
  html += " (BSD-3-Clause), inlined. Hover a mark for its exact values.</footer>\n";
  nlohmann::json data = {{"figures", content.figures}, {"attention", content.attention}};
  html += "<script type=\"application/json\" id=\"report-data\">" + script_json(data) + "</script>\n";
  html += "<script>\n" + std::string(report_asset("page.js").text) + "</script>\n</body>\n</html>\n";
  if (result) {
    result->sections.clear();
    for (const auto& s : content.sections) result->sections.push_back(s.id);
    result->figures = content.figure_ids;
    result->png_note = png_note;
    result->bytes = html.size();
  }
  return html;
}

namespace {

std::string base64_decode(const std::string& in, const std::string& what) {
  static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (char c : in) {
    if (c == '=') break;
    const size_t p = chars.find(c);
    if (p == std::string::npos)
      throw Error("report: the PNG of " + what + " that Chromium returned is not base64 (a Chromium problem; retry without --png)");
    val = (val << 6) + int(p);
    bits += 6;
    if (bits >= 0) {
      out += char((val >> bits) & 0xFF);
      bits -= 8;
    }
  }
  return out;
}

// Loads the report with #export-png: page.js renders every figure to a PNG
// (Vega's view.toImageURL) and lists them in <pre id="png-export"> as
// "figure-id<TAB>base64" lines, which --dump-dom hands back.
std::vector<std::string> export_pngs(const std::string& chromium, const std::string& report, const std::string& out_dir,
                                     size_t n_figures) {
  const ChromiumResult r =
      run_chromium(chromium, {"--virtual-time-budget=30000", "--dump-dom", file_url(report, "export-png")}, 120);
  const std::string open = "<pre id=\"png-export\"";
  const size_t a = r.out.rfind(open);  // the element page.js appends last to <body>
  if (r.code != 0 || a == std::string::npos)
    throw Error("report: Chromium (" + chromium + ") could not export the figures as PNG (exit status " +
                std::to_string(r.code) + "): " + r.err.substr(0, 400) +
                " (check that `" + chromium + " --headless --dump-dom` works, or run without --png)");
  const size_t body = r.out.find('>', a) + 1, end = r.out.find("</pre>", body);
  std::vector<std::string> written;
  const fs::path dir = fs::path(out_dir) / "png";
  fs::create_directories(dir);
  size_t pos = body;
  while (pos < end) {
    size_t nl = r.out.find('\n', pos);
    if (nl == std::string::npos || nl > end) nl = end;
    const std::string line = r.out.substr(pos, nl - pos);
    pos = nl + 1;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    const std::string id = line.substr(0, tab);
    if (id == "error")
      throw Error("report: the browser could not export a figure as PNG: " + line.substr(tab + 1) + " (run without --png)");
    const std::string path = (dir / (id + ".png")).string();
    write_file_atomic(path, base64_decode(line.substr(tab + 1), id));
    written.push_back(path);
  }
  if (written.size() != n_figures)
    throw Error("report: Chromium exported " + std::to_string(written.size()) + " of " + std::to_string(n_figures) +
                " figures as PNG (open the report in a browser to see which one fails, or run without --png)");
  return written;
}

}  // namespace

ReportResult write_report(const std::string& out_dir, const ReportInputs& in) {
  ReportResult res;
  res.path = (fs::path(out_dir) / "report.html").string();
  std::string chromium, note;
  if (in.png) {
    chromium = find_chromium();
    note = chromium.empty()
               ? "PNG export was asked for (--png) but no Chromium was found, so no PNG was written: install the "
                 "chromium package (scripts/setup.sh does) and run again."
               : "Each figure is also in png/<figure id>.png beside this file (exported by headless Chromium).";
  }
  const std::string html = render_report(out_dir, in, note, &res);
  write_file_atomic(res.path, html);
  if (in.png && !chromium.empty()) res.pngs = export_pngs(chromium, res.path, out_dir, res.figures.size());
  return res;
}

ReportResult write_reproduce_report(const std::string& out_dir, std::vector<Table> tables,
                                    const nlohmann::json& summary) {
  ReportInputs in;
  in.title = "headcount reproduce: the Count01 paper figures";
  in.tables = std::move(tables);
  in.summary = summary;
  for (const auto& [dir, text] : {std::pair<std::string, std::string>{"max_of_list", "Max-of-List head study"},
                                  {"count01_main", "Count01 head study (first main model)"}}) {
    const std::string rel = dir + "/analysis/report.html";
    if (fs::exists(fs::path(out_dir) / rel)) in.links.push_back({rel, text});
  }
  return write_report(out_dir, in);
}

}  // namespace hc
