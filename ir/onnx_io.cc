// ONNX import: ModelProto -> kiln IR. See onnx_io.h.
#include "ir/onnx_io.h"

#include <fcntl.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <type_traits>

#include "ir/onnx_convert.h"
#include "ir/onnx_proto.h"
#include "ir/onnx_schemas.h"

namespace kiln {

StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return IoError(path + ": cannot open file");
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) return IoError(path + ": read error");
  return ss.str();
}

namespace {

std::string Dirname(const std::string& path) {
  size_t p = path.find_last_of('/');
  if (p == std::string::npos) return ".";
  if (p == 0) return "/";
  return path.substr(0, p);
}

// An external data location must be a relative path inside the model folder.
Status CheckExternalPath(const std::string& location, const std::string& label) {
  if (location.empty()) return InvalidModel(label + ": external data has an empty location");
  if (location[0] == '/' || location.find('\\') != std::string::npos) {
    return InvalidModel(label + ": external data path '" + location +
                        "' is absolute; it must be relative to the model's folder");
  }
  std::stringstream ss(location);
  std::string part;
  while (std::getline(ss, part, '/')) {
    if (part == "..") {
      return InvalidModel(label + ": external data path '" + location +
                          "' escapes the model's folder");
    }
  }
  return Status::Ok();
}

class Importer {
 public:
  Importer(std::string base_dir, std::string label)
      : base_dir_(std::move(base_dir)), label_(std::move(label)) {}

  StatusOr<Model> ImportModel(const onnx::ModelProto& mp);
  StatusOr<Tensor> ImportTensor(const onnx::TensorProto& tp, const std::string& where);
  // Frees each initializer's raw_data in `graph` (the top-level graph of the model about to be
  // imported) as soon as it has been copied into the IR, so the weights are held about once, not
  // twice, while importing. The proto is then spent.
  void ReleaseWeightsOf(onnx::GraphProto* graph) { release_graph_ = graph; }

 private:
  // Scope of names visible from enclosing graphs while importing a subgraph.
  struct Scope {
    const Scope* parent = nullptr;
    std::set<std::string> names;
    bool Has(const std::string& n) const {
      for (const Scope* s = this; s != nullptr; s = s->parent) {
        if (s->names.count(n)) return true;
      }
      return false;
    }
  };

  Status ImportGraph(const onnx::GraphProto& gp, const Scope* outer, Graph& g,
                     const std::map<std::string, int64_t>& opsets);
  StatusOr<TypeInfo> ImportType(const onnx::TypeProto& tp, const std::string& where);
  Status ImportAttribute(const onnx::AttributeProto& ap, const Scope* scope,
                         const std::map<std::string, int64_t>& opsets, const std::string& where,
                         Attribute& a);
  StatusOr<std::string> ReadExternal(const onnx::TensorProto& tp, const std::string& where);
  Status ImportFunction(const onnx::FunctionProto& fp, Function& f);

  std::string base_dir_;
  std::string label_;
  onnx::GraphProto* release_graph_ = nullptr;
};

StatusOr<TypeInfo> Importer::ImportType(const onnx::TypeProto& tp, const std::string& where) {
  return TypeFromProto(tp, where);
}

}  // namespace

StatusOr<TypeInfo> TypeFromProto(const onnx::TypeProto& tp, const std::string& where) {
  TypeInfo t;
  auto import_shape = [](const onnx::TensorShapeProto& sp) {
    Shape s;
    for (const auto& d : sp.dim()) {
      if (d.has_dim_value()) {
        s.dims.push_back(Dim::Known(d.dim_value()));
      } else if (d.has_dim_param()) {
        s.dims.push_back(Dim::Symbol(d.dim_param()));
      } else {
        s.dims.push_back(Dim{});
      }
    }
    return s;
  };
  switch (tp.value_case()) {
    case onnx::TypeProto::kTensorType: {
      t.kind = TypeInfo::Kind::kTensor;
      int32_t et = tp.tensor_type().elem_type();
      if (et != 0 && !IsValidDataType(et)) {
        return InvalidModel(where + ": unknown tensor element type " + std::to_string(et));
      }
      t.elem_type = static_cast<DataType>(et);
      if (tp.tensor_type().has_shape()) t.shape = import_shape(tp.tensor_type().shape());
      return t;
    }
    case onnx::TypeProto::kSparseTensorType: {
      t.kind = TypeInfo::Kind::kSparseTensor;
      int32_t et = tp.sparse_tensor_type().elem_type();
      if (et != 0 && !IsValidDataType(et)) {
        return InvalidModel(where + ": unknown tensor element type " + std::to_string(et));
      }
      t.elem_type = static_cast<DataType>(et);
      if (tp.sparse_tensor_type().has_shape()) t.shape = import_shape(tp.sparse_tensor_type().shape());
      return t;
    }
    case onnx::TypeProto::kSequenceType: {
      t.kind = TypeInfo::Kind::kSequence;
      if (tp.sequence_type().has_elem_type()) {
        KILN_ASSIGN_OR_RETURN(TypeInfo inner, TypeFromProto(tp.sequence_type().elem_type(), where));
        t.inner = std::make_shared<TypeInfo>(std::move(inner));
      }
      return t;
    }
    case onnx::TypeProto::kOptionalType: {
      t.kind = TypeInfo::Kind::kOptional;
      if (tp.optional_type().has_elem_type()) {
        KILN_ASSIGN_OR_RETURN(TypeInfo inner, TypeFromProto(tp.optional_type().elem_type(), where));
        t.inner = std::make_shared<TypeInfo>(std::move(inner));
      }
      return t;
    }
    case onnx::TypeProto::kMapType: {
      t.kind = TypeInfo::Kind::kMap;
      int32_t kt = tp.map_type().key_type();
      if (kt != 0 && !IsValidDataType(kt)) {
        return InvalidModel(where + ": unknown map key type " + std::to_string(kt));
      }
      t.elem_type = static_cast<DataType>(kt);
      if (tp.map_type().has_value_type()) {
        KILN_ASSIGN_OR_RETURN(TypeInfo inner, TypeFromProto(tp.map_type().value_type(), where));
        t.inner = std::make_shared<TypeInfo>(std::move(inner));
      }
      return t;
    }
    default:
      return t;  // unknown
  }
}

namespace {

StatusOr<std::string> Importer::ReadExternal(const onnx::TensorProto& tp, const std::string& where) {
  std::string location;
  int64_t offset = 0;
  int64_t length = -1;
  for (const auto& kv : tp.external_data()) {
    if (kv.key() == "location") {
      location = kv.value();
    } else if (kv.key() == "offset" || kv.key() == "length") {
      char* end = nullptr;
      long long v = std::strtoll(kv.value().c_str(), &end, 10);
      if (kv.value().empty() || *end != '\0' || v < 0) {
        return InvalidModel(where + ": external data " + kv.key() + " '" + kv.value() +
                            "' is not a non-negative integer");
      }
      (kv.key() == "offset" ? offset : length) = v;
    }
  }
  if (base_dir_.empty()) {
    return InvalidModel(where + ": tensor uses external data, but the model was not loaded from a "
                        "file (no folder to read it from)");
  }
  KILN_RETURN_IF_ERROR(CheckExternalPath(location, where));
  std::string path = base_dir_ + "/" + location;
  std::ifstream f(path, std::ios::binary);
  if (!f) return InvalidModel(where + ": external data file '" + location + "' not found in " + base_dir_);
  f.seekg(0, std::ios::end);
  int64_t size = static_cast<int64_t>(f.tellg());
  if (offset > size) {
    return InvalidModel(where + ": external data offset " + std::to_string(offset) +
                        " is past the end of '" + location + "' (" + std::to_string(size) + " bytes)");
  }
  if (length < 0) length = size - offset;
  if (length > size - offset) {
    return InvalidModel(where + ": external data '" + location + "' has " +
                        std::to_string(size - offset) + " bytes after offset " +
                        std::to_string(offset) + ", expected " + std::to_string(length));
  }
  std::string data(static_cast<size_t>(length), '\0');
  f.seekg(offset);
  f.read(data.data(), length);
  if (!f) return IoError(where + ": cannot read external data '" + location + "'");
  return data;
}

template <typename Dst, typename Src>
void CopyCast(const Src& src, Dst* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<Dst>(src[static_cast<int>(i)]);
}

StatusOr<Tensor> Importer::ImportTensor(const onnx::TensorProto& tp, const std::string& where) {
  if (tp.has_segment()) return Unsupported(where + ": segmented tensors are not supported");
  int32_t et = tp.data_type();
  if (!IsValidDataType(et)) {
    return InvalidModel(where + ": tensor has unknown element type " + std::to_string(et));
  }
  DataType dt = static_cast<DataType>(et);
  std::vector<int64_t> dims(tp.dims().begin(), tp.dims().end());
  auto numel_or = CheckedNumElements(dims);
  if (!numel_or.ok()) return InvalidModel(where + ": " + numel_or.status().message());
  int64_t n = *numel_or;
  auto bytes_or = CheckedByteSize(dt, n);
  if (!bytes_or.ok()) return InvalidModel(where + ": " + bytes_or.status().message());
  size_t nbytes = *bytes_or;

  const std::string* raw = nullptr;
  std::string external;
  if (tp.data_location() == onnx::TensorProto::EXTERNAL) {
    KILN_ASSIGN_OR_RETURN(external, ReadExternal(tp, where));
    raw = &external;
  } else if (tp.has_raw_data()) {
    raw = &tp.raw_data();
  }
  if (raw != nullptr && dt == DataType::kString) {
    return InvalidModel(where + ": string tensors cannot use raw_data");
  }
  // Check sizes before allocating, so a lying header cannot make us allocate huge buffers.
  auto count_mismatch = [&](int64_t have) {
    return InvalidModel(where + ": " + std::string(DataTypeName(dt)) + DimsToString(dims) +
                        " needs " + std::to_string(n) + " elements, the tensor holds " +
                        std::to_string(have));
  };
  if (raw != nullptr) {
    if (raw->size() != nbytes) {
      return InvalidModel(where + ": " + std::string(DataTypeName(dt)) + DimsToString(dims) +
                          " needs " + std::to_string(nbytes) + " bytes of data, found " +
                          std::to_string(raw->size()));
    }
  }
  KILN_ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dt, dims));
  if (raw != nullptr) {
    if (nbytes) std::memcpy(t.raw_data(), raw->data(), nbytes);
    return t;
  }
  const int64_t packed_count = IsPacked(dt) ? static_cast<int64_t>(nbytes) : n;
  switch (dt) {
    case DataType::kFloat:
      if (tp.float_data_size() != n) return count_mismatch(tp.float_data_size());
      CopyCast(tp.float_data(), t.data<float>(), n);
      break;
    case DataType::kComplex64:
      if (tp.float_data_size() != 2 * n) return count_mismatch(tp.float_data_size() / 2);
      CopyCast(tp.float_data(), t.data<float>(), 2 * n);
      break;
    case DataType::kDouble:
      if (tp.double_data_size() != n) return count_mismatch(tp.double_data_size());
      CopyCast(tp.double_data(), t.data<double>(), n);
      break;
    case DataType::kComplex128:
      if (tp.double_data_size() != 2 * n) return count_mismatch(tp.double_data_size() / 2);
      CopyCast(tp.double_data(), t.data<double>(), 2 * n);
      break;
    case DataType::kInt64:
      if (tp.int64_data_size() != n) return count_mismatch(tp.int64_data_size());
      CopyCast(tp.int64_data(), t.data<int64_t>(), n);
      break;
    case DataType::kUint32:
    case DataType::kUint64:
      if (tp.uint64_data_size() != n) return count_mismatch(tp.uint64_data_size());
      if (dt == DataType::kUint32) {
        CopyCast(tp.uint64_data(), t.data<uint32_t>(), n);
      } else {
        CopyCast(tp.uint64_data(), t.data<uint64_t>(), n);
      }
      break;
    case DataType::kString:
      if (tp.string_data_size() != n) return count_mismatch(tp.string_data_size());
      for (int64_t i = 0; i < n; ++i) t.data<std::string>()[i] = tp.string_data(static_cast<int>(i));
      break;
    case DataType::kInt32:
      if (tp.int32_data_size() != n) return count_mismatch(tp.int32_data_size());
      CopyCast(tp.int32_data(), t.data<int32_t>(), n);
      break;
    case DataType::kInt8:
    case DataType::kUint8:
    case DataType::kBool:
    case DataType::kFloat8E4M3FN:
    case DataType::kFloat8E4M3FNUZ:
    case DataType::kFloat8E5M2:
    case DataType::kFloat8E5M2FNUZ:
    case DataType::kFloat8E8M0:
      if (tp.int32_data_size() != n) return count_mismatch(tp.int32_data_size());
      CopyCast(tp.int32_data(), t.data<uint8_t>(), n);
      break;
    case DataType::kInt16:
    case DataType::kUint16:
    case DataType::kFloat16:
    case DataType::kBFloat16:
      if (tp.int32_data_size() != n) return count_mismatch(tp.int32_data_size());
      CopyCast(tp.int32_data(), t.data<uint16_t>(), n);
      break;
    case DataType::kInt4:
    case DataType::kUint4:
    case DataType::kFloat4E2M1:
    case DataType::kInt2:
    case DataType::kUint2:
      // int32_data holds the packed bytes, one per entry.
      if (tp.int32_data_size() != packed_count) {
        return InvalidModel(where + ": packed tensor needs " + std::to_string(packed_count) +
                            " bytes in int32_data, found " + std::to_string(tp.int32_data_size()));
      }
      CopyCast(tp.int32_data(), t.data<uint8_t>(), packed_count);
      break;
    case DataType::kUndefined:
      return InvalidModel(where + ": tensor has no element type");
  }
  return t;
}

Status Importer::ImportAttribute(const onnx::AttributeProto& ap, const Scope* scope,
                                 const std::map<std::string, int64_t>& opsets,
                                 const std::string& where, Attribute& a) {
  a.name = ap.name();
  a.ref_attr_name = ap.ref_attr_name();
  a.type = static_cast<AttrType>(ap.type());
  std::string at = where + " attribute '" + ap.name() + "'";
  switch (ap.type()) {
    case onnx::AttributeProto::FLOAT: a.f = ap.f(); break;
    case onnx::AttributeProto::INT: a.i = ap.i(); break;
    case onnx::AttributeProto::STRING: a.s = ap.s(); break;
    case onnx::AttributeProto::TENSOR: {
      KILN_ASSIGN_OR_RETURN(a.t, ImportTensor(ap.t(), at));
      break;
    }
    case onnx::AttributeProto::GRAPH: {
      a.g = std::make_shared<Graph>();
      KILN_RETURN_IF_ERROR(ImportGraph(ap.g(), scope, *a.g, opsets));
      break;
    }
    case onnx::AttributeProto::FLOATS: a.floats.assign(ap.floats().begin(), ap.floats().end()); break;
    case onnx::AttributeProto::INTS: a.ints.assign(ap.ints().begin(), ap.ints().end()); break;
    case onnx::AttributeProto::STRINGS: a.strings.assign(ap.strings().begin(), ap.strings().end()); break;
    case onnx::AttributeProto::TENSORS:
      for (const auto& tp : ap.tensors()) {
        KILN_ASSIGN_OR_RETURN(Tensor t, ImportTensor(tp, at));
        a.tensors.push_back(std::move(t));
      }
      break;
    case onnx::AttributeProto::GRAPHS:
      for (const auto& gp : ap.graphs()) {
        auto g = std::make_shared<Graph>();
        KILN_RETURN_IF_ERROR(ImportGraph(gp, scope, *g, opsets));
        a.graphs.push_back(std::move(g));
      }
      break;
    case onnx::AttributeProto::TYPE_PROTO: {
      KILN_ASSIGN_OR_RETURN(a.tp, ImportType(ap.tp(), at));
      break;
    }
    case onnx::AttributeProto::TYPE_PROTOS:
      for (const auto& tp : ap.type_protos()) {
        KILN_ASSIGN_OR_RETURN(TypeInfo t, ImportType(tp, at));
        a.tps.push_back(std::move(t));
      }
      break;
    case onnx::AttributeProto::SPARSE_TENSOR:
    case onnx::AttributeProto::SPARSE_TENSORS:
      // Kept as a typed attribute with no payload; kernels that need it report Unsupported.
      break;
    case onnx::AttributeProto::UNDEFINED:
    default:
      if (!a.ref_attr_name.empty()) break;
      // Old models may omit the type; infer it from the field that is set.
      if (ap.has_f()) {
        a.type = AttrType::kFloat, a.f = ap.f();
      } else if (ap.has_i()) {
        a.type = AttrType::kInt, a.i = ap.i();
      } else if (ap.has_s()) {
        a.type = AttrType::kString, a.s = ap.s();
      } else if (ap.ints_size()) {
        a.type = AttrType::kInts, a.ints.assign(ap.ints().begin(), ap.ints().end());
      } else if (ap.floats_size()) {
        a.type = AttrType::kFloats, a.floats.assign(ap.floats().begin(), ap.floats().end());
      } else {
        return InvalidModel(at + " has no type");
      }
  }
  return Status::Ok();
}

Status Importer::ImportGraph(const onnx::GraphProto& gp, const Scope* outer, Graph& g,
                             const std::map<std::string, int64_t>& opsets) {
  g.name = gp.name();
  g.doc_string = gp.doc_string();
  const std::string gname = label_ + ": graph '" + gp.name() + "'";

  // Declared types of every named value.
  std::map<std::string, const onnx::TypeProto*> declared;
  for (const auto& vi : gp.value_info()) declared[vi.name()] = &vi.type();
  for (const auto& vi : gp.output()) declared[vi.name()] = &vi.type();

  Scope scope;
  scope.parent = outer;
  // Graph inputs.
  for (const auto& vi : gp.input()) {
    KILN_ASSIGN_OR_RETURN(TypeInfo t, ImportType(vi.type(), gname + " input '" + vi.name() + "'"));
    auto id = g.AddValue(vi.name(), std::move(t));
    if (!id.ok()) return InvalidModel(gname + ": graph input '" + vi.name() + "' is declared twice");
    g.AddInput(*id);
    scope.names.insert(vi.name());
  }
  // Initializers (may also be graph inputs, giving them a default).
  for (int i = 0; i < gp.initializer_size(); ++i) {
    const onnx::TensorProto& tp = gp.initializer(i);
    const std::string where = gname + " initializer '" + tp.name() + "'";
    if (tp.name().empty()) return InvalidModel(where + ": initializer has no name");
    KILN_ASSIGN_OR_RETURN(Tensor t, ImportTensor(tp, where));
    if (release_graph_ == &gp) {
      std::string().swap(*release_graph_->mutable_initializer(i)->mutable_raw_data());
    }
    int id = g.FindValue(tp.name());
    if (id >= 0 && g.value(id).is_initializer) {
      return InvalidModel(gname + ": initializer '" + tp.name() + "' is defined twice");
    }
    if (id < 0) {
      TypeInfo ti = TypeInfo::Tensor(t.dtype());
      Shape s;
      for (int64_t d : t.dims()) s.dims.push_back(Dim::Known(d));
      ti.shape = s;
      KILN_ASSIGN_OR_RETURN(id, g.AddValue(tp.name(), std::move(ti)));
    }
    g.SetInitializer(id, std::move(t));
    scope.names.insert(tp.name());
  }
  if (gp.sparse_initializer_size() > 0) {
    return Unsupported(gname + ": sparse initializers are not supported yet ('" +
                       gp.sparse_initializer(0).values().name() + "')");
  }
  // Node outputs: every name defined once.
  for (int ni = 0; ni < gp.node_size(); ++ni) {
    const auto& np = gp.node(ni);
    for (const auto& out : np.output()) {
      if (out.empty()) continue;
      if (scope.names.count(out)) {
        int prev = g.FindValue(out);
        std::string prev_desc = prev >= 0 && g.value(prev).is_graph_input ? "a graph input"
                                : prev >= 0 && g.value(prev).is_initializer ? "an initializer"
                                                                            : "another node";
        return InvalidModel(gname + ": node '" + np.name() + "' (" + np.op_type() + ") output '" +
                            out + "' is already defined by " + prev_desc);
      }
      TypeInfo t;
      auto it = declared.find(out);
      if (it != declared.end()) {
        KILN_ASSIGN_OR_RETURN(t, ImportType(*it->second, gname + " value '" + out + "'"));
      }
      KILN_RETURN_IF_ERROR(g.AddValue(out, std::move(t)).status());
      scope.names.insert(out);
    }
  }
  // Nodes.
  for (int ni = 0; ni < gp.node_size(); ++ni) {
    const auto& np = gp.node(ni);
    Node node;
    node.name = np.name();
    node.op_type = np.op_type();
    node.domain = np.domain() == "ai.onnx" ? "" : np.domain();
    node.doc_string = np.doc_string();
    auto op_it = opsets.find(node.domain);
    node.opset = op_it == opsets.end() ? 0 : static_cast<int>(op_it->second);
    const std::string where = gname + " node '" + np.name() + "' (" +
                              (node.domain.empty() ? "" : node.domain + "::") + np.op_type() +
                              ", opset " + std::to_string(node.opset) + ")";
    if (np.op_type().empty()) return InvalidModel(where + ": node has no op_type");
    for (const auto& in : np.input()) {
      if (in.empty()) {
        node.inputs.push_back(kNoValue);
        continue;
      }
      int id = g.FindValue(in);
      if (id < 0) {
        if (outer != nullptr && outer->Has(in)) {
          KILN_ASSIGN_OR_RETURN(id, g.AddValue(in));
          g.mutable_value(id).outer_scope = true;
        } else {
          return InvalidModel(where + ": input '" + in + "' is not defined by any node, graph "
                              "input or initializer");
        }
      }
      node.inputs.push_back(id);
    }
    for (const auto& out : np.output()) node.outputs.push_back(out.empty() ? kNoValue : g.FindValue(out));
    for (const auto& ap : np.attribute()) {
      Attribute a;
      KILN_RETURN_IF_ERROR(ImportAttribute(ap, &scope, opsets, where, a));
      for (const auto& other : node.attributes) {
        if (other.name == a.name) return InvalidModel(where + ": attribute '" + a.name + "' is given twice");
      }
      node.attributes.push_back(std::move(a));
    }
    KILN_RETURN_IF_ERROR(g.AddNode(std::move(node)).status());
  }
  // Outputs.
  std::set<std::string> seen_outputs;
  for (const auto& vi : gp.output()) {
    if (!seen_outputs.insert(vi.name()).second) {
      return InvalidModel(gname + ": graph output '" + vi.name() + "' is listed twice");
    }
    int id = g.FindValue(vi.name());
    if (id < 0) {
      if (outer != nullptr && outer->Has(vi.name())) {
        KILN_ASSIGN_OR_RETURN(id, g.AddValue(vi.name()));
        g.mutable_value(id).outer_scope = true;
      } else {
        return InvalidModel(gname + ": graph output '" + vi.name() +
                            "' is not produced by any node, input or initializer");
      }
    }
    if (g.value(id).type.kind == TypeInfo::Kind::kUnknown) {
      KILN_ASSIGN_OR_RETURN(g.mutable_value(id).type,
                            ImportType(vi.type(), gname + " output '" + vi.name() + "'"));
    }
    g.AddOutput(id);
  }
  auto order = g.TopologicalOrder();
  if (!order.ok()) return order.status().WithPrefix(label_);
  return Status::Ok();
}

Status Importer::ImportFunction(const onnx::FunctionProto& fp, Function& f) {
  f.name = fp.name();
  f.domain = fp.domain();
  f.overload = fp.overload();
  f.inputs.assign(fp.input().begin(), fp.input().end());
  f.outputs.assign(fp.output().begin(), fp.output().end());
  f.attributes.assign(fp.attribute().begin(), fp.attribute().end());
  for (const auto& oi : fp.opset_import()) f.opset_imports[oi.domain() == "ai.onnx" ? "" : oi.domain()] = oi.version();
  std::string where = label_ + ": function '" + fp.name() + "'";
  for (const auto& ap : fp.attribute_proto()) {
    Attribute a;
    KILN_RETURN_IF_ERROR(ImportAttribute(ap, nullptr, f.opset_imports, where, a));
    f.attribute_defaults.push_back(std::move(a));
  }
  // The body as a graph: formal inputs are graph inputs, formal outputs graph outputs.
  onnx::GraphProto gp;
  gp.set_name(fp.name());
  for (const auto& in : fp.input()) gp.add_input()->set_name(in);
  for (const auto& out : fp.output()) gp.add_output()->set_name(out);
  for (const auto& np : fp.node()) *gp.add_node() = np;
  for (const auto& vi : fp.value_info()) *gp.add_value_info() = vi;
  f.body = std::make_shared<Graph>();
  return ImportGraph(gp, nullptr, *f.body, f.opset_imports);
}

StatusOr<Model> Importer::ImportModel(const onnx::ModelProto& mp) {
  Model m;
  m.ir_version = mp.ir_version();
  m.producer_name = mp.producer_name();
  m.producer_version = mp.producer_version();
  m.domain = mp.domain();
  m.model_version = mp.model_version();
  m.has_model_version = mp.has_model_version();
  m.doc_string = mp.doc_string();
  for (const auto& p : mp.metadata_props()) m.metadata.emplace_back(p.key(), p.value());
  if (!mp.has_graph()) return InvalidModel(label_ + ": model has no graph");
  if (mp.ir_version() <= 0) return InvalidModel(label_ + ": model has no ir_version");
  for (const auto& oi : mp.opset_import()) {
    std::string d = oi.domain() == "ai.onnx" ? "" : oi.domain();
    // The same import repeated (skl2onnx writes the default domain twice) is harmless, as in
    // ONNX Runtime; two different versions of one domain are an error.
    auto seen = m.opset_imports.find(d);
    if (seen != m.opset_imports.end()) {
      if (seen->second == oi.version()) continue;
      return InvalidModel(label_ + ": opset of domain '" + oi.domain() +
                          "' is imported twice, as " + std::to_string(seen->second) + " and " +
                          std::to_string(oi.version()));
    }
    m.opset_imports[d] = oi.version();
  }
  if (mp.opset_import_size() == 0) {
    if (mp.ir_version() >= 3) return InvalidModel(label_ + ": model imports no opset");
    m.opset_imports[""] = 1;  // IR versions before 3 implied opset 1
  }
  auto onnx_it = m.opset_imports.find("");
  if (onnx_it != m.opset_imports.end() &&
      (onnx_it->second < 1 || onnx_it->second > kMaxOnnxOpset)) {
    return Unsupported(label_ + ": ai.onnx opset " + std::to_string(onnx_it->second) +
                       " is not supported (this build knows opsets 1 to " +
                       std::to_string(kMaxOnnxOpset) + ")");
  }
  for (const auto& fp : mp.functions()) {
    Function f;
    KILN_RETURN_IF_ERROR(ImportFunction(fp, f));
    m.functions.push_back(std::move(f));
  }
  m.graph = std::make_unique<Graph>();
  KILN_RETURN_IF_ERROR(ImportGraph(mp.graph(), nullptr, *m.graph, m.opset_imports));
  if (m.ir_version < 4) {
    // Before IR 4 every initializer had to be listed as a graph input too; such inputs are the
    // model's weights, not inputs a caller may override (ONNX Runtime reads them the same way).
    std::vector<int> weights;
    for (int id : m.graph->inputs()) {
      if (m.graph->value(id).is_initializer) weights.push_back(id);
    }
    for (int id : weights) m.graph->RemoveInput(id);
  }
  return m;
}

}  // namespace

namespace {

Status CheckModelSize(uint64_t size, const std::string& label) {
  if (size == 0) return InvalidModel(label + ": file is empty, not an ONNX model");
  if (size > static_cast<uint64_t>(std::numeric_limits<int>::max())) {
    return Unsupported(label + ": models over 2 GiB must keep weights in external data files");
  }
  return Status::Ok();
}

Status ParseFailed(const std::string& label) {
  return InvalidModel(label +
                      ": not a valid ONNX model (protobuf parse failed: truncated or "
                      "not an ONNX file)");
}

// Imports a parsed model once: onnx's checker, then function inlining (only on a model the checker
// accepted), then kiln's import, which moves the weights out of the proto as it goes. kiln's own
// errors come first, since they name the node, op and opset; the checker's come after.
StatusOr<Model> ImportParsed(onnx::ModelProto& mp, const std::string& base_dir,
                             const std::string& label, const ImportOptions& options) {
  Status checked = options.check ? CheckModelProto(mp, base_dir, label) : Status::Ok();
  if (checked.ok()) {
    auto inlined = InlineFunctions(mp, options.has_kernel, label);
    if (!inlined.ok()) checked = inlined.status();
  }
  Importer importer(base_dir, label);
  importer.ReleaseWeightsOf(mp.mutable_graph());
  KILN_ASSIGN_OR_RETURN(Model model, importer.ImportModel(mp));
  KILN_RETURN_IF_ERROR(checked);
  return model;
}

}  // namespace

StatusOr<Model> ParseModel(const std::string& bytes, const std::string& base_dir,
                           const std::string& label, const ImportOptions& options) {
  KILN_RETURN_IF_ERROR(CheckModelSize(bytes.size(), label));
  onnx::ModelProto mp;
  if (!mp.ParseFromString(bytes)) return ParseFailed(label);
  return ImportParsed(mp, base_dir, label, options);
}

StatusOr<Model> LoadModel(const std::string& path, const ImportOptions& options) {
  // Parsed straight from the file: no copy of the file's bytes is held beside the parsed model.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError(path + ": cannot open file");
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return IoError(path + ": cannot read file (not a regular file)");
  }
  Status size_ok = CheckModelSize(static_cast<uint64_t>(st.st_size), path);
  if (!size_ok.ok()) {
    ::close(fd);
    return size_ok;
  }
  onnx::ModelProto mp;
  bool parsed = false;
  {
    google::protobuf::io::FileInputStream in(fd);
    parsed = mp.ParseFromZeroCopyStream(&in);
    parsed = parsed && in.GetErrno() == 0;
  }
  ::close(fd);
  if (!parsed) return ParseFailed(path);
  return ImportParsed(mp, Dirname(path), path, options);
}

StatusOr<Tensor> TensorFromProto(const onnx::TensorProto& tp, const std::string& where) {
  Importer importer("", where);
  return importer.ImportTensor(tp, where);
}

}  // namespace kiln
