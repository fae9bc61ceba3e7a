// kiln backend-test: runs ONNX backend test cases (tools/backend_runner.h), each in its own
// process, against a known-failures list.
#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "tools/backend_runner.h"
#include "tools/cli/cli.h"

namespace kiln::cli {
namespace {

const char* kBackendUsage =
    "usage: kiln backend-test DIR [--device cpu|cuda] [--filter REGEX] [--json FILE]\n"
    "                         [--known-failures FILE] [--jobs N] [--timeout S] [--verbose]\n"
    "                         [--level N] [--disable NAME]... [--poison] [--single-run]\n"
    "                         [--cuda-graph]\n"
    "\n"
    "DIR is one case (a folder with model.onnx and test_data_set_*), a suite (a folder of cases)\n"
    "or a root (a folder of suites). Prints one line per failing case and a summary\n"
    "'N passed, N failed'. With --known-failures, exits non-zero on any failure not in the list\n"
    "and on any listed case that passes. Each test data set runs twice: the first run of a shape\n"
    "is recorded for the memory plan, the second runs from the arena; both are compared.\n"
    "  --poison               fill arenas with 0xFF bytes before each planned run\n"
    "  --single-run           run each data set once (no planned run)\n"
    "  --cuda-graph           with --device cuda: graph capture; each data set runs a third\n"
    "                         time, replaying the graph (models it refuses run "
    "uncaptured)\n" KILN_PASS_OPTIONS_HELP;

}  // namespace

int BackendTest(const std::vector<std::string>& args) {
  if (args.empty() || IsHelp(args[0])) {
    PrintUsageWithPasses(kBackendUsage);
    return args.empty() ? 2 : 0;
  }
  BackendTestOptions o;
  o.dir = args[0];
  ArgReader r("kiln backend-test", args, 1);
  while (r.Next()) {
    if (ReadPassOption(r, &o.level, &o.disabled_passes)) continue;
    const std::string a = r.arg();
    if (a == "--device") {
      o.device = r.Value();
    } else if (a == "--filter") {
      o.filter = r.Value();
    } else if (a == "--json") {
      o.json_path = r.Value();
    } else if (a == "--known-failures") {
      o.known_failures = r.Value();
    } else if (a == "--jobs" || a == "-j") {
      const std::string v = r.Value();
      if (!r.failed()) o.jobs = std::atoi(v.c_str());
    } else if (a == "--timeout") {
      const std::string v = r.Value();
      if (!r.failed()) o.timeout_s = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--verbose" || a == "-v") {
      o.verbose = true;
    } else if (a == "--poison") {
      o.poison = true;
    } else if (a == "--single-run") {
      o.memory_runs = false;
    } else if (a == "--cuda-graph") {
      o.graph_capture = true;
    } else {
      r.Unknown(kBackendUsage);
    }
  }
  if (r.failed()) return 2;
  if (auto devices = DevicesNamed(o.device); !devices.ok()) {
    std::fprintf(stderr, "kiln backend-test: --device: %s\n", devices.status().message().c_str());
    return 2;
  }
  if (o.graph_capture && o.device != "cuda") {
    std::fprintf(stderr, "kiln backend-test: --cuda-graph needs --device cuda\n");
    return 2;
  }
  if (o.device == "cuda") {
    Status available = DeviceStatus(Device::kCuda);
    if (!available.ok()) {
      std::fprintf(stderr, "kiln backend-test: device 'cuda' is not available: %s\n",
                   available.message().c_str());
      return 2;
    }
    std::printf("device: %s\n", DeviceDescription(Device::kCuda).c_str());
  }
  return RunBackendTests(o);
}

}  // namespace kiln::cli
