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
#include "passes/pipeline.h"
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

#define KILN_DEVICE_OPTIONS_HELP                                                            \
  "  --device DEV           cpu (default) or cuda: run on the GPU, the CPU taking what it has\n" \
  "                         no kernel for\n"                                                  \
  "  --strict-placement     with --device cuda: fail when a node would fall back to the CPU\n"  \
  "  --tf32                 with --device cuda: let float32 matrix products use TF32\n"       \
  "  --cuda-graph           with --device cuda: record the run as a CUDA graph and replay it\n" \
  "                         (the whole graph on the GPU, fixed input shapes per recording)\n"

#define KILN_PASS_OPTIONS_HELP                                                              \
  "  --level N              optimization level: 0 none, 1 clean-ups, 2 standard fusions,\n" \
  "                         3 kiln fused ops too (default 3)\n"                             \
  "  --disable NAME         skip a pass (repeatable, or comma-separated); the passes:\n"

// Prints a usage text that ends with KILN_PASS_OPTIONS_HELP, then the pass names.
void PrintUsageWithPasses(const char* usage, FILE* out = stdout) {
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

const char* kRunUsage =
    "usage: kiln run MODEL [--input NAME=FILE]... [--random] [--output-dir DIR] [--memory]\n"
    "                      [--runs N] [--top K] [--seed N] [--device DEV] [--verbose]\n"
    "                      [--level N] [--disable NAME]...\n"
    "\n"
    "Inputs not given with --input are filled with seeded random values (symbolic dims = 1);\n"
    "only tensor inputs can be made up.\n"
    "  --input NAME=FILE.npy  feed input NAME from a NumPy file\n"
    "  --input NAME=FILE.pb   feed input NAME from a serialized TensorProto, SequenceProto,\n"
    "                         MapProto or OptionalProto, read as the input's declared type\n"
    "  --random               fill every input randomly (the default for inputs not given)\n"
    "  --output-dir DIR       write each tensor output to DIR/<name>.npy; string tensors,\n"
    "                         sequences and maps to DIR/<name>.pb (TensorProto, SequenceProto,\n"
    "                         MapProto)\n"
    "  --runs N               timed runs after one warm-up run (default 10)\n"
    "  --top K                print the K largest values of each output (default 5)\n"
    "  --seed N               session seed of random ops without a seed attribute (reproducible\n"
    "                         runs, as onnxruntime.set_seed); default: fresh values every run\n"
    "  --memory               print each memory plan (arena, lower bound, naive sum, and a\n"
    "                         drawing for small plans) and the process's peak RSS\n"
    "  --verbose              print where each node runs (placement) and the device\n"
    KILN_DEVICE_OPTIONS_HELP KILN_PASS_OPTIONS_HELP;

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
    "                         time, replaying the graph (models it refuses run uncaptured)\n"
    KILN_PASS_OPTIONS_HELP;

const char* kInspectUsage =
    "usage: kiln inspect MODEL [--level N] [--disable NAME]... [--graph] [--shapes]\n"
    "                          [--placement] [--device DEV]\n"
    "\n"
    "Without --level: the model as imported. With --level: after the optimizer, with what each\n"
    "pass changed.\n"
    "  --graph                print every node: op, name, inputs and outputs with their types\n"
    "  --shapes               print every value's inferred type, or why it has none\n"
    "  --placement            print the device of every node and the copies between devices\n"
    "                         (with --device cuda; the default level is then 3)\n"
    KILN_DEVICE_OPTIONS_HELP KILN_PASS_OPTIONS_HELP;

const char* kOptimizeUsage =
    "usage: kiln optimize IN.onnx OUT.onnx [--level N] [--disable NAME]... [--kiln-ops]\n"
    "                     [--external-data BYTES]\n"
    "\n"
    "Runs the optimizer and writes a valid ONNX model (standard ops only unless --kiln-ops), with\n"
    "initializers of at least BYTES (default 1024; -1: none) in OUT.onnx.data. Prints what each\n"
    "pass changed.\n"
    "  --kiln-ops             also apply fusions into kiln's own ops (docs/kiln_ops.md); the\n"
    "                         result then runs on kiln only\n" KILN_PASS_OPTIONS_HELP;

// Parses --device / --strict-placement / --tf32 / --cuda-graph at args[i]; returns false if args[i] is none.
bool ParseDeviceOption(const std::vector<std::string>& args, size_t& i, SessionOptions* so) {
  const std::string& a = args[i];
  if (a == "--strict-placement") {
    so->strict_placement = true;
    return true;
  }
  if (a == "--tf32") {
    so->allow_tf32 = true;
    return true;
  }
  if (a == "--cuda-graph") {
    so->graph_capture = true;
    return true;
  }
  if (a != "--device") return false;
  if (i + 1 >= args.size()) {
    std::fprintf(stderr, "kiln: --device needs a value (cpu or cuda)\n");
    std::exit(2);
  }
  const std::string v = args[++i];
  if (v == "cpu") {
    so->devices = {Device::kCpu};
  } else if (v == "cuda") {
    so->devices = {Device::kCuda, Device::kCpu};
  } else {
    std::fprintf(stderr, "kiln: --device expects cpu or cuda, got '%s'\n", v.c_str());
    std::exit(2);
  }
  return true;
}

// Parses --level / --disable at args[i]; returns false if args[i] is neither.
bool ParsePassOption(const std::vector<std::string>& args, size_t& i, int* level,
                     std::vector<std::string>* disabled) {
  const std::string& a = args[i];
  if (a != "--level" && a != "--disable") return false;
  if (i + 1 >= args.size()) {
    std::fprintf(stderr, "kiln: %s needs a value\n", a.c_str());
    std::exit(2);
  }
  const std::string v = args[++i];
  if (a == "--level") {
    char* end = nullptr;
    long n = std::strtol(v.c_str(), &end, 10);
    if (*end != '\0' || n < 0 || n > kMaxOptimizationLevel) {
      std::fprintf(stderr, "kiln: --level expects 0 to %d, got '%s'\n", kMaxOptimizationLevel,
                   v.c_str());
      std::exit(2);
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

void PrintGraph(const Graph& g, const std::string& indent) {
  auto order = g.TopologicalOrder();
  if (!order.ok()) return;
  for (int nid : *order) {
    const Node& n = g.node(nid);
    std::string line = indent + (n.domain.empty() ? "" : n.domain + "::") + n.op_type;
    if (!n.name.empty()) line += " '" + n.name + "'";
    line += ":";
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      line += (i ? ", " : " ") +
              (n.inputs[i] == kNoValue ? std::string("-") : g.value(n.inputs[i]).name);
    }
    line += " ->";
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      if (n.outputs[i] == kNoValue) continue;
      const Value& v = g.value(n.outputs[i]);
      line += (i ? ", " : " ") + v.name + " " + v.type.ToString();
    }
    std::printf("%s\n", line.c_str());
    for (Graph* sub : n.Subgraphs()) PrintGraph(*sub, indent + "    ");
  }
}

int Inspect(const std::vector<std::string>& args) {
  if (args.empty() || IsHelp(args[0])) {
    PrintUsageWithPasses(kInspectUsage);
    return args.empty() ? 2 : 0;
  }
  int level = -1;
  std::vector<std::string> disabled;
  bool graph = false, shapes = false, placement = false;
  SessionOptions so;
  for (size_t i = 1; i < args.size(); ++i) {
    if (ParsePassOption(args, i, &level, &disabled)) continue;
    if (ParseDeviceOption(args, i, &so)) continue;
    if (args[i] == "--placement") {
      placement = true;
    } else if (args[i] == "--graph") {
      graph = true;
    } else if (args[i] == "--shapes") {
      shapes = true;
    } else {
      std::fprintf(stderr, "kiln inspect: unknown option \'%s\'\n", args[i].c_str());
      PrintUsageWithPasses(kInspectUsage, stderr);
      return 2;
    }
  }
  if (shapes && level < 0) level = 1;  // types come from shape inference
  if (placement && level < 0) level = kMaxOptimizationLevel;  // what a session runs
  std::unique_ptr<Session> session;
  StatusOr<Model> loaded = Model();
  if (level < 0) {
    loaded = LoadModel(args[0]);
    if (!loaded.ok()) return Fail(loaded.status());
  } else {
    so.optimization_level = level;
    so.disabled_passes = disabled;
    auto s = Session::Load(args[0], so);
    if (!s.ok()) return Fail(s.status());
    session = std::move(s).value();
  }
  const Model& m = session ? session->model() : *loaded;
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
  if (session) PrintPassReport(session->pass_report());
  if (placement) std::printf("%s", session->placement().ToString().c_str());
  if (graph) {
    std::printf("graph:\n");
    PrintGraph(g, "  ");
  }
  if (shapes) {
    std::printf("values:\n");
    for (const Value& v : g.values()) {
      if (v.is_initializer && !v.is_graph_input) continue;
      std::printf("  %-32s %s\n", v.name.c_str(), v.type.ToString().c_str());
    }
    const auto& untyped = session->pass_report().untyped;
    if (!untyped.empty()) std::printf("without a full type:\n");
    for (const auto& u : untyped) std::printf("  %s\n", u.c_str());
  }
  return 0;
}

int Optimize(const std::vector<std::string>& args) {
  if (args.size() < 2 || IsHelp(args[0])) {
    PrintUsageWithPasses(kOptimizeUsage);
    return args.empty() || !IsHelp(args[0]) ? 2 : 0;
  }
  SessionOptions so;
  bool kiln_ops = false;
  int64_t threshold = 1024;
  for (size_t i = 2; i < args.size(); ++i) {
    if (ParsePassOption(args, i, &so.optimization_level, &so.disabled_passes)) continue;
    if (args[i] == "--kiln-ops") {
      kiln_ops = true;
    } else if (args[i] == "--external-data" && i + 1 < args.size()) {
      threshold = std::atoll(args[++i].c_str());
    } else {
      std::fprintf(stderr, "kiln optimize: unknown option \'%s\'\n", args[i].c_str());
      PrintUsageWithPasses(kOptimizeUsage, stderr);
      return 2;
    }
  }
  PassOptions po = PassOptionsFor(so);
  po.allow_kiln_ops = kiln_ops;
  ImportOptions io;
  io.has_kernel = po.has_kernel;
  auto model = LoadModel(args[0], io);
  if (!model.ok()) return Fail(model.status());
  auto report = RunPasses(*model, po);
  if (!report.ok()) return Fail(report.status());
  PrintPassReport(*report);
  Status s = SaveModel(*model, args[1], threshold);
  if (!s.ok()) return Fail(s);
  std::printf("wrote %s\n", args[1].c_str());
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
      case DataType::kFloat:
        t.data<float>()[i] = uf(rng);
        break;
      case DataType::kDouble:
        t.data<double>()[i] = uf(rng);
        break;
      case DataType::kInt32:
        t.data<int32_t>()[i] = ui(rng);
        break;
      case DataType::kInt64:
        t.data<int64_t>()[i] = ui(rng);
        break;
      case DataType::kUint8:
        t.data<uint8_t>()[i] = static_cast<uint8_t>(ui(rng));
        break;
      case DataType::kInt8:
        t.data<int8_t>()[i] = static_cast<int8_t>(ui(rng));
        break;
      case DataType::kBool:
        t.data<bool>()[i] = ui(rng) % 2;
        break;
      default:
        break;  // zeros
    }
  }
  return t;
}

// Element i of a 1-D tensor as text: "0.25", "7", "'cat'".
std::string ElementText(const Tensor& t, int64_t i) {
  char buf[64];
  switch (t.dtype()) {
    case DataType::kFloat:
      std::snprintf(buf, sizeof buf, "%.6g", t.data<float>()[i]);
      return buf;
    case DataType::kDouble:
      std::snprintf(buf, sizeof buf, "%.6g", t.data<double>()[i]);
      return buf;
    case DataType::kInt8:
      return std::to_string(t.data<int8_t>()[i]);
    case DataType::kInt16:
      return std::to_string(t.data<int16_t>()[i]);
    case DataType::kInt32:
      return std::to_string(t.data<int32_t>()[i]);
    case DataType::kInt64:
      return std::to_string(t.data<int64_t>()[i]);
    case DataType::kUint8:
      return std::to_string(t.data<uint8_t>()[i]);
    case DataType::kUint16:
      return std::to_string(t.data<uint16_t>()[i]);
    case DataType::kUint32:
      return std::to_string(t.data<uint32_t>()[i]);
    case DataType::kUint64:
      return std::to_string(t.data<uint64_t>()[i]);
    case DataType::kBool:
      return t.data<uint8_t>()[i] ? "true" : "false";
    case DataType::kString:
      return "'" + t.data<std::string>()[i] + "'";
    default:
      return "?";
  }
}

// A map's entries as "{2: 0.9, 5: 0.1}", the first `max_entries` of them.
std::string MapText(const AnyValue& m, int64_t max_entries) {
  std::string s = "{";
  for (int64_t i = 0; i < m.map_size(); ++i) {
    if (i == max_entries) {
      s += ", ... " + std::to_string(m.map_size() - i) + " more";
      break;
    }
    if (i) s += ", ";
    s += MapKeyToString(m.map_keys, i) + ": " + ElementText(m.map_values, i);
  }
  return s + "}";
}

// Prints a value that is not a tensor: its type; a map's entries; a sequence's length and, for a
// sequence of maps, its first items.
void PrintNonTensorSummary(const NamedValue& nv) {
  constexpr int64_t kMaxEntries = 10;
  constexpr size_t kMaxItems = 5;
  const AnyValue& v = nv.value;
  if (v.is_map()) {
    std::printf("  %s: %s, %lld entries: %s\n", nv.name.c_str(), v.TypeString().c_str(),
                static_cast<long long>(v.map_size()), MapText(v, kMaxEntries).c_str());
    return;
  }
  if (v.kind != AnyValue::Kind::kSequence) {
    std::printf("  %s: %s\n", nv.name.c_str(), v.TypeString().c_str());
    return;
  }
  std::printf("  %s: %s, %zu item%s\n", nv.name.c_str(), v.TypeString().c_str(), v.sequence.size(),
              v.sequence.size() == 1 ? "" : "s");
  for (size_t i = 0; i < v.sequence.size() && i < kMaxItems; ++i) {
    if (!v.sequence[i].is_map()) break;
    std::printf("    [%zu] %s\n", i, MapText(v.sequence[i], kMaxEntries).c_str());
  }
  if (v.sequence.size() > kMaxItems && v.sequence[0].is_map()) {
    std::printf("    ... %zu more\n", v.sequence.size() - kMaxItems);
  }
}

void PrintSummary(const NamedValue& nv, int top) {
  const AnyValue& v = nv.value;
  if (!v.is_tensor()) {
    PrintNonTensorSummary(nv);
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
    for (int i = 0; i < k; ++i)
      std::printf("  [%lld] %.6g", static_cast<long long>(idx[i]), p[idx[i]]);
    std::printf("\n");
  } else {
    std::printf("\n");
  }
}

// This process's peak resident memory (VmHWM of /proc/self/status) in MiB; -1 when unknown. Unlike
// getrusage's ru_maxrss it starts afresh at exec, so a parent's size does not leak into it.
double PeakRssMiB() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  double kib = -1;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "VmHWM: %lf kB", &kib) == 1) break;
  }
  std::fclose(f);
  return kib < 0 ? -1 : kib / 1024.0;
}

int Run(const std::vector<std::string>& args) {
  if (args.empty() || IsHelp(args[0])) {
    PrintUsageWithPasses(kRunUsage);
    return args.empty() ? 2 : 0;
  }
  std::string model_path = args[0], output_dir;
  std::map<std::string, std::string> npy_inputs;
  int runs = 10, top = 5;
  bool memory = false, verbose = false;
  SessionOptions so;
  for (size_t i = 1; i < args.size(); ++i) {
    if (ParsePassOption(args, i, &so.optimization_level, &so.disabled_passes)) continue;
    if (ParseDeviceOption(args, i, &so)) continue;
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
        std::fprintf(stderr, "kiln run: --input expects NAME=FILE.npy or NAME=FILE.pb, got '%s'\n",
                     spec.c_str());
        return 2;
      }
      npy_inputs[spec.substr(0, eq)] = spec.substr(eq + 1);
    } else if (a == "--memory") {
      memory = true;
    } else if (a == "--verbose" || a == "-v") {
      verbose = true;
    } else if (a == "--random") {
    } else if (a == "--output-dir") {
      output_dir = next("--output-dir");
    } else if (a == "--runs") {
      runs = std::max(1, std::atoi(next("--runs").c_str()));
    } else if (a == "--top") {
      top = std::max(0, std::atoi(next("--top").c_str()));
    } else if (a == "--seed") {
      const std::string v = next("--seed");
      char* end = nullptr;
      const unsigned long long seed = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || v[0] == '-') {
        std::fprintf(stderr, "kiln run: --seed expects a non-negative integer, got '%s'\n",
                     v.c_str());
        return 2;
      }
      so.random_seed = seed;
    } else {
      std::fprintf(stderr, "kiln run: unknown option \'%s\'\n", a.c_str());
      PrintUsageWithPasses(kRunUsage, stderr);
      return 2;
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  auto session = Session::Load(model_path, so);
  if (!session.ok()) return Fail(session.status());
  auto t1 = std::chrono::steady_clock::now();
  const Device device = so.devices.front();
  if (verbose) {
    std::printf("device: %s\n", DeviceDescription(device).c_str());
    std::printf("%s", (*session)->placement().ToString().c_str());
  } else if (device != Device::kCpu) {
    std::printf("device: %s\nplacement: %s\n", DeviceDescription(device).c_str(),
                (*session)->placement().Summary().c_str());
  }
  const Graph& g = *(*session)->model().graph;
  std::mt19937_64 rng(0);
  std::vector<NamedValue> feeds;
  for (int id : (*session)->required_inputs()) {
    const Value& v = g.value(id);
    auto it = npy_inputs.find(v.name);
    if (it != npy_inputs.end()) {
      const std::string& path = it->second;
      if (path.size() > 3 && path.compare(path.size() - 3, 3, ".pb") == 0) {
        auto value = LoadValueFile(path, v.type);
        if (!value.ok()) return Fail(value.status());
        feeds.push_back({v.name, std::move(value).value()});
      } else {
        auto t = ReadNpy(path);
        if (!t.ok()) return Fail(t.status());
        feeds.push_back({v.name, AnyValue(std::move(t).value())});
      }
      npy_inputs.erase(it);
    } else {
      if (!v.type.is_tensor()) {
        std::fprintf(stderr,
                     "kiln run: input '%s' (%s) needs a value (--input %s=FILE.pb); only "
                     "tensors are made up\n",
                     v.name.c_str(), v.type.ToString().c_str(), v.name.c_str());
        return 2;
      }
      feeds.push_back({v.name, AnyValue(RandomTensor(v.type, rng))});
    }
  }
  if (!npy_inputs.empty()) {
    std::fprintf(stderr, "kiln run: the model has no input '%s'\n",
                 npy_inputs.begin()->first.c_str());
    return 2;
  }
  std::printf("model: %s (loaded in %.1f ms)\n", model_path.c_str(),
              std::chrono::duration<double, std::milli>(t1 - t0).count());
  for (const auto& f : feeds)
    std::printf("input  %s: %s\n", f.name.c_str(), f.value.TypeString().c_str());
  auto outs = (*session)->Run(feeds);  // warm-up (it records the memory plan)
  if (!outs.ok()) return Fail(outs.status());
  if (so.graph_capture) {  // the second run captures the graph: untimed as well
    outs = (*session)->Run(feeds);
    if (!outs.ok()) return Fail(outs.status());
  }
  std::vector<double> ms;
  for (int r = 0; r < runs; ++r) {
    auto a = std::chrono::steady_clock::now();
    auto o = (*session)->Run(feeds);
    auto b = std::chrono::steady_clock::now();
    if (!o.ok()) return Fail(o.status());
    ms.push_back(std::chrono::duration<double, std::milli>(b - a).count());
    outs = std::move(o);  // what is printed and written: the last run's (a replay with graphs)
  }
  std::sort(ms.begin(), ms.end());
  std::printf("outputs:\n");
  for (const auto& o : *outs) PrintSummary(o, top);
  std::printf("latency: median %.3f ms, min %.3f ms, max %.3f ms over %d runs (%s)\n",
              ms[ms.size() / 2], ms.front(), ms.back(), runs, DeviceName(device));
  if (memory) {
    for (const MemoryReport& r : (*session)->MemoryReports()) {
      std::printf("memory plan of %s for %s (%s)\n", r.graph.c_str(), r.signature.c_str(),
                  DeviceName(r.device));
      std::printf(
          "  arena %.3f MiB for %d intermediates (%d written in place) and %d scratch"
          " requests; lower bound %.3f MiB (arena/bound %.3f); naive sum %.3f MiB\n",
          r.arena_bytes / 1048576.0, r.buffers, r.inplace, r.scratch, r.lower_bound / 1048576.0,
          r.lower_bound > 0 ? double(r.arena_bytes) / r.lower_bound : 1.0,
          r.naive_bytes / 1048576.0);
      if (!r.drawing.empty()) std::printf("%s", r.drawing.c_str());
    }
    const double peak = PeakRssMiB();
    if (peak >= 0) std::printf("process peak RSS: %.1f MiB (VmHWM)\n", peak);
  }
  if (!output_dir.empty()) {
    for (const auto& o : *outs) {
      if (o.value.kind == AnyValue::Kind::kNone) continue;
      std::string safe = o.name;
      for (char& c : safe) {
        if (c == '/' || c == '\\') c = '_';
      }
      if (o.value.is_tensor() && o.value.tensor.dtype() != DataType::kString) {
        Status s = WriteNpy(output_dir + "/" + safe + ".npy", o.value.tensor);
        if (!s.ok()) return Fail(s);
        continue;
      }
      // What .npy cannot hold (sequences, maps, string tensors such as a classifier's labels) is
      // written as the proto onnx reads (onnx.numpy_helper.to_list / to_dict / to_array) and
      // `kiln run --input` and backend tests load.
      auto bytes = SerializeValue(o.value, o.name);
      if (!bytes.ok()) return Fail(bytes.status());
      const std::string path = output_dir + "/" + safe + ".pb";
      std::FILE* f = std::fopen(path.c_str(), "wb");
      bool written =
          f != nullptr && std::fwrite(bytes->data(), 1, bytes->size(), f) == bytes->size();
      if (f != nullptr) written = std::fclose(f) == 0 && written;
      if (!written) return Fail(IoError("cannot write " + path));
    }
    std::printf("wrote outputs to %s\n", output_dir.c_str());
  }
  return 0;
}

int BackendTest(const std::vector<std::string>& args) {
  if (args.empty() || IsHelp(args[0])) {
    PrintUsageWithPasses(kBackendUsage);
    return args.empty() ? 2 : 0;
  }
  BackendTestOptions o;
  o.dir = args[0];
  for (size_t i = 1; i < args.size(); ++i) {
    if (ParsePassOption(args, i, &o.level, &o.disabled_passes)) continue;
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
    } else if (a == "--poison") {
      o.poison = true;
    } else if (a == "--single-run") {
      o.memory_runs = false;
    } else if (a == "--cuda-graph") {
      o.graph_capture = true;
    } else {
      std::fprintf(stderr, "kiln backend-test: unknown option \'%s\'\n", a.c_str());
      PrintUsageWithPasses(kBackendUsage, stderr);
      return 2;
    }
  }
  if (o.device != "cpu" && o.device != "cuda") {
    std::fprintf(stderr, "kiln backend-test: --device expects cpu or cuda, got '%s'\n",
                 o.device.c_str());
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

// One registry entry as table cells: op, domain, opset range, element types, device.
struct OpRow {
  std::string op, domain, opsets, types, device;
};

std::vector<OpRow> RegistryRows(const KernelRegistry& reg) {
  std::vector<OpRow> rows;
  for (const auto* e : reg.Sorted()) {
    const KernelDef& d = e->def;
    OpRow r;
    r.op = d.op_type;
    r.domain = d.domain.empty() ? "ai.onnx" : d.domain;
    r.opsets = std::to_string(d.since_version);
    if (d.end_version == kMaxOpset) {
      r.opsets += "+";
    } else if (d.end_version != d.since_version) {
      r.opsets += "-" + std::to_string(d.end_version);
    }
    for (const auto& tc : d.type_constraints) {
      if (!r.types.empty()) r.types += "; ";
      r.types += tc.name + ": ";
      for (size_t i = 0; i < tc.allowed.size(); ++i) {
        r.types += (i ? "," : "") + std::string(DataTypeName(tc.allowed[i]));
      }
    }
    if (r.types.empty()) r.types = "(checked by the kernel)";
    r.device = DeviceName(d.device);
    rows.push_back(std::move(r));
  }
  return rows;
}

int Ops(const std::vector<std::string>& args) {
  if (!args.empty() && IsHelp(args[0])) {
    std::printf(
        "usage: kiln ops [--coverage]\n"
        "  without options: the kernel registry as a table (op, domain, opsets, element types,\n"
        "  device), one row per registration\n"
        "  --coverage: docs/operators.md, every (op, opset) of the onnx schemas and how kiln\n"
        "  runs it, then the registry table, in markdown\n");
    return 0;
  }
  const KernelRegistry& reg = DefaultRegistry();
  const std::vector<OpRow> rows = RegistryRows(reg);
  if (args.empty()) {
    size_t w_op = 2, w_dom = 6, w_ops = 6, w_dev = 6;
    for (const auto& r : rows) {
      w_op = std::max(w_op, r.op.size());
      w_dom = std::max(w_dom, r.domain.size());
      w_ops = std::max(w_ops, r.opsets.size());
    }
    auto line = [&](const std::string& a, const std::string& b, const std::string& c,
                    const std::string& d, const std::string& e) {
      std::printf("%-*s  %-*s  %-*s  %-*s  %s\n", static_cast<int>(w_op), a.c_str(),
                  static_cast<int>(w_dom), b.c_str(), static_cast<int>(w_ops), c.c_str(),
                  static_cast<int>(w_dev), d.c_str(), e.c_str());
    };
    line("op", "domain", "opsets", "device", "element types");
    for (const auto& r : rows) line(r.op, r.domain, r.opsets, r.device, r.types);
    std::printf("%zu registrations\n", rows.size());
    return 0;
  }
  if (args[0] != "--coverage") {
    std::fprintf(stderr, "kiln ops: unknown option '%s'\n", args[0].c_str());
    return 2;
  }
  // Every schema version of ai.onnx, ai.onnx.ml and ai.onnx.preview.training: a kernel runs it,
  // or its function body is inlined, or kiln cannot run it yet.
  auto schemas = ListOnnxSchemas();
  std::sort(schemas.begin(), schemas.end(), [](const OnnxSchemaInfo& a, const OnnxSchemaInfo& b) {
    return std::tie(a.domain, a.op_type, a.since_version) <
           std::tie(b.domain, b.op_type, b.since_version);
  });
  int kernel = 0, function = 0, missing = 0, on_cuda = 0;
  std::printf(
      "# Operator coverage\n\n"
      "Generated by `kiln ops --coverage` from kiln's kernel registry and the operator schemas of\n"
      "the pinned onnx release; `scripts/test.sh` fails when this file is stale. Each row is one\n"
      "version of an operator: run by a kiln kernel, by inlining its function body from the "
      "schema\n"
      "(on the kernels of the ops in the body), or missing. The cuda column marks the versions\n"
      "with a CUDA kernel too (`--device cuda`: the others run on the CPU, or by function body).\n"
      "\n");
  std::printf("| domain | op | since opset | kiln (cpu) | cuda |\n|---|---|---|---|---|\n");
  for (const auto& s : schemas) {
    if (!s.domain.empty() && s.domain != "ai.onnx.ml" && s.domain != "ai.onnx.preview.training") {
      continue;
    }
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
    const bool cuda = reg.Has(s.domain, s.op_type, s.since_version, Device::kCuda);
    if (cuda) ++on_cuda;
    std::printf("| %s | %s | %d | %s | %s |\n", s.domain.empty() ? "ai.onnx" : s.domain.c_str(),
                s.op_type.c_str(), s.since_version, how, cuda ? "kernel" : "");
  }
  std::printf("\n%d (op, opset) versions: %d with a kernel, %d by function body, %d missing; "
              "%d with a CUDA kernel\n",
              kernel + function + missing, kernel, function, missing, on_cuda);
  std::printf(
      "\n## Registered kernels\n\n"
      "The kernel registry as `kiln ops` prints it: one row per registration, with the opsets it\n"
      "serves, the element types its type constraints accept (kernels with no constraint check\n"
      "their inputs themselves) and its device.\n\n"
      "| op | domain | opsets | element types | device |\n|---|---|---|---|---|\n");
  for (const auto& r : rows) {
    std::printf("| %s | %s | %s | %s | %s |\n", r.op.c_str(), r.domain.c_str(), r.opsets.c_str(),
                r.types.c_str(), r.device.c_str());
  }
  std::printf("\n%zu registrations\n", rows.size());
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
  if (cmd == "optimize") return kiln::Optimize(args);
  if (cmd == "backend-test") return kiln::BackendTest(args);
  if (cmd == "ops") return kiln::Ops(args);
  std::fprintf(stderr, "kiln: unknown command '%s'\n\n%s", cmd.c_str(), kiln::kUsage);
  return 2;
}
