// Bad input gets a clear error (naming the input, the problem and the fix), a
// non-zero exit, and leaves no output files behind.
#include <gtest/gtest.h>

#include <filesystem>

#include "../fixtures.hpp"
#include "cli_util.hpp"
#include "core/atomic_file.hpp"
#include "io/safetensors.hpp"

namespace hc {
namespace cli_bad_input_test {  // this file's own names (unity builds batch test files)
using testing::fixture;
using testing::run_cli;
namespace fs = std::filesystem;

// Expects failure with every phrase in the message, and nothing written at out.
void expect_error(const std::string& args, std::initializer_list<std::string> phrases, const std::string& out = "") {
  auto r = run_cli(args);
  EXPECT_NE(r.code, 0) << args << "\n" << r.output;
  EXPECT_NE(r.output.find("error"), std::string::npos) << r.output;
  for (const auto& p : phrases) EXPECT_NE(r.output.find(p), std::string::npos) << "missing '" << p << "' in: " << r.output;
  if (!out.empty()) {
    const bool empty = !fs::exists(out) || (fs::is_directory(out) && fs::is_empty(out));
    EXPECT_TRUE(empty) << out << " has partial output";
  }
}

std::string le64(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = char((n >> (8 * i)) & 0xFF);
  return s;
}

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::temp_dir("bad-input"); }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  std::string write(const std::string& name, const std::string& bytes) const {
    write_file_atomic(path(name), bytes);
    return path(name);
  }
  // The fixture's tensors less `drop`, with `reshape` given a wrong shape.
  std::string altered_fixture(const std::string& name, const std::string& drop, const std::string& reshape) const {
    st::File f = st::read(fixture("max_of_list_torch.safetensors"));
    st::File g;
    g.metadata = f.metadata;
    for (auto& t : f.tensors) {
      if (t.name == drop) continue;
      if (t.name == reshape) {
        auto v = t.to_f32();
        v.resize(v.size() / 2);
        g.tensors.push_back(st::Tensor::from_f32(t.name, {t.shape[0] / 2, t.shape[1]}, v.data()));
      } else {
        g.tensors.push_back(t);
      }
    }
    st::write(path(name), g);
    return path(name);
  }
  std::string dir_;
};

TEST_F(BadInput, TruncatedSafetensors) {
  std::string bytes = read_file(fixture("max_of_list_torch.safetensors"));
  const std::string p = write("truncated.safetensors", bytes.substr(0, bytes.size() / 2));
  expect_error("eval " + p + " --task max-of-list", {"truncated.safetensors", "truncated"});
}

TEST_F(BadInput, HeaderOffsetsOutOfRange) {
  const std::string header = R"({"embed.W_E":{"dtype":"F32","shape":[2,2],"data_offsets":[0,4000]}})";
  const std::string p = write("offsets.safetensors", le64(header.size()) + header + std::string(16, '\0'));
  expect_error("eval " + p + " --task max-of-list", {"offsets.safetensors", "out of range"});
}

TEST_F(BadInput, MissingTensor) {
  const std::string p = altered_fixture("missing.safetensors", "unembed.weight", "");
  expect_error("eval " + p + " --task max-of-list", {"missing.safetensors", "unembed.weight"});
}

TEST_F(BadInput, ShapeMismatch) {
  const std::string p = altered_fixture("shape.safetensors", "", "layers.0.heads.1.W_K.weight");
  expect_error("eval " + p + " --task max-of-list", {"shape.safetensors", "layers.0.heads.1.W_K.weight", "shape"});
}

TEST_F(BadInput, UnknownLayout) {
  expect_error("eval " + fixture("max_of_list_torch.safetensors") + " --task max-of-list --layout keras",
               {"unknown layout 'keras'", "puzzle"});
}

TEST_F(BadInput, UnknownTokenInEvalSet) {
  const std::string p = write("unknown.txt", "BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 7 EOS\nBOS 3 SEP X SEP 2 SEP 5 SEP 1 ANS 7 EOS\n");
  expect_error("eval " + fixture("max_of_list_torch.safetensors") + " --task max-of-list --eval-set " + p,
               {"unknown.txt", "line 2", "unknown token 'X'"});
}

TEST_F(BadInput, WrongAnswerInEvalSet) {
  const std::string p = write("wrong.txt", "BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 5 EOS\n");
  expect_error("eval " + fixture("max_of_list_torch.safetensors") + " --task max-of-list --eval-set " + p,
               {"wrong.txt", "line 1", "wrong answer"});
}

TEST_F(BadInput, EmptyEvalSet) {
  const std::string p = write("empty.txt", "");
  expect_error("eval " + fixture("max_of_list_torch.safetensors") + " --task max-of-list --eval-set " + p,
               {"empty.txt", "empty"});
}

TEST_F(BadInput, DModelNotDivisibleByHeads) {
  expect_error("train --task count01 --d-model 30 --heads 4 --out " + path("run"), {"not divisible", "--d-head"},
               path("run"));
}

TEST_F(BadInput, ZeroSteps) {
  expect_error("train --task count01 --steps 0 --out " + path("run"), {"--steps", "between 1 and 100000000"}, path("run"));
}

TEST_F(BadInput, NonWritableOutputDirectory) {
  // A path below a regular file can never be created, even by root.
  const std::string file = write("a-file", "x");
  expect_error("train --task count01 --steps 5 --out " + file + "/run", {file + "/run"}, file + "/run");
}

TEST_F(BadInput, UnknownTask) {
  expect_error("train --task sorting --out " + path("run"), {"unknown task 'sorting'", "count01"}, path("run"));
}

TEST_F(BadInput, WeightsWithoutTask) {
  expect_error("eval " + fixture("max_of_list_torch.safetensors"), {"--task"});
}

TEST_F(BadInput, VocabularyOfWeightsDoesNotFitTask) {
  expect_error("eval " + fixture("max_of_list_torch.safetensors") + " --task count01", {"vocabulary", "14"});
}

TEST_F(BadInput, DivergingRunWritesNoModel) {
  expect_error("train --task count01 --lr 1e30 --steps 50 --quiet --out " + path("run"), {"diverged", "--lr"});
  EXPECT_FALSE(fs::exists(path("run") + "/model.safetensors"));
}

TEST_F(BadInput, ImportOfBadWeightsLeavesNoRunDirectory) {
  std::string bytes = read_file(fixture("count01_tl.safetensors"));
  const std::string p = write("cut.safetensors", bytes.substr(0, 100));
  expect_error("import " + p + " --task count01 --out " + path("imported"), {"cut.safetensors"}, path("imported"));
}

TEST_F(BadInput, NotARunDirectory) {
  fs::create_directories(path("nothing"));
  expect_error("eval " + path("nothing"), {"not a run directory", "config.json"});
}

}  // namespace cli_bad_input_test
}  // namespace hc
