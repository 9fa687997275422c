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
  return read_puzzle_config((fs::path(dir) / "config.json").string(), (fs::path(dir) / "model.pt").string());
}

std::optional<std::string> puzzle_config_beside(const std::string& weights) {
  std::error_code ec;
  const fs::path cfg = fs::path(weights).parent_path() / "config.json";
  if (!fs::is_regular_file(cfg, ec)) return std::nullopt;
  const nlohmann::json j = nlohmann::json::parse(read_file(cfg.string()), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("model") || !j["model"].is_object() || !j.contains("vocab"))
    return std::nullopt;
  return cfg.string();
}

namespace {

// Puzzle 1b: numbers 0..99 written as two digits; BOS SEP ANS EOS after the digits.
void digit_task(PuzzleCheckpoint& p, const nlohmann::json& j, const std::string& which) {
  const std::string& src = p.config_path;
  const nlohmann::json& v = j["vocab"];
  if (v.contains("num_range") && json_field::integer<int>(v["num_range"], src + ": vocab.num_range") != 100)
    throw Error(src + ": vocab.num_range = " + v["num_range"].dump() +
                ", but headcount's max-of-list-digits has the numbers 0..99 (num_range 100)");
  if (p.vocab_size != 14)
    throw Error(src + ": model.vocab_size = " + std::to_string(p.vocab_size) +
                " but puzzle 1b's vocabulary has 14 tokens (digits, BOS, SEP, ANS, EOS); the config is inconsistent");
  TaskConfig t;
  t.name = "max-of-list-digits";
  const nlohmann::json* tr = j.contains("training") && j["training"].is_object() ? &j["training"] : nullptr;
  std::string list_from = "training.list_len";
  if (tr && tr->contains("list_len")) {
    t.list_len = json_field::integer<int>((*tr)["list_len"], src + ": training.list_len");
  } else {
    if (p.max_seq_len % 3 != 0 || p.max_seq_len < 6)
      throw Error(src + ": model.max_seq_len = " + std::to_string(p.max_seq_len) +
                  " is not 3k + 3 for a list length k; pass --list-len");
    t.list_len = p.max_seq_len / 3 - 1;
    list_from = "model.max_seq_len = 3k + 3";
  }
  if (p.pos_embed && p.max_seq_len < 3 * t.list_len + 3)
    throw Error(src + ": model.max_seq_len = " + std::to_string(p.max_seq_len) + " is shorter than the " +
                std::to_string(3 * t.list_len + 3) + " tokens a list of " + std::to_string(t.list_len) + " needs");
  try {
    t.validate();
  } catch (const Error& e) {
    throw Error(src + ": the inferred task max-of-list-digits is invalid: " + e.what());
  }
  p.task = t;
  p.notes.push_back(which + ": task max-of-list-digits (list_len " + std::to_string(t.list_len) + " from " +
                    list_from + "), layout puzzle, from " + src);
}

// The May puzzle: V symbols, BOS, ANS, then the count tokens #1..#N.
void unique_count_task(PuzzleCheckpoint& p, const nlohmann::json& j, const std::string& which) {
  const std::string& src = p.config_path;
  const nlohmann::json& v = j["vocab"];
  TaskConfig t;
  t.name = "count-unique";
  // N from vocab.seq_len, else from max_seq_len = N + 2; V from vocab.num_symbols, else vocab_size - 2 - N.
  t.seq_len = v.contains("seq_len") ? json_field::integer<int>(v["seq_len"], src + ": vocab.seq_len") : p.max_seq_len - 2;
  t.alphabet = v.contains("num_symbols") ? json_field::integer<int>(v["num_symbols"], src + ": vocab.num_symbols")
                                         : p.vocab_size - 2 - t.seq_len;
  if (p.vocab_size != t.alphabet + 2 + t.seq_len)
    throw Error(src + ": model.vocab_size = " + std::to_string(p.vocab_size) + " but " + std::to_string(t.alphabet) +
                " symbols and strings of " + std::to_string(t.seq_len) + " need " +
                std::to_string(t.alphabet + 2 + t.seq_len) + " (symbols, BOS, ANS, #1..#N); the config is inconsistent");
  if (p.max_seq_len < t.seq_len + 2)
    throw Error(src + ": model.max_seq_len = " + std::to_string(p.max_seq_len) + " is shorter than the " +
                std::to_string(t.seq_len + 2) + " tokens BOS t1 .. tN ANS");
  try {
    t.validate();
  } catch (const Error& e) {
    throw Error(src + ": the inferred task count-unique is invalid: " + e.what());
  }
  p.task = t;
  p.notes.push_back(which + ": task count-unique (" + std::to_string(t.alphabet) + " symbols, strings of " +
                    std::to_string(t.seq_len) + "), layout puzzle, from " + src);
}

}  // namespace

PuzzleCheckpoint read_puzzle_config(const std::string& config_path, const std::string& weights_path) {
  PuzzleCheckpoint p;
  p.dir = fs::path(config_path).parent_path().string();
  p.config_path = config_path;
  p.weights_path = weights_path;
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
    digit_task(p, j, which);
  } else if (p.vocab_type == "unique_count") {
    unique_count_task(p, j, which);
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
