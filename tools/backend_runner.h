// The ONNX backend test runner behind `kiln backend-test`.
//
// A case folder holds model.onnx, test_data_set_N/{input,output}_i.pb and optionally data.json
// with "rtol"/"atol". Results are compared the way onnx's own runner does: same number of
// outputs, exact shape and element type, strings exactly, numbers with
// |actual - expected| <= atol + rtol * |expected| (NaN equals NaN; bfloat16 with rtol at least
// 2^-6), sequences and optionals element by element, maps by key (the same key set, each key's
// value as a tensor element; entry order does not matter).
#pragma once

#include <string>
#include <vector>

#include "ir/status.h"
#include "ir/tensor.h"

namespace kiln {

struct BackendTestOptions {
  std::string dir;              // a case, a suite (folder of cases) or a root (folder of suites)
  std::string device = "cpu";
  std::string filter;           // ECMAScript regex on case names ("suite/test_name")
  std::string json_path;        // write per-case results as JSON
  std::string known_failures;   // list of expected failures: "suite/case  reason" per line
  int jobs = 0;                 // cases run at once (each in its own process); 0: CPU count
  int timeout_s = 300;          // per case
  bool verbose = false;         // also print passing cases
  int level = 3;                // optimization level of each session
  std::vector<std::string> disabled_passes;
  bool memory_runs = true;      // run each data set twice: recorded, then from the arena
  bool poison = false;          // fill arenas with a poison pattern before each planned run
  // cuda: SessionOptions::graph_capture, each data set run three times (recorded, captured,
  // replayed); a model whose load refuses capture runs uncaptured.
  bool graph_capture = false;
};

// Runs the cases; prints one line per failing case and "N passed, N failed". Returns the exit
// code: 0 when every failure is expected (all failures when no known-failures list is given
// count as unexpected) and no listed case passes.
int RunBackendTests(const BackendTestOptions& options);

// Compares one actual value with the expected one; "" when they match, else the reason.
std::string CompareValues(const AnyValue& expected, const AnyValue& actual, double rtol,
                          double atol);

// Runs one case in this process; "" on success, else the reason.
std::string RunBackendCase(const std::string& case_dir, const BackendTestOptions& options);

}  // namespace kiln
