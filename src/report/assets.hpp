#pragma once
// What every report.html inlines: Vega, Vega-Lite and Vega-Embed (minified,
// from report/node_modules, installed by scripts/setup.sh) and the report's own
// page script and style sheet (src/report/page.js, page.css). The build
// compiles them into the library as byte arrays (cmake/embed_report_assets.cmake),
// so the binary writes self-contained reports with no files beside it.
#include <string_view>
#include <vector>

namespace hc {

struct ReportAsset {
  std::string_view name;     // "vega", "vega-lite", "vega-embed", "page.js", "page.css"
  std::string_view version;  // the npm package's version; the project's for page.js and page.css
  std::string_view text;
};

// In the order the page loads them. Defined in the generated report_assets.cpp.
const std::vector<ReportAsset>& report_assets();

// One asset by name; throws hc::Error for an unknown name.
const ReportAsset& report_asset(std::string_view name);

}  // namespace hc
