// Small helpers shared by passes: constants, pinned values, forwarding a value to another.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "passes/pass.h"

namespace kiln {

// The tensor of `v` if it is a constant: an initializer that is not also a graph input (a graph
// input with a default may be overridden by the caller).
const Tensor* ConstantOf(const Graph& g, int v);

// A value the graph's outside sees by name: a graph output or a name a nested subgraph reads.
bool IsPinned(const Graph& g, const PassContext& ctx, int v);

// Whether every reader of `from` can be made to read `to` (see ForwardValue).
bool CanForward(const Graph& g, const PassContext& ctx, int from, int to);
// Makes every reader of `from` read `to`. When `from` is pinned, `to`'s producer writes `from`
// instead, so the pinned name survives. `from`'s producer must already be removed and
// CanForward must hold.
void ForwardValue(Graph& g, const PassContext& ctx, int from, int to);

// The only node reading `v`, or -1 (several readers, none, or pinned).
int SoleConsumer(const Graph& g, const PassContext& ctx, int v);
// SoleConsumer, when it is a standard-domain node of type `op`; -1 otherwise.
int SoleOp(const Graph& g, const PassContext& ctx, int v, const char* op);
// For a binary node reading `v`, its other operand (kNoValue if the node is not binary).
int Other(const Node& n, int v);
// Whether `n` is in the default ai.onnx domain.
inline bool IsStd(const Node& n) { return n.domain.empty() || n.domain == "ai.onnx"; }

// Known static dims of a value's tensor shape; nullopt when any dim (or the rank) is unknown.
std::optional<std::vector<int64_t>> StaticShape(const Graph& g, int v);
// Rank of a value's tensor shape, -1 if unknown.
int Rank(const Graph& g, int v);
// Element type of a tensor value (kUndefined if unknown).
DataType ElemType(const Graph& g, int v);
// Whether two shapes are equal dim by dim (known and equal, or the same named symbol).
bool SameShape(const Graph& g, int a, int b);

// Integer contents of a constant 1-D or scalar int32/int64 tensor.
std::optional<std::vector<int64_t>> ConstantInts(const Graph& g, int v);
// A float constant with exactly one element (any float type), as double.
std::optional<double> ConstantScalar(const Graph& g, int v);

// Attribute accessors with defaults.
int64_t AttrInt(const Node& n, const std::string& name, int64_t def);
float AttrFloat(const Node& n, const std::string& name, float def);
std::string AttrString(const Node& n, const std::string& name, const std::string& def);
std::vector<int64_t> AttrInts(const Node& n, const std::string& name);

// Adds a node built from the given pieces (outputs are existing value ids); returns its id.
int AddNodeTo(Graph& g, const std::string& name, const std::string& op_type,
              const std::string& domain, int opset, std::vector<int> inputs,
              std::vector<int> outputs, std::vector<Attribute> attributes);

}  // namespace kiln
