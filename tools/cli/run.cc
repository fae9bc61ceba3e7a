// kiln run: loads a model, fills the inputs not given with seeded random values, runs it, and
// prints each output's summary and the median latency (and memory plans with --memory).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "ir/onnx_io.h"
#include "runtime/profiler.h"
#include "tools/cli/cli.h"
#include "tools/npy.h"

namespace kiln::cli {
namespace {

const char* kRunUsage =
    "usage: kiln run MODEL [--input NAME=FILE]... [--random] [--output-dir DIR] [--memory]\n"
    "                      [--runs N] [--top K] [--seed N] [--device DEV] [--verbose]\n"
    "                      [--level N] [--disable NAME]... [--profile FILE] [--threads N]\n"
    "\n"
    "Inputs not given with --input are filled with seeded random values (symbolic dims = 1);\n"
    "only tensor inputs can be made up. An initializer the model also lists as a graph input\n"
    "keeps its value unless given with --input.\n"
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
    "  --profile FILE         profile the session (load, every run, every node) into FILE, a\n"
    "                         Chrome trace in onnxruntime's profile format (chrome://tracing,\n"
    "                         Perfetto), and print node time per op type over the timed runs\n"
    "  --threads N            threads of the CPU kernels (as onnxruntime's intra_op_num_threads;\n"
    "                         default: the cores this process may use, or OMP_NUM_THREADS)\n"
    "  --verbose              print where each node runs (placement) and the "
    "device\n" KILN_DEVICE_OPTIONS_HELP KILN_PASS_OPTIONS_HELP;

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

}  // namespace

int Run(const std::vector<std::string>& args) {
  if (args.empty() || IsHelp(args[0])) {
    PrintUsageWithPasses(kRunUsage);
    return args.empty() ? 2 : 0;
  }
  std::string model_path = args[0], output_dir, profile_path;
  std::map<std::string, std::string> npy_inputs;
  int runs = 10, top = 5;
  bool memory = false, verbose = false;
  SessionOptions so;
  ArgReader r("kiln run", args, 1);
  while (r.Next()) {
    if (ReadPassOption(r, &so.optimization_level, &so.disabled_passes)) continue;
    if (ReadDeviceOption(r, &so)) continue;
    const std::string a = r.arg();
    if (a == "--input") {
      std::string spec = r.Value();
      if (r.failed() || spec == "random") continue;
      size_t eq = spec.find('=');
      if (eq == std::string::npos) {
        r.Error("--input expects NAME=FILE.npy or NAME=FILE.pb, got '" + spec + "'");
        continue;
      }
      npy_inputs[spec.substr(0, eq)] = spec.substr(eq + 1);
    } else if (a == "--profile") {
      profile_path = r.Value();
      so.enable_profiling = true;
    } else if (a == "--threads") {
      const std::string v = r.Value();
      if (r.failed()) continue;
      so.intra_op_threads = std::atoi(v.c_str());
      if (so.intra_op_threads < 1) r.Error("--threads expects a count of 1 or more, got '" + v + "'");
    } else if (a == "--memory") {
      memory = true;
    } else if (a == "--verbose" || a == "-v") {
      verbose = true;
    } else if (a == "--random") {
    } else if (a == "--output-dir") {
      output_dir = r.Value();
    } else if (a == "--runs") {
      const std::string v = r.Value();
      if (!r.failed()) runs = std::max(1, std::atoi(v.c_str()));
    } else if (a == "--top") {
      const std::string v = r.Value();
      if (!r.failed()) top = std::max(0, std::atoi(v.c_str()));
    } else if (a == "--seed") {
      const std::string v = r.Value();
      if (r.failed()) continue;
      char* end = nullptr;
      const unsigned long long seed = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || v[0] == '-') {
        r.Error("--seed expects a non-negative integer, got '" + v + "'");
        continue;
      }
      so.random_seed = seed;
    } else {
      r.Unknown(kRunUsage);
    }
  }
  if (r.failed()) return 2;
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
  // Every graph input: the required ones, and initializers listed as inputs (defaults a caller
  // may override, fed only when given).
  for (int id : g.inputs()) {
    const Value& v = g.value(id);
    auto it = npy_inputs.find(v.name);
    if (it == npy_inputs.end() && v.is_initializer) continue;
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
  int warmups = 1;
  if (so.graph_capture) {  // the second run captures the graph: untimed as well
    outs = (*session)->Run(feeds);
    if (!outs.ok()) return Fail(outs.status());
    warmups = 2;
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
  if (!profile_path.empty()) {
    const std::vector<ProfileEvent> events = (*session)->EndProfiling();
    Status written = WriteChromeTrace(profile_path, events);
    if (!written.ok()) return Fail(written);
    std::printf("%s", ProfileSummary(events, warmups).c_str());
    std::printf("profile (%zu events, the warm-up run%s too): %s\n", events.size(),
                warmups == 1 ? "" : "s", profile_path.c_str());
  }
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

}  // namespace kiln::cli
