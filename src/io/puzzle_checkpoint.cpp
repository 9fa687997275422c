#include "io/puzzle_checkpoint.hpp"

#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/json_fields.hpp"

namespace hc {

namespace fs = std::filesystem;

bool is_puzzle_checkpoint(const std::string& dir) {
  std::error_code ec;
  const fs::path d(dir);
  return fs::is_directory(d, ec) && fs::is_regular_file(d / "model.pt", ec) &&
         fs::is_regular_file(d / "config.json", ec) && !fs::exists(d / "model.safetensors", ec);
}

PuzzleCheckpoint read_puzzle_checkpoint(const std::string& dir) {
  PuzzleCheckpoint p;
  p.dir = dir;
  p.config_path = (fs::path(dir) / "config.json").string();
  p.weights_path = (fs::path(dir) / "model.pt").string();
  const std::string& src = p.config_path;
  nlohmann::json j = nlohmann::json::parse(read_file(src), nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw Error(src + ": not a JSON object; the checkpoint folder is damaged");
  if (!j.contains("model") || !j["model"].is_object())
    throw Error(src + ": no \"model\" object (vocab_size, d_model, n_heads, n_layers, max_seq_len); "
                      "is this a puzzle checkpoint folder? A headcount run directory has model.safetensors instead");
  const nlohmann::json& m = j["model"];
  auto int_field = [&](const char* key) {
    if (!m.contains(key)) throw Error(src + ": model." + key + " is missing; the puzzle trainers always write it");
    const int v = json_field::integer<int>(m[key], src + ": model." + key);
    if (v < 1) throw Error(src + ": model." + key + " = " + std::to_string(v) + " must be at least 1");
    return v;
  };
  p.vocab_size = int_field("vocab_size"), p.d_model = int_field("d_model"), p.n_heads = int_field("n_heads");
  p.n_layers = int_field("n_layers"), p.max_seq_len = int_field("max_seq_len");
  if (m.contains("pos_embed_type")) {
    const std::string t = json_field::string(m["pos_embed_type"], src + ": model.pos_embed_type");
    if (t != "learned" && t != "none")
      throw Error(src + ": model.pos_embed_type '" + t + "' is not one the puzzle model has (learned or none)");
    p.pos_embed = t == "learned";
  }
  if (j.contains("puzzle")) p.puzzle = j["puzzle"].is_string() ? j["puzzle"].get<std::string>() : j["puzzle"].dump();
  if (!j.contains("vocab") || !j["vocab"].is_object() || !j["vocab"].contains("type"))
    throw Error(src + ": no vocab.type, so the task is unknown; pass --task");
  const nlohmann::json& v = j["vocab"];
  p.vocab_type = json_field::string(v["type"], src + ": vocab.type");
  const std::string which = p.puzzle.empty() ? std::string("puzzle checkpoint") : "puzzle " + p.puzzle + " checkpoint";

  if (p.vocab_type == "number") {
    // Puzzle 1a: BOS n1 SEP .. nk ANS, numbers 0..R-1 then BOS SEP ANS EOS.
    TaskConfig t;
    t.name = "max-of-list";
    t.num_range = v.contains("num_range") ? json_field::integer<int>(v["num_range"], src + ": vocab.num_range")
                                          : p.vocab_size - 4;
    const nlohmann::json* tr = j.contains("training") && j["training"].is_object() ? &j["training"] : nullptr;
    std::string list_from = "training.list_len";
    if (tr && tr->contains("list_len")) {
      t.list_len = json_field::integer<int>((*tr)["list_len"], src + ": training.list_len");
    } else {
      if (p.max_seq_len % 2 != 0 || p.max_seq_len < 4)
        throw Error(src + ": model.max_seq_len = " + std::to_string(p.max_seq_len) +
                    " is not 2k + 2 for a list length k; pass --list-len");
      t.list_len = (p.max_seq_len - 2) / 2;
      list_from = "model.max_seq_len = 2k + 2";
    }
    if (p.vocab_size != t.num_range + 4)
      throw Error(src + ": model.vocab_size = " + std::to_string(p.vocab_size) + " but vocab.num_range = " +
                  std::to_string(t.num_range) + " needs " + std::to_string(t.num_range + 4) +
                  " (numbers, BOS, SEP, ANS, EOS); the config is inconsistent");
    if (p.pos_embed && p.max_seq_len < 2 * t.list_len + 2)
      throw Error(src + ": model.max_seq_len = " + std::to_string(p.max_seq_len) + " is shorter than the " +
                  std::to_string(2 * t.list_len + 2) + " tokens a list of " + std::to_string(t.list_len) + " needs");
    try {
      t.validate();
    } catch (const Error& e) {
      throw Error(src + ": the inferred task max-of-list is invalid: " + e.what());
    }
    p.task = t;
    p.notes.push_back(which + ": task max-of-list (num_range " + std::to_string(t.num_range) + " from vocab, list_len " +
                      std::to_string(t.list_len) + " from " + list_from + "), layout puzzle, from " + src);
  } else if (p.vocab_type == "digit") {
    p.missing_task = src + ": vocab.type 'digit' is puzzle 1b (the maximum of two-digit numbers, written digit by "
                           "digit); that needs the task max-of-list-digits, which headcount does not have yet";
  } else if (p.vocab_type == "unique_count") {
    p.missing_task = src + ": vocab.type 'unique_count' is the count-unique puzzle; that needs the task "
                           "count-unique, which headcount does not have yet";
  } else {
    p.missing_task = src + ": vocab.type '" + p.vocab_type +
                     "' is not a puzzle vocabulary headcount knows (number, digit, unique_count); pass --task";
  }
  return p;
}

void check_puzzle_config(const PuzzleCheckpoint& p, const ModelConfig& c) {
  auto differ = [&](const char* key, int said, int got) {
    if (said != got)
      throw Error(p.config_path + ": model." + key + " = " + std::to_string(said) + " but " + p.weights_path +
                  " gives " + std::to_string(got) + "; config.json and model.pt are from different models");
  };
  differ("vocab_size", p.vocab_size, c.d_vocab);
  differ("d_model", p.d_model, c.d_model);
  differ("n_heads", p.n_heads, c.n_heads);
  differ("n_layers", p.n_layers, c.n_layers);
  if (p.d_model % p.n_heads != 0 || c.d_head != p.d_model / p.n_heads)
    throw Error(p.config_path + ": the puzzle model's heads have d_model / n_heads = " +
                std::to_string(p.d_model / p.n_heads) + " dimensions but " + p.weights_path + " has " +
                std::to_string(c.d_head));
  if (p.pos_embed) differ("max_seq_len", p.max_seq_len, c.n_ctx);
  else if (c.pos_embed)
    throw Error(p.config_path + ": model.pos_embed_type is 'none' but " + p.weights_path +
                " has a non-zero pos_embed.weight; config.json and model.pt are from different models");
}

}  // namespace hc
