// kiln inspect: a model's opsets, inputs, outputs, ops and parameters; after the optimizer with
// --level, with the pass report, placement, graph and value types on request.
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ir/onnx_io.h"
#include "tools/cli/cli.h"

namespace kiln::cli {
namespace {

const char* kInspectUsage =
    "usage: kiln inspect MODEL [--level N] [--disable NAME]... [--graph] [--shapes]\n"
    "                          [--placement] [--device DEV]\n"
    "\n"
    "Without --level: the model as imported. With --level: after the optimizer, with what each\n"
    "pass changed.\n"
    "  --graph                print every node: op, name, inputs and outputs with their types\n"
    "  --shapes               print every value's inferred type, or why it has none\n"
    "  --placement            print the device of every node and the copies between devices\n"
    "                         (with --device cuda; the default level is then "
    "3)\n" KILN_DEVICE_OPTIONS_HELP KILN_PASS_OPTIONS_HELP;

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

}  // namespace

int Inspect(const std::vector<std::string>& args) {
  if (args.empty() || IsHelp(args[0])) {
    PrintUsageWithPasses(kInspectUsage);
    return args.empty() ? 2 : 0;
  }
  int level = -1;
  std::vector<std::string> disabled;
  bool graph = false, shapes = false, placement = false;
  SessionOptions so;
  ArgReader r("kiln inspect", args, 1);
  while (r.Next()) {
    if (ReadPassOption(r, &level, &disabled) || ReadDeviceOption(r, &so)) continue;
    if (r.arg() == "--placement") {
      placement = true;
    } else if (r.arg() == "--graph") {
      graph = true;
    } else if (r.arg() == "--shapes") {
      shapes = true;
    } else {
      r.Unknown(kInspectUsage);
    }
  }
  if (r.failed()) return 2;
  if (shapes && level < 0) level = 1;                         // types come from shape inference
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
      for (const Graph* sub : n.Subgraphs()) stack.push_back(sub);
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

}  // namespace kiln::cli
