// What a run's inputs must be: the graph's declared inputs, each given once, with the declared
// element type and dims (symbolic dims the same across inputs), host tensors, and values of the
// declared kind where the input is a sequence, map or optional.
#include <map>
#include <set>

#include "runtime/executor.h"

namespace kiln {

namespace {

bool ShapeMatches(const Shape& declared, const std::vector<int64_t>& dims,
                  std::map<std::string, int64_t>& symbols) {
  if (declared.dims.size() != dims.size()) return false;
  for (size_t i = 0; i < dims.size(); ++i) {
    const Dim& d = declared.dims[i];
    if (d.known() && d.value != dims[i]) return false;
    if (!d.known() && !d.symbol.empty()) {
      auto [it, inserted] = symbols.emplace(d.symbol, dims[i]);
      if (!inserted && it->second != dims[i]) return false;
    }
  }
  return true;
}

// Whether a value fits a declared type that is not a tensor type; where it does not, `detail` may
// say more than the two types do. Sequences must be sequences, and where their items are declared
// maps each item is checked as a map; maps must be maps with the declared key and value element
// types; an optional's value (unless None) is checked against the optional's element type when
// that is not a tensor type. Unknown parts accept anything.
bool FitsNonTensorType(const TypeInfo& t, const AnyValue& v, std::string* detail) {
  switch (t.kind) {
    case TypeInfo::Kind::kSequence:
      if (v.kind != AnyValue::Kind::kSequence) return false;
      if (t.inner && t.inner->kind == TypeInfo::Kind::kMap) {
        for (size_t i = 0; i < v.sequence.size(); ++i) {
          if (!FitsNonTensorType(*t.inner, v.sequence[i], detail)) {
            *detail = " (item " + std::to_string(i) + " is " + v.sequence[i].TypeString() + ")";
            return false;
          }
        }
      }
      return true;
    case TypeInfo::Kind::kMap: {
      if (v.kind != AnyValue::Kind::kMap) return false;
      if (t.elem_type != DataType::kUndefined && v.map_keys.dtype() != t.elem_type) return false;
      const TypeInfo* value = t.inner.get();
      if (value == nullptr || value->kind == TypeInfo::Kind::kUnknown) return true;
      if (!value->is_tensor()) {
        *detail = " (kiln maps hold scalar tensor values)";
        return false;
      }
      return value->elem_type == DataType::kUndefined || v.map_values.dtype() == value->elem_type;
    }
    case TypeInfo::Kind::kOptional:
      if (v.kind == AnyValue::Kind::kNone || !t.inner || t.inner->is_tensor() ||
          t.inner->kind == TypeInfo::Kind::kUnknown) {
        return true;
      }
      return FitsNonTensorType(*t.inner, v, detail);
    default:
      return true;
  }
}

}  // namespace

Status BindInputs(const Graph& g, const std::vector<NamedValue>& inputs,
                  const std::vector<int>& required, std::vector<AnyValue>& values,
                  std::vector<bool>& defined) {
  std::map<std::string, int64_t> symbols;
  std::set<std::string> given;
  for (const NamedValue& nv : inputs) {
    int id = g.FindValue(nv.name);
    if (id < 0 || !g.value(id).is_graph_input) {
      std::string names;
      for (int r : g.inputs()) names += (names.empty() ? "" : ", ") + g.value(r).name;
      return InvalidArgument("unknown input '" + nv.name + "'; the model's inputs are: " + names);
    }
    if (!given.insert(nv.name).second) {
      return InvalidArgument("input '" + nv.name + "' is given twice");
    }
    const TypeInfo& t = g.value(id).type;
    if (t.kind == TypeInfo::Kind::kTensor) {
      if (!nv.value.is_tensor()) {
        return InvalidArgument("input '" + nv.name + "': expected " + t.ToString() + ", got " +
                               nv.value.TypeString());
      }
      const Tensor& x = nv.value.tensor;
      if ((t.elem_type != DataType::kUndefined && x.dtype() != t.elem_type) ||
          (t.shape && !ShapeMatches(*t.shape, x.dims(), symbols))) {
        return InvalidArgument("input '" + nv.name + "': expected " + t.ToString() + ", got " +
                               x.TypeString());
      }
      if (x.device() != Device::kCpu) {
        return InvalidArgument("input '" + nv.name + "' is on " + DeviceName(x.device()) +
                               ", expected cpu");
      }
    } else {
      std::string detail;
      if (!FitsNonTensorType(t, nv.value, &detail)) {
        return InvalidArgument("input '" + nv.name + "': expected " + t.ToString() + ", got " +
                               nv.value.TypeString() + detail);
      }
    }
    values[id] = nv.value;
    defined[id] = true;
  }
  for (int id : required) {
    if (!defined[id]) {
      return InvalidArgument("missing input '" + g.value(id).name + "' (" +
                             g.value(id).type.ToString() + ")");
    }
  }
  return Status::Ok();
}

}  // namespace kiln
