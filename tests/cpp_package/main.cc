// Runs ONNX backend test cases (a folder with model.onnx and test_data_set_0/) through the
// installed kiln package and compares each output with the expected one. Usage:
//   consumer CASE_DIR...     (exit 0 when every case matches)
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "ir/onnx_io.h"
#include "runtime/profiler.h"
#include "runtime/session.h"

namespace {

bool Close(const kiln::Tensor& got, const kiln::Tensor& want, std::string* why) {
  if (got.dtype() != kiln::DataType::kFloat || want.dtype() != kiln::DataType::kFloat) {
    *why = "expected float outputs";
    return false;
  }
  if (got.dims() != want.dims()) {
    *why = "shape " + got.TypeString() + " != " + want.TypeString();
    return false;
  }
  for (int64_t i = 0; i < got.numel(); ++i) {
    const float g = got.data<float>()[i], w = want.data<float>()[i];
    if (!(std::fabs(g - w) <= 1e-4f + 1e-3f * std::fabs(w))) {
      *why = "element " + std::to_string(i) + ": " + std::to_string(g) + " != " +
             std::to_string(w);
      return false;
    }
  }
  return true;
}

bool RunCase(const std::string& dir) {
  kiln::SessionOptions options;
  options.enable_profiling = true;
  auto session = kiln::Session::Load(dir + "/model.onnx", options);
  if (!session.ok()) {
    std::printf("%s: %s\n", dir.c_str(), session.status().ToString().c_str());
    return false;
  }
  const kiln::Session& s = **session;
  std::vector<kiln::NamedValue> feeds;
  const auto& ins = s.declared_inputs();
  for (size_t i = 0; i < ins.size(); ++i) {
    if (ins[i].has_default) continue;
    const std::string path = dir + "/test_data_set_0/input_" + std::to_string(i) + ".pb";
    auto value = kiln::LoadValueFile(path, ins[i].type);
    if (!value.ok()) {
      std::printf("%s: %s\n", dir.c_str(), value.status().ToString().c_str());
      return false;
    }
    feeds.push_back({ins[i].name, std::move(value).value()});
  }
  auto outs = s.Run(feeds);
  if (!outs.ok()) {
    std::printf("%s: %s\n", dir.c_str(), outs.status().ToString().c_str());
    return false;
  }
  for (size_t i = 0; i < outs->size(); ++i) {
    const std::string path = dir + "/test_data_set_0/output_" + std::to_string(i) + ".pb";
    auto want = kiln::LoadValueFile(path, s.declared_outputs()[i].type);
    std::string why;
    if (!want.ok()) {
      why = want.status().ToString();
    } else if (Close((*outs)[i].value.tensor, want->tensor, &why)) {
      continue;
    }
    std::printf("%s: output %zu: %s\n", dir.c_str(), i, why.c_str());
    return false;
  }
  const std::vector<kiln::ProfileEvent> events = (*session)->EndProfiling();
  int nodes = 0;
  for (const auto& e : events) nodes += e.kind == kiln::ProfileEvent::Kind::kNode;
  std::printf("%s: ok (%zu outputs, %d node runs profiled)\n", dir.c_str(), outs->size(), nodes);
  return nodes > 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: consumer CASE_DIR...\n");
    return 2;
  }
  bool ok = true;
  for (int i = 1; i < argc; ++i) ok = RunCase(argv[i]) && ok;
  return ok ? 0 : 1;
}
