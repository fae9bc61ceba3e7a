#include "tools/backend_runner.h"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "ir/float16.h"
#include "ir/float8.h"
#include "ir/onnx_io.h"
#include "runtime/session.h"

namespace kiln {
namespace {

// SessionOptions::random_seed of every case's session.
constexpr uint64_t kBackendTestRandomSeed = 1;

bool IsDir(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool IsFile(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}
std::string Basename(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  size_t s = p.find_last_of('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

// Reads "rtol" and "atol" from a case's data.json, if present.
void ReadTolerances(const std::string& case_dir, double& rtol, double& atol) {
  auto text = ReadFile(case_dir + "/data.json");
  if (!text.ok()) return;
  auto number_after = [&](const std::string& key, double& out) {
    size_t p = text->find("\"" + key + "\"");
    if (p == std::string::npos) return;
    p = text->find(':', p);
    if (p == std::string::npos) return;
    out = std::strtod(text->c_str() + p + 1, nullptr);
  };
  number_after("rtol", rtol);
  number_after("atol", atol);
}

// Element i of a numeric tensor as double (complex: real part; see ComplexImag).
double ElementAsDouble(const Tensor& t, int64_t i) {
  const void* p = t.raw_data();
  auto nibble = [&](int64_t k) {
    return (static_cast<const uint8_t*>(p)[k / 2] >> ((k % 2) * 4)) & 0xF;
  };
  auto crumb = [&](int64_t k) {
    return (static_cast<const uint8_t*>(p)[k / 4] >> ((k % 4) * 2)) & 0x3;
  };
  switch (t.dtype()) {
    case DataType::kFloat:
      return static_cast<const float*>(p)[i];
    case DataType::kDouble:
      return static_cast<const double*>(p)[i];
    case DataType::kFloat16:
      return ToFloat(static_cast<const Float16*>(p)[i]);
    case DataType::kBFloat16:
      return ToFloat(static_cast<const BFloat16*>(p)[i]);
    case DataType::kInt8:
      return static_cast<const int8_t*>(p)[i];
    case DataType::kInt16:
      return static_cast<const int16_t*>(p)[i];
    case DataType::kInt32:
      return static_cast<const int32_t*>(p)[i];
    case DataType::kInt64:
      return static_cast<double>(static_cast<const int64_t*>(p)[i]);
    case DataType::kUint8:
      return static_cast<const uint8_t*>(p)[i];
    case DataType::kUint16:
      return static_cast<const uint16_t*>(p)[i];
    case DataType::kUint32:
      return static_cast<const uint32_t*>(p)[i];
    case DataType::kUint64:
      return static_cast<double>(static_cast<const uint64_t*>(p)[i]);
    case DataType::kBool:
      return static_cast<const uint8_t*>(p)[i] ? 1.0 : 0.0;
    case DataType::kComplex64:
      return static_cast<const float*>(p)[2 * i];
    case DataType::kComplex128:
      return static_cast<const double*>(p)[2 * i];
    case DataType::kFloat8E4M3FN:
      return ToFloat(static_cast<const Float8E4M3FN*>(p)[i]);
    case DataType::kFloat8E4M3FNUZ:
      return ToFloat(static_cast<const Float8E4M3FNUZ*>(p)[i]);
    case DataType::kFloat8E5M2:
      return ToFloat(static_cast<const Float8E5M2*>(p)[i]);
    case DataType::kFloat8E5M2FNUZ:
      return ToFloat(static_cast<const Float8E5M2FNUZ*>(p)[i]);
    case DataType::kFloat8E8M0:
      return ToFloat(static_cast<const Float8E8M0*>(p)[i]);
    case DataType::kUint4:
      return nibble(i);
    case DataType::kInt4: {
      int v = nibble(i);
      return v >= 8 ? v - 16 : v;
    }
    case DataType::kFloat4E2M1:
      return Float4E2M1ToFloat(static_cast<uint8_t>(nibble(i)));
    case DataType::kUint2:
      return crumb(i);
    case DataType::kInt2: {
      int v = crumb(i);
      return v >= 2 ? v - 4 : v;
    }
    default:
      return 0;
  }
}

double ComplexImag(const Tensor& t, int64_t i) {
  if (t.dtype() == DataType::kComplex64) return t.data<float>()[2 * i + 1];
  if (t.dtype() == DataType::kComplex128) return t.data<double>()[2 * i + 1];
  return 0;
}

std::string FormatDouble(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

bool Close(double a, double e, double rtol, double atol) {
  if (std::isnan(a) || std::isnan(e)) return std::isnan(a) && std::isnan(e);
  if (std::isinf(a) || std::isinf(e)) return a == e;
  return std::fabs(a - e) <= atol + rtol * std::fabs(e);
}

std::string CompareTensors(const Tensor& e, const Tensor& a, double rtol, double atol) {
  if (e.dims() != a.dims()) {
    return "shape " + DimsToString(a.dims()) + ", expected " + DimsToString(e.dims());
  }
  if (e.dtype() != a.dtype()) {
    return std::string("element type ") + DataTypeName(a.dtype()) + ", expected " +
           DataTypeName(e.dtype());
  }
  if (e.dtype() == DataType::kString) {
    for (int64_t i = 0; i < e.numel(); ++i) {
      if (e.data<std::string>()[i] != a.data<std::string>()[i]) {
        return "string at flat index " + std::to_string(i) + " is '" + a.data<std::string>()[i] +
               "', expected '" + e.data<std::string>()[i] + "'";
      }
    }
    return "";
  }
  if (e.dtype() == DataType::kBFloat16) rtol = std::max(rtol, 1.0 / 64);
  const bool complex = e.dtype() == DataType::kComplex64 || e.dtype() == DataType::kComplex128;
  int64_t bad = 0;
  int64_t first = -1;
  double worst = 0;
  for (int64_t i = 0; i < e.numel(); ++i) {
    double ev = ElementAsDouble(e, i), av = ElementAsDouble(a, i);
    bool ok = Close(av, ev, rtol, atol);
    if (complex) ok = ok && Close(ComplexImag(a, i), ComplexImag(e, i), rtol, atol);
    if (!ok) {
      if (first < 0) first = i;
      ++bad;
      if (!std::isnan(av - ev)) worst = std::max(worst, std::fabs(av - ev));
    }
  }
  if (bad == 0) return "";
  return std::to_string(bad) + " of " + std::to_string(e.numel()) + " elements differ (rtol " +
         FormatDouble(rtol) + ", atol " + FormatDouble(atol) + "); first at flat index " +
         std::to_string(first) + ": got " + FormatDouble(ElementAsDouble(a, first)) +
         ", expected " + FormatDouble(ElementAsDouble(e, first)) + "; max abs diff " +
         FormatDouble(worst);
}

// Maps match when they have the same key and value types, the same set of keys, and the values
// of each key agree as tensor elements do (strings exactly, numbers within rtol/atol). Entry order
// does not matter.
std::string CompareMaps(const AnyValue& e, const AnyValue& a, double rtol, double atol) {
  if (e.map_keys.dtype() != a.map_keys.dtype() || e.map_values.dtype() != a.map_values.dtype()) {
    return "got " + a.TypeString() + ", expected " + e.TypeString();
  }
  std::map<std::string, int64_t> actual;  // key text -> entry
  for (int64_t i = 0; i < a.map_size(); ++i) actual[MapKeyToString(a.map_keys, i)] = i;
  const bool strings = e.map_values.dtype() == DataType::kString;
  if (e.map_values.dtype() == DataType::kBFloat16) rtol = std::max(rtol, 1.0 / 64);
  std::set<std::string> seen;
  int64_t bad = 0;
  std::string first;
  for (int64_t i = 0; i < e.map_size(); ++i) {
    const std::string key = MapKeyToString(e.map_keys, i);
    auto it = actual.find(key);
    if (it == actual.end()) {
      return "map has no key " + key + " (" + std::to_string(a.map_size()) + " entries, expected " +
             std::to_string(e.map_size()) + ")";
    }
    seen.insert(key);
    const int64_t j = it->second;
    bool ok;
    std::string got, want;
    if (strings) {
      got = "'" + a.map_values.data<std::string>()[j] + "'";
      want = "'" + e.map_values.data<std::string>()[i] + "'";
      ok = got == want;
    } else {
      const double av = ElementAsDouble(a.map_values, j), ev = ElementAsDouble(e.map_values, i);
      got = FormatDouble(av);
      want = FormatDouble(ev);
      ok = Close(av, ev, rtol, atol);
    }
    if (!ok && bad++ == 0) first = "key " + key + ": got " + got + ", expected " + want;
  }
  for (int64_t i = 0; i < a.map_size(); ++i) {
    const std::string key = MapKeyToString(a.map_keys, i);
    if (!seen.count(key)) {
      return "map has unexpected key " + key + " (" + std::to_string(a.map_size()) +
             " entries, expected " + std::to_string(e.map_size()) + ")";
    }
  }
  if (bad == 0) return "";
  return std::to_string(bad) + " of " + std::to_string(e.map_size()) + " map values differ" +
         (strings ? "" : " (rtol " + FormatDouble(rtol) + ", atol " + FormatDouble(atol) + ")") +
         "; first at " + first;
}

}  // namespace

std::string CompareValues(const AnyValue& e, const AnyValue& a, double rtol, double atol) {
  if (e.kind != a.kind) return "got " + a.TypeString() + ", expected " + e.TypeString();
  switch (e.kind) {
    case AnyValue::Kind::kNone:
      return "";
    case AnyValue::Kind::kTensor:
      return CompareTensors(e.tensor, a.tensor, rtol, atol);
    case AnyValue::Kind::kSequence:
      if (e.sequence.size() != a.sequence.size()) {
        return "sequence of " + std::to_string(a.sequence.size()) + " items, expected " +
               std::to_string(e.sequence.size());
      }
      for (size_t i = 0; i < e.sequence.size(); ++i) {
        std::string r = CompareValues(e.sequence[i], a.sequence[i], rtol, atol);
        if (!r.empty()) return "sequence item " + std::to_string(i) + ": " + r;
      }
      return "";
    case AnyValue::Kind::kMap:
      return CompareMaps(e, a, rtol, atol);
  }
  return "unknown value kind";
}

namespace {

// Test data written by onnx releases before numpy-compatible bfloat16 support (onnx 1.12, the
// Debian libonnx-testdata suite) stores a bfloat16 value as a uint16 tensor of its bits. Where the
// graph declares bfloat16 and the file holds uint16 of the same shape, take the bits as bfloat16.
StatusOr<AnyValue> LoadCaseValue(const std::string& path, const TypeInfo& type) {
  KILN_ASSIGN_OR_RETURN(AnyValue v, LoadValueFile(path, type));
  if (v.is_tensor() && type.is_tensor() && type.elem_type == DataType::kBFloat16 &&
      v.tensor.dtype() == DataType::kUint16) {
    Tensor bits(DataType::kBFloat16, v.tensor.dims());
    if (bits.nbytes() > 0) std::memcpy(bits.raw_data(), v.tensor.raw_data(), bits.nbytes());
    v = AnyValue(std::move(bits));
  }
  return v;
}

}  // namespace

std::string RunBackendCase(const std::string& case_dir, const BackendTestOptions& options) {
  const std::string& device = options.device;
  SessionOptions opts;
  opts.optimization_level = options.level;
  opts.disabled_passes = options.disabled_passes;
  opts.poison_arena = options.poison;
  // Unseeded random ops give the same values on every run of a case (the Bernoulli cases then
  // fail the same way each time instead of passing by chance about once in 160 runs).
  opts.random_seed = kBackendTestRandomSeed;
  auto devices = DevicesNamed(device);
  if (!devices.ok()) return devices.status().message();
  opts.devices = std::move(devices).value();
  opts.graph_capture = options.graph_capture;
  auto session = Session::Load(case_dir + "/model.onnx", opts);
  bool captured = options.graph_capture;
  if (!session.ok() && captured && session.status().code() == StatusCode::kUnsupported &&
      session.status().message().find("graph capture") != std::string::npos) {
    // A graph the capture cannot record (a node on the CPU in the middle) runs uncaptured.
    opts.graph_capture = false;
    captured = false;
    session = Session::Load(case_dir + "/model.onnx", opts);
  }
  if (!session.ok()) return "load: " + session.status().ToString();
  double rtol = 1e-3, atol = 1e-7;
  ReadTolerances(case_dir, rtol, atol);
  const Model& model = (*session)->model();
  const Graph& g = *model.graph;
  const auto& required = (*session)->required_inputs();
  int sets = 0;
  for (const std::string& ds : ListDir(case_dir)) {
    if (ds.rfind("test_data_set_", 0) != 0) continue;
    const std::string dir = case_dir + "/" + ds;
    ++sets;
    std::vector<NamedValue> feeds;
    for (int i = 0;; ++i) {
      std::string path = dir + "/input_" + std::to_string(i) + ".pb";
      if (!IsFile(path)) break;
      if (i >= static_cast<int>(required.size())) {
        return ds + ": input_" + std::to_string(i) + ".pb has no matching graph input";
      }
      int id = required[i];
      auto v = LoadCaseValue(path, g.value(id).type);
      if (!v.ok()) return ds + ": " + v.status().ToString();
      feeds.push_back({g.value(id).name, std::move(v).value()});
    }
    // Each data set runs twice: the first run of an input-shape signature is recorded for the
    // memory plan (heap), the second runs from the arena; both must match. With graph capture the
    // second is captured and launched, and a third replays the graph.
    const int passes = !options.memory_runs ? 1 : captured ? 3 : 2;
    for (int pass = 0; pass < passes; ++pass) {
      const char* label = pass == 0 ? "" : pass == 2 ? " (graph replay)"
                                     : captured  ? " (captured run)"
                                                 : " (planned run)";
      const std::string where = ds + label;
      auto outs = (*session)->Run(feeds);
      if (!outs.ok()) return where + ": run: " + outs.status().ToString();
      int nexpected = 0;
      for (int i = 0;; ++i) {
        std::string path = dir + "/output_" + std::to_string(i) + ".pb";
        if (!IsFile(path)) break;
        ++nexpected;
        if (i >= static_cast<int>(outs->size())) continue;
        const TypeInfo& t = g.value(g.outputs()[i]).type;
        auto ev = LoadCaseValue(path, t);
        if (!ev.ok()) return where + ": " + ev.status().ToString();
        std::string r = CompareValues(*ev, (*outs)[i].value, rtol, atol);
        if (!r.empty()) {
          return where + ": output " + std::to_string(i) + " '" + (*outs)[i].name + "': " + r;
        }
      }
      if (nexpected != static_cast<int>(outs->size())) {
        return where + ": " + std::to_string(outs->size()) + " outputs, expected " +
               std::to_string(nexpected);
      }
    }
  }
  if (sets == 0) return "no test_data_set_* folders";
  return "";
}

namespace {

struct Case {
  std::string name;  // suite/test_name
  std::string dir;
};

void Discover(const std::string& dir, const std::string& suite, std::vector<Case>& out, int depth) {
  if (IsFile(dir + "/model.onnx")) {
    out.push_back({suite.empty() ? Basename(dir) : suite + "/" + Basename(dir), dir});
    return;
  }
  if (depth > 1) return;
  for (const std::string& n : ListDir(dir)) {
    std::string sub = dir + "/" + n;
    if (!IsDir(sub)) continue;
    if (IsFile(sub + "/model.onnx")) {
      out.push_back({(suite.empty() ? Basename(dir) : suite) + "/" + n, sub});
    } else {
      Discover(sub, n, out, depth + 1);
    }
  }
}

std::map<std::string, std::string> ReadKnownFailures(const std::string& path, bool& ok) {
  std::map<std::string, std::string> known;
  ok = true;
  if (path.empty()) return known;
  std::ifstream f(path);
  if (!f) {
    ok = false;
    return known;
  }
  std::string line;
  while (std::getline(f, line)) {
    size_t b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line[b] == '#') continue;
    size_t e = line.find_first_of(" \t", b);
    std::string name = line.substr(b, e == std::string::npos ? std::string::npos : e - b);
    std::string reason;
    if (e != std::string::npos) {
      size_t r = line.find_first_not_of(" \t", e);
      if (r != std::string::npos) reason = line.substr(r);
    }
    known[name] = reason;
  }
  return known;
}

std::string JsonEscape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '"':
        o += "\\\"";
        break;
      case '\\':
        o += "\\\\";
        break;
      case '\n':
        o += "\\n";
        break;
      case '\t':
        o += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          o += buf;
        } else {
          o += c;
        }
    }
  }
  return o;
}

struct Running {
  pid_t pid;
  int fd;
  size_t index;
  std::string output;
  std::chrono::steady_clock::time_point start;
};

}  // namespace

int RunBackendTests(const BackendTestOptions& options) {
  std::vector<Case> cases;
  if (!IsDir(options.dir)) {
    std::fprintf(stderr, "kiln backend-test: '%s' is not a folder\n", options.dir.c_str());
    return 2;
  }
  Discover(options.dir, "", cases, 0);
  if (!options.filter.empty()) {
    std::regex re;
    try {
      re = std::regex(options.filter);
    } catch (const std::regex_error& e) {
      std::fprintf(stderr, "kiln backend-test: bad --filter regex: %s\n", e.what());
      return 2;
    }
    cases.erase(std::remove_if(cases.begin(), cases.end(),
                               [&](const Case& c) { return !std::regex_search(c.name, re); }),
                cases.end());
  }
  bool known_ok = true;
  auto known = ReadKnownFailures(options.known_failures, known_ok);
  if (!known_ok) {
    std::fprintf(stderr, "kiln backend-test: cannot read known-failures list '%s'\n",
                 options.known_failures.c_str());
    return 2;
  }
  int jobs = options.jobs > 0 ? options.jobs : static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  jobs = std::max(1, jobs);

  // Each case runs in a child process, so a crash or a hang is reported as that case's failure.
  std::vector<std::string> reasons(cases.size());
  std::vector<Running> running;
  size_t next = 0;
  std::fflush(stdout);
  std::fflush(stderr);
  while (next < cases.size() || !running.empty()) {
    while (next < cases.size() && static_cast<int>(running.size()) < jobs) {
      int fds[2];
      if (pipe(fds) != 0) {
        std::perror("pipe");
        return 2;
      }
      pid_t pid = fork();
      if (pid == 0) {
        close(fds[0]);
        std::string r = RunBackendCase(cases[next].dir, options);
        std::string msg = r.empty() ? "OK" : "FAIL " + r;
        size_t off = 0;
        while (off < msg.size()) {
          ssize_t w = write(fds[1], msg.data() + off, msg.size() - off);
          if (w <= 0) break;
          off += static_cast<size_t>(w);
        }
        close(fds[1]);
        _exit(0);
      }
      close(fds[1]);
      running.push_back({pid, fds[0], next, "", std::chrono::steady_clock::now()});
      ++next;
    }
    std::vector<pollfd> pfds;
    for (const auto& r : running) pfds.push_back({r.fd, POLLIN, 0});
    poll(pfds.data(), pfds.size(), 200);
    for (size_t k = 0; k < running.size();) {
      Running& r = running[k];
      bool done = false;
      if (pfds.size() > k && (pfds[k].revents & (POLLIN | POLLHUP))) {
        char buf[4096];
        ssize_t n = read(r.fd, buf, sizeof(buf));
        if (n > 0) {
          r.output.append(buf, static_cast<size_t>(n));
        } else {
          done = true;
        }
      }
      auto elapsed = std::chrono::steady_clock::now() - r.start;
      if (!done && elapsed > std::chrono::seconds(options.timeout_s)) {
        kill(r.pid, SIGKILL);
        r.output = "FAIL timed out after " + std::to_string(options.timeout_s) + " s";
        done = true;
      }
      if (!done) {
        ++k;
        continue;
      }
      int status = 0;
      waitpid(r.pid, &status, 0);
      close(r.fd);
      std::string& reason = reasons[r.index];
      if (r.output == "OK") {
        reason.clear();
      } else if (r.output.rfind("FAIL ", 0) == 0) {
        reason = r.output.substr(5);
      } else if (WIFSIGNALED(status)) {
        reason = "crashed with signal " + std::to_string(WTERMSIG(status)) + " (" +
                 strsignal(WTERMSIG(status)) + ")";
      } else {
        reason = "exited without a result (status " + std::to_string(WEXITSTATUS(status)) + ")";
      }
      const Case& c = cases[r.index];
      if (!reason.empty()) {
        std::printf("FAIL %s: %s\n", c.name.c_str(), reason.c_str());
      } else if (options.verbose) {
        std::printf("ok   %s\n", c.name.c_str());
      }
      std::fflush(stdout);
      // pfds indices shift with running; rebuild on the next loop.
      running.erase(running.begin() + static_cast<long>(k));
      pfds.erase(pfds.begin() + static_cast<long>(k));
    }
  }

  // Summary per suite and in total.
  std::map<std::string, std::pair<int, int>> per_suite;
  int passed = 0, failed = 0, unexpected_fail = 0, unexpected_pass = 0;
  std::vector<std::string> unexpected;
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string& name = cases[i].name;
    std::string suite = name.substr(0, name.find('/'));
    bool ok = reasons[i].empty();
    (ok ? per_suite[suite].first : per_suite[suite].second)++;
    (ok ? passed : failed)++;
    if (options.known_failures.empty()) continue;
    bool listed = known.count(name) > 0;
    if (!ok && !listed) {
      ++unexpected_fail;
      unexpected.push_back("unexpected failure: " + name);
    }
    if (ok && listed) {
      ++unexpected_pass;
      unexpected.push_back("unexpected pass (remove it from the known-failures list): " + name);
    }
  }
  if (!options.json_path.empty()) {
    std::ofstream j(options.json_path);
    j << "[\n";
    for (size_t i = 0; i < cases.size(); ++i) {
      j << "  {\"name\": \"" << JsonEscape(cases[i].name) << "\", \"status\": \""
        << (reasons[i].empty() ? "pass" : "fail") << "\"";
      if (!reasons[i].empty()) j << ", \"reason\": \"" << JsonEscape(reasons[i]) << "\"";
      j << "}" << (i + 1 < cases.size() ? "," : "") << "\n";
    }
    j << "]\n";
  }
  if (per_suite.size() > 1) {
    for (const auto& [suite, pf] : per_suite) {
      std::printf("%s: %d passed, %d failed\n", suite.c_str(), pf.first, pf.second);
    }
  }
  if (!options.known_failures.empty()) {
    for (const auto& u : unexpected) std::printf("%s\n", u.c_str());
    std::printf("known failures: %zu listed, %d unexpected failures, %d unexpected passes\n",
                known.size(), unexpected_fail, unexpected_pass);
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  if (cases.empty()) return 1;
  if (options.known_failures.empty()) return failed == 0 ? 0 : 1;
  return unexpected_fail == 0 && unexpected_pass == 0 ? 0 : 1;
}

}  // namespace kiln
