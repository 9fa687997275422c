// The bad-input catalogue: every row of docs/ERRORS.md is a test. The row's
// command runs against inputs made here (in $TMP) or the fixtures ($FIX), and
// must exit with the row's code and print the row's message exactly (its first
// line starting with "error:", or its first line for option-parsing errors).
// The doc is the test's data, so the two cannot drift apart.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../fixtures.hpp"
#include "cli_util.hpp"
#include "core/atomic_file.hpp"
#include "io/safetensors.hpp"
#include "train/checkpoint.hpp"

namespace hc {
namespace cli_errors_test {  // this file's own names (unity builds batch test files)
namespace fs = std::filesystem;

struct Row {
  int id = 0;
  std::string command, message;
  int code = 0;
};

std::string trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::string unquote(const std::string& cell) {
  const std::string t = trim(cell);
  return t.size() >= 2 && t.front() == '`' && t.back() == '`' ? t.substr(1, t.size() - 2) : t;
}

// Table rows of docs/ERRORS.md: | id | `command` | what is wrong | exit | `message` |
std::vector<Row> catalogue() {
  std::ifstream in(std::string(HC_SOURCE_DIR) + "/docs/ERRORS.md");
  std::vector<Row> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("| ", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    for (std::string c; std::getline(ss, c, '|');) cells.push_back(c);
    if (cells.size() < 5 || trim(cells[0]).empty() || !std::isdigit(static_cast<unsigned char>(trim(cells[0])[0])))
      continue;
    rows.push_back({std::stoi(trim(cells[0])), unquote(cells[1]), unquote(cells[4]), std::stoi(trim(cells[3]))});
  }
  return rows;
}

// Per process: ctest runs each row as its own process, in parallel with -j.
std::string tmp_dir() { return (fs::temp_directory_path() / ("headcount-test-errors-" + std::to_string(::getpid()))).string(); }

std::string substitute(std::string s) {
  const std::string fix = fs::path(testing::fixture("max_of_list_torch.safetensors")).parent_path().string();
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"$TMP", tmp_dir()}, {"$FIX", fix}})
    for (size_t p; (p = s.find(key)) != std::string::npos;) s.replace(p, key.size(), value);
  return s;
}

std::string le64(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[size_t(i)] = char((n >> (8 * i)) & 0xFF);
  return s;
}

class Catalogue : public ::testing::TestWithParam<Row> {
 protected:
  // The bad inputs the rows refer to, made once.
  static void SetUpTestSuite() {
    const std::string t = testing::temp_dir("errors");
    const std::string weights = read_file(testing::fixture("max_of_list_torch.safetensors"));
    write_file_atomic(t + "/truncated.safetensors", weights.substr(0, weights.size() / 2));
    const std::string header = R"({"embed.W_E":{"dtype":"F32","shape":[2,2],"data_offsets":[0,4000]}})";
    write_file_atomic(t + "/offsets.safetensors", le64(header.size()) + header + std::string(16, '\0'));
    write_file_atomic(t + "/huge-header.safetensors", le64(1ull << 40) + "{}");
    write_file_atomic(t + "/unknown.txt", "BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 7 EOS\nBOS 3 SEP X SEP 2 SEP 5 SEP 1 ANS 7 EOS\n");
    write_file_atomic(t + "/wrong.txt", "BOS 3 SEP 7 SEP 2 SEP 5 SEP 1 ANS 5 EOS\n");
    write_file_atomic(t + "/empty.txt", "");
    write_file_atomic(t + "/a-file", "x");
    fs::create_directories(t + "/empty");
    auto r = testing::run_cli("train --task count01 --steps 2 --eval-size 10 --quiet --out " + t + "/finished");
    ASSERT_EQ(r.code, 0) << r.output;
    for (const char* d : {"bigrun", "badjson", "corrupt"}) fs::create_directories(t + "/" + d);
    auto cfg = nlohmann::json::parse(read_file(t + "/finished/config.json"));
    cfg["model"]["d_model"] = 1000000000;
    write_file_atomic(t + "/bigrun/config.json", cfg.dump(2));
    write_file_atomic(t + "/badjson/config.json", "{not json");
    for (const char* d : {"bigrun", "badjson"}) fs::copy_file(t + "/finished/model.safetensors", t + "/" + d + "/model.safetensors");
    // The fixture less unembed.weight, and with one head's W_K cut to half its rows.
    const st::File fixture = st::read(testing::fixture("max_of_list_torch.safetensors"));
    st::File missing, reshaped;
    missing.metadata = reshaped.metadata = fixture.metadata;
    for (const auto& tensor : fixture.tensors) {
      if (tensor.name != "unembed.weight") missing.tensors.push_back(tensor);
      if (tensor.name != "layers.0.heads.1.W_K.weight") {
        reshaped.tensors.push_back(tensor);
        continue;
      }
      auto v = tensor.to_f32();
      reshaped.tensors.push_back(st::Tensor::from_f32(tensor.name, {tensor.shape[0] / 2, tensor.shape[1]}, v.data()));
    }
    st::write(t + "/missing.safetensors", missing);
    st::write(t + "/shape.safetensors", reshaped);
    const std::string ck = read_file(t + "/finished/checkpoint.safetensors");
    write_file_atomic(t + "/corrupt/checkpoint.safetensors", ck.substr(0, ck.size() - 64));
    // A run stopped after step 1 of 2 (Ctrl-C or a kill): a checkpoint, no model.
    Checkpoint stopped = load_checkpoint(t + "/finished/checkpoint.safetensors");
    stopped.step = stopped.adam_steps = 1;
    stopped.skipped_batches = 0;
    stopped.finished = false;
    fs::create_directories(t + "/unfinished");
    save_checkpoint(t + "/unfinished/checkpoint.safetensors", stopped);
    fs::create_symlink("a-file", t + "/link.txt");
    ASSERT_EQ(::mkfifo((t + "/pipe").c_str(), 0644), 0);
    write_file_atomic(t + "/many-seeds.json", R"({"task": "count01", "seeds": 10000000})");
    write_file_atomic(t + "/big-grid.json", R"({"task": "count01", "steps": 100, "seeds": 20000})");
  }
};

TEST_P(Catalogue, GivesTheDocumentedMessageAndExitCode) {
  const Row& row = GetParam();
  ASSERT_EQ(row.command.rfind("headcount ", 0), 0u) << "row " << row.id << ": a command starts with 'headcount '";
  const auto r = testing::run_cli(substitute(row.command.substr(10)));
  EXPECT_EQ(r.code, row.code) << row.command << "\n" << r.output;
  std::istringstream lines(r.output);
  std::string first, line, error_line;
  std::getline(lines, first);
  for (lines.seekg(0); std::getline(lines, line);)
    if (line.rfind("error:", 0) == 0) { error_line = line; break; }
  EXPECT_EQ(error_line.empty() ? first : error_line, substitute(row.message)) << row.command << "\n" << r.output;
}

INSTANTIATE_TEST_SUITE_P(Errors, Catalogue, ::testing::ValuesIn(catalogue()),
                         [](const ::testing::TestParamInfo<Row>& info) { return "row" + std::to_string(info.param.id); });

TEST(ErrorsDoc, HasAtLeastThirtyRowsAcrossEveryCommand) {
  const auto rows = catalogue();
  EXPECT_GE(rows.size(), 30u);
  for (const char* cmd : {"headcount train ", "headcount eval ", "headcount inspect ", "headcount import ", "headcount data "})
    EXPECT_TRUE(std::any_of(rows.begin(), rows.end(), [&](const Row& r) { return r.command.rfind(cmd, 0) == 0; }))
        << "no row for " << cmd;
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i].id, int(i + 1)) << "rows are numbered 1..N in order";
}

}  // namespace cli_errors_test
}  // namespace hc
