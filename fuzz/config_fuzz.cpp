// libFuzzer target: the JSON configuration readers (run directories'
// config.json, weights metadata, checkpoints). Bad JSON or bad fields must
// give hc::Error (or nlohmann's own exception for malformed JSON text),
// never a crash or undefined behaviour.
#include <cstddef>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "model/config.hpp"
#include "tasks/task.hpp"
#include "train/trainer.hpp"

namespace {

template <class F>
void guarded(F&& f) {
  try {
    f();
  } catch (const hc::Error&) {
  } catch (const nlohmann::json::exception&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const nlohmann::json j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  guarded([&] {
    const hc::TrainConfig c = hc::train_config_from_json(j, "fuzz.json");
    // A config that validates must survive its own round trip unchanged.
    if (hc::to_json(hc::train_config_from_json(hc::to_json(c), "roundtrip")) != hc::to_json(c)) __builtin_trap();
    // The file task reads the paths its config names; the fuzzer must not
    // open files (its parsers are fuzzed through eval_set).
    if (c.task.name != "file") (void)hc::make_task(c.task);
  });
  guarded([&] { (void)hc::model_config_from_json(j, "fuzz.json"); });
  guarded([&] {
    const hc::TaskConfig t = hc::task_config_from_json(j, "fuzz.json");
    if (t.name != "file") (void)hc::make_task(t);
  });
  // The same readers see nested objects in real files.
  if (j.is_object()) {
    for (const char* key : {"model", "task"})
      if (j.contains(key)) {
        guarded([&] { (void)hc::model_config_from_json(j[key], "fuzz.json"); });
        guarded([&] { (void)hc::task_config_from_json(j[key], "fuzz.json"); });
      }
  }
  return 0;
}
