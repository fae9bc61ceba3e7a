// The kiln command-line tool: one file per command (inspect.cc, run.cc, optimize.cc, backend.cc
// for backend-test, ops.cc), the dispatch in main.cc, and what they share here: the argument
// reader, the device and pass options, and the usage texts' common parts. Uses only the public
// API (runtime/session.h and the layers below it).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "passes/pipeline.h"
#include "runtime/session.h"

namespace kiln::cli {

// A command's arguments, read left to right. Errors (a missing value, an unknown option) are
// printed at once, prefixed with the command ("kiln run: ..."), and end the reading: the command
// then returns 2.
class ArgReader {
 public:
  // Reads args[first...] of `command` ("kiln run").
  ArgReader(std::string command, const std::vector<std::string>& args, size_t first)
      : command_(std::move(command)), args_(args), i_(first) {}

  // Moves to the next argument; false at the end or after an error.
  bool Next() {
    if (failed_) return false;
    if (started_) ++i_;
    started_ = true;
    return i_ < args_.size();
  }
  const std::string& arg() const { return args_[i_]; }
  // The value of the current option (the argument after it); "" and an error when there is none.
  std::string Value() {
    if (i_ + 1 >= args_.size()) {
      Error(arg() + " needs a value");
      return "";
    }
    return args_[++i_];
  }
  // Prints "<command>: <message>" and stops the reading.
  void Error(const std::string& message) {
    if (!failed_) std::fprintf(stderr, "%s: %s\n", command_.c_str(), message.c_str());
    failed_ = true;
  }
  // An unknown option: the error, then `usage` (with the pass names) on stderr.
  void Unknown(const char* usage);
  bool failed() const { return failed_; }

 private:
  std::string command_;
  const std::vector<std::string>& args_;
  size_t i_;
  bool started_ = false;
  bool failed_ = false;
};

// --device / --strict-placement / --tf32 / --cuda-graph at the reader's argument: true when it was
// one of them (read into `so`, or an error recorded).
bool ReadDeviceOption(ArgReader& r, SessionOptions* so);
// --level / --disable at the reader's argument: true when it was one of them.
bool ReadPassOption(ArgReader& r, int* level, std::vector<std::string>* disabled);

#define KILN_DEVICE_OPTIONS_HELP                                                                 \
  "  --device DEV           cpu (default) or cuda: run on the GPU, the CPU taking what it has\n" \
  "                         no kernel for\n"                                                     \
  "  --strict-placement     with --device cuda: fail when a node would fall back to the CPU\n"   \
  "  --tf32                 with --device cuda: let float32 matrix products use TF32\n"          \
  "  --cuda-graph           with --device cuda: record the run as a CUDA graph and replay it\n"  \
  "                         (the whole graph on the GPU, fixed input shapes per recording)\n"

#define KILN_PASS_OPTIONS_HELP                                                              \
  "  --level N              optimization level: 0 none, 1 clean-ups, 2 standard fusions,\n" \
  "                         3 kiln fused ops too (default 3)\n"                             \
  "  --disable NAME         skip a pass (repeatable, or comma-separated); the passes:\n"

// Prints a usage text that ends with KILN_PASS_OPTIONS_HELP, then the pass names.
void PrintUsageWithPasses(const char* usage, FILE* out = stdout);
void PrintPassReport(const PassReport& r);
bool IsHelp(const std::string& a);
// Prints the error ("kiln: <status>") and returns 1, a command's exit status for a failure.
int Fail(const Status& s);

// The commands: each takes the arguments after its name and returns the exit status.
int Inspect(const std::vector<std::string>& args);
int Run(const std::vector<std::string>& args);
int Optimize(const std::vector<std::string>& args);
int BackendTest(const std::vector<std::string>& args);
int Ops(const std::vector<std::string>& args);

}  // namespace kiln::cli
