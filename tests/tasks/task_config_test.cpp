// TaskConfig: validation messages name the CLI option; JSON round trip keeps
// only the chosen task's fields and rejects anything else; make_task.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "task_test_util.hpp"
#include "tasks/max_of_list.hpp"

namespace hc {
namespace tasks_task_config_test {  // this file's own names (unity builds batch test files)
using testing::error_of;

TaskConfig with_name(const std::string& name) {
  TaskConfig c;
  c.name = name;
  return c;
}

TEST(TaskConfig, DefaultsValidateForBothTasks) {
  EXPECT_NO_THROW(with_name("max-of-list").validate());
  EXPECT_NO_THROW(with_name("count01").validate());
}

TEST(TaskConfig, UnknownTaskNameSaysWhichNamesExist) {
  EXPECT_EQ(error_of([] { with_name("max").validate(); }),
            "unknown task 'max' (use max-of-list, count01, max-of-list-digits, count-unique or file)");
  EXPECT_EQ(error_of([] { make_task(with_name("sort")); }),
            "unknown task 'sort' (use max-of-list, count01, max-of-list-digits, count-unique or file)");
}

TEST(TaskConfig, EachBadValueIsRejectedNamingItsOption) {
  struct Case {
    const char* task;
    std::function<void(TaskConfig&)> edit;
    const char* option;
  };
  const std::vector<Case> cases = {
      {"max-of-list", [](TaskConfig& c) { c.list_len = 0; }, "--list-len"},
      {"max-of-list", [](TaskConfig& c) { c.num_range = 1; }, "--num-range"},
      {"max-of-list", [](TaskConfig& c) { c.num_range = 1001; }, "--num-range"},
      {"max-of-list", [](TaskConfig& c) { c.stratified = -0.1; }, "--stratified"},
      {"max-of-list", [](TaskConfig& c) { c.stratified = 1.5; }, "--stratified"},
      {"max-of-list", [](TaskConfig& c) { c.stratified = std::nan(""); }, "--stratified"},
      {"max-of-list", [](TaskConfig& c) { c.test_mod = 1; }, "--test-mod"},
      {"count01", [](TaskConfig& c) { c.min_len = 0; }, "--min-len"},
      {"count01", [](TaskConfig& c) { c.max_len = 4097; }, "--max-len"},
      {"count01", [](TaskConfig& c) { c.min_len = 9, c.max_len = 8; }, "--min-len (9) must not exceed --max-len (8)"},
      {"count01", [](TaskConfig& c) { c.noise = 1.0; }, "--noise"},
      {"count01", [](TaskConfig& c) { c.noise = -0.01; }, "--noise"},
      {"count01", [](TaskConfig& c) { c.test_mod = 0; }, "--test-mod"},
  };
  for (const auto& cs : cases) {
    TaskConfig c = with_name(cs.task);
    cs.edit(c);
    std::string msg = error_of([&] { c.validate(); });
    EXPECT_NE(msg.find(cs.option), std::string::npos) << msg;
    EXPECT_THROW(make_task(c), Error);
  }
  // Boundary values are accepted.
  TaskConfig c = with_name("max-of-list");
  c.num_range = 1000, c.stratified = 1.0, c.list_len = 1, c.test_mod = 2;
  EXPECT_NO_THROW(c.validate());
  c = with_name("count01");
  c.min_len = c.max_len = 4096, c.noise = 0.0;
  EXPECT_NO_THROW(c.validate());
}

TEST(TaskConfig, JsonRoundTripKeepsOnlyTheTasksFields) {
  TaskConfig m = with_name("max-of-list");
  m.list_len = 7, m.num_range = 50, m.stratified = 0.25, m.test_mod = 13;
  nlohmann::json jm = to_json(m);
  EXPECT_FALSE(jm.contains("noise"));
  EXPECT_FALSE(jm.contains("max_len"));
  TaskConfig m2 = task_config_from_json(jm, "run.json");
  EXPECT_EQ(m2.name, "max-of-list");
  EXPECT_EQ(m2.list_len, 7);
  EXPECT_EQ(m2.num_range, 50);
  EXPECT_EQ(m2.stratified, 0.25);
  EXPECT_EQ(m2.test_mod, 13);

  TaskConfig c = with_name("count01");
  c.min_len = 4, c.max_len = 33, c.noise = 0.125, c.ties_as_4 = true, c.test_mod = 7;
  nlohmann::json jc = to_json(c);
  EXPECT_FALSE(jc.contains("list_len"));
  EXPECT_FALSE(jc.contains("stratified"));
  TaskConfig c2 = task_config_from_json(nlohmann::json::parse(jc.dump()), "run.json");
  EXPECT_EQ(c2.name, "count01");
  EXPECT_EQ(c2.min_len, 4);
  EXPECT_EQ(c2.max_len, 33);
  EXPECT_EQ(c2.noise, 0.125);
  EXPECT_TRUE(c2.ties_as_4);
  EXPECT_EQ(c2.test_mod, 7);
  EXPECT_EQ(to_json(c2), jc);
}

TEST(TaskConfig, JsonRejectsUnknownMisplacedMistypedAndInvalidFields) {
  using nlohmann::json;
  auto err = [](const json& j) { return error_of([&] { task_config_from_json(j, "cfg.json"); }); };
  std::string msg = err(json{{"name", "max-of-list"}, {"bogus", 1}});
  EXPECT_NE(msg.find("cfg.json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown field 'bogus'"), std::string::npos) << msg;
  msg = err(json{{"name", "count01"}, {"list_len", 5}});  // a Max-of-List field
  EXPECT_NE(msg.find("unknown field 'list_len' for task 'count01'"), std::string::npos) << msg;
  msg = err(json{{"name", "count01"}, {"max_len", "20"}});
  EXPECT_NE(msg.find("'max_len' must be an integer"), std::string::npos) << msg;
  msg = err(json{{"name", "count01"}, {"ties_as_4", 1}});
  EXPECT_NE(msg.find("'ties_as_4' must be true or false"), std::string::npos) << msg;
  msg = err(json{{"name", "max-of-list"}, {"num_range", 1}});
  EXPECT_NE(msg.find("cfg.json: --num-range"), std::string::npos) << msg;
  msg = err(json{{"name", "nope"}});
  EXPECT_NE(msg.find("unknown task 'nope'"), std::string::npos) << msg;
  msg = err(json::array());
  EXPECT_NE(msg.find("must be a JSON object"), std::string::npos) << msg;
  // Missing fields take the defaults of TASKS.md.
  TaskConfig d = task_config_from_json(json{{"name", "count01"}}, "cfg.json");
  EXPECT_EQ(d.max_len, 20);
  EXPECT_FALSE(d.ties_as_4);
}

TEST(TaskFactory, MakeTaskBuildsTheNamedTask) {
  auto m = make_task(with_name("max-of-list"));
  EXPECT_EQ(m->name(), "max-of-list");
  EXPECT_EQ(m->config().list_len, 5);
  auto c = make_task(with_name("count01"));
  EXPECT_EQ(c->name(), "count01");
  EXPECT_EQ(c->vocab_size(), 8);
}

TEST(TaskSplit, AnEmptySplitFailsWithAFixInsteadOfLoopingForever) {
  // One number in 0..1: two lists in all. Find a test_mod that leaves the
  // test split empty; sampling it must say so, while training still works.
  TaskConfig c = with_name("max-of-list");
  c.list_len = 1, c.num_range = 2;
  int found = -1;
  for (int mod = 2; mod < 200 && found < 0; ++mod) {
    c.test_mod = mod;
    MaxOfListTask t(c);
    if (t.split_of_list({0}) == Split::Train && t.split_of_list({1}) == Split::Train) found = mod;
  }
  ASSERT_GT(found, 0);
  c.test_mod = found;
  auto task = make_task(c);
  Rng rng(1);
  std::string msg = error_of([&] { task->sample(rng, Split::Test); });
  EXPECT_NE(msg.find("test split"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--test-mod"), std::string::npos) << msg;
  EXPECT_NO_THROW(task->sample(rng, Split::Train));
}

}  // namespace tasks_task_config_test
}  // namespace hc
