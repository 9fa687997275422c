#include "tasks/file_task.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "tasks/registry.hpp"
#include "tasks/text_tokens.hpp"

namespace hc {

namespace {

constexpr const char* kHeaderHelp =
    "a data file starts with '# vocab: TOKEN TOKEN ...' (token names in id order) and '# loss: after MARKER' "
    "(the tokens after the first MARKER are the targets) or '# loss: marked' (each line puts '|' before its "
    "targets)";
constexpr int kMaxVocab = 100000;
constexpr int kMaxLineTokens = 100000;

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

std::string vocab_text(const std::vector<std::string>& vocab) {
  std::string out;
  for (size_t i = 0; i < vocab.size() && i < 30; ++i) out += (i ? ", " : "") + vocab[i];
  if (vocab.size() > 30) out += ", ... (" + std::to_string(vocab.size()) + " tokens)";
  return out;
}

}  // namespace

FileTaskHeader parse_file_task_header(const std::string& text, const std::string& path) {
  FileTaskHeader h;
  const auto lines = lines_of(text);
  bool have_vocab = false, have_loss = false;
  for (const std::string_view line : lines) {
    if (line.empty() || line[0] != '#') break;
    ++h.header_lines;
    const std::string where = path + ": line " + std::to_string(h.header_lines) + ": ";
    auto toks = split_tokens(line.substr(1));
    if (toks.empty()) continue;  // a bare '#' line
    const std::string_view key = toks[0];
    if (key == "vocab:") {
      if (have_vocab) throw Error(where + "a second '# vocab:' line (give the vocabulary once)");
      have_vocab = true;
      std::set<std::string_view> seen;
      for (size_t i = 1; i < toks.size(); ++i) {
        if (toks[i] == "|") throw Error(where + "'|' cannot be a token (it marks targets in '# loss: marked' files)");
        if (!seen.insert(toks[i]).second)
          throw Error(where + "the token '" + std::string(toks[i]) + "' is listed twice (each name once)");
        h.vocab.emplace_back(toks[i]);
      }
      if (h.vocab.empty()) throw Error(where + "'# vocab:' lists no tokens (" + kHeaderHelp + ")");
      if (h.vocab.size() > size_t(kMaxVocab))
        throw Error(where + "the vocabulary has " + std::to_string(h.vocab.size()) + " tokens; at most " +
                    std::to_string(kMaxVocab));
    } else if (key == "loss:") {
      if (have_loss) throw Error(where + "a second '# loss:' line (give the loss rule once)");
      have_loss = true;
      if (toks.size() == 3 && toks[1] == "after") {
        h.loss = "after", h.marker = std::string(toks[2]);
      } else if (toks.size() == 2 && toks[1] == "marked") {
        h.loss = "marked";
      } else {
        throw Error(where + "expected '# loss: after MARKER' or '# loss: marked', got '" + std::string(line) + "'");
      }
    }
    // Any other '#' line is a comment.
  }
  if (!have_vocab || !have_loss)
    throw Error(path + ": the header has no '# " + (have_vocab ? "loss" : "vocab") + ":' line (" + kHeaderHelp +
                ")");
  if (h.loss == "after" && std::find(h.vocab.begin(), h.vocab.end(), h.marker) == h.vocab.end())
    throw Error(path + ": the loss marker '" + h.marker + "' is not in '# vocab:' (add it, or mark targets with '|')");
  if (std::find(h.vocab.begin(), h.vocab.end(), "PAD") == h.vocab.end()) h.vocab.push_back("PAD");
  return h;
}

FileTask::FileTask(const TaskConfig& cfg) : cfg_(cfg) {
  cfg_.validate();
  if (cfg_.name != "file") throw Error("FileTask needs a 'file' task config, got '" + cfg_.name + "' (use make_task)");
  const std::string train_text = read_file(cfg_.train_set);
  if (train_text.empty() || train_text[0] != '#')
    throw Error("--train-set " + cfg_.train_set + ": no header (" + kHeaderHelp + ")");
  header_ = parse_file_task_header(train_text, "--train-set " + cfg_.train_set);
  for (int i = 0; i < int(header_.vocab.size()); ++i) ids_[header_.vocab[size_t(i)]] = i;
  pad_ = ids_.at("PAD");
  const std::vector<Line> train = read_lines(cfg_.train_set, true);
  const std::vector<Line> eval = read_lines(cfg_.eval_set, false);
  // The first line of the training file fixes the number of targets (checked
  // line by line in tokens_of); the longest line of either file the context.
  size_t longest = 0;
  for (const auto* set : {&train, &eval})
    for (const Line& l : *set) longest = std::max(longest, l.ids.size());
  n_ctx_ = int(longest) - 1;
  for (const Line& l : train) train_.push_back(padded(l));
  for (const Line& l : eval) eval_.push_back(padded(l));
}

std::vector<FileTask::Line> FileTask::read_lines(const std::string& path, bool header_required) {
  const std::string flag = header_required ? "--train-set " : "--eval-set ";
  const std::string text = read_file(path);
  int skip = 0;
  if (!text.empty() && text[0] == '#') {
    const FileTaskHeader h = parse_file_task_header(text, flag + path);
    if (h.vocab != header_.vocab || h.loss != header_.loss || h.marker != header_.marker)
      throw Error(flag + path + ": its header differs from the one of --train-set " + cfg_.train_set +
                  " (give both files the same '# vocab:' and '# loss:' lines, or none in the evaluation file)");
    skip = h.header_lines;
  } else if (header_required) {
    throw Error(flag + path + ": no header (" + kHeaderHelp + ")");
  }
  auto lines = lines_of(text);
  auto blank = [](std::string_view s) { return s.find_first_not_of(" \t\r") == s.npos; };
  while (int(lines.size()) > skip && blank(lines.back())) lines.pop_back();
  if (int(lines.size()) <= skip) throw Error(flag + path + ": no examples after the header (one example a line)");
  std::vector<Line> out;
  for (size_t i = size_t(skip); i < lines.size(); ++i) {
    try {
      out.push_back(tokens_of(lines[i], int(i + 1)));
    } catch (const Error& e) {
      throw Error(flag + path + ": " + e.what());
    }
    if (n_targets_ == 0) n_targets_ = int(out.back().ids.size() - out.back().first_target);
  }
  return out;
}

FileTask::Line FileTask::tokens_of(std::string_view text, int line_no) const {
  const auto toks = split_tokens(text);
  if (toks.empty()) line_error(line_no, "empty line (one example a line, e.g. '" + example_line() + "')");
  if (toks.size() > size_t(kMaxLineTokens))
    line_error(line_no, std::to_string(toks.size()) + " tokens; at most " + std::to_string(kMaxLineTokens));
  Line l;
  bool marked = false;
  for (size_t i = 0; i < toks.size(); ++i) {
    if (toks[i] == "|" && header_.loss == "marked") {
      if (marked) line_error(line_no, "a second '|' (one '|' before the targets)");
      marked = true;
      l.first_target = l.ids.size();
      continue;
    }
    auto it = ids_.find(std::string(toks[i]));
    if (it == ids_.end())
      line_error(line_no, "unknown token '" + std::string(toks[i]) + "' (the header's '# vocab:' has " +
                              vocab_text(header_.vocab) + ")");
    if (it->second == pad_)
      line_error(line_no, "PAD at position " + std::to_string(l.ids.size()) + ": padding is omitted in the text form");
    if (header_.loss == "after" && l.first_target == 0 && toks[i] == header_.marker)
      l.first_target = l.ids.size() + 1;
    l.ids.push_back(it->second);
  }
  if (header_.loss == "marked" && !marked)
    line_error(line_no, "no '|' before the targets ('# loss: marked': e.g. 'a b c | T')");
  if (header_.loss == "after" && l.first_target == 0)
    line_error(line_no, "no '" + header_.marker + "' (the loss marker: the tokens after it are the targets)");
  if (l.first_target == 0)
    line_error(line_no, "no input before the targets (the first target needs a token to be predicted from)");
  if (l.first_target >= l.ids.size())
    line_error(line_no, "no targets after the " +
                            (header_.loss == "marked" ? std::string("'|'") : "marker '" + header_.marker + "'"));
  const int targets = int(l.ids.size() - l.first_target);
  if (n_targets_ > 0 && targets != n_targets_)
    line_error(line_no, std::to_string(targets) + " target token(s), but the task's examples have " +
                            std::to_string(n_targets_) + " (every example needs the same number of targets)");
  if (n_ctx_ > 0 && int(l.ids.size()) > n_ctx_ + 1)
    line_error(line_no, std::to_string(l.ids.size()) + " tokens, longer than the task's longest example (" +
                            std::to_string(n_ctx_ + 1) + " tokens, from --train-set and --eval-set)");
  return l;
}

Example FileTask::padded(const Line& l) const {
  Example ex;
  ex.seq = l.ids;
  ex.seq.resize(size_t(n_ctx_) + 1, pad_);
  for (size_t p = l.first_target - 1; p + 1 < l.ids.size(); ++p) ex.loss_pos.push_back(int32_t(p));
  ex.answer = l.ids[l.first_target];
  ex.query_pos = int(l.first_target) - 1;
  return ex;
}

Example FileTask::sample(Rng& rng, Split split) const {
  const auto& set = split == Split::Train ? train_ : eval_;
  return set[rng.below(uint32_t(set.size()))];
}

Split FileTask::split_of(const Example& ex) const {
  for (const Example& e : eval_)
    if (e.seq == ex.seq) return Split::Test;
  return Split::Train;
}

const std::vector<Example>* FileTask::fixed_examples(Split split) const {
  return split == Split::Train ? &train_ : &eval_;
}

std::string FileTask::format(const Example& ex) const {
  std::string out;
  const int first_target = ex.loss_pos.empty() ? -1 : ex.loss_pos.front() + 1;
  for (size_t i = 0; i < ex.seq.size(); ++i) {
    const int32_t t = ex.seq[i];
    if (t == pad_) break;
    if (t < 0 || t >= vocab_size()) throw Error("file task: token id " + std::to_string(t) + " is outside the vocabulary");
    if (!out.empty()) out += ' ';
    if (header_.loss == "marked" && int(i) == first_target) out += "| ";
    out += header_.vocab[size_t(t)];
  }
  return out;
}

Example FileTask::parse(std::string_view line, int line_no) const { return padded(tokens_of(line, line_no)); }

std::string FileTask::text_header() const {
  std::string out = "# vocab:";
  for (const auto& v : header_.vocab) out += " " + v;
  out += "\n# loss: " + (header_.loss == "after" ? "after " + header_.marker : std::string("marked")) + "\n";
  return out;
}

std::string FileTask::example_line() const { return train_.empty() ? "a b = c" : format(train_.front()); }

// The options of the file task, registered in tasks/registry.cpp. Paths are
// kept absolute, so a run directory's config.json finds its files from anywhere.
std::vector<TaskOption> file_task_options() {
  auto path_option = [](const char* name, const char* help, std::string TaskConfig::*field) {
    TaskOption o;
    o.spec.name = name, o.spec.type = OptionType::String, o.spec.help = help;
    o.default_value = "";
    o.get = [field](const TaskConfig& c) { return nlohmann::json(c.*field); };
    o.set = [field](TaskConfig& c, const nlohmann::json& v) {
      const std::string p = v.get<std::string>();
      c.*field = p.empty() ? p : std::filesystem::absolute(p).lexically_normal().string();
    };
    return o;
  };
  return {path_option("train-set", "File task: the training examples, with the task's header", &TaskConfig::train_set),
          path_option("eval-set", "File task: the held-out examples (same header, or none)", &TaskConfig::eval_set)};
}

void check_file_task_config(const TaskConfig& c) {
  if (c.train_set.empty() || c.eval_set.empty())
    throw Error(std::string("the file task needs --train-set FILE and --eval-set FILE (") + kHeaderHelp +
                "; docs/TASKS.md)");
}

std::unique_ptr<Task> make_file_task(const TaskConfig& c) { return std::make_unique<FileTask>(c); }

}  // namespace hc
