// Profile events: collection, onnxruntime's Chrome-trace format, the per-op summary.
#include "runtime/profiler.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>

namespace kiln {

Profiler::Profiler()
    : start_(std::chrono::steady_clock::now()),
      start_epoch_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count()) {}

void Profiler::Add(std::vector<ProfileEvent> events) {
  std::lock_guard<std::mutex> lock(mu_);
  if (events_.empty()) {
    events_ = std::move(events);
    return;
  }
  for (auto& e : events) events_.push_back(std::move(e));
}

void Profiler::Add(ProfileEvent event) {
  std::lock_guard<std::mutex> lock(mu_);
  events_.push_back(std::move(event));
}

std::vector<ProfileEvent> Profiler::Events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

int64_t CurrentThreadId() { return static_cast<int64_t>(::syscall(SYS_gettid)); }

namespace {

// `s` as a JSON string literal.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// [{"float":[1,3,224,224]},{"int64":[2]}]
std::string TypeShapes(const std::vector<std::pair<std::string, std::vector<int64_t>>>& shapes) {
  std::string out = "[";
  for (size_t i = 0; i < shapes.size(); ++i) {
    if (i) out += ",";
    out += "{" + Quote(shapes[i].first) + ":[";
    for (size_t d = 0; d < shapes[i].second.size(); ++d) {
      if (d) out += ",";
      out += std::to_string(shapes[i].second[d]);
    }
    out += "]}";
  }
  return out + "]";
}

// onnxruntime's name for the execution provider of a device.
std::string Provider(const std::string& device) {
  if (device == "cpu") return "CPUExecutionProvider";
  if (device == "cuda") return "CUDAExecutionProvider";
  return device;
}

int64_t Micros(int64_t ns) { return ns / 1000; }

}  // namespace

std::string ChromeTrace(const std::vector<ProfileEvent>& events) {
  const std::string pid = std::to_string(static_cast<int64_t>(::getpid()));
  std::string out = "[\n";
  for (size_t i = 0; i < events.size(); ++i) {
    const ProfileEvent& e = events[i];
    const bool node = e.kind == ProfileEvent::Kind::kNode;
    out += "{\"cat\" : ";
    out += node ? "\"Node\"" : "\"Session\"";
    out += ",\"pid\" :" + pid + ",\"tid\" :" + std::to_string(e.thread_id) +
           ",\"dur\" :" + std::to_string(Micros(e.duration_ns)) +
           ",\"ts\" :" + std::to_string(Micros(e.start_ns)) + ",\"ph\" : \"X\",\"name\" :" +
           Quote(node ? e.name + "_kernel_time" : e.name) + ",\"args\" : {";
    if (node) {
      out += "\"op_name\" : " + Quote(e.op) + ",\"provider\" : " + Quote(Provider(e.device)) +
             ",\"node_index\" : " + Quote(std::to_string(e.node_index)) +
             ",\"graph\" : " + Quote(e.graph) +
             ",\"activation_size\" : " + Quote(std::to_string(e.activation_bytes)) +
             ",\"parameter_size\" : " + Quote(std::to_string(e.parameter_bytes)) +
             ",\"output_size\" : " + Quote(std::to_string(e.output_bytes)) +
             ",\"input_type_shape\" : " + TypeShapes(e.input_shapes) +
             ",\"output_type_shape\" : " + TypeShapes(e.output_shapes);
    }
    out += "}}";
    out += i + 1 < events.size() ? ",\n" : "\n";
  }
  return out + "]\n";
}

Status WriteChromeTrace(const std::string& path, const std::vector<ProfileEvent>& events) {
  const std::string text = ChromeTrace(events);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return IoError("cannot write the profile " + path);
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok) return IoError("cannot write the profile " + path);
  return Status::Ok();
}

std::string ProfileSummary(const std::vector<ProfileEvent>& events, int first_run) {
  struct Row {
    int64_t calls = 0;
    int64_t ns = 0;
    std::map<std::string, int> devices;
  };
  std::map<std::string, Row> by_op;
  int64_t total = 0;  // the main graph's nodes
  bool nested = false;
  std::vector<int> runs;
  for (const ProfileEvent& e : events) {
    if (e.kind != ProfileEvent::Kind::kNode || e.run < first_run) continue;
    Row& r = by_op[e.op];
    ++r.calls;
    r.ns += e.duration_ns;
    ++r.devices[e.device];
    if (e.depth == 0) total += e.duration_ns;
    nested = nested || e.depth > 0;
    if (std::find(runs.begin(), runs.end(), e.run) == runs.end()) runs.push_back(e.run);
  }
  std::vector<std::pair<std::string, Row>> rows(by_op.begin(), by_op.end());
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.second.ns > b.second.ns; });
  char line[256];
  std::string out;
  std::snprintf(line, sizeof line, "node time by op type over %zu run%s: %.3f ms in all%s\n",
                runs.size(), runs.size() == 1 ? "" : "s", total / 1e6,
                nested ? " (subgraph nodes count inside their If/Loop/Scan too)" : "");
  out += line;
  std::snprintf(line, sizeof line, "  %-28s %8s %12s %10s %7s  %s\n", "op", "calls", "total ms",
                "mean us", "share", "device");
  out += line;
  for (const auto& [op, r] : rows) {
    std::string devices;
    for (const auto& [d, n] : r.devices) devices += (devices.empty() ? "" : ",") + d;
    std::snprintf(line, sizeof line, "  %-28s %8lld %12.3f %10.1f %6.1f%%  %s\n", op.c_str(),
                  static_cast<long long>(r.calls), r.ns / 1e6, r.ns / 1e3 / r.calls,
                  total > 0 ? 100.0 * r.ns / total : 0.0, devices.c_str());
    out += line;
  }
  return out;
}

}  // namespace kiln
