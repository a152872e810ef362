// The compiled half of the Python package `outpost`: `outpost._outpost`, a thin pybind11 layer over SimSession
// (sim_session.h). Structured values cross as JSON text and plain strings, so this file instantiates few templates
// and compiles quickly; the vocabulary users see (Simulation, nodes, clients, errors) is pure Python in
// bindings/outpost/, shared with the live world. The GIL is released whenever the engine runs.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings/sim_session.h"
#include "simulator/engine/event_loop.h"

namespace py = pybind11;
using outpost::bindings::HttpAnswer;
using outpost::bindings::SessionOptions;
using outpost::bindings::SimSession;

namespace {

// C++ errors become the package's own exception classes (bindings/outpost/errors.py), looked up when raised so the
// pure-Python hierarchy stays the single definition both worlds share.
void raise_as(const char* name, const char* message) {
  const py::object type = py::module_::import("outpost.errors").attr(name);
  PyErr_SetString(type.ptr(), message);
}

// The exception a Python signal handler raised while the engine ran (KeyboardInterrupt for Ctrl-C), kept from the
// check that saw it (with the GIL) until the interrupted call returns to Python, where it is raised again. One per
// thread: only the main thread runs signal handlers.
struct PendingSignal {
  PyObject *type = nullptr, *value = nullptr, *traceback = nullptr;
  void take() {  // with the GIL, an error set
    drop();
    PyErr_Fetch(&type, &value, &traceback);
  }
  void drop() {
    Py_XDECREF(type), Py_XDECREF(value), Py_XDECREF(traceback);
    type = value = traceback = nullptr;
  }
  void raise() {  // with the GIL
    if (!type) return PyErr_SetNone(PyExc_KeyboardInterrupt);
    PyErr_Restore(type, value, traceback);
    type = value = traceback = nullptr;
  }
};
thread_local PendingSignal pending_signal;

// The session's interrupt check (SimSession::set_interrupt_check): runs Python's signal handlers, as the interpreter
// runs them between bytecodes; a handler that raised (Ctrl-C's) stops the run.
bool python_signalled() {
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() == 0) return false;
  pending_signal.take();
  return true;
}

void translate(std::exception_ptr failure) {
  if (!failure) return;
  try {
    std::rethrow_exception(failure);
  } catch (const outpost::sim::Interrupted&) {
    return pending_signal.raise();
  } catch (...) {
  }
  const std::string name = outpost::bindings::python_error_class(failure);
  if (name.empty()) std::rethrow_exception(failure);  // pybind11's own translations (ValueError, RuntimeError, ...)
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& error) {
    raise_as(name.c_str(), error.what());
  }
}

py::tuple answer_tuple(HttpAnswer answer) {
  py::list headers;
  for (auto& [name, value] : answer.headers) headers.append(py::make_tuple(name, value));
  return py::make_tuple(answer.status, headers, py::bytes(answer.body), answer.transport_error);
}

}  // namespace

PYBIND11_MODULE(_outpost, m) {
  m.doc() =
      "The compiled simulator behind outpost.Simulation: one deterministic world of real registry nodes in virtual "
      "time. Use the package's pure-Python API (outpost.Simulation, outpost.tree); this module is its engine.";
  py::register_exception_translator(&translate);

  m.def("tree_json", &outpost::bindings::tree_json, py::arg("depth"), py::arg("fanout"), py::arg("modes"),
        py::arg("repositories"),
        "A complete tree topology (depth levels of `fanout` children under the cloud) expanded in the cluster "
        "topology format, as JSON text. Raises outpost.ScenarioError for an impossible tree.");
  m.def(
      "expand_topology",
      &outpost::bindings::expand_topology_json,
      py::arg("topology_json"), py::arg("base") = "",
      "A scenario's `topology` value (inline nodes, {\"file\": ...}, {\"tree\": ...} or a file name relative to "
      "`base`) expanded: every node with its defaults, plus defaultLink, links and nics. JSON text in and out; "
      "raises outpost.ScenarioError naming the field.");
  m.def(
      "check_scenario",
      &outpost::bindings::check_scenario_json,
      py::arg("scenario_json"), py::arg("base") = "",
      "Parses a whole scenario (JSON text) and returns its name; raises outpost.ScenarioError naming the field "
      "that is wrong, e.g. 'scenario.workload[2].layerSize.max: must be at least min'.");
  m.def(
      "set_log_level",
      &outpost::bindings::set_log_level,
      py::arg("level"),
      "The nodes' JSON logs on stderr from now on: 'debug', 'info', 'warn', 'error' or 'off' (the default, as "
      "`outpost sim run`). Process-wide: every simulation in this process logs alike.");
  m.def("parse_duration_ns", &outpost::bindings::parse_duration_ns, py::arg("text"),
        "Nanoseconds of a duration as scenarios write them: 250ms, 90s, 10m, 1h, 2d, 1h30m, ISO-8601 (PT1H), "
        "optionally signed (-5m). Raises ValueError otherwise.");

  py::class_<SimSession>(m, "Session",
                         "One simulated world (simulator/world World) run from Python. Every method that runs the "
                         "engine releases the GIL; one call at a time per session (another thread gets "
                         "RuntimeError). Times are integer nanoseconds of virtual time.")
      .def(py::init([](const std::string& scenario_json, const std::string& base, uint64_t seed,
                       const std::string& network, const std::string& trace, size_t trace_last) {
             auto session = std::make_unique<SimSession>(scenario_json, base,
                                                         SessionOptions{seed, network, trace, trace_last});
             session->set_interrupt_check(&python_signalled);
             return session;
           }),
           py::arg("scenario_json"), py::arg("base"), py::arg("seed"), py::arg("network") = "",
           py::arg("trace") = "last", py::arg("trace_last") = 100000,
           "Parses the scenario (JSON text; file names relative to `base`) and makes its world, not yet built. "
           "`network`: 'direct', 'simulated' or '' for the scenario's; `trace`: which records to keep for export "
           "('none', 'last' with `trace_last`, 'all'); the trace hash covers every record whatever is kept.")
      .def_property_readonly("seed", &SimSession::seed, "The world's seed: every random draw derives from it.")
      .def_property_readonly("network", &SimSession::network_kind, "'direct' or 'simulated'.")
      .def_property_readonly("scenario_name", &SimSession::scenario_name, "The scenario's name.")
      .def_property_readonly("scenario_file", &SimSession::scenario_file,
                             "The file the scenario was read from ('' when built in code).")
      .def("topology_json", &SimSession::topology_json,
           "The world's topology expanded (cluster format plus defaultLink, links, nics) as JSON text.")
      .def("node_names", &SimSession::node_names, "Every node: the cloud first, parents before children.")
      .def("build", &SimSession::build, py::call_guard<py::gil_scoped_release>(),
           "Starts the cloud, creates every token, scope map and connected registry through the management API, "
           "starts every node and runs until all are ready (at most the scenario's warmUp). True when all were; "
           "later calls do nothing.")
      .def_property_readonly("built", &SimSession::built, "True once build() ran.")
      .def("run_scenario", &SimSession::run_scenario, py::arg("duration_ns") = py::none(),
           py::call_guard<py::gil_scoped_release>(),
           "The scenario's run phase: its workload and fault plan for `duration_ns` (default the scenario's). "
           "build + run_scenario + settle + shutdown is exactly `outpost sim run`. Once per session.")
      .def("settle", &SimSession::settle, py::call_guard<py::gil_scoped_release>(),
           "The scenario's settle phase: heals every fault, then checks convergence every checkInterval until it "
           "holds or `settle` has passed; judges the run.")
      .def("shutdown", &SimSession::shutdown, py::call_guard<py::gil_scoped_release>(),
           "Stops every node and lets everything unwind; the session runs nothing afterwards.")
      .def_property_readonly("now_ns", &SimSession::now_ns, "Virtual time now, in nanoseconds since the start.")
      .def_property_readonly("events", &SimSession::events, "Events the loop has dispatched so far.")
      .def_property_readonly("engine_seconds", &SimSession::engine_seconds,
                             "Wall seconds spent in the engine by this session's calls.")
      .def("run_for", &SimSession::run_for, py::arg("duration_ns"), py::call_guard<py::gil_scoped_release>(),
           "Runs every event due within `duration_ns` of virtual time (building the world first if needed).")
      .def("check_convergence", &SimSession::check_convergence, py::call_guard<py::gil_scoped_release>(),
           "One convergence check now (every node against the cloud's content in its scope, the scenario "
           "workload's acknowledged pushes at the cloud), as JSON text with each node's state.")
      .def("converge", &SimSession::converge, py::arg("deadline_ns"), py::arg("check_every_ns"),
           py::call_guard<py::gil_scoped_release>(),
           "Checks convergence every `check_every_ns` until it holds or `deadline_ns` passed; the last report as "
           "JSON text. result() judges convergence by the latest of converge() and settle().")
      .def("result_json", &SimSession::result_json,
           "The run's result as JSON text (docs/simulator.md, 'The result'): violations, metrics, faults, trace "
           "hash.")
      .def_property_readonly("trace_hash", &SimSession::trace_hash,
                             "The run's identity: 16 hex digits; the same seed and the same calls give the same.")
      .def_property_readonly("trace_records", &SimSession::trace_records, "Records folded into the trace so far.")
      .def("export_trace", &SimSession::export_trace, py::arg("path"), py::call_guard<py::gil_scoped_release>(),
           "Writes the kept trace records to `path` in the Chrome trace format (Perfetto, chrome://tracing).")
      .def("trace_json", &SimSession::trace_json, "The kept trace records in the Chrome trace format, as text.")
      .def(
          "request",
          [](SimSession& session, const std::string& node, const std::string& method, const std::string& authority,
             const std::string& target, const outpost::bindings::Headers& headers, const py::bytes& body,
             int64_t timeout_ns) {
            std::string bytes = body;
            HttpAnswer answer;
            {
              py::gil_scoped_release release;
              answer = session.request(node, method, authority, target, headers, std::move(bytes), timeout_ns);
            }
            return answer_tuple(std::move(answer));
          },
          py::arg("node"), py::arg("method"), py::arg("authority"), py::arg("target"), py::arg("headers"),
          py::arg("body"), py::arg("timeout_ns"),
          "One HTTP exchange from the client host next to `node` ('operator' for the operator's), run until "
          "answered or `timeout_ns` of virtual time passed: (status, [(header, value)], body bytes, "
          "transport_error); status 0 when there was no answer.")
      .def(
          "management",
          [](SimSession& session, const std::string& method, const std::string& path, const std::string& body_json,
             int64_t timeout_ns) {
            HttpAnswer answer;
            {
              py::gil_scoped_release release;
              answer = session.management(method, path, body_json, timeout_ns);
            }
            return answer_tuple(std::move(answer));
          },
          py::arg("method"), py::arg("path"), py::arg("body_json"), py::arg("timeout_ns"),
          "One management call (path below /mgmt/v1/, JSON text body or '') made by the world's operator, so the "
          "world's invariant checks mirror it; answered like request().")
      .def("login_server", &SimSession::login_server, py::arg("node"), "The node's login server ('line1:5000').")
      .def("token_password", &SimSession::token_password, py::arg("token"),
           "The password1 the world's operator holds for a token it created, or None.")
      .def_property_readonly("admin_password", &SimSession::admin_password, "The cloud's admin password.")
      .def("node_tokens_json", &SimSession::node_tokens_json, py::arg("node"),
           "The node's client tokens as JSON text: {'push': [...], 'client': [...], 'reader': name}.")
      .def("node_status_json", &SimSession::node_status_json, py::arg("node"),
           "The node's process and sync state as JSON text (state, paused, incarnation, crashes, clockOffsetNs, "
           "ready, connectionState, disabled, agent: its SPEC 5.3 status report, uplink: the faults in force on its "
           "uplink).")
      .def("node_metrics_text", &SimSession::node_metrics_text, py::arg("node"),
           "The node's Prometheus metrics text ('' while its process is down).")
      .def("apply_fault", &SimSession::apply_fault, py::arg("action"), py::arg("targets"), py::arg("skew_ns") = 0,
           py::call_guard<py::gil_scoped_release>(),
           "Applies one fault step that needs no details now, by the scenario format's action name (link-down, "
           "link-up, partition, heal, crash, restart, pause, resume, clock-skew, disk-full, disk-freed), through the "
           "world's FaultInjector. ValueError for one that takes details (use apply_step).")
      .def("apply_step", &SimSession::apply_step, py::arg("step_json"), py::call_guard<py::gil_scoped_release>(),
           "One fault step in the scenario format's timeline vocabulary (JSON text: action, target, attributes, "
           "for, at), parsed by the scenario parser; 'at' counts from now, 'for' schedules the undo. Raises "
           "outpost.ScenarioError naming the field ('step.target: ...').")
      .def("heal_all", &SimSession::heal_all, py::call_guard<py::gil_scoped_release>(),
           "Heals every fault: links up, partitions gone, toxics and link faults removed, hosts restarted, resumed, "
           "on true time and with their disks freed.")
      .def("toxics_json", &SimSession::toxics_json, py::arg("client"), py::arg("server"),
           "The toxics from host `client` to host `server` as JSON text.");
}
