#!/usr/bin/env bash
# Regenerates docs/img/report/: one screenshot per report.html section, taken
# by the browser test (ReportBrowser.SectionScreenshotsForTheDocs) in headless
# Chromium from reports the test suite makes. Run after changing the report's
# look; needs a build (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/headcount_e2e_tests ] || { echo "report-screenshots: build/headcount_e2e_tests is missing: run scripts/setup.sh first" >&2; exit 1; }
mkdir -p docs/img/report
HEADCOUNT_REPORT_SCREENSHOTS="$PWD/docs/img/report" \
  build/headcount_e2e_tests --gtest_filter=ReportBrowser.SectionScreenshotsForTheDocs
ls -l docs/img/report
