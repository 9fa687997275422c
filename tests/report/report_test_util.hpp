#pragma once
// Shared by the report tests: synthetic Count01 paper tables (the columns
// docs/REPORT.md promises), and what a page holds outside its inlined libraries.
#include <algorithm>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "core/atomic_file.hpp"
#include "report/csv.hpp"
#include "report/report.hpp"

namespace hc::testing {

// heads, w01_intervention, correlation (+ summary.json's correlation),
// isolated_vs_joint and logit_dynamics, small and hand-made.
inline void write_paper_tables(const std::string& dir, bool with_summary = true) {
  write_file_atomic(dir + "/heads.csv",
                    "head,s_acc,l_acc,auc,w01,w02,mean_score,success,failure\n"
                    "0,0.99,0.98,0.999,1.1,35,0.4,true,\n"
                    "1,0.62,0.55,0.7,0.002,40,0.1,false,w01 too extreme\n"
                    "2,0.97,0.6,0.99,0.8,14,-0.2,true,\n"
                    "3,0.71,0.7,0.8,1.3,1.5,0.05,false,w02 too small\n");
  std::string w = "head,w01,s_acc\n";
  for (int h = 0; h < 2; ++h)
    for (double x : {0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0})
      w += std::to_string(h) + "," + std::to_string(x) + "," + (x >= 0.1 && x <= 10 ? "0.97" : "0.6") + "\n";
  write_file_atomic(dir + "/w01_intervention.csv", w);
  write_file_atomic(dir + "/correlation.csv",
                    "model,weighted_s_acc,accuracy\nm1,0.6,0.7\nm2,0.7,0.75\nm3,0.8,0.8\nm4,0.9,0.85\nm5,0.95,0.875\n"
                    "m6,0.99,0.895\n");
  write_file_atomic(dir + "/isolated_vs_joint.csv",
                    "group,model,head,s_acc,l_acc,auc,success\n"
                    "isolated,iso1,0,0.99,0.97,0.999,true\nisolated,iso2,0,0.96,0.9,0.99,true\n"
                    "isolated,iso3,0,0.9,0.85,0.95,false\njoint,j1,0,0.97,0.8,0.99,true\n"
                    "joint,j1,1,0.7,0.6,0.8,false\njoint,j1,2,0.93,0.9,0.97,false\n");
  std::string l = "head,position,token,contribution\n";
  const double c[2][3][3] = {{{1.0, 2.5, -1.0}, {0.5, 3.0, 0.2}, {0.1, -0.4, 2.0}},
                             {{0.2, 0.1, 4.0}, {-0.3, 0.6, 3.5}, {0.4, 0.2, 1.0}}};
  const char* pos[2] = {"eq", "answer"};
  const char* tok[3] = {"4", "5", "EOS"};
  for (int p = 0; p < 2; ++p)
    for (int h = 0; h < 3; ++h)
      for (int t = 0; t < 3; ++t)
        l += std::to_string(h) + "," + pos[p] + "," + tok[t] + "," + std::to_string(c[p][h][t]) + "\n";
  write_file_atomic(dir + "/logit_dynamics.csv", l);
  if (with_summary)
    write_file_atomic(dir + "/summary.json",
                      R"({"correlation": {"n": 6, "r": 0.72, "ci_low": 0.41, "ci_high": 0.88}})");
}

// The tables `headcount reproduce` writes at its top level, in its columns
// (several models, a row per training checkpoint, success as 1/0), small and
// hand-made, with summary.json's correlation and a max_of_list/analysis/
// report.html for the page to link.
inline void write_reproduce_tables(const std::string& dir) {
  std::string h = "model,group,d_model,n_heads,d_head,seed,step,head,s_acc,l_acc,auc,w01,w02,mean_score,success,failure\n";
  // m1 at steps 10 and 100, m2 at 100: the heads figure draws the 6 heads at step 100.
  h += "m1,main,32,3,2,1,10,0,0.6,0.5,0.6,0.01,2,0.1,0,w01 too extreme\n";
  h += "m1,main,32,3,2,1,10,1,0.6,0.5,0.6,0.02,2,0.1,0,w01 too extreme\n";
  h += "m1,main,32,3,2,1,10,2,0.6,0.5,0.6,0.03,2,0.1,0,w01 too extreme\n";
  h += "m1,main,32,3,2,1,100,0,0.99,0.97,0.999,1.2,30,0.4,1,\n";
  h += "m1,main,32,3,2,1,100,1,0.7,0.6,0.8,0.004,25,0.1,0,w01 too extreme\n";
  h += "m1,main,32,3,2,1,100,2,0.96,0.6,0.99,0.9,12,-0.2,1,\n";
  h += "m2,main,32,3,2,2,100,0,0.97,0.95,0.99,1.1,40,0.3,1,\n";
  h += "m2,main,32,3,2,2,100,1,0.8,0.8,0.9,1.4,1.8,0.1,0,w02 too small\n";
  h += "m2,main,32,3,2,2,100,2,0.98,0.9,0.99,0.7,18,0.2,1,\n";
  write_file_atomic(dir + "/heads.csv", h);
  std::string w = "model,head,success,w01,s_acc\n";
  for (int hd = 0; hd < 3; ++hd)
    for (double x : {0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0})
      w += "m1," + std::to_string(hd) + "," + (hd == 1 ? "0" : "1") + "," + std::to_string(x) + "," +
           (x >= 0.1 && x <= 10 ? "0.97" : "0.6") + "\n";
  write_file_atomic(dir + "/w01_intervention.csv", w);
  write_file_atomic(dir + "/correlation.csv",
                    "model,group,d_model,n_heads,d_head,seed,step,weighted_s_acc,accuracy,eos_accuracy,n_successful\n"
                    "m1,main,32,3,2,1,10,0.6,0.7,0.9,0\nm1,main,32,3,2,1,100,0.9,0.95,1,2\n"
                    "m2,main,32,3,2,2,100,0.95,0.97,1,2\ng1,grid,16,8,2,1,100,0.8,0.85,1,3\n");
  write_file_atomic(dir + "/isolated_vs_joint.csv",
                    "group,model,head,s_acc,l_acc,auc,success\n"
                    "isolated,iso1,0,0.99,0.97,0.999,1\nisolated,iso2,0,0.96,0.9,0.99,1\n"
                    "joint,m1,0,0.99,0.97,0.999,1\njoint,m1,1,0.7,0.6,0.8,0\njoint,m1,2,0.96,0.6,0.99,1\n");
  write_file_atomic(dir + "/tiny_training.csv", "d_model,seed,accuracy\n1,0,0.5\n");
  write_file_atomic(dir + "/summary.json", R"({"correlation": {"n": 4, "r": 0.99, "ci_low": 0.9, "ci_high": 1.0}})");
  std::filesystem::create_directories(dir + "/max_of_list/analysis");
  write_file_atomic(dir + "/max_of_list/analysis/report.html", "<!doctype html><title>linked</title>\n");
}

// The page without the text of the three inlined libraries (whose code holds
// URLs such as the SVG namespace); page.js, page.css and the data stay.
inline std::string without_inlined_libraries(const std::string& html) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t a = html.find("<script>/* vega", pos);
    if (a == std::string::npos) break;
    const size_t b = html.find("</script>", a);
    out += html.substr(pos, a - pos);
    pos = b + 9;
  }
  return out + html.substr(pos);
}

inline std::vector<std::string> urls_in(const std::string& text) {
  std::vector<std::string> out;
  static const std::regex url(R"(https?://[^\s"'<>)]+)", std::regex::icase);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), url); it != std::sregex_iterator(); ++it)
    out.push_back(it->str());
  return out;
}

// The report reads in-memory tables (ReportInputs::tables). For tests that
// make tables as CSV text: `in` with every DIR/*.csv as a table (cells kept as
// the strings they are, so the page sees exactly the file's cells) and
// DIR/summary.json as its summary when present.
inline ReportInputs with_dir_tables(const std::string& dir, ReportInputs in) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".csv") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    const CsvTable c = parse_csv(read_file(f.string()), f.string());
    Table t;
    t.name = f.stem().string();
    t.columns = c.columns;
    for (const auto& r : c.rows) t.rows.push_back(std::vector<nlohmann::json>(r.begin(), r.end()));
    in.tables.push_back(std::move(t));
  }
  const auto summary = std::filesystem::path(dir) / "summary.json";
  if (std::filesystem::exists(summary)) in.summary = nlohmann::json::parse(read_file(summary.string()));
  return in;
}

// reproduce's top-level page from tables written as CSV into dir.
inline ReportResult reproduce_report_from_dir(const std::string& dir) {
  const ReportInputs in = with_dir_tables(dir, ReportInputs{});
  return write_reproduce_report(dir, in.tables, in.summary);
}

}  // namespace hc::testing
