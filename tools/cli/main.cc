// The kiln command-line tool: the command dispatch. Each command is a file of this folder.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tools/cli/cli.h"

namespace {

const char* kUsage =
    "kiln: a from-scratch ONNX inference engine\n"
    "\n"
    "usage: kiln <command> [options]\n"
    "\n"
    "commands:\n"
    "  inspect MODEL [options]     describe a model: opsets, inputs, outputs, ops, parameters;\n"
    "                              with --level, after the optimizer\n"
    "  run MODEL [options]         run a model and print its outputs and latency\n"
    "  optimize IN OUT [options]   run the optimizer and write the optimized model\n"
    "  backend-test DIR [options]  run ONNX backend test cases and compare with expected outputs\n"
    "  ops [--coverage]            the kernel registry as a table (op, domain, opsets, element\n"
    "                              types, device); with --coverage, every (op, opset) of the\n"
    "                              onnx schemas and how kiln runs it (docs/operators.md)\n"
    "\n"
    "run `kiln <command> --help` for a command's options.\n";

}  // namespace

namespace {

// Before any library's constructor (an executable's .preinit_array runs first): libgomp, the CPU
// kernels' thread pool, reads GOMP_SPINCOUNT as it loads. 20000 spins keep its threads hot between
// the nodes of a run and let them sleep about 1 ms after it (11 ms of CPU with libgomp's default,
// docs/design.md). A value the user set, or OMP_WAIT_POLICY, stands.
void SetOmpSpin(int, char**, char**) {
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) setenv("GOMP_SPINCOUNT", "20000", 0);
}
__attribute__((section(".preinit_array"), used)) void (*const kSetOmpSpin)(int, char**,
                                                                            char**) = SetOmpSpin;

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || kiln::cli::IsHelp(args[0])) {
    std::printf("%s", kUsage);
    return args.empty() ? 2 : 0;
  }
  std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "inspect") return kiln::cli::Inspect(args);
  if (cmd == "run") return kiln::cli::Run(args);
  if (cmd == "optimize") return kiln::cli::Optimize(args);
  if (cmd == "backend-test") return kiln::cli::BackendTest(args);
  if (cmd == "ops") return kiln::cli::Ops(args);
  std::fprintf(stderr, "kiln: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
  return 2;
}
