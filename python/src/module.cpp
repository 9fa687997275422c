// _headcount: the C++ side of the Python package (python/headcount wraps it).
// hc::Error becomes ValueError with the library's message (FileNotFoundError
// for a path that does not exist), so Python users read the same words as
// the command line prints.
#include <cstring>

#include "bindings.hpp"

namespace hc::py {

pyb::object to_python(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::null: return pyb::none();
    case nlohmann::json::value_t::boolean: return pyb::bool_(j.get<bool>());
    case nlohmann::json::value_t::number_integer: return pyb::int_(j.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: return pyb::int_(j.get<uint64_t>());
    case nlohmann::json::value_t::number_float: return pyb::float_(j.get<double>());
    case nlohmann::json::value_t::string: return pyb::str(j.get<std::string>());
    case nlohmann::json::value_t::array: {
      pyb::list l;
      for (const auto& v : j) l.append(to_python(v));
      return l;
    }
    case nlohmann::json::value_t::object: {
      pyb::dict d;
      for (auto it = j.begin(); it != j.end(); ++it) d[pyb::str(it.key())] = to_python(it.value());
      return d;
    }
    default: return pyb::none();
  }
}

nlohmann::json from_python(pyb::handle h) {
  if (h.is_none()) return nullptr;
  if (pyb::isinstance<pyb::bool_>(h)) return h.cast<bool>();
  // numpy and torch scalars have .item(); integers stay integers.
  if (pyb::hasattr(h, "item") && !pyb::isinstance<pyb::str>(h)) return from_python(h.attr("item")());
  if (pyb::isinstance<pyb::int_>(h)) {
    const pyb::int_ i = h.cast<pyb::int_>();
    if (i < pyb::int_(0)) return h.cast<int64_t>();
    return h.cast<uint64_t>();
  }
  if (pyb::isinstance<pyb::float_>(h)) return h.cast<double>();
  if (pyb::isinstance<pyb::str>(h)) return h.cast<std::string>();
  if (pyb::isinstance<pyb::dict>(h)) {
    nlohmann::json j = nlohmann::json::object();
    for (auto kv : h.cast<pyb::dict>()) j[pyb::str(kv.first).cast<std::string>()] = from_python(kv.second);
    return j;
  }
  if (pyb::isinstance<pyb::list>(h) || pyb::isinstance<pyb::tuple>(h)) {
    nlohmann::json j = nlohmann::json::array();
    for (auto v : h) j.push_back(from_python(v));
    return j;
  }
  throw Error("cannot use a value of Python type " + std::string(pyb::str(h.get_type().attr("__name__"))) +
              " here (give a number, a string, a bool, a list or a dict)");
}

}  // namespace hc::py

PYBIND11_MODULE(_headcount, m) {
  using namespace hc::py;
  m.doc() = "headcount's C++ library (use the headcount package)";
  pyb::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const NotFound& e) {
      PyErr_SetString(PyExc_FileNotFoundError, e.what());
    } catch (const hc::Error& e) {
      // A missing file read by the library ("cannot read 'x': No such file or directory").
      PyErr_SetString(std::strstr(e.what(), std::strerror(ENOENT)) ? PyExc_FileNotFoundError : PyExc_ValueError,
                      e.what());
    }
  });
  init_model(m);
  init_tasks(m);
  init_train(m);
  init_analyses(m);
}
