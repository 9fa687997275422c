// The task registry: a task registered with one call is found by make_task,
// named in the unknown-task message, and its options become flags and sweep
// options without any other edit. Registration happens in a forked child so
// that other tests see only the built-in tasks.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "core/error.hpp"
#include "sweep/spec.hpp"
#include "tasks/registry.hpp"
#include "train/options.hpp"

namespace hc {
namespace tasks_registry_test {  // this file's own names (unity builds batch test files)
// A toy task: "A x EOS" where x copies A. Enough of a Task to be built.
class EchoTask final : public Task {
 public:
  explicit EchoTask(const TaskConfig& c) : cfg_(c) {}
  std::string name() const override { return "echo"; }
  const TaskConfig& config() const override { return cfg_; }
  int vocab_size() const override { return 2; }
  int n_ctx() const override { return 2; }
  const std::vector<std::string>& vocab() const override { return vocab_; }
  Example sample(Rng&, Split) const override { return {{0, 0, 1}, {0, 1}, 0, 0}; }
  Split split_of(const Example&) const override { return Split::Train; }
  std::string format(const Example&) const override { return "A A EOS"; }
  Example parse(std::string_view, int) const override { return {{0, 0, 1}, {0, 1}, 0, 0}; }

 private:
  TaskConfig cfg_;
  std::vector<std::string> vocab_ = {"A", "EOS"};
};

#define CHECK_OR_EXIT(cond)                                   \
  do {                                                        \
    if (!(cond)) {                                            \
      std::fprintf(stderr, "failed: %s\n", #cond);            \
      std::exit(1);                                           \
    }                                                         \
  } while (0)

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(TaskRegistry, BuiltInTasksComeFirstInRegistrationOrder) {
  EXPECT_EQ(task_names(), (std::vector<std::string>{"max-of-list", "count01", "max-of-list-digits", "count-unique", "file"}));
  EXPECT_EQ(default_task_config("count01").max_len, 20);
  EXPECT_EQ(error_of([] { task_entry("nope"); }), "unknown task 'nope' (use max-of-list, count01, max-of-list-digits, count-unique or file)");
}

// Runs in a forked child (EXPECT_EXIT): the registration stays there.
void register_echo_and_check() {
  OptionSpec width;
  width.name = "echo-width", width.type = OptionType::Int, width.min = 1, width.max = 9, width.help = "Echo: width";
  // The toy keeps its option in test_mod, a field every config has.
  register_task("echo", {field_option(width, &TaskConfig::test_mod, 3)},
                [](const TaskConfig& c) { return std::make_unique<EchoTask>(c); });
  CHECK_OR_EXIT(make_task(default_task_config("echo"))->name() == "echo");
  CHECK_OR_EXIT(error_of([] { task_entry("nope"); }) == "unknown task 'nope' (use max-of-list, count01, max-of-list-digits, count-unique, file or echo)");
  const TrainOption* o = find_train_option("echo_width");
  CHECK_OR_EXIT(o != nullptr && o->tasks == std::vector<std::string>{"echo"});
  CHECK_OR_EXIT(option_help(*o) == "Echo: width (default 3)");
  CHECK_OR_EXIT(to_json(default_task_config("echo")) == nlohmann::json({{"name", "echo"}, {"echo_width", 3}}));
  CHECK_OR_EXIT(task_config_from_json({{"name", "echo"}, {"echo_width", 5}}, "c").test_mod == 5);
  CHECK_OR_EXIT(error_of([] { task_config_from_json({{"name", "echo"}, {"echo_width", 10}}, "c"); }) ==
                "c: --echo-width must be an integer between 1 and 9 (got 10)");
  CHECK_OR_EXIT(expand(parse_spec(R"({"task": "echo", "echo-width": [2, 4]})", "s")).size() == 2);
  CHECK_OR_EXIT(error_of([] {
                  register_task("echo", {}, [](const TaskConfig& c) { return std::make_unique<EchoTask>(c); });
                }) == "task 'echo' is registered twice");
  std::exit(0);
}

TEST(TaskRegistry, OneCallAddsATaskItsOptionsAndItsName) {
  EXPECT_EXIT(register_echo_and_check(), ::testing::ExitedWithCode(0), "");
}

}  // namespace tasks_registry_test
}  // namespace hc
