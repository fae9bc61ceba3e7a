#include "passes/pipeline.h"

#include <algorithm>
#include <set>

#include "passes/passes.h"
#include "passes/shape_inference.h"

namespace kiln {

namespace {
constexpr const char* kShapeInference = "shape-inference";
}

std::vector<std::unique_ptr<Pass>> AllPasses() {
  std::vector<std::unique_ptr<Pass>> p;
  p.push_back(MakeConstantFolding());
  p.push_back(MakeShapeFolding());
  p.push_back(MakeIdentityElimination());
  p.push_back(MakeCommonSubexpressionElimination());
  p.push_back(MakeConvBnFusion());
  p.push_back(MakeMatMulAddFusion());
  p.push_back(MakeTransposeReshapeFolding());
  p.push_back(MakeGeluFusion());
  p.push_back(MakeLayerNormFusion());
  p.push_back(MakeAttentionFusion());
  p.push_back(MakeActivationFusion());
  p.push_back(MakeLayoutPropagation());
  p.push_back(MakeDeadCodeElimination());
  return p;
}

std::vector<std::string> PassNames() {
  std::vector<std::string> names = {kShapeInference};
  for (const auto& p : AllPasses()) names.push_back(p->name());
  return names;
}

int PassReport::total() const {
  int n = 0;
  for (const auto& e : entries) n += e.rewrites;
  return n;
}

namespace {

// Runs `pass` on `g` and, recursively, on every subgraph; compacts what it changed.
StatusOr<int> RunOnGraph(Pass& pass, Graph& g, PassContext& ctx, const ShapeInference& shapes,
                         bool verify) {
  std::vector<std::string> captured = g.CapturedNames();
  std::set<std::string> captured_set(captured.begin(), captured.end());
  ctx.captured = &captured_set;
  ctx.inference = shapes.For(&g);
  KILN_ASSIGN_OR_RETURN(int n, pass.Run(g, ctx));
  ctx.captured = nullptr;
  ctx.inference = nullptr;
  if (n > 0) {
    g.Compact();
    if (verify) {
      Status s = g.Verify();
      if (!s.ok()) {
        return Internal("pass " + pass.name() + " broke graph '" + g.name + "': " + s.message());
      }
    }
  }
  for (const Node& node : g.nodes()) {
    for (Graph* sub : node.Subgraphs()) {
      KILN_ASSIGN_OR_RETURN(int m, RunOnGraph(pass, *sub, ctx, shapes, verify));
      n += m;
    }
  }
  return n;
}

}  // namespace

StatusOr<PassReport> RunPasses(Model& model, const PassOptions& options) {
  PassReport report;
  std::vector<std::string> known = PassNames();
  for (const std::string& d : options.disabled) {
    if (std::find(known.begin(), known.end(), d) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return InvalidArgument("unknown pass '" + d + "'; the passes are: " + list);
    }
  }
  report.nodes_before = model.graph->CountNodesRecursive();
  report.nodes_after = report.nodes_before;
  if (options.level <= 0) return report;
  auto disabled = [&](const std::string& name) {
    return std::find(options.disabled.begin(), options.disabled.end(), name) !=
           options.disabled.end();
  };
  ShapeInference shapes;
  bool infer = !disabled(kShapeInference);
  if (infer) KILN_RETURN_IF_ERROR(shapes.Run(model));

  std::vector<std::unique_ptr<Pass>> passes;
  for (auto& p : AllPasses()) {
    if (p->level() <= options.level && !disabled(p->name())) {
      report.entries.push_back({p->name(), 0});
      passes.push_back(std::move(p));
    }
  }
  PassContext ctx;
  ctx.model = &model;
  ctx.evaluator = options.evaluator;
  ctx.has_kernel = options.has_kernel;
  ctx.allow_kiln_ops = options.allow_kiln_ops;
  ctx.cpu_layouts = options.cpu_layouts;
  ctx.notes = &report.notes;
  for (int iter = 0; iter < options.max_iterations; ++iter) {
    ++report.iterations;
    int changed = 0;
    for (size_t i = 0; i < passes.size(); ++i) {
      KILN_ASSIGN_OR_RETURN(int n,
                            RunOnGraph(*passes[i], *model.graph, ctx, shapes, options.verify));
      report.entries[i].rewrites += n;
      changed += n;
      if (n > 0 && infer) KILN_RETURN_IF_ERROR(shapes.Run(model));
    }
    if (changed == 0) break;
  }
  // Notes are gathered every round; keep each once.
  std::vector<std::string> unique_notes;
  for (auto& n : report.notes) {
    if (std::find(unique_notes.begin(), unique_notes.end(), n) == unique_notes.end()) {
      unique_notes.push_back(n);
    }
  }
  report.notes = std::move(unique_notes);
  report.values_typed = shapes.values_typed();
  report.untyped = shapes.untyped();
  report.nodes_after = model.graph->CountNodesRecursive();
  return report;
}

}  // namespace kiln
