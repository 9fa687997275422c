// The torch.save reader: real files written by PyTorch load exactly like their
// safetensors twins, and malicious or broken files are refused, each with the
// message that says why, before anything could run.
#include "io/torch_pt.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "../fixtures.hpp"
#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "io/layouts.hpp"
#include "io/pickle.hpp"
#include "io/weights_file.hpp"

namespace hc {
namespace io_torch_pt_test {  // this file's own names (unity builds batch test files)
using testing::fixture;
namespace fs = std::filesystem;

// What parsing a file throws (empty if it does not).
std::string refusal(const std::string& path) {
  try {
    (void)read_weights_file(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

void expect_same_params(const std::string& a, const std::string& b, const ModelHints& hints) {
  const LoadedWeights wa = load_weights(fixture(a), std::nullopt, hints);
  const LoadedWeights wb = load_weights(fixture(b), std::nullopt, hints);
  EXPECT_EQ(to_json(wa.config), to_json(wb.config));
  ASSERT_EQ(wa.params.size(), wb.params.size());
  EXPECT_EQ(std::memcmp(wa.params.data(), wb.params.data(), wa.params.size() * sizeof(float)), 0)
      << a << " and " << b << " differ";
}

TEST(TorchPt, TransformerLensStateDictLoadsLikeItsSafetensors) {
  expect_same_params("pt/count01_tl.pt", "count01_tl.safetensors", ModelHints{22, 8, "count01"});
  const LoadedWeights w = load_weights(fixture("pt/count01_tl.pt"), std::nullopt, ModelHints{22, 8, "count01"});
  ASSERT_FALSE(w.notes.empty());
  EXPECT_NE(w.notes[0].find("blocks.0.attn.mask"), std::string::npos) << w.notes[0];  // the bool buffer, ignored
}

TEST(TorchPt, Float64TransposedAndOffsetViewsReadExactly) {
  // tok_embed float64, W_O column-major, unembed at offset 7 of a larger storage.
  expect_same_params("pt/max_of_list_views.pt", "max_of_list_torch.safetensors", ModelHints{12, 14, "max-of-list"});
}

TEST(TorchPt, Protocol4PickleReads) {
  const st::File f = pt::read(fixture("pt/protocol4.pt"));
  ASSERT_EQ(f.tensors.size(), 2u);
  EXPECT_EQ(f.tensors[0].name, "a");
  EXPECT_EQ(f.tensors[0].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(f.tensors[0].to_f32(), (std::vector<float>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(f.tensors[1].to_f32(), (std::vector<float>{1, 1, 1}));
}

TEST(TorchPt, PuzzleTrainerCheckpointReads) {
  const st::File f = read_weights_file(fixture("puzzle1a/model.pt"));
  EXPECT_EQ(detect_layout(f), Layout::Puzzle);
  EXPECT_EQ(f.get("layers.0.W_O.weight").shape, (std::vector<int64_t>{64, 64}));
}

// Code in a pickle is refused by name, and the payload's sentinel file never appears.
TEST(TorchPt, PicklesThatWouldRunCodeAreRefused) {
  const std::pair<const char*, const char*> cases[] = {
      {"os_system", "posix.system"}, {"os_system_stack", "os.system"}, {"builtins_eval", "builtins.eval"}};
  for (const auto& [file, global] : cases) {
    const std::string msg = refusal(fixture(std::string("pt/") + file + ".pt"));
    EXPECT_NE(msg.find(std::string("imports ") + global), std::string::npos) << msg;
    EXPECT_NE(msg.find(pkl::kNoCode), std::string::npos) << msg;
  }
  for (const char* s : {"/tmp/headcount-pt-sentinel-os-system", "/tmp/headcount-pt-sentinel-os-system-stack",
                        "/tmp/headcount-pt-sentinel-eval"})
    EXPECT_FALSE(fs::exists(s)) << s;
}

TEST(TorchPt, BrokenAndHostileFilesAreRefusedWithTheReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"offset_past_end", "reaches element 9 of a storage of 6"},
      {"half_dtype", "has dtype float16 (torch.HalfStorage)"},
      {"int64_dtype", "has dtype int64 (torch.LongStorage)"},
      {"zip_bomb", "declares 4294967040 bytes from"},
      {"truncated", "not a complete zip archive"},
  };
  for (const auto& [file, why] : cases) {
    const std::string msg = refusal(fixture(std::string("pt/") + file + ".pt"));
    EXPECT_NE(msg.find(why), std::string::npos) << file << ": " << msg;
  }
  EXPECT_NE(refusal(fixture("pt/zip_bomb.pt")).find("zip bomb"), std::string::npos);
  EXPECT_NE(refusal(fixture("pt/half_dtype.pt")).find("v.float()"), std::string::npos);  // the fix
}

TEST(TorchPt, LegacyFormatIsNamedNotMisread) {
  const std::string dir = (fs::temp_directory_path() / "headcount-test-pt-legacy").string();
  fs::create_directories(dir);
  const std::string path = dir + "/old.pt";
  write_file_atomic(path, std::string("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.", 15));
  EXPECT_NE(refusal(path).find("legacy (pre-1.6)"), std::string::npos) << refusal(path);
}

// The unpickler on hand-made inputs: every refusal names the byte and the reason.
std::string pickle_refusal(const std::string& bytes) {
  try {
    (void)pkl::load(bytes, "x.pt");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Pickle, RefusesWhatAStateDictNeverHolds) {
  // A callable that is allowed as a type tag only.
  EXPECT_NE(pickle_refusal("\x80\x02" "ctorch\nFloatStorage\n)R.").find("calls torch.FloatStorage"), std::string::npos);
  // Opcodes outside the state-dict set (INST 'i', EXT1 0x82).
  EXPECT_NE(pickle_refusal("\x80\x02i").find("opcode 0x69 ('i')"), std::string::npos);
  EXPECT_NE(pickle_refusal("\x80\x02\x82\x01").find("opcode 0x82"), std::string::npos);
  // Structure errors.
  EXPECT_NE(pickle_refusal("\x80\x02}").find("without a STOP"), std::string::npos);
  EXPECT_NE(pickle_refusal("\x80\x02h\x05.").find("memo slot 5"), std::string::npos);
  EXPECT_NE(pickle_refusal("\x80\x02X\xff\xff\xff\x7f").find("truncated"), std::string::npos);
  EXPECT_NE(pickle_refusal("\x80\x02s.").find("stack is empty"), std::string::npos);
}

TEST(Pickle, ReadsAnOrderedDictWithMemoAndSetitems) {
  // OrderedDict() with {'a': 1, 'b': True} via MARK/SETITEMS, the dict memoised and fetched again.
  using namespace std::string_literals;
  const std::string p = "\x80\x02" "ccollections\nOrderedDict\nq\x00)Rq\x01" "0h\x01" "(X\x01\x00\x00\x00" "aK\x01"
                        "X\x01\x00\x00\x00" "b\x88u."s;
  const pkl::Pickle r = pkl::load(p, "x");
  ASSERT_EQ(r.root->kind, pkl::Kind::Dict);
  ASSERT_EQ(r.root->dict.size(), 2u);
  EXPECT_EQ(r.root->dict[0].first->s, "a");
  EXPECT_EQ(r.root->dict[0].second->i, 1);
  EXPECT_TRUE(r.root->dict[1].second->b);
}

}  // namespace io_torch_pt_test
}  // namespace hc
