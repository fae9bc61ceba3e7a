// Value protos -> kiln values: TensorProto, SequenceProto, MapProto and OptionalProto as the
// backend suite's test data and `kiln run --input NAME=FILE.pb` give them. See onnx_io.h.
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "ir/onnx_convert.h"
#include "ir/onnx_io.h"
#include "ir/onnx_proto.h"

namespace kiln {

StatusOr<Tensor> ParseTensor(const std::string& bytes, const std::string& label) {
  onnx::TensorProto tp;
  if (!tp.ParseFromString(bytes)) return InvalidArgument(label + ": not a serialized TensorProto");
  return TensorFromProto(tp, label);
}

namespace {

// Value protos (test data, `kiln run` outputs) -> AnyValue. `declared` is the value's declared
// type where known (nullptr or kind unknown otherwise): it types empty sequences and maps.

StatusOr<AnyValue> ImportSequence(const onnx::SequenceProto& sp, const TypeInfo* declared,
                                  const std::string& label);
StatusOr<AnyValue> ImportMap(const onnx::MapProto& mp, const TypeInfo* declared,
                             const std::string& label);

const TypeInfo* InnerOf(const TypeInfo* t) { return t != nullptr ? t->inner.get() : nullptr; }

StatusOr<AnyValue> ImportOptional(const onnx::OptionalProto& op, const TypeInfo* declared,
                                  const std::string& label) {
  const TypeInfo* inner = InnerOf(declared);
  AnyValue v;
  switch (op.elem_type()) {
    case onnx::OptionalProto::UNDEFINED:
      return AnyValue::None();
    case onnx::OptionalProto::TENSOR:
      if (!op.has_tensor_value()) return AnyValue::None();
      {
        KILN_ASSIGN_OR_RETURN(Tensor t, TensorFromProto(op.tensor_value(), label));
        v = AnyValue(std::move(t));
      }
      break;
    case onnx::OptionalProto::SEQUENCE: {
      if (!op.has_sequence_value()) return AnyValue::None();
      KILN_ASSIGN_OR_RETURN(v, ImportSequence(op.sequence_value(), inner, label));
      break;
    }
    case onnx::OptionalProto::MAP: {
      if (!op.has_map_value()) return AnyValue::None();
      KILN_ASSIGN_OR_RETURN(v, ImportMap(op.map_value(), inner, label));
      break;
    }
    default:
      return Unsupported(label + ": optional of this element kind is not supported");
  }
  v.optional = true;
  return v;
}

StatusOr<AnyValue> ImportSequence(const onnx::SequenceProto& sp, const TypeInfo* declared,
                                  const std::string& label) {
  const TypeInfo* inner = InnerOf(declared);
  std::vector<AnyValue> items;
  DataType elem = DataType::kUndefined;
  switch (sp.elem_type()) {
    case onnx::SequenceProto::TENSOR:
    case onnx::SequenceProto::UNDEFINED:
      for (const auto& tp : sp.tensor_values()) {
        KILN_ASSIGN_OR_RETURN(Tensor t, TensorFromProto(tp, label));
        elem = t.dtype();
        items.emplace_back(std::move(t));
      }
      break;
    case onnx::SequenceProto::SEQUENCE:
      for (const auto& s : sp.sequence_values()) {
        KILN_ASSIGN_OR_RETURN(AnyValue v, ImportSequence(s, inner, label));
        items.push_back(std::move(v));
      }
      break;
    case onnx::SequenceProto::MAP:
      for (int i = 0; i < sp.map_values_size(); ++i) {
        KILN_ASSIGN_OR_RETURN(AnyValue v, ImportMap(sp.map_values(i), inner,
                                                    label + " (item " + std::to_string(i) + ")"));
        items.push_back(std::move(v));
      }
      break;
    case onnx::SequenceProto::OPTIONAL:
      for (const auto& o : sp.optional_values()) {
        KILN_ASSIGN_OR_RETURN(AnyValue v, ImportOptional(o, inner, label));
        items.push_back(std::move(v));
      }
      break;
    default:
      return Unsupported(label + ": sequences of sparse tensors are not supported");
  }
  AnyValue seq = AnyValue::Sequence(std::move(items), elem);
  if (seq.sequence.empty() && inner != nullptr) {
    if (inner->is_tensor()) {
      seq.sequence_elem_type = inner->elem_type;
    } else if (inner->kind == TypeInfo::Kind::kMap) {
      seq.sequence_map_key_type = inner->elem_type;
      if (inner->inner && inner->inner->is_tensor()) {
        seq.sequence_elem_type = inner->inner->elem_type;
      }
    }
  }
  return seq;
}

const char* SequenceKindName(int32_t k) {
  switch (k) {
    case onnx::SequenceProto::TENSOR:
      return "tensor";
    case onnx::SequenceProto::SPARSE_TENSOR:
      return "sparse tensor";
    case onnx::SequenceProto::SEQUENCE:
      return "sequence";
    case onnx::SequenceProto::MAP:
      return "map";
    case onnx::SequenceProto::OPTIONAL:
      return "optional";
    default:
      return "unknown";
  }
}

// Stores integer key `k` (MapProto keeps every integer key type as int64) as element i of `keys`,
// or returns false when it is out of the key type's range. uint64 keys above INT64_MAX are kept
// as their two's-complement int64, as kiln writes them.
template <typename T>
bool StoreKey(int64_t k, Tensor& keys, int64_t i) {
  if (!std::is_same<T, uint64_t>::value &&
      (k < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
       (k > 0 &&
        static_cast<uint64_t>(k) > static_cast<uint64_t>(std::numeric_limits<T>::max())))) {
    return false;
  }
  keys.data<T>()[i] = static_cast<T>(k);
  return true;
}

StatusOr<AnyValue> ImportMap(const onnx::MapProto& mp, const TypeInfo* declared,
                             const std::string& label) {
  const int32_t kt = mp.key_type();
  if (!IsValidDataType(kt) || !IsMapKeyType(static_cast<DataType>(kt))) {
    return InvalidArgument(
        label + ": map key type " +
        (IsValidDataType(kt) ? DataTypeName(static_cast<DataType>(kt)) : std::to_string(kt)) +
        " is not allowed (int8..int64, uint8..uint64 or string)");
  }
  const DataType key_type = static_cast<DataType>(kt);
  const bool string_keys = key_type == DataType::kString;
  if (string_keys ? mp.keys_size() > 0 : mp.string_keys_size() > 0) {
    return InvalidArgument(label + ": a map with " + DataTypeName(key_type) + " keys holds " +
                           (string_keys ? "integer" : "string") + " keys");
  }
  const int64_t n = string_keys ? mp.string_keys_size() : mp.keys_size();
  Tensor keys(key_type, {n});
  for (int64_t i = 0; i < n; ++i) {
    const int ii = static_cast<int>(i);
    if (string_keys) {
      keys.data<std::string>()[i] = mp.string_keys(ii);
      continue;
    }
    const int64_t k = mp.keys(ii);
    bool ok = false;
    switch (key_type) {
      case DataType::kInt8:
        ok = StoreKey<int8_t>(k, keys, i);
        break;
      case DataType::kInt16:
        ok = StoreKey<int16_t>(k, keys, i);
        break;
      case DataType::kInt32:
        ok = StoreKey<int32_t>(k, keys, i);
        break;
      case DataType::kInt64:
        ok = StoreKey<int64_t>(k, keys, i);
        break;
      case DataType::kUint8:
        ok = StoreKey<uint8_t>(k, keys, i);
        break;
      case DataType::kUint16:
        ok = StoreKey<uint16_t>(k, keys, i);
        break;
      case DataType::kUint32:
        ok = StoreKey<uint32_t>(k, keys, i);
        break;
      case DataType::kUint64:
        ok = StoreKey<uint64_t>(k, keys, i);
        break;
      default:
        break;
    }
    if (!ok) {
      return InvalidArgument(label + ": map key " + std::to_string(k) + " is out of range for " +
                             DataTypeName(key_type));
    }
  }
  const onnx::SequenceProto& vs = mp.values();
  int32_t values_kind = vs.elem_type();
  if (vs.sparse_tensor_values_size() > 0) values_kind = onnx::SequenceProto::SPARSE_TENSOR;
  if (vs.sequence_values_size() > 0) values_kind = onnx::SequenceProto::SEQUENCE;
  if (vs.map_values_size() > 0) values_kind = onnx::SequenceProto::MAP;
  if (vs.optional_values_size() > 0) values_kind = onnx::SequenceProto::OPTIONAL;
  if (values_kind != onnx::SequenceProto::TENSOR && values_kind != onnx::SequenceProto::UNDEFINED) {
    return Unsupported(label + ": map values of kind " + SequenceKindName(values_kind) +
                       " are not supported (kiln maps hold scalar tensor values)");
  }
  if (vs.tensor_values_size() != n) {
    return InvalidArgument(label + ": map has " + std::to_string(n) + " keys and " +
                           std::to_string(vs.tensor_values_size()) + " values");
  }
  const TypeInfo* value_decl = InnerOf(declared);
  DataType value_type = value_decl != nullptr && value_decl->is_tensor() ? value_decl->elem_type
                                                                         : DataType::kUndefined;
  std::vector<Tensor> items;
  for (int64_t i = 0; i < n; ++i) {
    KILN_ASSIGN_OR_RETURN(Tensor t, TensorFromProto(vs.tensor_values(static_cast<int>(i)), label));
    if (t.numel() != 1 || t.rank() > 1) {
      return Unsupported(label + ": map entry " + std::to_string(i) + " holds " + t.TypeString() +
                         "; kiln maps hold scalar values (one element per key)");
    }
    if (!items.empty() && t.dtype() != items[0].dtype()) {
      return InvalidArgument(label + ": map values mix element types " +
                             DataTypeName(items[0].dtype()) + " and " + DataTypeName(t.dtype()));
    }
    items.push_back(std::move(t));
  }
  if (!items.empty()) value_type = items[0].dtype();
  if (value_type == DataType::kUndefined) {
    return InvalidArgument(label + ": an empty map with no declared value type");
  }
  if (IsPacked(value_type)) {
    return Unsupported(label + ": map values of type " + DataTypeName(value_type) +
                       " are not supported");
  }
  Tensor values(value_type, {n});
  if (value_type == DataType::kString) {
    for (int64_t i = 0; i < n; ++i) values.data<std::string>()[i] = items[i].data<std::string>()[0];
  } else {
    const size_t width = static_cast<size_t>(DataTypeBits(value_type) / 8);
    for (int64_t i = 0; i < n; ++i) {
      std::memcpy(static_cast<char*>(values.raw_data()) + i * width, items[i].raw_data(), width);
    }
  }
  auto map = AnyValue::Map(std::move(keys), std::move(values));
  if (!map.ok()) return map.status().WithPrefix(label);
  return map;
}

}  // namespace

StatusOr<AnyValue> ParseValue(const std::string& bytes, const TypeInfo& type,
                              const std::string& label) {
  switch (type.kind) {
    case TypeInfo::Kind::kSequence: {
      onnx::SequenceProto sp;
      if (!sp.ParseFromString(bytes)) return InvalidArgument(label + ": not a SequenceProto");
      return ImportSequence(sp, &type, label);
    }
    case TypeInfo::Kind::kOptional: {
      onnx::OptionalProto op;
      if (!op.ParseFromString(bytes)) return InvalidArgument(label + ": not an OptionalProto");
      return ImportOptional(op, &type, label);
    }
    case TypeInfo::Kind::kMap: {
      onnx::MapProto mp;
      if (!mp.ParseFromString(bytes)) return InvalidArgument(label + ": not a MapProto");
      return ImportMap(mp, &type, label);
    }
    default: {
      KILN_ASSIGN_OR_RETURN(Tensor t, ParseTensor(bytes, label));
      return AnyValue(std::move(t));
    }
  }
}

StatusOr<AnyValue> LoadValueFile(const std::string& path, const TypeInfo& type) {
  KILN_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  return ParseValue(bytes, type, path);
}

}  // namespace kiln
