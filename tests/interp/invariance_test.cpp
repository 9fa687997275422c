// Invariance: identical inputs are identical at every hook point, families
// must share an answer, the family file format, and the default families.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <iostream>

#include "../fixtures.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "interp/invariance.hpp"
#include "io/layouts.hpp"
#include "model/model.hpp"
#include "tasks/max_of_list.hpp"
#include "tasks/task.hpp"

namespace hc {
namespace interp_invariance_test {  // this file's own names (unity builds batch test files)
std::unique_ptr<Task> task_named(const char* name) {
  TaskConfig tc;
  tc.name = name;
  return make_task(tc);
}

Model<float> random_model(const Task& task, int layers, uint64_t seed) {
  ModelConfig c;
  c.n_layers = layers;
  c.d_model = 16;
  c.n_heads = 3;
  c.d_head = 4;
  c.d_vocab = task.vocab_size();
  c.n_ctx = task.n_ctx();
  c.biases = true;
  c.init_std = 0.5;
  Model<float> m(c);
  m.init(seed);
  return m;
}

std::string temp_file(const std::string& name, const std::string& text) {
  const std::string path = (std::filesystem::temp_directory_path() / ("hc_inv_" + name)).string();
  write_file_atomic(path, text);
  return path;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Invariance, IdenticalInputsGiveOneEverywhere) {
  for (const char* name : {"max-of-list", "count01"}) {
    auto task = task_named(name);
    const Dataset ds = generate(*task, Split::Test, 2, 9, 0);
    const std::vector<std::vector<Example>> families{{ds.examples[0], ds.examples[0], ds.examples[0]},
                                                     {ds.examples[1], ds.examples[1]}};
    for (int layers : {1, 2}) {
      SCOPED_TRACE(std::string(name) + ", layers " + std::to_string(layers));
      const InvarianceResult r = invariance(random_model(*task, layers, 4), *task, families, "copies");
      const Table& t = r.tables.at(0);
      // Every point of every layer, with one row per head for per-head points.
      EXPECT_GE(t.rows.size(), size_t(3 + 13 * layers));
      for (const auto& row : t.rows) {
        EXPECT_NEAR(row[3].get<double>(), 1.0, 1e-9) << row[0] << " " << row[2];
        EXPECT_NEAR(row[4].get<double>(), 1.0, 1e-9) << row[0] << " " << row[2];
        EXPECT_EQ(row[5].get<long>(), 4);  // 3 pairs + 1 pair
      }
      EXPECT_TRUE(r.summary["diverges_at"].is_null());
      EXPECT_TRUE(r.summary["reconverges_at"].is_null());
      EXPECT_EQ(r.summary["n_inputs"], 5);
    }
  }
}

TEST(Invariance, DifferentInputsDivergeAfterTheQueryPositionsOwnActivations) {
  auto task = task_named("max-of-list");
  const Model<float> m = testing::fixture_model("max_of_list_torch.safetensors", *task);
  const InvarianceResult r = invariance(m, *task, default_families(*task, 8, 1), "default families");
  // At ANS the token, position and therefore q, k and v are the same for every
  // member; only attention to the moved maximum can tell them apart.
  for (const char* same : {"hook_embed", "hook_pos_embed", "blocks.0.hook_resid_pre", "blocks.0.attn.hook_q",
                           "blocks.0.attn.hook_k", "blocks.0.attn.hook_v"})
    EXPECT_NEAR(r.summary["points"][same]["min"].get<double>(), 1.0, 1e-6) << same;
  const std::string d = r.summary["diverges_at"].get<std::string>();
  EXPECT_TRUE(d == "blocks.0.attn.hook_attn_scores" || d == "blocks.0.attn.hook_pattern") << d;
  std::cout << "fixture: " << r.summary["text"].get<std::string>() << "\n";
}

TEST(Invariance, FamilyWithDifferentAnswersIsAnError) {
  auto task = task_named("max-of-list");
  const auto* mol = dynamic_cast<const MaxOfListTask*>(task.get());
  const std::vector<std::vector<Example>> families{
      {mol->make_example({1, 2, 3, 4, 5}), mol->make_example({5, 4, 3, 2, 1})},
      {mol->make_example({1, 2, 3, 4, 5}), mol->make_example({1, 2, 3, 4, 9})}};
  const std::string e = error_of([&] { invariance(random_model(*task, 1, 1), *task, families, "mine"); });
  EXPECT_NE(e.find("family 2"), std::string::npos) << e;
  EXPECT_NE(e.find("answers"), std::string::npos) << e;

  const std::string path = temp_file("mixed.txt",
                                     "BOS 1 SEP 2 SEP 3 SEP 4 SEP 5 ANS 5 EOS\n"
                                     "BOS 5 SEP 2 SEP 3 SEP 4 SEP 1 ANS 5 EOS\n"
                                     "\n"
                                     "BOS 1 SEP 2 SEP 3 SEP 4 SEP 7 ANS 7 EOS\n"
                                     "BOS 1 SEP 2 SEP 3 SEP 4 SEP 9 ANS 9 EOS\n");
  const std::string f = error_of([&] { load_families(*task, path); });
  EXPECT_NE(f.find(path), std::string::npos) << f;
  EXPECT_NE(f.find("family 2 (lines 4-5)"), std::string::npos) << f;
  EXPECT_NE(f.find("7 and 9"), std::string::npos) << f;
  std::filesystem::remove(path);
}

TEST(Invariance, LoadFamiliesParsesBlankLineSeparatedFamilies) {
  auto task = task_named("count01");
  const std::string path = temp_file("families.txt",
                                     "0 1 1 = 5 EOS\n"
                                     "1 0 1 = 5 EOS\n"
                                     "1 1 0 = 5 EOS\n"
                                     "\n"
                                     "  \n"
                                     "0 0 2 = 4 EOS\r\n"
                                     "2 0 0 = 4 EOS\n");
  const auto fams = load_families(*task, path);
  ASSERT_EQ(fams.size(), 2u);
  EXPECT_EQ(fams[0].size(), 3u);
  EXPECT_EQ(fams[1].size(), 2u);
  EXPECT_EQ(fams[1][1].answer, task->token_id("4"));
  EXPECT_EQ(task->format(fams[0][1]), "1 0 1 = 5 EOS");
  std::filesystem::remove(path);

  // A malformed line is reported with its file and line number.
  const std::string bad = temp_file("bad.txt", "0 1 1 = 5 EOS\n1 0 1 = 5 EOS\n\n0 0 = 4 EOS\n0 x 0 = 4 EOS\n");
  const std::string e = error_of([&] { load_families(*task, bad); });
  EXPECT_NE(e.find(bad), std::string::npos) << e;
  EXPECT_NE(e.find("line 5"), std::string::npos) << e;
  std::filesystem::remove(bad);

  const std::string single = temp_file("single.txt", "0 1 1 = 5 EOS\n1 0 1 = 5 EOS\n\n0 0 = 4 EOS\n");
  EXPECT_NE(error_of([&] { load_families(*task, single); }).find("family 2 (lines 4-4) has a single input"),
            std::string::npos);
  std::filesystem::remove(single);
  // A UTF-8 byte-order mark at the start of the file is skipped.
  const std::string bom = temp_file("bom.txt", "\xEF\xBB\xBF" "0 1 1 = 5 EOS\n1 0 1 = 5 EOS\n");
  ASSERT_EQ(load_families(*task, bom).size(), 1u);
  EXPECT_EQ(task->format(load_families(*task, bom)[0][0]), "0 1 1 = 5 EOS");
  std::filesystem::remove(bom);
  const std::string empty = temp_file("empty.txt", "\n\n");
  EXPECT_NE(error_of([&] { load_families(*task, empty); }).find("no families"), std::string::npos);
  std::filesystem::remove(empty);
}

TEST(Invariance, DefaultFamiliesMoveTheMaximumOrPermuteTheString) {
  auto mol = task_named("max-of-list");
  const int k = mol->config().list_len;
  const auto fams = default_families(*mol, 5, 3);
  ASSERT_EQ(fams.size(), 5u);
  for (const auto& f : fams) {
    ASSERT_EQ(int(f.size()), k);
    for (int i = 0; i < k; ++i) {
      EXPECT_EQ(f[size_t(i)].answer, f[0].answer);
      EXPECT_EQ(f[size_t(i)].seq[size_t(1 + 2 * i)], f[0].answer);  // the max sits at list position i
    }
  }
  EXPECT_EQ(task_named("max-of-list")->format(default_families(*mol, 5, 3)[2][1]), mol->format(fams[2][1]));

  auto c01 = task_named("count01");
  for (const auto& f : default_families(*c01, 5, 3)) {
    ASSERT_GE(f.size(), 2u);
    auto symbols = [&](const Example& ex) {
      std::vector<int32_t> s(ex.seq.begin(), ex.seq.begin() + ex.query_pos);
      std::sort(s.begin(), s.end());
      return s;
    };
    for (const Example& ex : f) {
      EXPECT_EQ(ex.answer, f[0].answer);
      EXPECT_EQ(ex.query_pos, f[0].query_pos);
      EXPECT_EQ(symbols(ex), symbols(f[0]));
    }
  }
}

}  // namespace interp_invariance_test
}  // namespace hc
