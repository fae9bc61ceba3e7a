// ONNX export: kiln IR -> ModelProto. See onnx_io.h.
#include <cstring>
#include <fstream>

#include "ir/onnx_convert.h"
#include "ir/onnx_io.h"

namespace kiln {

Status ExportTensor(const Tensor& t, const std::string& name, onnx::TensorProto* tp) {
  tp->set_name(name);
  tp->set_data_type(static_cast<int32_t>(t.dtype()));
  for (int64_t d : t.dims()) tp->add_dims(d);
  if (t.device() != Device::kCpu) return Internal("cannot export a device tensor: " + name);
  if (t.dtype() == DataType::kString) {
    for (int64_t i = 0; i < t.numel(); ++i) tp->add_string_data(t.data<std::string>()[i]);
  } else if (t.nbytes() > 0) {
    tp->set_raw_data(t.raw_data(), t.nbytes());
  }
  return Status::Ok();
}

void ExportType(const TypeInfo& t, onnx::TypeProto* tp) {
  auto export_shape = [](const Shape& s, onnx::TensorShapeProto* sp) {
    for (const Dim& d : s.dims) {
      auto* dp = sp->add_dim();
      if (d.known()) {
        dp->set_dim_value(d.value);
      } else if (!d.symbol.empty()) {
        dp->set_dim_param(d.symbol);
      }
    }
  };
  switch (t.kind) {
    case TypeInfo::Kind::kTensor: {
      auto* tt = tp->mutable_tensor_type();
      tt->set_elem_type(static_cast<int32_t>(t.elem_type));
      if (t.shape) export_shape(*t.shape, tt->mutable_shape());
      break;
    }
    case TypeInfo::Kind::kSparseTensor: {
      auto* tt = tp->mutable_sparse_tensor_type();
      tt->set_elem_type(static_cast<int32_t>(t.elem_type));
      if (t.shape) export_shape(*t.shape, tt->mutable_shape());
      break;
    }
    case TypeInfo::Kind::kSequence:
      if (t.inner) ExportType(*t.inner, tp->mutable_sequence_type()->mutable_elem_type());
      else tp->mutable_sequence_type();
      break;
    case TypeInfo::Kind::kOptional:
      if (t.inner) ExportType(*t.inner, tp->mutable_optional_type()->mutable_elem_type());
      else tp->mutable_optional_type();
      break;
    case TypeInfo::Kind::kMap:
      tp->mutable_map_type()->set_key_type(static_cast<int32_t>(t.elem_type));
      if (t.inner) ExportType(*t.inner, tp->mutable_map_type()->mutable_value_type());
      break;
    case TypeInfo::Kind::kUnknown: break;
  }
}

Status ExportAttribute(const Attribute& a, onnx::AttributeProto* ap) {
  ap->set_name(a.name);
  if (!a.ref_attr_name.empty()) ap->set_ref_attr_name(a.ref_attr_name);
  ap->set_type(static_cast<onnx::AttributeProto::AttributeType>(a.type));
  switch (a.type) {
    case AttrType::kFloat: ap->set_f(a.f); break;
    case AttrType::kInt: ap->set_i(a.i); break;
    case AttrType::kString: ap->set_s(a.s); break;
    case AttrType::kTensor: KILN_RETURN_IF_ERROR(ExportTensor(a.t, "", ap->mutable_t())); break;
    case AttrType::kGraph: KILN_RETURN_IF_ERROR(ExportGraph(*a.g, ap->mutable_g())); break;
    case AttrType::kFloats: for (float f : a.floats) ap->add_floats(f); break;
    case AttrType::kInts: for (int64_t i : a.ints) ap->add_ints(i); break;
    case AttrType::kStrings: for (const auto& s : a.strings) ap->add_strings(s); break;
    case AttrType::kTensors:
      for (const auto& t : a.tensors) KILN_RETURN_IF_ERROR(ExportTensor(t, "", ap->add_tensors()));
      break;
    case AttrType::kGraphs:
      for (const auto& g : a.graphs) KILN_RETURN_IF_ERROR(ExportGraph(*g, ap->add_graphs()));
      break;
    case AttrType::kTypeProto: ExportType(a.tp, ap->mutable_tp()); break;
    case AttrType::kTypeProtos: for (const auto& t : a.tps) ExportType(t, ap->add_type_protos()); break;
    default: return Unsupported("cannot export attribute '" + a.name + "' of type " + AttrTypeName(a.type));
  }
  return Status::Ok();
}

Status ExportGraph(const Graph& g, onnx::GraphProto* gp) {
  gp->set_name(g.name);
  if (!g.doc_string.empty()) gp->set_doc_string(g.doc_string);
  for (int id : g.inputs()) {
    auto* vi = gp->add_input();
    vi->set_name(g.value(id).name);
    ExportType(g.value(id).type, vi->mutable_type());
  }
  for (const auto& [id, t] : g.initializers()) {
    KILN_RETURN_IF_ERROR(ExportTensor(t, g.value(id).name, gp->add_initializer()));
  }
  KILN_ASSIGN_OR_RETURN(std::vector<int> order, g.TopologicalOrder());
  for (int nid : order) {
    const Node& n = g.node(nid);
    KILN_RETURN_IF_ERROR(ExportNode(g, n, gp->add_node()));
  }
  std::vector<bool> is_output(g.values().size(), false);
  for (int id : g.outputs()) {
    is_output[id] = true;
    auto* vi = gp->add_output();
    vi->set_name(g.value(id).name);
    ExportType(g.value(id).type, vi->mutable_type());
  }
  for (const Value& v : g.values()) {
    if (v.producer >= 0 && !is_output[v.id] && v.type.kind != TypeInfo::Kind::kUnknown) {
      auto* vi = gp->add_value_info();
      vi->set_name(v.name);
      ExportType(v.type, vi->mutable_type());
    }
  }
  return Status::Ok();
}

Status ExportNode(const Graph& g, const Node& n, onnx::NodeProto* np) {
  np->set_name(n.name);
  np->set_op_type(n.op_type);
  if (!n.domain.empty()) np->set_domain(n.domain);
  if (!n.doc_string.empty()) np->set_doc_string(n.doc_string);
  for (int in : n.inputs) np->add_input(in == kNoValue ? "" : g.value(in).name);
  for (int out : n.outputs) np->add_output(out == kNoValue ? "" : g.value(out).name);
  for (const auto& a : n.attributes) KILN_RETURN_IF_ERROR(ExportAttribute(a, np->add_attribute()));
  return Status::Ok();
}

namespace {

Status BuildModelProto(const Model& m, onnx::ModelProto& mp) {
  // kiln reads pre-IR-4 weights as plain initializers (see onnx_io.cc), which IR 4 allows.
  bool plain_initializers = false;
  for (const auto& [id, t] : m.graph->initializers()) {
    plain_initializers = plain_initializers || !m.graph->value(id).is_graph_input;
  }
  mp.set_ir_version(plain_initializers && m.ir_version < 4 ? 4 : m.ir_version);
  if (!m.producer_name.empty()) mp.set_producer_name(m.producer_name);
  if (!m.producer_version.empty()) mp.set_producer_version(m.producer_version);
  if (!m.domain.empty()) mp.set_domain(m.domain);
  if (m.model_version || m.has_model_version) mp.set_model_version(m.model_version);
  if (!m.doc_string.empty()) mp.set_doc_string(m.doc_string);
  for (const auto& [d, v] : m.opset_imports) {
    auto* oi = mp.add_opset_import();
    oi->set_domain(d);
    oi->set_version(v);
  }
  for (const auto& [k, v] : m.metadata) {
    auto* p = mp.add_metadata_props();
    p->set_key(k);
    p->set_value(v);
  }
  if (!m.functions.empty()) return Unsupported("exporting model-local functions is not supported yet");
  return ExportGraph(*m.graph, mp.mutable_graph());
}

}  // namespace

StatusOr<std::string> SerializeModel(const Model& m) {
  onnx::ModelProto mp;
  KILN_RETURN_IF_ERROR(BuildModelProto(m, mp));
  std::string out;
  if (!mp.SerializeToString(&out)) return Internal("model serialization failed (over 2 GiB?)");
  return out;
}

Status SaveModel(const Model& m, const std::string& path, int64_t external_threshold_bytes) {
  onnx::ModelProto mp;
  KILN_RETURN_IF_ERROR(BuildModelProto(m, mp));
  const size_t slash = path.find_last_of('/');
  const std::string data_name = (slash == std::string::npos ? path : path.substr(slash + 1)) + ".data";
  const std::string data_path = path + ".data";
  std::ofstream data;
  int64_t offset = 0;
  if (external_threshold_bytes >= 0) {
    for (auto& tp : *mp.mutable_graph()->mutable_initializer()) {
      if (!tp.has_raw_data() || static_cast<int64_t>(tp.raw_data().size()) < external_threshold_bytes) {
        continue;
      }
      if (!data.is_open()) {
        data.open(data_path, std::ios::binary | std::ios::trunc);
        if (!data) return InvalidArgument("cannot write " + data_path);
      }
      const int64_t aligned = (offset + 63) / 64 * 64;  // 64-byte aligned for mapping
      for (; offset < aligned; ++offset) data.put('\0');
      const std::string& raw = tp.raw_data();
      data.write(raw.data(), static_cast<std::streamsize>(raw.size()));
      auto add = [&](const char* k, const std::string& v) {
        auto* e = tp.add_external_data();
        e->set_key(k);
        e->set_value(v);
      };
      add("location", data_name);
      add("offset", std::to_string(offset));
      add("length", std::to_string(raw.size()));
      offset += static_cast<int64_t>(raw.size());
      tp.clear_raw_data();
      tp.set_data_location(onnx::TensorProto::EXTERNAL);
    }
  }
  if (data.is_open()) {
    data.close();
    if (!data) return InvalidArgument("writing " + data_path + " failed");
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return InvalidArgument("cannot write " + path);
  if (!mp.SerializeToOstream(&out)) return Internal("model serialization failed (over 2 GiB?)");
  out.close();
  if (!out) return InvalidArgument("writing " + path + " failed");
  return Status::Ok();
}

StatusOr<std::string> SerializeTensor(const Tensor& t, const std::string& name) {
  onnx::TensorProto tp;
  KILN_RETURN_IF_ERROR(ExportTensor(t, name, &tp));
  std::string out;
  if (!tp.SerializeToString(&out)) return Internal("tensor serialization failed");
  return out;
}

}  // namespace kiln

namespace kiln {
namespace {

Status ExportSequence(const AnyValue& v, const std::string& name, onnx::SequenceProto* sp);
Status ExportMap(const AnyValue& v, const std::string& name, onnx::MapProto* mp);
Status ExportOptional(const AnyValue& v, const std::string& name, onnx::OptionalProto* op);

// The proto kind a value is written as: optional values (and None) as OptionalProto.
enum class ProtoKind { kTensor, kSequence, kMap, kOptional };
ProtoKind KindOf(const AnyValue& v) {
  if (v.optional || v.kind == AnyValue::Kind::kNone) return ProtoKind::kOptional;
  switch (v.kind) {
    case AnyValue::Kind::kSequence:
      return ProtoKind::kSequence;
    case AnyValue::Kind::kMap:
      return ProtoKind::kMap;
    default:
      return ProtoKind::kTensor;
  }
}

Status ExportSequence(const AnyValue& v, const std::string& name, onnx::SequenceProto* sp) {
  if (!name.empty()) sp->set_name(name);
  ProtoKind kind =
      v.sequence_map_key_type != DataType::kUndefined ? ProtoKind::kMap : ProtoKind::kTensor;
  if (!v.sequence.empty()) kind = KindOf(v.sequence[0]);
  switch (kind) {
    case ProtoKind::kTensor:
      sp->set_elem_type(onnx::SequenceProto::TENSOR);
      break;
    case ProtoKind::kSequence:
      sp->set_elem_type(onnx::SequenceProto::SEQUENCE);
      break;
    case ProtoKind::kMap:
      sp->set_elem_type(onnx::SequenceProto::MAP);
      break;
    case ProtoKind::kOptional:
      sp->set_elem_type(onnx::SequenceProto::OPTIONAL);
      break;
  }
  for (size_t i = 0; i < v.sequence.size(); ++i) {
    const AnyValue& item = v.sequence[i];
    if (KindOf(item) != kind) {
      return InvalidArgument("sequence '" + name + "' mixes items of types " +
                             v.sequence[0].TypeString() + " and " + item.TypeString());
    }
    switch (kind) {
      case ProtoKind::kTensor:
        KILN_RETURN_IF_ERROR(ExportTensor(item.tensor, "", sp->add_tensor_values()));
        break;
      case ProtoKind::kSequence:
        KILN_RETURN_IF_ERROR(ExportSequence(item, "", sp->add_sequence_values()));
        break;
      case ProtoKind::kMap:
        KILN_RETURN_IF_ERROR(ExportMap(item, "", sp->add_map_values()));
        break;
      case ProtoKind::kOptional:
        KILN_RETURN_IF_ERROR(ExportOptional(item, "", sp->add_optional_values()));
        break;
    }
  }
  return Status::Ok();
}

// Element i of a 1-D integer key tensor as the int64 MapProto stores (uint64 keys above
// INT64_MAX as their two's-complement bits).
int64_t KeyAsInt64(const Tensor& keys, int64_t i) {
  switch (keys.dtype()) {
    case DataType::kInt8:
      return keys.data<int8_t>()[i];
    case DataType::kInt16:
      return keys.data<int16_t>()[i];
    case DataType::kInt32:
      return keys.data<int32_t>()[i];
    case DataType::kInt64:
      return keys.data<int64_t>()[i];
    case DataType::kUint8:
      return keys.data<uint8_t>()[i];
    case DataType::kUint16:
      return keys.data<uint16_t>()[i];
    case DataType::kUint32:
      return keys.data<uint32_t>()[i];
    case DataType::kUint64:
      return static_cast<int64_t>(keys.data<uint64_t>()[i]);
    default:
      return 0;
  }
}

Status ExportMap(const AnyValue& v, const std::string& name, onnx::MapProto* mp) {
  const Tensor& keys = v.map_keys;
  const Tensor& values = v.map_values;
  if (!IsMapKeyType(keys.dtype()) || keys.rank() != 1 || values.rank() != 1 ||
      keys.numel() != values.numel()) {
    return InvalidArgument("map '" + name + "' is malformed: keys " + keys.TypeString() +
                           ", values " + values.TypeString());
  }
  if (IsPacked(values.dtype())) {
    return Unsupported("map '" + name + "': values of type " +
                       std::string(DataTypeName(values.dtype())) + " cannot be written");
  }
  if (!name.empty()) mp->set_name(name);
  mp->set_key_type(static_cast<int32_t>(keys.dtype()));
  const int64_t n = keys.numel();
  for (int64_t i = 0; i < n; ++i) {
    if (keys.dtype() == DataType::kString) {
      mp->add_string_keys(keys.data<std::string>()[i]);
    } else {
      mp->add_keys(KeyAsInt64(keys, i));
    }
  }
  // As onnx.numpy_helper.from_dict: a sequence of one rank-0 tensor per value.
  onnx::SequenceProto* vs = mp->mutable_values();
  vs->set_elem_type(onnx::SequenceProto::TENSOR);
  const size_t width = values.dtype() == DataType::kString
                           ? 0
                           : static_cast<size_t>(DataTypeBits(values.dtype()) / 8);
  for (int64_t i = 0; i < n; ++i) {
    Tensor scalar(values.dtype(), {});
    if (values.dtype() == DataType::kString) {
      scalar.data<std::string>()[0] = values.data<std::string>()[i];
    } else {
      std::memcpy(scalar.raw_data(), static_cast<const char*>(values.raw_data()) + i * width,
                  width);
    }
    KILN_RETURN_IF_ERROR(ExportTensor(scalar, "", vs->add_tensor_values()));
  }
  return Status::Ok();
}

Status ExportOptional(const AnyValue& v, const std::string& name, onnx::OptionalProto* op) {
  if (!name.empty()) op->set_name(name);
  switch (v.kind) {
    case AnyValue::Kind::kNone:
      op->set_elem_type(onnx::OptionalProto::UNDEFINED);
      break;
    case AnyValue::Kind::kTensor:
      op->set_elem_type(onnx::OptionalProto::TENSOR);
      return ExportTensor(v.tensor, "", op->mutable_tensor_value());
    case AnyValue::Kind::kSequence:
      op->set_elem_type(onnx::OptionalProto::SEQUENCE);
      return ExportSequence(v, "", op->mutable_sequence_value());
    case AnyValue::Kind::kMap:
      op->set_elem_type(onnx::OptionalProto::MAP);
      return ExportMap(v, "", op->mutable_map_value());
  }
  return Status::Ok();
}

template <typename Proto>
StatusOr<std::string> SerializeProto(const Proto& p, const std::string& name) {
  std::string out;
  if (!p.SerializeToString(&out)) return Internal("serializing value '" + name + "' failed");
  return out;
}

}  // namespace

StatusOr<std::string> SerializeValue(const AnyValue& v, const std::string& name) {
  switch (KindOf(v)) {
    case ProtoKind::kTensor:
      return SerializeTensor(v.tensor, name);
    case ProtoKind::kSequence: {
      onnx::SequenceProto sp;
      KILN_RETURN_IF_ERROR(ExportSequence(v, name, &sp));
      return SerializeProto(sp, name);
    }
    case ProtoKind::kMap: {
      onnx::MapProto mp;
      KILN_RETURN_IF_ERROR(ExportMap(v, name, &mp));
      return SerializeProto(mp, name);
    }
    case ProtoKind::kOptional: {
      onnx::OptionalProto op;
      KILN_RETURN_IF_ERROR(ExportOptional(v, name, &op));
      return SerializeProto(op, name);
    }
  }
  return Internal("unknown value kind");
}

}  // namespace kiln
