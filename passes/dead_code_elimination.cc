// dead-code-elimination: removes nodes none of whose outputs reach a graph output (directly or
// through a name a nested subgraph reads), and initializers nothing reads. Graph inputs nothing
// reads stay (they are the model's interface) and are reported in the notes.
// Subgraph-aware: a value a subgraph reads by name keeps its producer alive; subgraph outputs are
// that subgraph's live roots.
#include "passes/pass_util.h"
#include "passes/passes.h"

namespace kiln {
namespace {

class DeadCodeElimination : public Pass {
 public:
  std::string name() const override { return "dead-code-elimination"; }
  int level() const override { return 1; }

  StatusOr<int> Run(Graph& g, PassContext& ctx) override {
    std::vector<bool> live_value(g.values().size(), false);
    std::vector<int> stack;
    auto mark = [&](int v) {
      if (v != kNoValue && !live_value[v]) {
        live_value[v] = true;
        stack.push_back(v);
      }
    };
    for (int v : g.outputs()) mark(v);
    if (ctx.captured) {
      for (const std::string& name : *ctx.captured) mark(g.FindValue(name));
    }
    std::vector<bool> live_node(g.nodes().size(), false);
    while (!stack.empty()) {
      int v = stack.back();
      stack.pop_back();
      int p = g.value(v).producer;
      if (p < 0 || live_node[p]) continue;
      live_node[p] = true;
      for (int in : g.node(p).inputs) mark(in);
    }
    int rewrites = 0;
    for (const Node& node : g.nodes()) {
      if (node.removed || live_node[node.id]) continue;
      g.RemoveNode(node.id);
      ++rewrites;
    }
    std::vector<int> dead_inits;
    for (const auto& [id, t] : g.initializers()) {
      const Value& v = g.value(id);
      if (v.uses.empty() && !v.is_graph_input && !live_value[id]) dead_inits.push_back(id);
    }
    for (int id : dead_inits) g.RemoveInitializer(id);
    rewrites += static_cast<int>(dead_inits.size());
    for (int id : g.inputs()) {
      const Value& v = g.value(id);
      if (v.uses.empty() && !live_value[id] && !v.is_initializer) {
        ctx.Note("graph '" + g.name + "': input '" + v.name + "' is not read by any node");
      }
    }
    return rewrites;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeDeadCodeElimination() { return std::make_unique<DeadCodeElimination>(); }

}  // namespace kiln
