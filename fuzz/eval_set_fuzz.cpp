// libFuzzer target: the text form of evaluation sets (Task::parse) for both
// tasks. The first byte picks the task and its size; the rest is lines. A
// line must parse or give hc::Error; what parses must format and re-parse to
// the same example.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/error.hpp"
#include "tasks/task.hpp"

namespace {

std::unique_ptr<hc::Task> pick_task(uint8_t b) {
  hc::TaskConfig c;
  if (b & 1) {
    c.name = "count01";
    c.max_len = 1 + (b >> 1) % 24;
    c.ties_as_4 = (b & 2) != 0;
  } else {
    c.name = "max-of-list";
    c.list_len = 1 + (b >> 1) % 8;
    c.num_range = (b >> 4) == 0 ? 10 : 2 + (b >> 4) * 7;  // 0x08: the default task
  }
  return hc::make_task(c);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static std::unique_ptr<hc::Task> tasks[256];
  auto& task = tasks[data[0]];
  if (!task) task = pick_task(data[0]);
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  int line_no = 0;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    ++line_no;
    hc::Example ex;
    try {
      ex = task->parse(line, line_no);
    } catch (const hc::Error&) {
      continue;
    }
    const std::string text = task->format(ex);
    const hc::Example again = task->parse(text, line_no);  // must not throw
    if (again.seq != ex.seq || again.loss_pos != ex.loss_pos || again.answer != ex.answer ||
        again.query_pos != ex.query_pos)
      __builtin_trap();
  }
  return 0;
}
