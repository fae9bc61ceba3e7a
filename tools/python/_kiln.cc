// kiln._kiln: the C++ side of the Python package (tools/python/kiln/). A thin layer over
// runtime/session.h: a session made from a path or bytes and an options dict, the declared graph
// inputs and outputs, the model's metadata, and run(). Values cross as the package's own forms
// (kiln/_values.py): a tensor is (dtype, array) with `array` C-contiguous numpy whose bytes are
// the elements (the Python side views ml_dtypes types as unsigned integers), (dtype, bytes, dims)
// for the packed types (int4, uint4, float4e2m1, int2, uint2: their bytes as ONNX packs them) or,
// for strings, (8, list_of_str, shape); a sequence is ("seq", elem_dtype, items); a map ("map", keys, values);
// None an absent optional. Numeric outputs come back as numpy arrays without a copy (their
// storage is theirs alone) and the rest in the same forms. The GIL is released while a model
// runs. Errors raise the exception class the package registered for the status code.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ir/onnx_io.h"
#include "runtime/profiler.h"
#include "runtime/session.h"

namespace nb = nanobind;

namespace kiln {
namespace {

// The exception classes of kiln/__init__.py, by StatusCode (set once at import).
nb::object g_errors[static_cast<int>(StatusCode::kInternal) + 1];

[[noreturn]] void Raise(const Status& s) {
  const int code = static_cast<int>(s.code());
  nb::handle cls = code >= 0 && code <= static_cast<int>(StatusCode::kInternal) && g_errors[code]
                       ? g_errors[code]
                       : nb::handle(PyExc_RuntimeError);
  PyErr_SetString(cls.ptr(), s.ToString().c_str());
  throw nb::python_error();
}

template <typename T>
T Check(StatusOr<T> v) {
  if (!v.ok()) Raise(v.status());
  return std::move(v).value();
}

// ---- Types as ONNX Runtime writes them ---------------------------------------------------------

std::string TypeString(const TypeInfo& t) {
  switch (t.kind) {
    case TypeInfo::Kind::kTensor:
      return std::string("tensor(") + DataTypeName(t.elem_type) + ")";
    case TypeInfo::Kind::kSparseTensor:
      return std::string("sparse_tensor(") + DataTypeName(t.elem_type) + ")";
    case TypeInfo::Kind::kSequence:
      return "seq(" + (t.inner ? TypeString(*t.inner) : std::string("unknown")) + ")";
    case TypeInfo::Kind::kOptional:
      return "optional(" + (t.inner ? TypeString(*t.inner) : std::string("unknown")) + ")";
    case TypeInfo::Kind::kMap:
      return std::string("map(") + DataTypeName(t.elem_type) + "," +
             (t.inner ? TypeString(*t.inner) : std::string("unknown")) + ")";
    case TypeInfo::Kind::kUnknown:
      break;
  }
  return "unknown";
}

// ints, strings for symbolic dims, None for unknown ones; [] for a tensor of unknown rank and for
// non-tensors (as ONNX Runtime's NodeArg.shape).
nb::list ShapeList(const TypeInfo& t) {
  nb::list out;
  if ((t.kind != TypeInfo::Kind::kTensor && t.kind != TypeInfo::Kind::kSparseTensor) || !t.shape) {
    return out;
  }
  for (const Dim& d : t.shape->dims) {
    if (d.known()) {
      out.append(d.value);
    } else if (!d.symbol.empty()) {
      out.append(d.symbol);
    } else {
      out.append(nb::none());
    }
  }
  return out;
}

nb::list IoList(const std::vector<GraphIo>& ios, int want_default) {
  nb::list out;
  for (const GraphIo& io : ios) {
    if (want_default >= 0 && io.has_default != (want_default == 1)) continue;
    out.append(nb::make_tuple(io.name, TypeString(io.type), ShapeList(io.type)));
  }
  return out;
}

// ---- Values in ------------------------------------------------------------------------------------

using Array = nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu>;

std::vector<int64_t> DimsOf(nb::handle shape) {
  std::vector<int64_t> dims;
  for (nb::handle d : shape) dims.push_back(nb::cast<int64_t>(d));
  return dims;
}

// A tensor from (dtype, array) or (8, strings, shape). Numeric data is borrowed from the array,
// which the caller keeps alive through the run.
Tensor TensorIn(nb::handle spec, const std::string& name) {
  auto t = nb::borrow<nb::tuple>(spec);
  const int code = nb::cast<int>(t[0]);
  if (code < 1 || code > kMaxDataType || !IsValidDataType(code)) {
    Raise(InvalidArgument("input '" + name + "': element type " + std::to_string(code) +
                          " is not an ONNX tensor type"));
  }
  const DataType dt = static_cast<DataType>(code);
  if (dt == DataType::kString) {
    auto strs = nb::borrow<nb::list>(t[1]);
    Tensor out = Check(Tensor::Create(dt, DimsOf(t[2])));
    if (static_cast<size_t>(out.numel()) != strs.size()) {
      Raise(InvalidArgument("input '" + name + "': " + std::to_string(strs.size()) +
                            " strings for a shape of " + std::to_string(out.numel()) +
                            " elements"));
    }
    std::string* p = out.data<std::string>();
    for (size_t i = 0; i < strs.size(); ++i) p[i] = nb::cast<std::string>(strs[i]);
    return out;
  }
  // No implicit conversion: a converted copy would die with `a`, under the borrowed tensor.
  Array a = nb::cast<Array>(t[1], /*convert=*/false);
  std::vector<int64_t> dims(a.ndim());
  for (size_t i = 0; i < a.ndim(); ++i) dims[i] = static_cast<int64_t>(a.shape(i));
  if (t.size() == 3) dims = DimsOf(t[2]);  // packed types: the packed bytes and the dims
  const size_t bytes = a.nbytes();
  Tensor out = Tensor::Wrap(dt, dims, const_cast<void*>(a.data()));
  if (out.nbytes() != bytes) {
    Raise(InvalidArgument("input '" + name + "': " + std::to_string(bytes) +
                          " bytes of data for a " + DataTypeName(dt) + " tensor of " +
                          std::to_string(out.numel()) + " elements"));
  }
  return out;
}

AnyValue ValueIn(nb::handle spec, const std::string& name) {
  if (spec.is_none()) return AnyValue::None();
  auto t = nb::borrow<nb::tuple>(spec);
  if (nb::isinstance<nb::str>(t[0])) {
    const std::string kind = nb::cast<std::string>(t[0]);
    if (kind == "seq") {
      std::vector<AnyValue> items;
      for (nb::handle item : nb::borrow<nb::list>(t[2])) items.push_back(ValueIn(item, name));
      return AnyValue::Sequence(std::move(items), static_cast<DataType>(nb::cast<int>(t[1])));
    }
    if (kind == "map") {
      return Check(AnyValue::Map(TensorIn(t[1], name), TensorIn(t[2], name)));
    }
    Raise(Internal("input '" + name + "': unknown value form '" + kind + "'"));
  }
  return AnyValue(TensorIn(spec, name));
}

// ---- Values out -----------------------------------------------------------------------------------

// The DLPack element type numpy reads directly; false for those the Python side views itself.
bool NumpyDtype(DataType t, nb::dlpack::dtype* d) {
  using code = nb::dlpack::dtype_code;
  auto set = [d](code c, int bits) {
    d->code = static_cast<uint8_t>(c);
    d->bits = static_cast<uint8_t>(bits);
    d->lanes = 1;
    return true;
  };
  switch (t) {
    case DataType::kFloat: return set(code::Float, 32);
    case DataType::kDouble: return set(code::Float, 64);
    case DataType::kFloat16: return set(code::Float, 16);
    case DataType::kInt8: return set(code::Int, 8);
    case DataType::kInt16: return set(code::Int, 16);
    case DataType::kInt32: return set(code::Int, 32);
    case DataType::kInt64: return set(code::Int, 64);
    case DataType::kUint8: return set(code::UInt, 8);
    case DataType::kUint16: return set(code::UInt, 16);
    case DataType::kUint32: return set(code::UInt, 32);
    case DataType::kUint64: return set(code::UInt, 64);
    case DataType::kBool: return set(code::Bool, 8);
    case DataType::kComplex64: return set(code::Complex, 64);
    case DataType::kComplex128: return set(code::Complex, 128);
    // 16- and 8-bit floats the Python side views through ml_dtypes.
    case DataType::kBFloat16: return set(code::UInt, 16);
    case DataType::kFloat8E4M3FN:
    case DataType::kFloat8E4M3FNUZ:
    case DataType::kFloat8E5M2:
    case DataType::kFloat8E5M2FNUZ:
    case DataType::kFloat8E8M0: return set(code::UInt, 8);
    default: return false;
  }
}

// bfloat16 and the float8 types: numpy has no such dtype; the Python side views the unsigned
// integer array NumpyDtype gives through ml_dtypes.
bool ViewedByPython(DataType t) {
  return IsFloatingPoint(t) && !IsPacked(t) && t != DataType::kFloat &&
         t != DataType::kDouble && t != DataType::kFloat16;
}

// A numpy array over the tensor's bytes. The tensor's storage is shared with the array when
// nothing else holds it (an output of its own); else (an output that is an input, a constant or
// another output too) the array gets a copy, so writing to it changes nothing else.
nb::object ArrayOut(const Tensor& t, nb::dlpack::dtype dt) {
  std::vector<size_t> shape(t.dims().begin(), t.dims().end());
  const bool alone = t.storage() && t.storage().use_count() == 1;
  Tensor owned = t;
  if (!alone) {
    owned = Check(Tensor::Create(t.dtype(), t.dims()));
    if (t.nbytes() > 0) std::memcpy(owned.raw_data(), t.raw_data(), t.nbytes());
  }
  void* data = owned.raw_data();
  auto* holder = new Tensor(std::move(owned));
  nb::capsule owner(holder, [](void* p) noexcept { delete static_cast<Tensor*>(p); });
  return nb::ndarray<nb::numpy>(data, shape.size(), shape.data(), owner, nullptr, dt).cast();
}

nb::object TensorOut(const Tensor& t) {
  if (t.device() != Device::kCpu) {
    Raise(Internal(std::string("an output on ") + DeviceName(t.device()) + " reached Python"));
  }
  if (t.dtype() == DataType::kString) {
    nb::list strs;
    const std::string* p = t.data<std::string>();
    for (int64_t i = 0; i < t.numel(); ++i) strs.append(nb::bytes(p[i].data(), p[i].size()));
    nb::list dims;
    for (int64_t d : t.dims()) dims.append(d);
    return nb::make_tuple(static_cast<int>(DataType::kString), strs, dims);
  }
  if (IsPacked(t.dtype())) {
    // int4, uint4, float4e2m1, int2, uint2: the packed bytes (low bits first) and the dims; the
    // Python side unpacks them into ml_dtypes' one-element-per-byte arrays.
    nb::dlpack::dtype u8{static_cast<uint8_t>(nb::dlpack::dtype_code::UInt), 8, 1};
    const size_t offset = static_cast<size_t>(static_cast<const char*>(t.raw_data()) -
                                              static_cast<const char*>(t.storage()->data()));
    Tensor bytes = Check(Tensor::View(t.storage(), offset, DataType::kUint8,
                                      {static_cast<int64_t>(t.nbytes())}));
    nb::list dims;
    for (int64_t d : t.dims()) dims.append(d);
    return nb::make_tuple(static_cast<int>(t.dtype()), ArrayOut(bytes, u8), dims);
  }
  nb::dlpack::dtype dt;
  if (!NumpyDtype(t.dtype(), &dt)) {
    Raise(Unsupported(std::string("outputs of type ") + DataTypeName(t.dtype()) +
                      " cannot be returned to Python yet"));
  }
  nb::object a = ArrayOut(t, dt);
  if (ViewedByPython(t.dtype())) return nb::make_tuple(static_cast<int>(t.dtype()), a);
  return a;
}

nb::object ValueOut(const AnyValue& v) {
  switch (v.kind) {
    case AnyValue::Kind::kNone:
      return nb::none();
    case AnyValue::Kind::kTensor:
      return TensorOut(v.tensor);
    case AnyValue::Kind::kSequence: {
      nb::list items;
      for (const AnyValue& item : v.sequence) items.append(ValueOut(item));
      return items;
    }
    case AnyValue::Kind::kMap:
      return nb::make_tuple("map", TensorOut(v.map_keys), TensorOut(v.map_values));
  }
  return nb::none();
}

// ---- The session ------------------------------------------------------------------------------

SessionOptions OptionsFrom(const nb::dict& o) {
  SessionOptions so;
  if (o.contains("level")) so.optimization_level = nb::cast<int>(o["level"]);
  if (o.contains("disabled")) so.disabled_passes = nb::cast<std::vector<std::string>>(o["disabled"]);
  if (o.contains("device")) so.devices = Check(DevicesNamed(nb::cast<std::string>(o["device"])));
  if (o.contains("memory_planning")) so.memory_planning = nb::cast<bool>(o["memory_planning"]);
  if (o.contains("graph_capture")) so.graph_capture = nb::cast<bool>(o["graph_capture"]);
  if (o.contains("allow_tf32")) so.allow_tf32 = nb::cast<bool>(o["allow_tf32"]);
  if (o.contains("seed") && !o["seed"].is_none()) so.random_seed = nb::cast<uint64_t>(o["seed"]);
  if (o.contains("profiling")) so.enable_profiling = nb::cast<bool>(o["profiling"]);
  if (o.contains("threads")) so.intra_op_threads = nb::cast<int>(o["threads"]);
  return so;
}

class PySession {
 public:
  PySession(nb::object model, const std::string& base_dir, const nb::dict& options) {
    SessionOptions so = OptionsFrom(options);
    StatusOr<std::unique_ptr<Session>> s = Internal("not loaded");
    if (nb::isinstance<nb::bytes>(model)) {
      nb::bytes b = nb::borrow<nb::bytes>(model);
      std::string bytes(b.c_str(), b.size());
      nb::gil_scoped_release release;
      s = Session::LoadFromBytes(bytes, base_dir, std::move(so));
    } else {
      const std::string path = nb::cast<std::string>(model);
      nb::gil_scoped_release release;
      s = Session::Load(path, std::move(so));
    }
    session_ = Check(std::move(s));  // with the GIL: an error raises a Python exception
  }

  nb::list Inputs() const { return IoList(session_->declared_inputs(), 0); }
  nb::list Outputs() const { return IoList(session_->declared_outputs(), -1); }
  nb::list OverridableInitializers() const { return IoList(session_->declared_inputs(), 1); }

  nb::dict Metadata() const {
    const Model& m = session_->model();
    nb::dict d;
    d["producer_name"] = m.producer_name;
    d["producer_version"] = m.producer_version;
    d["graph_name"] = m.graph ? m.graph->name : std::string();
    d["graph_description"] = m.graph ? m.graph->doc_string : std::string();
    d["domain"] = m.domain;
    d["description"] = m.doc_string;
    d["version"] = m.has_model_version ? m.model_version : INT64_MAX;
    nb::dict custom;
    for (const auto& [k, v] : m.metadata) custom[nb::str(k.c_str())] = v;
    d["custom_metadata_map"] = custom;
    return d;
  }

  // SessionOptions.optimized_model_filepath: the model as the optimizer left it (weights of 1 KiB
  // and more in PATH.data, as `kiln optimize` writes them).
  void SaveOptimized(const std::string& path) const {
    Status s = SaveModel(session_->model(), path, 1024);
    if (!s.ok()) Raise(s);
  }

  // Ends the profiling period and writes its trace to `path`; false (nothing written) when the
  // session was not profiling.
  bool EndProfiling(const std::string& path) {
    if (!session_->profiling()) return false;
    std::vector<ProfileEvent> events = session_->EndProfiling();
    Status s = WriteChromeTrace(path, events);
    if (!s.ok()) Raise(s);
    return true;
  }
  int64_t ProfilingStartNs() const { return session_->profiling_start_ns(); }

  // feeds: [(name, value form)]; returns every output, in graph order.
  nb::list Run(const nb::list& feeds) const {
    std::vector<NamedValue> inputs;
    inputs.reserve(feeds.size());
    for (nb::handle f : feeds) {
      auto t = nb::borrow<nb::tuple>(f);
      std::string name = nb::cast<std::string>(t[0]);
      AnyValue v = ValueIn(t[1], name);
      inputs.push_back({std::move(name), std::move(v)});
    }
    StatusOr<std::vector<NamedValue>> outs = Internal("not run");
    {
      nb::gil_scoped_release release;
      outs = session_->Run(inputs);
    }
    if (!outs.ok()) Raise(outs.status());
    // `inputs` stays alive until the outputs are converted: an output that shares an input's
    // (borrowed) storage then counts two owners and is copied, never left on the caller's array.
    nb::list result;
    for (NamedValue& o : *outs) {
      result.append(ValueOut(o.value));
      o.value = AnyValue();  // numeric outputs own their storage when converted next
    }
    return result;
  }

 private:
  std::unique_ptr<Session> session_;
};

}  // namespace
}  // namespace kiln

NB_MODULE(_kiln, m) {
  using namespace kiln;
  m.doc() = "kiln's C++ runtime (the kiln package wraps it in onnxruntime's API)";
  m.def("_set_error_classes", [](const nb::dict& classes) {
    for (auto [k, v] : classes) {
      const int code = nb::cast<int>(k);
      if (code >= 0 && code <= static_cast<int>(StatusCode::kInternal)) {
        g_errors[code] = nb::borrow<nb::object>(v);
      }
    }
  });
  m.def("status_codes", [] {
    nb::dict d;
    for (int c = 0; c <= static_cast<int>(StatusCode::kInternal); ++c) {
      d[StatusCodeName(static_cast<StatusCode>(c))] = c;
    }
    return d;
  });
  m.def("device_status", [](const std::string& name) {
    auto devices = DevicesNamed(name);
    if (!devices.ok()) return nb::make_tuple(false, devices.status().message());
    for (Device d : *devices) {
      Status s = DeviceStatus(d);
      if (!s.ok()) return nb::make_tuple(false, s.message());
    }
    return nb::make_tuple(true, DeviceDescription(devices->front()));
  });
  nb::class_<PySession>(m, "Session")
      .def(nb::init<nb::object, const std::string&, const nb::dict&>(), nb::arg("model"),
           nb::arg("base_dir"), nb::arg("options"))
      .def("inputs", &PySession::Inputs)
      .def("outputs", &PySession::Outputs)
      .def("overridable_initializers", &PySession::OverridableInitializers)
      .def("metadata", &PySession::Metadata)
      .def("save_optimized", &PySession::SaveOptimized)
      .def("end_profiling", &PySession::EndProfiling)
      .def("profiling_start_ns", &PySession::ProfilingStartNs)
      .def("run", &PySession::Run);
}
