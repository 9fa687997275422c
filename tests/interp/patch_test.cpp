// The patch driver: hooks are gone after an exception, patching the clean z
// of every head at the query gives the clean logits, results do not depend on
// the thread count or the chunk size.
#include <gtest/gtest.h>

#include "../fixtures.hpp"
#include "core/error.hpp"
#include "interp/patch.hpp"
#include "io/layouts.hpp"

namespace hc {
namespace interp_patch_test {  // this file's own names (unity builds batch test files)
Model<float> fixture_model() { return testing::fixture_model("max_of_list_torch.safetensors", *make_task(TaskConfig{})); }

TEST(Patch, HooksAreRemovedAfterAnException) {
  const Model<float> m = fixture_model();
  auto task = make_task(TaskConfig{});
  const Dataset data = generate(*task, Split::Test, 64, 1, 1);
  const std::vector<float> clean = patch_logits(m, data, Setter{}, 0, 1);

  // Directly on the forward: a hook that edits z and then throws.
  std::vector<int32_t> tokens, rows;
  for (const auto& ex : data.examples) {
    tokens.insert(tokens.end(), ex.seq.begin(), ex.seq.begin() + 12);
    rows.push_back(ex.query_pos);
  }
  Hooks<float> throwing;
  throwing.add({Site::z, 0}, [](HookView<float>& v) {
    std::fill(v.data, v.data + v.numel(), 0.0f);
    throw Error("hook failed");
  });
  Activations<float> a;
  EXPECT_THROW(m.run_full(tokens.data(), 64, rows.data(), 1, &throwing, a), Error);
  m.run_full(tokens.data(), 64, rows.data(), 1, nullptr, a);
  EXPECT_EQ(a.logits, clean);

  // Through the parallel driver: the error reaches the caller (it must not
  // terminate the program from inside OpenMP), and the next run is clean.
  const Setter bad = [](int, const Chunk&, Hooks<float>& h) {
    h.add({Site::pattern, 0}, [](HookView<float>&) { throw Error("setter hook failed"); });
  };
  PatchOptions o;
  o.threads = 2;
  o.chunk = 16;
  EXPECT_THROW(patch_sweep(m, data, 3, bad, o), Error);
  EXPECT_EQ(patch_logits(m, data, Setter{}, 0, 2, 16), clean);
}

TEST(Patch, CleanZOfEveryHeadAtTheQueryRestoresTheCleanLogits) {
  // One layer, same query token and position: the logits at ANS depend on the
  // corrupted input only through z at ANS.
  const Model<float> m = fixture_model();
  auto task = make_task(TaskConfig{});
  const Dataset clean = generate(*task, Split::Test, 300, 1, 1);
  const Dataset corrupted = generate(*task, Split::Test, 300, 2, 1);
  auto src = std::make_shared<const SourceActs>(capture_source(m, clean, corrupted, {Site::z, 0}, 2));
  const Setter all_heads_at_query = patch_from_source(src, {{-1, 10}, {-1, 3}});
  const std::vector<float> patched = patch_logits(m, corrupted, all_heads_at_query, 0, 2);
  const std::vector<float> want = patch_logits(m, clean, Setter{}, 0, 2);
  ASSERT_EQ(patched.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(patched[i], want[i], 1e-4) << i;
  // Position 3 is not a query row of the one layer: nothing changes.
  EXPECT_EQ(patch_logits(m, corrupted, all_heads_at_query, 1, 2), patch_logits(m, corrupted, Setter{}, 0, 2));
}

TEST(Patch, ActivationPatchingTableHasEveryHeadAndPosition) {
  const Model<float> m = fixture_model();
  auto task = make_task(TaskConfig{});
  const Dataset clean = generate(*task, Split::Test, 200, 1, 1);
  const Dataset corrupted = generate(*task, Split::Test, 200, 2, 1);
  PatchOptions o;
  o.threads = 2;
  const Table t = activation_patching(m, clean, corrupted, {Site::z, 0}, o);
  ASSERT_EQ(t.rows.size(), 2u + 4u * 12u);
  const double corrupt = t.rows[0][2].get<double>(), restored = t.rows[1][2].get<double>();
  EXPECT_GT(restored, 0.95);  // the clean run scored on its own answers
  EXPECT_LT(corrupt, 0.5);    // a different list rarely has the same maximum
  // Patching one head at ANS moves accuracy towards the clean answers.
  double best = 0;
  for (size_t r = 2; r < t.rows.size(); ++r)
    if (t.rows[r][1] == 10) best = std::max(best, t.rows[r][2].get<double>());
  EXPECT_GT(best, corrupt + 0.1);
  EXPECT_THROW(activation_patching(m, clean, generate(*task, Split::Test, 10, 2, 1), {Site::z, 0}, o), Error);
}

TEST(Patch, SweepDoesNotDependOnThreadsOrChunkSize) {
  const Model<float> m = fixture_model();
  auto task = make_task(TaskConfig{});
  const Dataset data = generate(*task, Split::Test, 500, 7, 1);
  const Setter scale_z = [](int point, const Chunk&, Hooks<float>& h) {
    h.add({Site::z, 0}, [point](HookView<float>& v) {
      for (int64_t i = 0; i < v.numel(); ++i) v.data[i] *= 0.25f * float(point);
    });
  };
  PatchOptions a, b;
  a.metric = b.metric = Metric::margin;
  a.threads = 1;
  b.threads = 2;
  b.chunk = 37;
  // Another chunk size changes the row count of the forward's matrix
  // products, so float rounding may differ in the last bits; the thread count
  // must not change anything.
  const auto ra = patch_sweep(m, data, 5, scale_z, a), rb = patch_sweep(m, data, 5, scale_z, b);
  for (int p = 0; p < 5; ++p) EXPECT_NEAR(ra[size_t(p)], rb[size_t(p)], 1e-5) << p;
  b.chunk = 256;
  EXPECT_EQ(ra, patch_sweep(m, data, 5, scale_z, b));
  EXPECT_THROW(patch_sweep(m, Dataset{{}, "empty.txt"}, 1, scale_z, a), Error);
}

}  // namespace interp_patch_test
}  // namespace hc
