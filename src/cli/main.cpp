// headcount: train tiny attention-only transformers on counting tasks and take
// their heads apart. Each subcommand lives in its own file.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/common.hpp"
#include "core/error.hpp"

int main(int argc, char** argv) {
  CLI::App app{"headcount: train tiny attention-only transformers and take their heads apart"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "headcount 0.1.0");
  hc::cli::register_train(app);
  hc::cli::register_eval(app);
  hc::cli::register_inspect(app);
  hc::cli::register_import(app);
  hc::cli::register_data(app);
  hc::cli::register_sweep(app);
  hc::cli::register_analyze(app);
  hc::cli::register_reproduce(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const hc::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
