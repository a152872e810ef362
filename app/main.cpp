// The `outpost` command: run a registry node, collect its garbage, manage a running node's scope maps and tokens, run
// a whole cluster from a topology, simulate one in virtual time, or (with no arguments) run the three-level cluster
// demo. It sits in app/, above reference/ and simulator/, so the simulator's commands can join without reference/
// ever depending on simulator/.
#include <iostream>

#include "CLI/CLI.hpp"
#include "app/allocator_options.h"
#include "reference/cli/cluster_command.h"
#include "reference/cli/cluster_demo.h"
#include "reference/cli/command_errors.h"
#include "reference/cli/decimal_number.h"
#include "reference/cli/connected_registry_command.h"
#include "reference/cli/demo_command.h"
#include "reference/cli/gc_command.h"
#include "reference/cli/proxy_command.h"
#include "reference/cli/scope_map_command.h"
#include "reference/cli/serve_command.h"
#include "reference/cli/serve_options.h"
#include "reference/cli/token_command.h"
#include "simulator/cli/sim_command.h"

namespace {

// The version line names a sanitizer build: its timings are several times slower than an optimised build's, so
// checks that compare live timings with a model (scenarios/test_calibration.py) read this line before judging them.
constexpr const char* kVersion =
#if defined(__SANITIZE_THREAD__)
    "outpost 0.1.0 (built with ThreadSanitizer)";
#elif defined(__SANITIZE_ADDRESS__)
    "outpost 0.1.0 (built with AddressSanitizer)";
#else
    "outpost 0.1.0";
#endif

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Outpost: a reference OCI registry for connected-registry hierarchies, and its test harness"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", kVersion);

  outpost::cli::ServeOptions serve;
  CLI::App* serve_command = app.add_subcommand("serve", "Run a registry node");
  outpost::cli::add_serve_options(*serve_command, serve);

  outpost::cli::GcCommandOptions gc;
  CLI::App* gc_command = app.add_subcommand("gc", "Remove blobs no manifest references and abandoned upload sessions (the server must be stopped)");
  gc_command->add_option("--data", gc.data, "data directory")->envname("OUTPOST_DATA")->capture_default_str();
  gc_command->add_option("--grace", gc.grace_seconds, "keep blobs linked within this many seconds")
      ->capture_default_str()
      ->transform(outpost::cli::decimal_seconds());
  gc_command->add_option("--upload-grace", gc.upload_grace_seconds,
                         "remove upload sessions that received no bytes for more than this many seconds (abandoned; the last bytes are recorded to the hour)")
      ->capture_default_str()
      ->transform(outpost::cli::decimal_seconds());
  gc_command->add_flag("--dry-run", gc.dry_run, "report what would be removed, remove nothing");

  outpost::cli::DemoOptions demo;
  CLI::App* demo_command = app.add_subcommand(
      "demo", "One registry: start it, push and pull a demo image with skopeo (`outpost` alone runs `cluster demo`)");
  demo_command->add_option("--work", demo.work_dir, "directory for the demo's data (default: a new temporary one)");

  outpost::cli::ScopeMapCommand scope_map(app);
  outpost::cli::TokenCommand token(app);
  outpost::cli::ConnectedRegistryCommand connected_registry(app);
  outpost::cli::ProxyCommand proxy(app);
  outpost::cli::ClusterCommand cluster(app);
  outpost::sim::commands::SimCommand sim(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    // Every command exits 2 for a wrong command line (scripts tell it from a refusal or a failure, 1); serve, gc and
    // demo exited with CLI11's own codes (105 for a value its check refused). --help and --version exit 0.
    if (error.get_exit_code() != 0) {
      outpost::cli::print_usage_error(std::cerr, error.what());
      return outpost::cli::kExitUsage;
    }
    return app.exit(error);
  }
  if (scope_map.selected()) return scope_map.run();
  if (token.selected()) return token.run();
  if (connected_registry.selected()) return connected_registry.run();
  if (proxy.selected()) return proxy.run();
  if (cluster.selected()) return cluster.run();
  if (sim.selected()) {
    outpost::app::keep_freed_memory();
    return sim.run();
  }
  try {
    if (*serve_command) {
      outpost::cli::apply_config_file(*serve_command, serve);
      return outpost::cli::run_serve(serve);
    }
    if (*gc_command) return outpost::cli::run_gc(gc);
    // The commands a demo suggests next name the executable as it was run (CLI11 takes argv[0]).
    demo.program = app.get_name().empty() ? "outpost" : app.get_name();
    if (*demo_command) return outpost::cli::run_demo(demo);
    outpost::cli::ClusterDemoOptions cluster_demo;
    cluster_demo.program = demo.program;
    return outpost::cli::run_cluster_demo(cluster_demo);
  } catch (const std::exception& error) {
    std::cerr << "outpost: " << error.what() << std::endl;
    return 1;
  }
}
