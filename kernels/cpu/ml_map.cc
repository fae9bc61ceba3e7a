// Classical-ML CPU kernels of domain ai.onnx.ml whose inputs or outputs are maps (AnyValue kind
// kMap: a 1-D key tensor and a 1-D value tensor, see ir/tensor.h):
//   ZipMap 1          float [N, C] or [C] -> seq(map(int64 | string, float)), one map per row,
//   DictVectorizer 1  map(string | int64 -> float | double | int64 | string) -> [1, V] tensor,
//   CastMap 1         map(int64 -> float | string) -> [1, n] float, int64 or string tensor.
// skl2onnx puts a ZipMap after every classifier by default (its `output_probability`).
//
// ONNX Runtime is what users compare these ops with, and onnx ships no reference implementation
// of ZipMap or CastMap, so kiln computes what ONNX Runtime 1.30 computes. Where that differs from
// the schema's text it is noted at the code:
//  - ZipMap: repeated class labels keep the last column's value (ORT builds a std::map); maps come
//    out in ascending key order, as ORT's do. A 1-D input is one row.
//  - DictVectorizer: keys that are not in the vocabulary are ignored (the schema says every key
//    must be in it); a vocabulary may repeat a key, each of its columns then gets the value. The
//    output is [1, V], as the schema and ORT have it (onnx's reference gives [V] for one map).
//  - CastMap: the output is [1, n] (the schema says 1-D); SPARSE ignores keys >= max_map (the
//    schema says they may not occur) and pads TO_STRING outputs with the string "0.f"; TO_STRING
//    writes floats as printf's "%f"; TO_INT64 truncates toward zero, and a NaN or out-of-range
//    float gives INT64_MIN (what x86 builds of ORT give; C++ leaves it undefined).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <numeric>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

const char kMlDomain[] = "ai.onnx.ml";

// Input 0 as a map, or an error naming what was given instead.
StatusOr<const AnyValue*> MapInput(const KernelContext& ctx) {
  const AnyValue* v = ctx.InputValue(0);
  if (v == nullptr) return ctx.InvalidArgument("input X is missing");
  if (!v->is_map()) {
    return ctx.InvalidArgument("input X must be a map, got " + v->TypeString());
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// ZipMap

class ZipMapKernel : public Kernel {
 public:
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    const std::vector<int64_t> ints = info.GetInts("classlabels_int64s");
    const std::vector<std::string> strings = info.GetStrings("classlabels_strings");
    KILN_RETURN_IF_ERROR(info.status());
    // As ORT, an empty list counts as not given.
    if (ints.empty() == strings.empty()) {
      return info.InvalidModel(
          std::string("exactly one of classlabels_strings and classlabels_int64s must be given "
                      "(non-empty), got ") +
          (ints.empty() ? "neither" : "both"));
    }
    auto k = std::unique_ptr<ZipMapKernel>(new ZipMapKernel());
    k->num_labels_ = static_cast<int64_t>(ints.empty() ? strings.size() : ints.size());
    if (ints.empty()) {
      k->BuildKeys(strings, DataType::kString);
    } else {
      k->BuildKeys(ints, DataType::kInt64);
    }
    return std::unique_ptr<Kernel>(std::move(k));
  }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x == nullptr) {
      const AnyValue* v = ctx.InputValue(0);
      return ctx.InvalidArgument("input X must be a float tensor, got " +
                                 (v == nullptr ? std::string("nothing") : v->TypeString()));
    }
    if (x->rank() != 1 && x->rank() != 2) {
      return ctx.InvalidArgument("input X must be 1-D [C] or 2-D [N, C], got " + x->TypeString());
    }
    const int64_t c = x->dim(x->rank() - 1);
    const int64_t n = x->rank() == 2 ? x->dim(0) : 1;
    if (c != num_labels_) {
      return ctx.InvalidArgument("input X " + x->TypeString() + " has " + std::to_string(c) +
                                 " columns, but there are " + std::to_string(num_labels_) +
                                 " class labels");
    }
    const float* xd = x->data<float>();
    const int64_t k = keys_.numel();
    // The maps of one run share one copy of the keys (the kernel's own stays out of callers'
    // reach).
    const Tensor keys = keys_.Clone();
    std::vector<AnyValue> maps;
    maps.reserve(static_cast<size_t>(n));
    for (int64_t r = 0; r < n; ++r) {
      Tensor values(DataType::kFloat, {k});
      float* vd = values.data<float>();
      for (int64_t j = 0; j < k; ++j) vd[j] = xd[r * c + columns_[j]];
      // Built directly, not by AnyValue::Map: the keys are known to be distinct.
      AnyValue m;
      m.kind = AnyValue::Kind::kMap;
      m.map_keys = keys;
      m.map_values = std::move(values);
      maps.push_back(std::move(m));
    }
    AnyValue seq = AnyValue::Sequence(std::move(maps), DataType::kFloat);
    seq.sequence_map_key_type = keys_.dtype();
    return ctx.SetOutput(0, std::move(seq));
  }

 private:
  ZipMapKernel() = default;

  // The distinct labels in ascending order, each with the last column that names it.
  template <typename T>
  void BuildKeys(const std::vector<T>& labels, DataType dtype) {
    std::vector<int64_t> order(labels.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return labels[a] < labels[b]; });
    std::vector<T> keys;
    for (int64_t col : order) {
      if (!keys.empty() && keys.back() == labels[col]) {
        columns_.back() = col;  // a repeated label: the later column wins
        continue;
      }
      keys.push_back(labels[col]);
      columns_.push_back(col);
    }
    keys_ = Tensor(dtype, {static_cast<int64_t>(keys.size())});
    std::copy(keys.begin(), keys.end(), keys_.data<T>());
  }

  int64_t num_labels_ = 0;
  Tensor keys_;                   // distinct labels, ascending
  std::vector<int64_t> columns_;  // per key: its input column
};

// ---------------------------------------------------------------------------------------------
// DictVectorizer

class DictVectorizerKernel : public Kernel {
 public:
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    const std::vector<int64_t> ints = info.GetInts("int64_vocabulary");
    const std::vector<std::string> strings = info.GetStrings("string_vocabulary");
    KILN_RETURN_IF_ERROR(info.status());
    if (ints.empty() == strings.empty()) {
      return info.InvalidModel(
          std::string("exactly one of string_vocabulary and int64_vocabulary must be given "
                      "(non-empty), got ") +
          (ints.empty() ? "neither" : "both"));
    }
    auto k = std::unique_ptr<DictVectorizerKernel>(new DictVectorizerKernel());
    k->string_keys_ = !strings.empty();
    k->width_ = static_cast<int64_t>(k->string_keys_ ? strings.size() : ints.size());
    for (int64_t i = 0; i < k->width_; ++i) {
      if (k->string_keys_) {
        k->string_columns_[strings[i]].push_back(i);
      } else {
        k->int_columns_[ints[i]].push_back(i);
      }
    }
    return std::unique_ptr<Kernel>(std::move(k));
  }

  Status Run(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(const AnyValue* m, MapInput(ctx));
    const Tensor& keys = m->map_keys;
    const Tensor& values = m->map_values;
    const DataType want_key = string_keys_ ? DataType::kString : DataType::kInt64;
    if (keys.dtype() != want_key) {
      return ctx.InvalidArgument("input X is " + m->TypeString() + ", but " +
                                 (string_keys_ ? "string_vocabulary" : "int64_vocabulary") +
                                 " needs " + DataTypeName(want_key) + " keys");
    }
    const DataType vt = values.dtype();
    if (vt != DataType::kFloat && vt != DataType::kDouble && vt != DataType::kInt64 &&
        vt != DataType::kString) {
      return ctx.Unsupported("input X is " + m->TypeString() +
                             "; map values must be float, double, int64 or string");
    }
    // Columns whose key is absent stay 0 (or the empty string).
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.OutputZeroed(0, vt, {1, width_}));
    Dispatch<float, double, int64_t, std::string>(vt, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* vd = values.data<T>();
      T* yd = y->data<T>();
      for (int64_t i = 0; i < keys.numel(); ++i) {
        const std::vector<int64_t>* cols = Columns(keys, i);
        if (cols == nullptr) continue;  // not in the vocabulary: ignored, as ORT does
        for (int64_t col : *cols) yd[col] = vd[i];
      }
    });
    return Status::Ok();
  }

 private:
  DictVectorizerKernel() = default;

  const std::vector<int64_t>* Columns(const Tensor& keys, int64_t i) const {
    if (string_keys_) {
      auto it = string_columns_.find(keys.data<std::string>()[i]);
      return it == string_columns_.end() ? nullptr : &it->second;
    }
    auto it = int_columns_.find(keys.data<int64_t>()[i]);
    return it == int_columns_.end() ? nullptr : &it->second;
  }

  bool string_keys_ = false;
  int64_t width_ = 0;
  // Vocabulary entry -> its output columns (more than one when the vocabulary repeats it).
  std::unordered_map<std::string, std::vector<int64_t>> string_columns_;
  std::unordered_map<int64_t, std::vector<int64_t>> int_columns_;
};

// ---------------------------------------------------------------------------------------------
// CastMap

enum class CastTo { kFloat, kString, kInt64 };

// float -> int64 as static_cast, with x86's answer (INT64_MIN) where C++ leaves it undefined.
int64_t FloatToInt64(float v) {
  if (std::isnan(v) || v >= 9223372036854775808.0f || v < -9223372036854775808.0f) {
    return std::numeric_limits<int64_t>::min();
  }
  return static_cast<int64_t>(v);
}

// std::to_string(float): printf's "%f".
std::string FloatToString(float v) {
  char buf[512];  // "%f" of FLT_MAX has 46 characters
  std::snprintf(buf, sizeof(buf), "%f", static_cast<double>(v));
  return buf;
}

class CastMapKernel : public Kernel {
 public:
  static StatusOr<std::unique_ptr<Kernel>> Create(const KernelInfo& info) {
    const std::string cast_to = info.GetString("cast_to", "TO_FLOAT");
    const std::string map_form = info.GetString("map_form", "DENSE");
    const int64_t max_map = info.GetInt("max_map", 1);
    KILN_RETURN_IF_ERROR(info.status());
    auto k = std::unique_ptr<CastMapKernel>(new CastMapKernel());
    if (cast_to == "TO_FLOAT") {
      k->cast_to_ = CastTo::kFloat;
    } else if (cast_to == "TO_STRING") {
      k->cast_to_ = CastTo::kString;
    } else if (cast_to == "TO_INT64") {
      k->cast_to_ = CastTo::kInt64;
    } else {
      return info.InvalidModel("cast_to must be TO_FLOAT, TO_STRING or TO_INT64, got '" + cast_to +
                               "'");
    }
    if (map_form != "DENSE" && map_form != "SPARSE") {
      return info.InvalidModel("map_form must be DENSE or SPARSE, got '" + map_form + "'");
    }
    k->sparse_ = map_form == "SPARSE";
    if (k->sparse_ && max_map <= 0) {
      return info.InvalidModel("max_map must be > 0 when map_form is SPARSE, got " +
                               std::to_string(max_map));
    }
    k->max_map_ = max_map;
    return std::unique_ptr<Kernel>(std::move(k));
  }

  Status Run(KernelContext& ctx) const override {
    KILN_ASSIGN_OR_RETURN(const AnyValue* m, MapInput(ctx));
    const Tensor& keys = m->map_keys;
    const Tensor& values = m->map_values;
    if (keys.dtype() != DataType::kInt64 ||
        (values.dtype() != DataType::kFloat && values.dtype() != DataType::kString)) {
      return ctx.InvalidArgument("input X must be map(int64,float) or map(int64,string), got " +
                                 m->TypeString());
    }
    const int64_t n = keys.numel();
    const int64_t* kd = keys.data<int64_t>();
    std::vector<int64_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [kd](int64_t a, int64_t b) { return kd[a] < kd[b]; });
    if (sparse_ && n > 0 && kd[order[0]] < 0) {
      return ctx.InvalidArgument("SPARSE map_form needs keys in [0, max_map), got key " +
                                 std::to_string(kd[order[0]]));
    }
    const DataType out_type = cast_to_ == CastTo::kFloat   ? DataType::kFloat
                              : cast_to_ == CastTo::kInt64 ? DataType::kInt64
                                                           : DataType::kString;
    const int64_t width = sparse_ ? max_map_ : n;
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.OutputZeroed(0, out_type, {1, width}));
    if (out_type == DataType::kString && sparse_) {
      // ORT's pad value for strings is the text "0.f".
      for (int64_t i = 0; i < width; ++i) y->data<std::string>()[i] = "0.f";
    }
    for (int64_t j = 0; j < n; ++j) {
      const int64_t e = order[j];
      int64_t pos = j;
      if (sparse_) {
        if (kd[e] >= max_map_) break;  // keys past the end are ignored, as ORT does
        pos = kd[e];
      }
      KILN_RETURN_IF_ERROR(CastEntry(ctx, values, e, kd[e], *y, pos));
    }
    return Status::Ok();
  }

 private:
  CastMapKernel() = default;

  // Writes value `e` of `values` (float or string) into element `pos` of `y`.
  Status CastEntry(const KernelContext& ctx, const Tensor& values, int64_t e, int64_t key,
                   Tensor& y, int64_t pos) const {
    if (values.dtype() == DataType::kFloat) {
      const float v = values.data<float>()[e];
      switch (cast_to_) {
        case CastTo::kFloat:
          y.data<float>()[pos] = v;
          break;
        case CastTo::kInt64:
          y.data<int64_t>()[pos] = FloatToInt64(v);
          break;
        case CastTo::kString:
          y.data<std::string>()[pos] = FloatToString(v);
          break;
      }
      return Status::Ok();
    }
    const std::string& s = values.data<std::string>()[e];
    if (cast_to_ == CastTo::kString) {
      y.data<std::string>()[pos] = s;
      return Status::Ok();
    }
    // As std::stof / std::stoll: a leading number is read, the rest ignored; no number or one out
    // of range is an error.
    const char* begin = s.c_str();
    char* end = nullptr;
    errno = 0;
    if (cast_to_ == CastTo::kFloat) {
      const float v = std::strtof(begin, &end);
      if (end != begin && errno != ERANGE) {
        y.data<float>()[pos] = v;
        return Status::Ok();
      }
    } else {
      const long long v = std::strtoll(begin, &end, 10);
      if (end != begin && errno != ERANGE) {
        y.data<int64_t>()[pos] = static_cast<int64_t>(v);
        return Status::Ok();
      }
    }
    const std::string what = cast_to_ == CastTo::kFloat ? "float" : "int64";
    return ctx.InvalidArgument(
        "the value '" + s + "' of key " + std::to_string(key) +
        (end == begin ? " is not a number (" + what + ")" : " is out of range for " + what));
  }

  CastTo cast_to_ = CastTo::kFloat;
  bool sparse_ = false;
  int64_t max_map_ = 1;
};

}  // namespace

void RegisterMlMapKernels(KernelRegistry& r) {
  r.Register(KernelDef("ZipMap", kMlDomain).Opsets(1).Types("T", {0}, {DataType::kFloat}),
             ZipMapKernel::Create);
  r.Register(KernelDef("DictVectorizer", kMlDomain).Opsets(1), DictVectorizerKernel::Create);
  r.Register(KernelDef("CastMap", kMlDomain).Opsets(1), CastMapKernel::Create);
}

}  // namespace kiln::cpu
