// `headcount train --train-size N` writes the option into config.json (the
// library behaviour is tested in tests/train/train_size_test.cpp).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli_util.hpp"

namespace hc {
namespace train_size_cli_test {

TEST(TrainSize, TrainCommandAcceptsTheFlag) {
  const std::string dir = testing::temp_dir("train_size_cli");
  auto r = testing::run_cli("train --task count01 --d-model 8 --heads 4 --steps 20 --batch 32 --eval-size 50 "
                            "--train-size 64 --quiet --out " + dir);
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream f(dir + "/config.json");
  const auto j = nlohmann::json::parse(f);
  EXPECT_EQ(j.at("train_size"), 64);
  std::filesystem::remove_all(dir);
}

}  // namespace train_size_cli_test
}  // namespace hc
