#include "interp/patch.hpp"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <limits>

#include "core/chunked.hpp"
#include "core/error.hpp"

namespace hc {

namespace {

// Model inputs of the whole data set: tokens [N,T], query rows [N].
struct Inputs {
  int T = 0;
  std::vector<int32_t> tokens, rows;
};

Inputs inputs_of(const Model<float>& model, const Dataset& data, const std::vector<int32_t>* rows_from = nullptr) {
  Inputs in;
  in.T = model.config().n_ctx;
  const size_t N = data.examples.size();
  in.tokens.reserve(N * in.T);
  in.rows.reserve(N);
  for (size_t i = 0; i < N; ++i) {
    const Example& ex = data.examples[i];
    if (int(ex.seq.size()) < in.T)
      throw Error("example " + std::to_string(i + 1) + " of '" + data.source + "' is shorter than the model's context (" +
                  std::to_string(in.T) + " tokens): the model and the task do not match");
    in.tokens.insert(in.tokens.end(), ex.seq.begin(), ex.seq.begin() + in.T);
    in.rows.push_back(rows_from ? (*rows_from)[i] : ex.query_pos);
  }
  return in;
}

void require_examples(const Dataset& data) {
  if (data.examples.empty())
    throw Error("the evaluation set '" + data.source + "' holds no examples: give a non-empty --eval-set");
}

Chunk chunk_of(const Dataset& data, const Inputs& in, size_t begin, size_t end) {
  Chunk c;
  c.data = &data;
  c.begin = begin;
  c.B = int(end - begin);
  c.tokens = in.tokens.data() + begin * in.T;
  c.rows = in.rows.data() + begin;
  return c;
}

}  // namespace

double metric_value(Metric m, const float* logits, int V, int answer) {
  if (m == Metric::accuracy) return int(std::max_element(logits, logits + V) - logits) == answer ? 1.0 : 0.0;
  float other = -std::numeric_limits<float>::infinity();
  for (int v = 0; v < V; ++v)
    if (v != answer) other = std::max(other, logits[v]);
  return double(logits[answer]) - double(other);
}

std::vector<double> patch_sweep(const Model<float>& model, const Dataset& data, int n_points, const Setter& setter,
                                const PatchOptions& opt) {
  require_examples(data);
  const size_t N = data.examples.size();
  if (!opt.answers.empty() && opt.answers.size() != N)
    throw std::logic_error("patch_sweep: answers must have one entry per example");
  const Inputs in = inputs_of(model, data);
  const int V = model.config().d_vocab;
  const size_t chunk = size_t(std::max(1, opt.chunk));
  const int n_chunks = int((N + chunk - 1) / chunk);
  const int n_jobs = n_points * n_chunks;
  std::vector<double> job_sum(size_t(n_jobs), 0.0);
  const int threads = std::max(1, std::min(opt.threads, n_jobs));
  std::vector<Activations<float>> acts(static_cast<size_t>(threads));

  for_each_job(n_jobs, threads, [&](int job) {
    const int point = job / n_chunks, c = job % n_chunks;
    const size_t b0 = size_t(c) * chunk, b1 = std::min(N, b0 + chunk);
    const Chunk ch = chunk_of(data, in, b0, b1);
    Hooks<float> hooks;
    if (setter) setter(point, ch, hooks);
    Activations<float>& a = acts[size_t(omp_get_thread_num())];
    model.run_full(ch.tokens, ch.B, ch.rows, 1, &hooks, a);
    double sum = 0;
    for (int b = 0; b < ch.B; ++b) {
      const int answer = opt.answers.empty() ? ch.example(b).answer : opt.answers[b0 + size_t(b)];
      sum += metric_value(opt.metric, a.logits.data() + size_t(b) * V, V, answer);
    }
    job_sum[size_t(job)] = sum;
  });

  std::vector<double> out(size_t(n_points), 0.0);
  for (int p = 0; p < n_points; ++p) {
    double s = 0;
    for (int c = 0; c < n_chunks; ++c) s += job_sum[size_t(p) * n_chunks + c];
    out[size_t(p)] = s / double(N);
  }
  return out;
}

std::vector<float> patch_logits(const Model<float>& model, const Dataset& data, const Setter& setter, int point,
                                int threads, int chunk) {
  require_examples(data);
  const size_t N = data.examples.size();
  const Inputs in = inputs_of(model, data);
  const int V = model.config().d_vocab;
  const size_t step = size_t(std::max(1, chunk));
  const int n_chunks = int((N + step - 1) / step);
  std::vector<float> out(N * V);
  threads = std::max(1, std::min(threads, n_chunks));
  std::vector<Activations<float>> acts(static_cast<size_t>(threads));
  for_each_job(n_chunks, threads, [&](int c) {
    const size_t b0 = size_t(c) * step, b1 = std::min(N, b0 + step);
    const Chunk ch = chunk_of(data, in, b0, b1);
    Hooks<float> hooks;
    if (setter) setter(point, ch, hooks);
    Activations<float>& a = acts[size_t(omp_get_thread_num())];
    model.run_full(ch.tokens, ch.B, ch.rows, 1, &hooks, a);
    std::copy(a.logits.begin(), a.logits.end(), out.begin() + b0 * V);
  });
  return out;
}

double clean_metric(const Model<float>& model, const Dataset& data, const PatchOptions& opt) {
  return patch_sweep(model, data, 1, Setter{}, opt)[0];
}

SourceActs capture_source(const Model<float>& model, const Dataset& source, const Dataset& target, HookKey key,
                          int threads, int chunk) {
  require_examples(source);
  if (source.examples.size() != target.examples.size())
    throw Error("patching source '" + source.source + "' has " + std::to_string(source.examples.size()) +
                " examples but the target '" + target.source + "' has " + std::to_string(target.examples.size()) +
                ": pair them one to one");
  std::vector<int32_t> target_rows;
  for (const auto& ex : target.examples) target_rows.push_back(ex.query_pos);
  const Inputs in = inputs_of(model, source, &target_rows);
  const size_t N = source.examples.size(), step = size_t(std::max(1, chunk));
  const int n_chunks = int((N + step - 1) / step);
  SourceActs out;
  out.key = key;
  std::vector<std::vector<float>> parts(static_cast<size_t>(n_chunks));
  std::vector<std::vector<int>> shapes(static_cast<size_t>(n_chunks));
  threads = std::max(1, std::min(threads, n_chunks));
  std::vector<Activations<float>> acts(static_cast<size_t>(threads));
  for_each_job(n_chunks, threads, [&](int c) {
    const size_t b0 = size_t(c) * step, b1 = std::min(N, b0 + step);
    Hooks<float> hooks;
    // The observer copies the buffer as it is written (before later edits).
    hooks.observer = [&, c](const HookKey& k, const HookView<float>& v) {
      if (!(k == key)) return;
      parts[size_t(c)].assign(v.data, v.data + v.numel());
      shapes[size_t(c)] = v.shape;
    };
    model.run_full(in.tokens.data() + b0 * in.T, int(b1 - b0), in.rows.data() + b0, 1, &hooks,
                   acts[size_t(omp_get_thread_num())]);
  });
  if (shapes[0].empty()) throw Error("hook point " + hook_name(key) + " does not exist in this model");
  out.shape.assign(shapes[0].begin() + 1, shapes[0].end());
  out.per_example = 1;
  for (int s : out.shape) out.per_example *= size_t(s);
  out.values.reserve(N * out.per_example);
  for (const auto& p : parts) out.values.insert(out.values.end(), p.begin(), p.end());
  return out;
}

namespace {

// [B,rows,H,X] sites carry a head axis; [B,rows,D] sites do not.
bool has_head_axis(Site s) { return s == Site::q || s == Site::k || s == Site::v || s == Site::z || s == Site::result; }
bool is_residual(Site s) {
  return s == Site::resid_pre || s == Site::attn_out || s == Site::resid_post || s == Site::embed ||
         s == Site::pos_embed;
}

}  // namespace

Setter patch_from_source(std::shared_ptr<const SourceActs> src, std::vector<PatchSlot> slots) {
  const Site site = src->key.site;
  if (!has_head_axis(site) && !is_residual(site))
    throw Error("patching " + hook_name(src->key) +
                " is not supported: patch q, k, v, z, result or a residual point (edit attention with edge_scaling)");
  for (const auto& s : slots)
    if (s.head >= 0 && !has_head_axis(site))
      throw Error(hook_name(src->key) + " has no head axis: patch it with head -1 (all heads)");
  return [src, slots = std::move(slots)](int point, const Chunk& ch, Hooks<float>& hooks) {
    const PatchSlot slot = slots[size_t(point)];
    const size_t begin = ch.begin;
    hooks.add(src->key, [src, slot, begin](HookView<float>& v) {
      const int B = v.shape[0], R = v.shape[1];
      const bool heads = v.shape.size() == 4;
      const int H = heads ? v.shape[2] : 1, X = v.shape.back();
      for (int b = 0; b < B; ++b) {
        const float* from = src->values.data() + (begin + size_t(b)) * src->per_example;
        float* to = v.data + size_t(b) * src->per_example;
        for (int r = 0; r < R; ++r) {
          if (slot.position >= 0 && v.query_rows[size_t(b) * R + r] != slot.position) continue;
          for (int h = 0; h < H; ++h) {
            if (slot.head >= 0 && h != slot.head) continue;
            const size_t off = (size_t(r) * H + h) * X;
            std::memcpy(to + off, from + off, sizeof(float) * size_t(X));
          }
        }
      }
    });
  };
}

Table activation_patching(const Model<float>& model, const Dataset& clean, const Dataset& corrupted, HookKey key,
                          const PatchOptions& opt) {
  require_examples(corrupted);
  for (size_t i = 0; i < std::min(clean.examples.size(), corrupted.examples.size()); ++i)
    if (clean.examples[i].query_pos != corrupted.examples[i].query_pos)
      throw Error("example " + std::to_string(i + 1) + ": the clean and corrupted inputs have their query at " +
                  "different positions; pair inputs of the same shape");
  auto src = std::make_shared<const SourceActs>(capture_source(model, clean, corrupted, key, opt.threads, opt.chunk));
  const int H = has_head_axis(key.site) ? model.config().n_heads : 1;
  const int T = model.config().n_ctx;
  std::vector<PatchSlot> slots;
  for (int h = 0; h < H; ++h)
    for (int p = 0; p < T; ++p) slots.push_back({has_head_axis(key.site) ? h : -1, p});
  PatchOptions o = opt;
  o.answers.clear();
  for (const auto& ex : clean.examples) o.answers.push_back(ex.answer);
  const int n = int(slots.size());
  const std::vector<double> m = patch_sweep(model, corrupted, n, patch_from_source(src, slots), o);

  Table t;
  t.name = "patching_" + hook_name(key);
  std::replace(t.name.begin(), t.name.end(), '.', '_');
  t.description = std::string(opt.metric == Metric::accuracy ? "accuracy" : "margin") +
                  " on the corrupted inputs, scored against the clean answers, with " + hook_name(key) +
                  " of one head at one position taken from the clean run";
  t.dataset = clean.source + " -> " + corrupted.source + " (" + std::to_string(corrupted.examples.size()) +
              " pairs)";
  t.columns = {"head", "position", "metric"};
  t.add_row({"none", "", clean_metric(model, corrupted, o)});
  t.add_row({"clean", "", clean_metric(model, clean, o)});
  for (int i = 0; i < n; ++i)
    t.add_row({slots[size_t(i)].head < 0 ? nlohmann::json("all") : nlohmann::json(slots[size_t(i)].head),
               slots[size_t(i)].position, m[size_t(i)]});
  return t;
}

}  // namespace hc
