// The report without a browser: the CSV reader, which sections appear for
// which tables, the page's offline guarantees (CSP, no URL outside the inlined
// libraries, no "</script" in data), and clear errors on bad tables.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <functional>

#include "../cli/cli_util.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "report/assets.hpp"
#include "report/csv.hpp"
#include "report/report.hpp"
#include "report/sections.hpp"
#include "report_test_util.hpp"

namespace hc {
namespace report_report_test {  // this file's own names (unity builds batch test files)
namespace fs = std::filesystem;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ReportCsv, ReadsQuotedCellsNumbersAndBooleans) {
  const CsvTable t = parse_csv("ablated,accuracy,ok\n\"0,1\",0.5,true\n3,nan,false\n", "x.csv");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0][0], "0,1");
  const auto r = t.records();
  EXPECT_EQ(r[0]["ablated"], "0,1");
  EXPECT_EQ(r[0]["accuracy"], 0.5);
  EXPECT_EQ(r[0]["ok"], true);
  EXPECT_EQ(r[1]["ablated"], 3);
  EXPECT_TRUE(r[1]["accuracy"].is_null());
}

TEST(ReportCsv, RaggedRowsAndMissingColumnsNameTheFileAndTheFix) {
  const std::string e = error_of([] { parse_csv("a,b\n1,2\n1,2,3\n", "dir/heads.csv"); });
  EXPECT_NE(e.find("dir/heads.csv line 3 has 3 cells but the header has 2"), std::string::npos) << e;
  const std::string q = error_of([] { parse_csv("a,b\n\"1,2\n", "t.csv"); });
  EXPECT_NE(q.find("t.csv line 2: a quoted cell is never closed"), std::string::npos) << q;
  const CsvTable t = parse_csv("head,s_acc\n0,0.9\n", "out/heads.csv");
  const std::string m = error_of([&] { t.require({"head", "s_acc", "w01"}); });
  EXPECT_NE(m.find("out/heads.csv has no column w01"), std::string::npos) << m;
  EXPECT_NE(m.find("delete the file to leave its section out"), std::string::npos) << m;
}

TEST(ReportAssets, TheThreeLibrariesAndThePageAreCompiledIn) {
  for (const char* name : {"vega", "vega-lite", "vega-embed", "page.js", "page.css"}) {
    const ReportAsset& a = report_asset(name);
    EXPECT_GT(a.text.size(), 1000u) << name;
    EXPECT_FALSE(a.version.empty()) << name;
  }
  EXPECT_NE(report_asset("vega-embed").text.find("vegaEmbed"), std::string::npos);
  EXPECT_THROW(report_asset("d3"), Error);
}

TEST(Report, PaperSectionsAppearExactlyWhenTheirTablesExist) {
  const std::string dir = testing::temp_dir("report-paper");
  ReportInputs in;
  in.title = "synthetic";
  ReportResult none;
  render_report(dir, testing::with_dir_tables(dir, in), "", &none);
  EXPECT_TRUE(none.sections.empty());

  testing::write_paper_tables(dir);
  ReportResult r;
  const std::string html = render_report(dir, testing::with_dir_tables(dir, in), "", &r);
  const std::vector<std::string> want = {"sec-paper-heads", "sec-paper-w01", "sec-paper-correlation",
                                         "sec-paper-isolated", "sec-paper-logit-dynamics"};
  EXPECT_EQ(r.sections, want);
  for (const auto& id : want) EXPECT_NE(html.find("<section id=\"" + id + "\">"), std::string::npos) << id;
  // r from summary.json when it is there, in the figure's title.
  EXPECT_NE(html.find("r = 0.72, 95% CI [0.41, 0.88], n = 6"), std::string::npos);
  // Without it, Pearson's r of the table itself (the synthetic one is exactly linear).
  fs::remove(dir + "/summary.json");
  EXPECT_NE(render_report(dir, testing::with_dir_tables(dir, in)).find("r = 1.00, n = 6"), std::string::npos);
}

// reproduce's tables: every model's last checkpoint only in the heads figure,
// one line per (model, head) coloured by outcome, the groups in the scatter.
TEST(Report, ReproduceTablesDrawTrainedHeadsAndOneLinePerModelHead) {
  const std::string dir = testing::temp_dir("report-reproduce-tables");
  testing::write_reproduce_tables(dir);
  ReportInputs in;
  const ReportContent c = build_sections(testing::with_dir_tables(dir, in));
  const auto& heads = c.figures["fig-paper-heads"]["data"]["values"];
  ASSERT_EQ(heads.size(), 6u);
  for (const auto& v : heads) EXPECT_EQ(v["step"], 100) << v.dump();
  std::string heads_text;
  for (const auto& s : c.sections)
    if (s.id == "sec-paper-heads") heads_text = s.html;
  EXPECT_NE(heads_text.find("4 of 6 heads are successful (2 models, each at its last checkpoint)"), std::string::npos)
      << heads_text;
  const auto& w01 = c.figures["fig-paper-w01"]["layer"][1];
  EXPECT_EQ(w01["encoding"]["color"]["field"], "outcome");
  EXPECT_EQ(w01["encoding"]["detail"]["field"], "head");
  EXPECT_EQ(w01["data"]["values"][0]["outcome"], "successful");
  EXPECT_EQ(c.figures["fig-paper-correlation"]["layer"][0]["encoding"]["color"]["field"], "group");
  const ReportResult r = testing::reproduce_report_from_dir(dir);
  EXPECT_NE(read_file(r.path).find("<a href=\"max_of_list/analysis/report.html\">Max-of-List head study</a>"),
            std::string::npos);
  EXPECT_EQ(read_file(r.path).find("count01_main/analysis/report.html"), std::string::npos);  // not there: no link
}

// analyze's logit_dynamics.csv (the per-head metrics branch): parts per answer
// class, the model's logit as part "logit". The stack draws the "all" rows, the
// tick is the model's logit, not the sum of what is drawn.
TEST(Report, LogitDynamicsTicksAreTheModelsLogitWhenTheTableHasIt) {
  const std::string dir = testing::temp_dir("report-logit-dynamics");
  std::string t = "head,position,answer,token,contribution\n";
  for (const char* pos : {"eq", "answer"})
    for (const char* cls : {"4", "all"})
      for (const char* tok : {"4", "5", "EOS"}) {
        for (const char* part : {"embed", "0", "1", "bias"}) t += std::string(part) + "," + pos + "," + cls + "," + tok + ",1\n";
        t += std::string("logit,") + pos + "," + cls + "," + tok + ",7.5\n";
      }
  write_file_atomic(dir + "/logit_dynamics.csv", t);
  const ReportContent c = build_sections(testing::with_dir_tables(dir, ReportInputs{}));
  const auto& data = c.figures["fig-paper-logit-dynamics"]["data"]["values"];
  int parts = 0, ticks = 0;
  for (const auto& v : data) {
    if (v["head"].is_null()) {
      ++ticks;
      EXPECT_EQ(v["total"], 7.5);
    } else {
      ++parts;
    }
  }
  EXPECT_EQ(parts, 2 * 3 * 4);  // two positions, three tokens, four parts, answer class "all" only
  EXPECT_EQ(ticks, 2 * 3);
  EXPECT_EQ(data[1]["head"], "head 0");
}

TEST(Report, ThePageCannotReachTheNetwork) {
  const std::string dir = testing::temp_dir("report-offline");
  testing::write_paper_tables(dir);
  // A table cell that tries to end the data block and load a script.
  write_file_atomic(dir + "/correlation.csv",
                    "model,weighted_s_acc,accuracy\n\"</script><script src=https://evil.example/x.js>\",0.5,0.5\n"
                    "b,0.6,0.7\n");
  ReportInputs in;
  in.title = "offline";
  const std::string html = render_report(dir, testing::with_dir_tables(dir, in));
  EXPECT_NE(html.find("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src "
                      "'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">"),
            std::string::npos);
  EXPECT_EQ(html.find("</script><script src="), std::string::npos);
  const std::string outside = testing::without_inlined_libraries(html);
  EXPECT_LT(outside.size(), html.size() / 2);  // the libraries are most of the page
  // The only URL outside the libraries is the hostile cell, escaped inside the JSON data.
  EXPECT_EQ(testing::urls_in(outside), std::vector<std::string>{"https://evil.example/x.js"});
  EXPECT_NE(outside.find("\\u003c/script>\\u003cscript src=https://evil.example/x.js>"), std::string::npos);
  write_file_atomic(dir + "/correlation.csv", "model,weighted_s_acc,accuracy\na,0.5,0.5\nb,0.6,0.7\n");
  EXPECT_TRUE(testing::urls_in(testing::without_inlined_libraries(render_report(dir, testing::with_dir_tables(dir, in)))).empty());
}

TEST(Report, BadTablesGetClearErrors) {
  const std::string dir = testing::temp_dir("report-bad");
  write_file_atomic(dir + "/heads.csv", "head,s_acc\n0,0.9\n");
  ReportInputs in;
  const std::string e = error_of([&] { render_report(dir, testing::with_dir_tables(dir, in)); });
  EXPECT_NE(e.find("heads.csv has no column w01, w02, success"), std::string::npos) << e;
}

TEST(Report, WriteReportWritesTheFileAtomicallyAndSaysWhenPngIsImpossible) {
  const std::string dir = testing::temp_dir("report-write");
  testing::write_paper_tables(dir);
  ReportInputs in;
  in.png = true;
  const std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  unsetenv("HEADCOUNT_CHROMIUM");
  setenv("PATH", "/nonexistent", 1);  // no Chromium to be found
  const ReportResult r = write_report(dir, testing::with_dir_tables(dir, in));
  setenv("PATH", old_path.c_str(), 1);
  EXPECT_EQ(r.path, dir + "/report.html");
  EXPECT_EQ(fs::file_size(r.path), r.bytes);
  EXPECT_TRUE(r.pngs.empty());
  EXPECT_NE(read_file(r.path).find("no Chromium was found, so no PNG was written"), std::string::npos);
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
}

}  // namespace
}  // namespace hc
