#include "reference/cli/demo_command.h"

#include <cstdlib>
#include <fstream>
#include <future>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "reference/cli/demo_image.h"
#include "reference/cli/demo_support.h"
#include "reference/cli/serve_command.h"
#include "reference/cli/subprocess.h"
#include "reference/common/random.h"

namespace outpost::cli {

int run_demo(const DemoOptions& options) {
  const std::filesystem::path work = make_work_dir(options.work_dir, "outpost-demo");
  step("writing a demo OCI image layout in " + (work / "image").string());
  const std::string digest = write_demo_layout(work / "image", "demo");

  // The demo node's admin user: a fresh password in the work directory; skopeo logs in with it (Bearer token flow).
  SystemRandom random;
  const std::string admin_password = random.hex(24);
  const auto password_file = work / "admin-password";
  std::ofstream(password_file) << admin_password << "\n";
  std::filesystem::permissions(password_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const std::string creds = "admin:" + admin_password;

  ServeOptions serve;
  serve.listen = "127.0.0.1:0";
  serve.data = (work / "data").string();
  serve.log_level = "warn";
  serve.admin_password_file = password_file.string();
  std::promise<std::string> listening;
  std::promise<std::function<void()>> stopper;
  std::thread server([&] {
    try {
      run_serve(serve, [&](const std::string& address) { listening.set_value(address); },
                [&](std::function<void()> stop) { stopper.set_value(std::move(stop)); });
    } catch (...) {
      listening.set_exception(std::current_exception());
    }
  });
  auto stop_server = stopper.get_future();
  int status = 0;
  try {
    const std::string address = listening.get_future().get();
    step("registry listening on http://" + address + " with data in " + serve.data);
    const std::string remote = "docker://" + address + "/demo/hello:v1";
    step("skopeo copy oci:image:demo -> " + remote);
    run_skopeo({"copy", "--dest-tls-verify=false", "--dest-creds", creds, "--preserve-digests", "oci:" + (work / "image").string() + ":demo", remote}, work);
    step("skopeo copy " + remote + " -> oci:pulled:v1");
    run_skopeo({"copy", "--src-tls-verify=false", "--src-creds", creds, "--preserve-digests", remote, "oci:" + (work / "pulled").string() + ":v1"},
               work);
    std::ifstream index_file(work / "pulled" / "index.json");
    const auto index = nlohmann::json::parse(index_file);
    const std::string pulled = index["manifests"][0]["digest"].get<std::string>();
    if (pulled != digest) throw std::runtime_error("pulled manifest " + pulled + " differs from pushed " + digest);
    step("pushed and pulled manifest " + digest + ": identical");
  } catch (const std::exception& error) {
    std::cerr << "demo failed: " << error.what() << std::endl;
    status = 1;
  }
  if (stop_server.wait_for(std::chrono::seconds(0)) == std::future_status::ready) stop_server.get()();
  server.join();
  if (status == 0) {
    std::cout << "\nWhere to look next:\n"
              << "  " << options.program << " serve --listen 127.0.0.1:5000 --data ./outpost-data --admin-password-file "
              << password_file.string() << "\n"
              << "  skopeo copy --dest-tls-verify=false --dest-creds admin:$(cat " << password_file.string() << ") oci:"
              << (work / "image").string() << ":demo docker://127.0.0.1:5000/demo/hello:v1\n"
              << "  curl -u admin:$(cat " << password_file.string() << ") http://127.0.0.1:5000/v2/_catalog\n"
              << "  " << options.program << " token create --registry http://127.0.0.1:5000 --password-file "
              << password_file.string() << " --name puller --repository demo/hello content/read\n"
              << "  docs/registry.md (options, storage layout, metrics), docs/architecture.md (how it fits together)\n"
              << "Demo files: " << work.string() << std::endl;
  }
  return status;
}

}  // namespace outpost::cli
