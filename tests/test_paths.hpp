#pragma once
// Where the source tree and the headcount binary are. The paths are defined in
// one small generated file per build (CMakeLists.txt), not as compile
// definitions on every test, so a test compiles to the same object in every
// checkout and ccache can share it.
namespace hc::testing {
const char* source_dir();
const char* cli_path();
}  // namespace hc::testing

#define HC_SOURCE_DIR ::hc::testing::source_dir()
#define HC_CLI_PATH ::hc::testing::cli_path()
