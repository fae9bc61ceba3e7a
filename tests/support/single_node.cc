#include "tests/support/single_node.h"

#include <memory>
#include <utility>

namespace kiln {

StatusOr<std::vector<AnyValue>> RunSingleNode(const std::string& op_type, int opset,
                                              const std::vector<Tensor>& inputs,
                                              const std::vector<Attribute>& attributes,
                                              int num_outputs, const std::string& domain) {
  return RunSingleNodeWith(SessionOptions(), op_type, opset, inputs, attributes, num_outputs,
                           domain);
}

StatusOr<std::vector<AnyValue>> RunSingleNodeWith(const SessionOptions& options,
                                                  const std::string& op_type, int opset,
                                                  const std::vector<Tensor>& inputs,
                                                  const std::vector<Attribute>& attributes,
                                                  int num_outputs, const std::string& domain) {
  Model m;
  m.ir_version = 10;
  m.opset_imports[domain] = opset;
  if (!domain.empty()) m.opset_imports[""] = kMaxOnnxOpset;
  m.graph = std::make_unique<Graph>();
  Graph& g = *m.graph;
  g.name = "single_node";
  Node node;
  node.name = "node";
  node.op_type = op_type;
  node.domain = domain;
  node.opset = opset;
  node.attributes = attributes;
  std::vector<NamedValue> feeds;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined()) {
      node.inputs.push_back(kNoValue);
      continue;
    }
    std::string name = "in" + std::to_string(i);
    KILN_ASSIGN_OR_RETURN(int id, g.AddValue(name, TypeInfo::Tensor(inputs[i].dtype())));
    g.AddInput(id);
    node.inputs.push_back(id);
    feeds.push_back({name, AnyValue(inputs[i])});
  }
  for (int i = 0; i < num_outputs; ++i) {
    KILN_ASSIGN_OR_RETURN(int id, g.AddValue("out" + std::to_string(i)));
    node.outputs.push_back(id);
  }
  KILN_RETURN_IF_ERROR(g.AddNode(std::move(node)).status());
  for (int i = 0; i < num_outputs; ++i) g.AddOutput(g.FindValue("out" + std::to_string(i)));
  SessionOptions so = options;
  so.optimization_level = 0;  // a kernel test runs the kernel, not the optimizer
  KILN_ASSIGN_OR_RETURN(auto session, Session::Create(std::move(m), so));
  KILN_ASSIGN_OR_RETURN(auto outs, session->Run(feeds));
  std::vector<AnyValue> result;
  for (auto& o : outs) result.push_back(std::move(o.value));
  return result;
}

}  // namespace kiln
