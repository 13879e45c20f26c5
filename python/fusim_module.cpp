// The Python API: `import fusim; fusim.run(arch, net, ...)` runs what the command line runs
// (app/driver.h's run_fusim) and returns report.json as a dict, the same text parsed by Python's
// json module, so a sweep may run points in process and get the rows it would get from files.
// Input errors become fusim.InputError (a ValueError) with .file, .line, .key and .message.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "driver.h"
#include "report.h"

namespace py = pybind11;

namespace {

fusim::Objective objective_of(const std::string& name) {
  if (name == "cycles") return fusim::Objective::Cycles;
  if (name == "bytes") return fusim::Objective::Bytes;
  throw fusim::InputError("", 0, "objective", "must be cycles or bytes, not '" + name + "'");
}

// One run: the arguments mean what fusim's options of the same names mean (docs/usage.md).
py::object run(const std::string& arch, const std::string& net, const py::dict& overrides,
               const std::string& fusion, const std::string& objective, const py::object& cores,
               const std::string& schedule_in, bool shared_fmaps, bool prefetch_weights,
               const std::string& fusion_policy, bool input_centric) {
  fusim::RunOptions o;
  o.arch_path = arch;
  o.net_path = net;
  // -p KEY=VALUE, in the dict's order; values as Python prints them (True -> true).
  for (const auto& [k, v] : overrides) {
    std::string value = py::isinstance<py::bool_>(v) ? (v.cast<bool>() ? "true" : "false")
                                                     : std::string(py::str(v));
    o.overrides.push_back(std::string(py::str(k)) + "=" + value);
  }
  o.schedule_in = schedule_in;
  if (schedule_in.empty()) o.search.algorithm = fusion;
  o.search.objective = objective_of(objective);
  o.search.shared_fmaps = shared_fmaps;
  o.search.prefetch_weights = prefetch_weights;
  const std::optional<fusim::FusionPolicy> policy = fusim::fusion_policy_of(fusion_policy);
  if (!policy)
    throw fusim::InputError("", 0, "fusion_policy",
                            "must be complex or simple, not '" + fusion_policy + "'");
  o.search.fusion_policy = *policy;
  o.search.input_centric = input_centric;
  if (!cores.is_none()) {
    if (py::isinstance<py::str>(cores) && cores.cast<std::string>() == "auto") {
      o.search.cores = fusim::kCoresAuto;
    } else {
      const auto n = cores.cast<std::int64_t>();
      if (n < 1) throw fusim::InputError("", 0, "cores", "must be a whole number >= 1 or 'auto'");
      o.search.cores = n;
    }
  }
  auto r = fusim::run_fusim(o);
  return py::module_::import("json").attr("loads")(fusim::report_json(r->result));
}

}  // namespace

PYBIND11_MODULE(fusim, m) {
  m.doc() = "fusim: a cycle-level simulator of multi-core DNN accelerators with layer fusion";
  static py::exception<fusim::InputError> input_error(m, "InputError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const fusim::InputError& e) {
      const auto cls = py::reinterpret_borrow<py::object>(input_error.ptr());
      py::object err = cls(e.what());
      err.attr("file") = e.file();
      err.attr("line") = e.line();
      err.attr("key") = e.key();
      err.attr("message") = e.message();
      PyErr_SetObject(input_error.ptr(), err.ptr());
    }
  });
  m.def("run", &run, py::arg("arch"), py::arg("net"), py::arg("overrides") = py::dict(),
        py::arg("fusion") = fusim::SearchOptions{}.algorithm, py::arg("objective") = "cycles",
        py::arg("cores") = py::none(), py::arg("schedule_in") = "", py::arg("shared_fmaps") = true,
        py::arg("prefetch_weights") = true, py::arg("fusion_policy") = "complex",
        py::arg("input_centric") = true,
        "Runs NET on ARCH (file paths) as the fusim command does and returns report.json as a "
        "dict. overrides: {key: value} as -p takes them; fusion: a search name; objective: "
        "cycles or bytes; cores: None, 'auto' or a number; schedule_in: a program to replay; "
        "shared_fmaps: False as --shared-fmaps off; prefetch_weights: False as "
        "--prefetch-weights off; fusion_policy: complex or simple as --fusion-policy; "
        "input_centric: False as --input-centric off. "
        "Raises fusim.InputError (file, line, key, message) for bad input.");
  m.attr("__version__") = FUSIM_VERSION;
}
