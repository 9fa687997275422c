// report.html in a real browser: `headcount analyze` on the Max-of-List
// fixture and on the Count01 fixture (with synthetic tables for the two
// cross-model paper figures that only reproduce makes), loaded from file:// by headless
// Chromium. Checked through the rendered DOM: every section and every chart
// drawn, no error or warning, no request that left the file (a CSP violation
// would be logged), and the attention heatmap's tooltip shows the token labels
// and the exact weight of the cell under the pointer. Chromium missing is a
// FAILURE: scripts/setup.sh installs it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "../cli/cli_util.hpp"
#include "../fixtures.hpp"
#include "core/atomic_file.hpp"
#include "report/chromium.hpp"
#include "report/report.hpp"
#include "report_test_util.hpp"

namespace hc {
namespace report_browser_test {  // this file's own names (unity builds batch test files)
namespace fs = std::filesystem;
using testing::fixture;
using testing::run_cli;

// Screenshots and dumps land here, for a human (and docs/img/) to look at.
std::string artifacts_dir() {
  const fs::path d = fs::path(HC_CLI_PATH).parent_path() / "report-artifacts";
  fs::create_directories(d);
  return d.string();
}

struct Analyzed {
  std::string args;  // the model and evaluation set, as analyze and inspect take them
  std::string dir, html, dom;
  std::vector<std::string> sections;
};

std::string chromium_or_fail() {
  const std::string c = find_chromium();
  EXPECT_FALSE(c.empty()) << "no Chromium found (chromium, chromium-browser, google-chrome on PATH, or "
                             "$HEADCOUNT_CHROMIUM): run scripts/setup.sh, which installs Debian's chromium package";
  return c;
}

std::string dump_dom(const std::string& chromium, const std::string& report, const std::string& fragment) {
  const ChromiumResult r =
      run_chromium(chromium, {"--virtual-time-budget=10000", "--dump-dom", file_url(report, fragment)}, 60);
  EXPECT_EQ(r.code, 0) << r.err.substr(0, 2000);
  return r.out;
}

const std::string kMolArgs = "--eval-set " + fixture("max_of_list_torch.test.txt");
const std::string kC01Args =
    fixture("count01_tl.safetensors") + " --task count01 --eval-set " + fixture("count01_tl.test.txt");

// Each test makes its own report: ctest runs every test in a process of its
// own, so a shared fixture would be rebuilt (and Chromium relaunched) per test.
Analyzed analyze(const std::string& name, const std::string& args) {
  Analyzed a;
  a.args = args;
  a.dir = testing::temp_dir(name);
  auto r = run_cli("analyze " + args + " --out " + a.dir);
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("wrote report.html"), std::string::npos) << r.output;
  a.html = read_file(a.dir + "/report.html");
  return a;
}

// A Max-of-List run directory (so the model card has a training curve),
// trained briefly: 300 steps reach about 98% on the held-out set.
Analyzed analyze_max_of_list() {
  const std::string run = testing::temp_dir("report-browser-mol-run");
  auto t = run_cli("train --task max-of-list --steps 300 --eval-every 100 --eval-size 500 --quiet --out " + run);
  EXPECT_EQ(t.code, 0) << t.output;
  return analyze("report-browser-mol", run + " " + kMolArgs);
}

// Loads the report (with the #selftest hover) and keeps the DOM as an artifact.
void load(Analyzed& a, const std::string& chromium, const std::string& name) {
  a.dom = dump_dom(chromium, a.dir + "/report.html", "selftest");
  write_file_atomic(artifacts_dir() + "/" + name + ".dom.html", a.dom);
}

// A full-page screenshot, kept in the build directory as an artifact.
void screenshot(const Analyzed& a, const std::string& chromium, const std::string& name) {
  const std::string png = artifacts_dir() + "/report-" + name + ".png";
  fs::remove(png);
  const ChromiumResult r = run_chromium(chromium, {"--virtual-time-budget=10000", "--hide-scrollbars",
                                                   "--window-size=1400,4000", "--screenshot=" + png,
                                                   file_url(a.dir + "/report.html")},
                                        60);
  EXPECT_EQ(r.code, 0) << r.err.substr(0, 1000);
  ASSERT_TRUE(fs::exists(png)) << r.err.substr(0, 1000);
  EXPECT_EQ(read_file(png).substr(1, 3), "PNG");
  EXPECT_GT(fs::file_size(png), 50000u);  // a page of charts, not a blank one
}

// The opening tag of the element with this id, and everything up to the next
// element with an id of its kind (a section or a figure container).
std::string element(const std::string& dom, const std::string& id, const std::string& until) {
  const size_t a = dom.find("id=\"" + id + "\"");
  if (a == std::string::npos) return "";
  const size_t start = dom.rfind('<', a);
  size_t end = dom.find(until, a + id.size());
  return dom.substr(start, (end == std::string::npos ? dom.size() : end) - start);
}

std::string pre_text(const std::string& dom, const std::string& id) {
  const size_t a = dom.rfind("<pre id=\"" + id + "\"");
  if (a == std::string::npos) return "<no element " + id + ">";
  const size_t body = dom.find('>', a) + 1;
  return dom.substr(body, dom.find("</pre>", body) - body);
}

// `chartless`: sections drawn as text and tables only (a model card without a training log).
void expect_rendered(const Analyzed& a, const std::vector<std::string>& sections,
                     const std::vector<std::string>& chartless = {}) {
  ASSERT_FALSE(a.dom.empty());
  for (const auto& id : sections) {
    const std::string sec = element(a.dom, id, "<section ");
    ASSERT_FALSE(sec.empty()) << "section " << id << " missing";
    // Every chart container in it was drawn by Vega (an <svg> inside).
    size_t pos = 0, charts = 0;
    while ((pos = sec.find("class=\"vis", pos)) != std::string::npos) {
      const size_t tag_end = sec.find('>', pos);
      const std::string tag = sec.substr(pos, tag_end - pos);
      EXPECT_NE(tag.find("data-rendered=\"1\""), std::string::npos) << id << ": " << tag;
      const size_t next = sec.find("class=\"vis", tag_end);
      EXPECT_NE(sec.substr(tag_end, (next == std::string::npos ? sec.size() : next) - tag_end).find("<svg"),
                std::string::npos)
          << id << ": no <svg> in " << tag;
      pos = tag_end;
      ++charts;
    }
    if (std::find(chartless.begin(), chartless.end(), id) == chartless.end()) {
      EXPECT_GE(charts, 1u) << id << " has no chart";
    }
  }
  // page.js counted every chart container as drawn.
  auto attr = [&](const std::string& name) {
    const size_t p = a.dom.find(name + "=\"");
    return p == std::string::npos ? std::string("<none>") : a.dom.substr(p + name.size() + 2, a.dom.find('"', p + name.size() + 2) - p - name.size() - 2);
  };
  EXPECT_NE(attr("data-figures-total"), "<none>");
  EXPECT_EQ(attr("data-figures-rendered"), attr("data-figures-total"));
  // No console error, exception, CSP violation (= an attempted request) or Vega warning.
  EXPECT_EQ(pre_text(a.dom, "render-log"), "");
  EXPECT_EQ(pre_text(a.dom, "render-warnings"), "");
}

const std::vector<std::string> kAnalyzeSections = {"sec-model", "sec-attention", "sec-ablation", "sec-edge-scaling",
                                                   "sec-dla",   "sec-invariance", "sec-circuits"};
const std::vector<std::string> kPaperSections = {"sec-paper-heads", "sec-paper-w01", "sec-paper-correlation",
                                                 "sec-paper-isolated", "sec-paper-logit-dynamics"};
// What one Count01 model's analysis has data for (correlation and isolated vs
// joint are across models: reproduce's page).
const std::vector<std::string> kModelPaperSections = {"sec-paper-heads", "sec-paper-w01", "sec-paper-logit-dynamics"};

// Nothing on the page can come from outside the file: the CSP forbids every
// fetch (a violation would be in render-log), and no URL is in the page
// outside the inlined libraries' code.
void expect_offline(const Analyzed& a) {
  EXPECT_NE(a.html.find("content=\"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                        "img-src data:\""),
            std::string::npos);
  EXPECT_EQ(testing::urls_in(testing::without_inlined_libraries(a.html)), std::vector<std::string>{});
  EXPECT_LT(a.html.size(), 3u << 20) << "report.html should stay under 3 MB";
}

// The tooltip of the attention cell under the pointer names the query and key
// tokens and the weight to six decimals; the weight must be the model's, as
// `headcount inspect` (independent of the report) computes it.
void expect_hover_shows_tokens_and_weight(const Analyzed& a) {
  const std::string probe = pre_text(a.dom, "hover-probe");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(probe, m, std::regex("target=(\\w+)\\|(\\d+)\\|(\\d+)"))) << probe;
  const int head = std::stoi(m[1].str()), q = std::stoi(m[2].str()), k = std::stoi(m[3].str());
  auto r = run_cli("inspect " + a.args + " --index 0 --json");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output.substr(r.output.find('{')));
  ASSERT_EQ(j["query_position"].get<int>(), q);
  double w = -1;
  for (const auto& e : j["attention_patterns"])
    if (e["layer"] == 0 && e["head"] == head) w = e["weights"][k].get<double>();
  char weight[32];
  std::snprintf(weight, sizeof weight, "%.6f", w);
  const std::string qtok = j["tokens"][q].get<std::string>(), ktok = j["tokens"][k].get<std::string>();
  EXPECT_NE(probe.find("query token=" + qtok + "\n"), std::string::npos) << probe;
  EXPECT_NE(probe.find("key token=" + ktok + "\n"), std::string::npos) << probe;
  EXPECT_NE(probe.find("key position=" + std::to_string(k) + "\n"), std::string::npos) << probe;
  EXPECT_NE(probe.find("weight=" + std::string(weight)), std::string::npos) << probe << " expected " << weight;
  EXPECT_GT(w, 0.0);
}

// The texts of a figure's SVG <text> elements of one Vega role (e.g.
// "axis-label", "legend-label"), with their translate(x,y) positions.
struct SvgText {
  double x = 0, y = 0;
  std::string text;
};
std::vector<SvgText> svg_texts(const std::string& fig, const std::string& role) {
  std::vector<SvgText> out;
  const std::string group = "role-" + role + "\"";
  for (size_t g = fig.find(group); g != std::string::npos; g = fig.find(group, g + 1)) {
    const size_t end = fig.find("</g>", g);
    const std::string body = fig.substr(g, end - g);
    static const std::regex text(R"re(<text[^>]*transform="translate\(([-0-9.e]+),([-0-9.e]+)\)"[^>]*>([^<]*)</text>)re");
    for (std::sregex_iterator it(body.begin(), body.end(), text), e; it != e; ++it)
      out.push_back({std::stod((*it)[1].str()), std::stod((*it)[2].str()), (*it)[3].str()});
  }
  return out;
}

// No two labels on one line overlap, at a generous 6.5 px per character of
// Vega's 10 px sans-serif labels (centred: half a label on each side).
void expect_labels_apart(const std::vector<SvgText>& labels, const std::string& what) {
  for (size_t i = 0; i < labels.size(); ++i)
    for (size_t j = i + 1; j < labels.size(); ++j) {
      if (std::abs(labels[i].y - labels[j].y) > 1) continue;
      const double need = 6.5 * double(labels[i].text.size() + labels[j].text.size()) / 2;
      EXPECT_GE(std::abs(labels[i].x - labels[j].x), need)
          << what << ": labels '" << labels[i].text << "' and '" << labels[j].text << "' overlap";
    }
}

// The width attribute of the first <svg> in a figure.
double svg_width(const std::string& fig) {
  std::smatch m;
  if (!std::regex_search(fig, m, std::regex("<svg[^>]*width=\"([0-9.]+)\""))) return -1;
  return std::stod(m[1].str());
}

TEST(ReportBrowser, MaxOfListAnalyzeReportRendersEverySectionOfflineWithExactHoverValues) {
  const std::string chromium = chromium_or_fail();
  ASSERT_FALSE(chromium.empty());
  Analyzed a = analyze_max_of_list();
  load(a, chromium, "report-browser-mol");
  expect_rendered(a, kAnalyzeSections);
  EXPECT_NE(element(a.dom, "fig-train-loss", "</figure>").find("<svg"), std::string::npos);
  EXPECT_EQ(a.dom.find("id=\"sec-paper-"), std::string::npos);  // no paper data for Max-of-List
  const auto dla_labels = svg_texts(element(a.dom, "fig-dla", "</figure>"), "axis-label");
  ASSERT_GE(dla_labels.size(), 2u);
  expect_labels_apart(dla_labels, "fig-dla");
  // One colour legend per head in the OV figure: each head has its own scale.
  const std::string ov = element(a.dom, "fig-ov", "</figure>");
  size_t legends = 0;
  for (size_t p = ov.find("role-legend\""); p != std::string::npos; p = ov.find("role-legend\"", p + 1)) ++legends;
  EXPECT_EQ(legends, 4u);
  expect_offline(a);
  expect_hover_shows_tokens_and_weight(a);
  screenshot(a, chromium, "max-of-list");
}

TEST(ReportBrowser, Count01AnalyzeReportRendersEverySectionOfflineWithExactHoverValues) {
  const std::string chromium = chromium_or_fail();
  ASSERT_FALSE(chromium.empty());
  Analyzed a = analyze("report-browser-count01", kC01Args);
  // analyze's own per-head table: 16 heads.
  const std::string heads = read_file(a.dir + "/heads.csv");
  EXPECT_EQ(std::count(heads.begin(), heads.end(), '\n'), 17);
  EXPECT_NE(read_file(a.dir + "/logit_dynamics.csv").find("answer"), std::string::npos);
  load(a, chromium, "report-browser-count01");
  std::vector<std::string> all = kAnalyzeSections;
  all.insert(all.end(), kModelPaperSections.begin(), kModelPaperSections.end());
  expect_rendered(a, all, {"sec-model"});  // a weights file: no training curve
  EXPECT_NE(a.dom.find("No training curve"), std::string::npos);
  // The 16-head ablation bars fit a 1400 px window (the page is 1300 px wide, padded 24 px).
  const double bars = svg_width(element(a.dom, "fig-ablation-single", "</figure>"));
  EXPECT_GT(bars, 300);
  EXPECT_LE(bars, 1252);
  // The pair heatmap's colour scale spans the pairs' accuracies, not 0-100%.
  double lo = 1;
  for (const char* mode : {"zero", "mean"}) {
    const std::string csv = read_file(a.dir + "/ablation_" + std::string(mode) + "_pairs.csv");
    std::istringstream in(csv);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) lo = std::min(lo, std::stod(line.substr(line.find("\",") + 2)));
  }
  const auto legend = svg_texts(element(a.dom, "fig-ablation-pairs", "</figure>"), "legend-label");
  ASSERT_FALSE(legend.empty());
  for (const auto& l : legend) {
    EXPECT_GE(std::stod(l.text), 100 * lo - 0.01) << "legend label " << l.text << " below the lowest pair " << lo;
    EXPECT_LE(std::stod(l.text), 100.0) << l.text;
  }
  // 16 per-head OV scales; PAD in neither circuit figure.
  const std::string ov = element(a.dom, "fig-ov", "</figure>");
  size_t legends = 0;
  for (size_t p = ov.find("role-legend\""); p != std::string::npos; p = ov.find("role-legend\"", p + 1)) ++legends;
  EXPECT_EQ(legends, 16u);
  EXPECT_EQ(ov.find(">PAD<"), std::string::npos);
  EXPECT_EQ(element(a.dom, "fig-qk", "</figure>").find(">PAD<"), std::string::npos);
  expect_offline(a);
  expect_hover_shows_tokens_and_weight(a);
  screenshot(a, chromium, "count01");
}

// A two-layer model (the PyTorch-trained count-unique fixture): the circuit
// sections (issue 15) render offline with every figure drawn and no Vega warning.
TEST(ReportBrowser, TwoLayerAnalyzeReportRendersTheCircuitSections) {
  const std::string chromium = chromium_or_fail();
  ASSERT_FALSE(chromium.empty());
  Analyzed a = analyze("report-browser-two-layer", fixture("puzzle2/unique/model.pt") + " --eval-set " +
                                                       fixture("puzzle2/unique/eval.txt") + " --n 300");
  load(a, chromium, "report-browser-two-layer");
  expect_rendered(a, {"sec-composition", "sec-act-patching", "sec-path-patching", "sec-subset-ablation",
                      "sec-logit-lens"},
                  {"sec-model", "sec-subset-ablation", "sec-logit-lens"});
  expect_offline(a);
}

// A run stopped at its first evaluation: the curve still gets an axis from 0
// past the step (it was one dot on an axis labelled "250.000000").
TEST(ReportBrowser, TrainingCurveWithOneEvaluationHasARealAxis) {
  const std::string chromium = chromium_or_fail();
  ASSERT_FALSE(chromium.empty());
  const std::string run = testing::temp_dir("report-browser-one-eval-run");
  auto t = run_cli("train --task count01 --d-model 8 --heads 2 --steps 250 --eval-every 250 --eval-size 200 --quiet --out " + run);
  ASSERT_EQ(t.code, 0) << t.output;
  Analyzed a = analyze("report-browser-one-eval", run + " --n 200 --only dla");
  load(a, chromium, "report-browser-one-eval");
  for (const char* fig : {"fig-train-loss", "fig-train-accuracy"}) {
    const auto labels = svg_texts(element(a.dom, fig, "</figure>"), "axis-label");
    // Ticks 0, 20, ..., past 250 (the domain is made nice), all whole steps.
    std::set<std::string> texts;
    int whole_ticks = 0;
    double top = 0;
    for (const auto& l : labels) {
      EXPECT_EQ(l.text.find(".000"), std::string::npos) << fig << ": tick label " << l.text;
      texts.insert(l.text);
      if (!l.text.empty() && l.text.find_first_not_of("0123456789") == std::string::npos) {
        ++whole_ticks;
        top = std::max(top, std::stod(l.text));
      }
    }
    EXPECT_TRUE(texts.count("0")) << fig;
    EXPECT_GE(top, 250) << fig;
    EXPECT_GE(whole_ticks, 4) << fig;
  }
}

// reproduce's top-level page, from tables in reproduce's columns (several
// models and checkpoints), through the function reproduce calls.
TEST(ReportBrowser, ReproduceReportRendersThePaperFiguresOffline) {
  const std::string chromium = chromium_or_fail();
  ASSERT_FALSE(chromium.empty());
  Analyzed a;
  a.dir = testing::temp_dir("report-browser-reproduce");
  testing::write_reproduce_tables(a.dir);
  const ReportResult r = testing::reproduce_report_from_dir(a.dir);
  std::vector<std::string> want = kPaperSections;
  want.pop_back();  // reproduce writes no logit_dynamics.csv (each model's analysis does)
  EXPECT_EQ(r.sections, want);
  a.html = read_file(r.path);
  load(a, chromium, "report-browser-reproduce");
  expect_rendered(a, want);
  EXPECT_NE(a.dom.find("href=\"max_of_list/analysis/report.html\""), std::string::npos);
  expect_offline(a);
}

// reproduce's own sections (the correlation over final models, the
// conditions map) from tables in reproduce's columns: they render with no
// console error or Vega warning.
TEST(ReportBrowser, ReproduceConditionsMapAndFinalCorrelationRender) {
  const std::string chromium = chromium_or_fail();
  ASSERT_FALSE(chromium.empty());
  Analyzed a;
  a.dir = testing::temp_dir("report-browser-reproduce-conditions");
  testing::write_reproduce_tables(a.dir);
  write_file_atomic(a.dir + "/correlation_final.csv",
                    "model,group,d_model,n_heads,steps,weighted_s_acc,accuracy,accuracy_45\n"
                    "m1,main,32,16,1000,0.9,1,1\nq1,quality,16,8,30,0.6,0.55,0.7\nq2,quality,8,4,60,0.7,0.8,0.85\n");
  std::string c = "cell,recipe,n_models,mean_steps";
  for (const char* k : {"failed_fraction", "failed_fraction_std", "median_w02_successful", "share_w02_gt_10",
                        "median_w01_successful", "accuracy"})
    for (const char* x : {"", "_lo", "_hi"}) c += std::string(",") + k + x;
  c += ",about_half,w02_gt_10\n";
  c += "base,\"the study's recipe\",8,1000,0.55,0.41,0.64,0.52,0.39,0.62,18.4,8.1,44.4,0.64,0.45,0.82,1.25,0.79,1.4,1,1,1,"
       "reproduced,reproduced\n";
  c += "init-0.14,--init-std 0.1414,8,1000,0.16,0.09,0.23,0.12,0.06,0.18,3.9,2.6,7.2,0.29,0.15,0.43,1.01,0.96,1.06,1,1,1,"
       "contradicted,contradicted\n";
  write_file_atomic(a.dir + "/conditions.csv", c);
  write_file_atomic(a.dir + "/summary.json",
                    R"({"correlation": {"final_models": {"estimate": 0.8, "ci_low": 0.7, "ci_high": 0.9, "n": 3},
                        "final_models_acc45": {"estimate": 0.85, "ci_low": 0.7, "ci_high": 0.95, "n": 3},
                        "checkpoints": {"estimate": 0.7, "ci_low": 0.6, "ci_high": 0.8, "n": 3}}})");
  const ReportResult r = testing::reproduce_report_from_dir(a.dir);
  std::vector<std::string> want = kPaperSections;
  want.pop_back();
  want.push_back("sec-repro-final-correlation");
  want.push_back("sec-repro-conditions");
  EXPECT_EQ(r.sections, want);
  a.html = read_file(r.path);
  load(a, chromium, "report-browser-reproduce-conditions");
  expect_rendered(a, want);
  expect_offline(a);
}

// One screenshot per section (the page with #only=<section>) for docs/img/:
// the analyze sections from the Max-of-List run, the paper ones from the
// Count01 run. Twelve browser launches, so only when asked for:
// HEADCOUNT_REPORT_SCREENSHOTS=DIR (scripts/report-screenshots.sh sets it).
TEST(ReportBrowser, SectionScreenshotsForTheDocs) {
  const char* out = std::getenv("HEADCOUNT_REPORT_SCREENSHOTS");
  if (!out || !*out) GTEST_SKIP() << "set HEADCOUNT_REPORT_SCREENSHOTS=DIR to write one screenshot per section";
  const std::string chromium = chromium_or_fail();
  ASSERT_FALSE(chromium.empty());
  const Analyzed mol = analyze_max_of_list();
  const Analyzed c01 = analyze("report-browser-count01", kC01Args);
  const fs::path dir(out);
  fs::create_directories(dir);
  std::vector<std::pair<const Analyzed*, std::string>> shots;
  for (const auto& id : kAnalyzeSections) shots.push_back({&mol, id});
  for (const auto& id : kModelPaperSections) shots.push_back({&c01, id});
  for (const auto& [a, id] : shots) {
    const std::string png = (dir / (id + ".png")).string();
    fs::remove(png);
    const std::string height = id == "sec-circuits" ? "1250" : id == "sec-model" ? "1180" : id == "sec-ablation" ? "1000" : "760";
    const ChromiumResult r = run_chromium(chromium, {"--virtual-time-budget=10000", "--hide-scrollbars",
                                                     "--window-size=1100," + height, "--screenshot=" + png,
                                                     file_url(a->dir + "/report.html", "only=" + id)},
                                          60);
    EXPECT_EQ(r.code, 0) << r.err.substr(0, 1000);
    ASSERT_TRUE(fs::exists(png)) << png;
    EXPECT_EQ(read_file(png).substr(1, 3), "PNG") << png;
    EXPECT_GT(fs::file_size(png), 20000u) << png << " looks blank";
  }
}

// analyze --png: every figure as a PNG file beside the report.
TEST(ReportPng, AnalyzeExportsEachFigure) {
  ASSERT_FALSE(find_chromium().empty()) << "no Chromium: run scripts/setup.sh";
  const std::string dir = testing::temp_dir("report-png");
  auto r = run_cli("analyze " + fixture("max_of_list_torch.safetensors") + " --task max-of-list --n 500 --only dla,attention --png --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("PNG figures in png/"), std::string::npos) << r.output;
  for (const char* fig : {"fig-attention", "fig-dla", "fig-dla-by-answer"}) {
    const std::string png = dir + "/png/" + fig + ".png";
    ASSERT_TRUE(fs::exists(png)) << png;
    EXPECT_EQ(read_file(png).substr(1, 3), "PNG");
  }
  EXPECT_NE(read_file(dir + "/report.html").find("id=\"png-note\""), std::string::npos);
  auto both = run_cli("analyze " + fixture("max_of_list_torch.safetensors") + " --task max-of-list --png --no-report");
  EXPECT_NE(both.code, 0);
  EXPECT_NE(both.output.find("excludes"), std::string::npos) << both.output;
}

}  // namespace report_browser_test
}  // namespace hc
