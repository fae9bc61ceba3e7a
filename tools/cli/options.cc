// What the commands share: options, usage helpers, the pass report.
#include <cstdlib>

#include "tools/cli/cli.h"

namespace kiln::cli {

void ArgReader::Unknown(const char* usage) {
  Error("unknown option '" + arg() + "'");
  PrintUsageWithPasses(usage, stderr);
}

bool ReadDeviceOption(ArgReader& r, SessionOptions* so) {
  const std::string& a = r.arg();
  if (a == "--strict-placement") {
    so->strict_placement = true;
  } else if (a == "--tf32") {
    so->allow_tf32 = true;
  } else if (a == "--cuda-graph") {
    so->graph_capture = true;
  } else if (a == "--device") {
    const std::string v = r.Value();
    if (r.failed()) return true;
    auto devices = DevicesNamed(v);
    if (!devices.ok()) {
      r.Error("--device: " + devices.status().message());
      return true;
    }
    so->devices = std::move(devices).value();
  } else {
    return false;
  }
  return true;
}

bool ReadPassOption(ArgReader& r, int* level, std::vector<std::string>* disabled) {
  const std::string a = r.arg();
  if (a != "--level" && a != "--disable") return false;
  const std::string v = r.Value();
  if (r.failed()) return true;
  if (a == "--level") {
    char* end = nullptr;
    long n = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end != '\0' || n < 0 || n > kMaxOptimizationLevel) {
      r.Error("--level expects 0 to " + std::to_string(kMaxOptimizationLevel) + ", got '" + v +
              "'");
      return true;
    }
    *level = static_cast<int>(n);
  } else {
    size_t start = 0;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      if (comma == std::string::npos) comma = v.size();
      if (comma > start) disabled->push_back(v.substr(start, comma - start));
      start = comma + 1;
    }
  }
  return true;
}

void PrintUsageWithPasses(const char* usage, FILE* out) {
  std::fprintf(out, "%s", usage);
  std::string line = "                        ";
  for (const std::string& name : PassNames()) {
    if (line.size() + name.size() + 1 > 98) {
      std::fprintf(out, "%s\n", line.c_str());
      line = "                        ";
    }
    line += " " + name;
  }
  std::fprintf(out, "%s\n", line.c_str());
}

void PrintPassReport(const PassReport& r) {
  std::printf("optimizer: %lld nodes -> %lld nodes in %d round%s\n",
              static_cast<long long>(r.nodes_before), static_cast<long long>(r.nodes_after),
              r.iterations, r.iterations == 1 ? "" : "s");
  for (const auto& e : r.entries) std::printf("  %-36s %d rewrites\n", e.pass.c_str(), e.rewrites);
  std::printf("  shape inference: %d values typed, %zu without a full type\n", r.values_typed,
              r.untyped.size());
  for (const auto& n : r.notes) std::printf("  note: %s\n", n.c_str());
}

bool IsHelp(const std::string& a) { return a == "--help" || a == "-h" || a == "help"; }

int Fail(const Status& s) {
  std::fprintf(stderr, "kiln: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace kiln::cli
