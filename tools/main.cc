// The kiln command-line tool: inspect, run and backend-test. Uses only the public API.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "ir/onnx_io.h"
#include "runtime/session.h"
#include "tools/backend_runner.h"
#include "tools/npy.h"

namespace kiln {
namespace {

const char* kUsage =
    "kiln: a from-scratch ONNX inference engine\n"
    "\n"
    "usage: kiln <command> [options]\n"
    "\n"
    "commands:\n"
    "  inspect MODEL               describe a model: opsets, inputs, outputs, ops, parameters\n"
    "  run MODEL [options]         run a model and print its outputs and latency\n"
    "  backend-test DIR [options]  run ONNX backend test cases and compare with expected outputs\n"
    "  ops [--coverage]            list the registered kernels; with --coverage, every\n"
    "                              (op, opset) of the onnx schemas and how kiln runs it\n"
    "\n"
    "run `kiln <command> --help` for a command's options.\n";

const char* kRunUsage =
    "usage: kiln run MODEL [--input NAME=FILE.npy]... [--random] [--output-dir DIR]\n"
    "                      [--runs N] [--top K]\n"
    "\n"
    "Inputs not given with --input are filled with seeded random values (symbolic dims = 1).\n"
    "  --input NAME=FILE.npy  feed input NAME from a NumPy file\n"
    "  --random               fill every input randomly (the default for inputs not given)\n"
    "  --output-dir DIR       write each tensor output to DIR/<name>.npy\n"
    "  --runs N               timed runs after one warm-up run (default 10)\n"
    "  --top K                print the K largest values of each output (default 5)\n";

const char* kBackendUsage =
    "usage: kiln backend-test DIR [--device cpu] [--filter REGEX] [--json FILE]\n"
    "                         [--known-failures FILE] [--jobs N] [--timeout S] [--verbose]\n"
    "\n"
    "DIR is one case (a folder with model.onnx and test_data_set_*), a suite (a folder of cases)\n"
    "or a root (a folder of suites). Prints one line per failing case and a summary\n"
    "'N passed, N failed'. With --known-failures, exits non-zero on any failure not in the list\n"
    "and on any listed case that passes.\n";

const char* kInspectUsage = "usage: kiln inspect MODEL\n";

bool IsHelp(const std::string& a) { return a == "--help" || a == "-h" || a == "help"; }

int Fail(const Status& s) {
  std::fprintf(stderr, "kiln: %s\n", s.ToString().c_str());
  return 1;
}

int Inspect(const std::vector<std::string>& args) {
  if (args.empty() || IsHelp(args[0])) {
    std::printf("%s", kInspectUsage);
    return args.empty() ? 2 : 0;
  }
  auto model = LoadModel(args[0]);
  if (!model.ok()) return Fail(model.status());
  const Model& m = *model;
  const Graph& g = *m.graph;
  std::printf("model:      %s\n", args[0].c_str());
  std::printf("ir_version: %lld\n", static_cast<long long>(m.ir_version));
  std::printf("producer:   %s %s\n", m.producer_name.c_str(), m.producer_version.c_str());
  std::printf("graph:      %s\n", g.name.c_str());
  std::printf("opsets:    ");
  for (const auto& [d, v] : m.opset_imports) {
    std::printf(" %s=%lld", d.empty() ? "ai.onnx" : d.c_str(), static_cast<long long>(v));
  }
  std::printf("\n");
  for (const auto& [k, v] : m.metadata) std::printf("metadata:   %s = %s\n", k.c_str(), v.c_str());
  std::printf("inputs:\n");
  for (int id : g.inputs()) {
    if (g.value(id).is_initializer) continue;
    std::printf("  %-24s %s\n", g.value(id).name.c_str(), g.value(id).type.ToString().c_str());
  }
  std::printf("outputs:\n");
  for (int id : g.outputs()) {
    std::printf("  %-24s %s\n", g.value(id).name.c_str(), g.value(id).type.ToString().c_str());
  }
  std::map<std::string, int> hist;
  std::vector<const Graph*> stack = {&g};
  while (!stack.empty()) {
    const Graph* cur = stack.back();
    stack.pop_back();
    for (const Node& n : cur->nodes()) {
      hist[(n.domain.empty() ? "" : n.domain + "::") + n.op_type]++;
      for (const Attribute& a : n.attributes) {
        if (a.g) stack.push_back(a.g.get());
        for (const auto& sg : a.graphs) stack.push_back(sg.get());
      }
    }
  }
  std::vector<std::pair<std::string, int>> ops(hist.begin(), hist.end());
  std::stable_sort(ops.begin(), ops.end(), [](auto& a, auto& b) { return a.second > b.second; });
  std::printf("ops: %lld nodes\n", static_cast<long long>(g.CountNodesRecursive()));
  for (const auto& [op, n] : ops) std::printf("  %-28s %d\n", op.c_str(), n);
  int64_t params = 0;
  size_t bytes = 0;
  for (const auto& [id, t] : g.initializers()) {
    params += t.numel();
    bytes += t.nbytes();
  }
  std::printf("parameters: %lld in %zu initializers, %.2f MiB\n", static_cast<long long>(params),
              g.initializers().size(), bytes / 1048576.0);
  return 0;
}

Tensor RandomTensor(const TypeInfo& type, std::mt19937_64& rng) {
  std::vector<int64_t> dims;
  if (type.shape) {
    for (const Dim& d : type.shape->dims) dims.push_back(d.known() ? d.value : 1);
  }
  DataType dt = type.elem_type == DataType::kUndefined ? DataType::kFloat : type.elem_type;
  Tensor t(dt, dims);
  std::uniform_real_distribution<float> uf(0.0f, 1.0f);
  std::uniform_int_distribution<int> ui(0, 9);
  for (int64_t i = 0; i < t.numel(); ++i) {
    switch (dt) {
      case DataType::kFloat: t.data<float>()[i] = uf(rng); break;
      case DataType::kDouble: t.data<double>()[i] = uf(rng); break;
      case DataType::kInt32: t.data<int32_t>()[i] = ui(rng); break;
      case DataType::kInt64: t.data<int64_t>()[i] = ui(rng); break;
      case DataType::kUint8: t.data<uint8_t>()[i] = static_cast<uint8_t>(ui(rng)); break;
      case DataType::kInt8: t.data<int8_t>()[i] = static_cast<int8_t>(ui(rng)); break;
      case DataType::kBool: t.data<bool>()[i] = ui(rng) % 2; break;
      default: break;  // zeros
    }
  }
  return t;
}

void PrintSummary(const NamedValue& nv, int top) {
  const AnyValue& v = nv.value;
  if (!v.is_tensor()) {
    std::printf("  %s: %s\n", nv.name.c_str(), v.TypeString().c_str());
    return;
  }
  const Tensor& t = v.tensor;
  std::printf("  %s: %s", nv.name.c_str(), t.TypeString().c_str());
  if (t.dtype() == DataType::kFloat && t.numel() > 0) {
    const float* p = t.data<float>();
    double sum = 0, mn = p[0], mx = p[0];
    for (int64_t i = 0; i < t.numel(); ++i) {
      sum += p[i];
      mn = std::min<double>(mn, p[i]);
      mx = std::max<double>(mx, p[i]);
    }
    std::printf("  min %.6g  max %.6g  mean %.6g\n", mn, mx, sum / t.numel());
    std::vector<int64_t> idx(t.numel());
    for (int64_t i = 0; i < t.numel(); ++i) idx[i] = i;
    int k = static_cast<int>(std::min<int64_t>(top, t.numel()));
    std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                      [&](int64_t a, int64_t b) { return p[a] > p[b]; });
    std::printf("    top %d:", k);
    for (int i = 0; i < k; ++i) std::printf("  [%lld] %.6g", static_cast<long long>(idx[i]), p[idx[i]]);
    std::printf("\n");
  } else {
    std::printf("\n");
  }
}

int Run(const std::vector<std::string>& args) {
  if (args.empty() || IsHelp(args[0])) {
    std::printf("%s", kRunUsage);
    return args.empty() ? 2 : 0;
  }
  std::string model_path = args[0], output_dir;
  std::map<std::string, std::string> npy_inputs;
  int runs = 10, top = 5;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto next = [&](const char* what) -> std::string {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "kiln run: %s needs a value\n", what);
        std::exit(2);
      }
      return args[++i];
    };
    if (a == "--input") {
      std::string spec = next("--input");
      if (spec == "random") continue;
      size_t eq = spec.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "kiln run: --input expects NAME=FILE.npy, got '%s'\n", spec.c_str());
        return 2;
      }
      npy_inputs[spec.substr(0, eq)] = spec.substr(eq + 1);
    } else if (a == "--random") {
    } else if (a == "--output-dir") {
      output_dir = next("--output-dir");
    } else if (a == "--runs") {
      runs = std::max(1, std::atoi(next("--runs").c_str()));
    } else if (a == "--top") {
      top = std::max(0, std::atoi(next("--top").c_str()));
    } else {
      std::fprintf(stderr, "kiln run: unknown option '%s'\n%s", a.c_str(), kRunUsage);
      return 2;
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  auto session = Session::Load(model_path);
  if (!session.ok()) return Fail(session.status());
  auto t1 = std::chrono::steady_clock::now();
  const Graph& g = *(*session)->model().graph;
  std::mt19937_64 rng(0);
  std::vector<NamedValue> feeds;
  for (int id : (*session)->required_inputs()) {
    const Value& v = g.value(id);
    auto it = npy_inputs.find(v.name);
    if (it != npy_inputs.end()) {
      auto t = ReadNpy(it->second);
      if (!t.ok()) return Fail(t.status());
      feeds.push_back({v.name, AnyValue(std::move(t).value())});
      npy_inputs.erase(it);
    } else {
      if (!v.type.is_tensor()) {
        std::fprintf(stderr, "kiln run: input '%s' (%s) needs a value; only tensors are made up\n",
                     v.name.c_str(), v.type.ToString().c_str());
        return 2;
      }
      feeds.push_back({v.name, AnyValue(RandomTensor(v.type, rng))});
    }
  }
  if (!npy_inputs.empty()) {
    std::fprintf(stderr, "kiln run: the model has no input '%s'\n", npy_inputs.begin()->first.c_str());
    return 2;
  }
  std::printf("model: %s (loaded in %.1f ms)\n", model_path.c_str(),
              std::chrono::duration<double, std::milli>(t1 - t0).count());
  for (const auto& f : feeds) std::printf("input  %s: %s\n", f.name.c_str(), f.value.TypeString().c_str());
  auto outs = (*session)->Run(feeds);  // warm-up
  if (!outs.ok()) return Fail(outs.status());
  std::vector<double> ms;
  for (int r = 0; r < runs; ++r) {
    auto a = std::chrono::steady_clock::now();
    auto o = (*session)->Run(feeds);
    auto b = std::chrono::steady_clock::now();
    if (!o.ok()) return Fail(o.status());
    ms.push_back(std::chrono::duration<double, std::milli>(b - a).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("outputs:\n");
  for (const auto& o : *outs) PrintSummary(o, top);
  std::printf("latency: median %.3f ms, min %.3f ms, max %.3f ms over %d runs (cpu)\n",
              ms[ms.size() / 2], ms.front(), ms.back(), runs);
  if (!output_dir.empty()) {
    for (const auto& o : *outs) {
      if (!o.value.is_tensor()) continue;
      std::string safe = o.name;
      for (char& c : safe) {
        if (c == '/' || c == '\\') c = '_';
      }
      Status s = WriteNpy(output_dir + "/" + safe + ".npy", o.value.tensor);
      if (!s.ok()) return Fail(s);
    }
    std::printf("wrote outputs to %s\n", output_dir.c_str());
  }
  return 0;
}

int BackendTest(const std::vector<std::string>& args) {
  if (args.empty() || IsHelp(args[0])) {
    std::printf("%s", kBackendUsage);
    return args.empty() ? 2 : 0;
  }
  BackendTestOptions o;
  o.dir = args[0];
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= args.size()) {
        std::fprintf(stderr, "kiln backend-test: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return args[++i];
    };
    if (a == "--device") {
      o.device = next();
    } else if (a == "--filter") {
      o.filter = next();
    } else if (a == "--json") {
      o.json_path = next();
    } else if (a == "--known-failures") {
      o.known_failures = next();
    } else if (a == "--jobs" || a == "-j") {
      o.jobs = std::atoi(next().c_str());
    } else if (a == "--timeout") {
      o.timeout_s = std::max(1, std::atoi(next().c_str()));
    } else if (a == "--verbose" || a == "-v") {
      o.verbose = true;
    } else {
      std::fprintf(stderr, "kiln backend-test: unknown option '%s'\n%s", a.c_str(), kBackendUsage);
      return 2;
    }
  }
  if (o.device != "cpu") {
    std::fprintf(stderr, "kiln backend-test: device '%s' is not available in this build\n",
                 o.device.c_str());
    return 2;
  }
  return RunBackendTests(o);
}

int Ops(const std::vector<std::string>& args) {
  if (!args.empty() && IsHelp(args[0])) {
    std::printf("usage: kiln ops [--coverage]\n");
    return 0;
  }
  const KernelRegistry& reg = DefaultRegistry();
  if (args.empty()) {
    for (const auto* e : reg.Sorted()) {
      std::string types;
      for (const auto& tc : e->def.type_constraints) {
        types += " " + tc.name + ":";
        for (size_t i = 0; i < tc.allowed.size(); ++i) {
          types += (i ? "," : "") + std::string(DataTypeName(tc.allowed[i]));
        }
      }
      std::printf("%-40s%s\n", e->def.ToString().c_str(), types.c_str());
    }
    return 0;
  }
  if (args[0] != "--coverage") {
    std::fprintf(stderr, "kiln ops: unknown option '%s'\n", args[0].c_str());
    return 2;
  }
  // Every schema version of ai.onnx and ai.onnx.ml: a kernel runs it, or its function body is
  // inlined, or kiln cannot run it yet.
  auto schemas = ListOnnxSchemas();
  std::sort(schemas.begin(), schemas.end(), [](const OnnxSchemaInfo& a, const OnnxSchemaInfo& b) {
    return std::tie(a.domain, a.op_type, a.since_version) <
           std::tie(b.domain, b.op_type, b.since_version);
  });
  int kernel = 0, function = 0, missing = 0;
  std::printf(
      "# Operator coverage\n\n"
      "Generated by `kiln ops --coverage` from kiln's kernel registry and the operator schemas of\n"
      "the pinned onnx release; `scripts/test.sh` fails when this file is stale. Each row is one\n"
      "version of an operator: run by a kiln kernel, by inlining its function body from the schema\n"
      "(on the kernels of the ops in the body), or missing.\n\n");
  std::printf("| domain | op | since opset | kiln (cpu) |\n|---|---|---|---|\n");
  for (const auto& s : schemas) {
    if (!s.domain.empty() && s.domain != "ai.onnx.ml") continue;
    const char* how;
    if (reg.Has(s.domain, s.op_type, s.since_version, Device::kCpu)) {
      how = "kernel";
      ++kernel;
    } else if (s.has_function) {
      how = "function body (inlined)";
      ++function;
    } else {
      how = s.deprecated ? "missing (deprecated op)" : "missing";
      ++missing;
    }
    std::printf("| %s | %s | %d | %s |\n", s.domain.empty() ? "ai.onnx" : s.domain.c_str(),
                s.op_type.c_str(), s.since_version, how);
  }
  std::printf("\n%d (op, opset) versions: %d with a kernel, %d by function body, %d missing\n",
              kernel + function + missing, kernel, function, missing);
  return 0;
}

}  // namespace
}  // namespace kiln

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || kiln::IsHelp(args[0])) {
    std::printf("%s", kiln::kUsage);
    return args.empty() ? 2 : 0;
  }
  std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "inspect") return kiln::Inspect(args);
  if (cmd == "run") return kiln::Run(args);
  if (cmd == "backend-test") return kiln::BackendTest(args);
  if (cmd == "ops") return kiln::Ops(args);
  std::fprintf(stderr, "kiln: unknown command '%s'\n\n%s", cmd.c_str(), kiln::kUsage);
  return 2;
}
