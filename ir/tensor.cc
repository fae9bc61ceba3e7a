#include "ir/tensor.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#endif

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

namespace kiln {

const char* DeviceName(Device d) { return d == Device::kCpu ? "cpu" : "cuda"; }

namespace {
std::atomic<int64_t> g_allocations{0};
}  // namespace

int64_t Storage::allocation_count() { return g_allocations.load(std::memory_order_relaxed); }

StatusOr<std::shared_ptr<Storage>> Storage::AllocateUninitialized(size_t bytes) {
  std::shared_ptr<Storage> s(new Storage());
  s->bytes_ = bytes;
  s->owned_ = true;
  if (bytes == 0) return s;
  size_t rounded = (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  if (rounded < bytes) return OutOfMemory("block of " + std::to_string(bytes) + " bytes");
  void* p = std::aligned_alloc(kTensorAlignment, rounded);
  if (p == nullptr) return OutOfMemory("cannot allocate " + std::to_string(bytes) + " bytes");
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  s->data_ = p;
#if defined(__SANITIZE_ADDRESS__)
  // The rounding is no part of the block: AddressSanitizer reports any access to it.
  ASAN_POISON_MEMORY_REGION(static_cast<char*>(p) + bytes, rounded - bytes);
#endif
  return s;
}

StatusOr<std::shared_ptr<Storage>> Storage::Allocate(DataType dtype, size_t bytes, size_t count) {
  KILN_ASSIGN_OR_RETURN(std::shared_ptr<Storage> s, AllocateUninitialized(bytes));
  if (bytes == 0) return s;
  if (dtype == DataType::kString) {
    auto* strs = static_cast<std::string*>(s->data_);
    for (size_t i = 0; i < count; ++i) new (&strs[i]) std::string();
    s->strings_ = count;
  } else {
    std::memset(s->data_, 0, bytes);
  }
  return s;
}

std::shared_ptr<Storage> Storage::Borrow(void* data, size_t bytes, Device device) {
  std::shared_ptr<Storage> s(new Storage());
  s->data_ = data;
  s->bytes_ = bytes;
  s->owned_ = false;
  s->device_ = device;
  return s;
}

std::shared_ptr<Storage> Storage::Adopt(void* data, size_t bytes, Device device,
                                        std::function<void(void*)> release) {
  std::shared_ptr<Storage> s(new Storage());
  s->data_ = data;
  s->bytes_ = bytes;
  s->owned_ = false;
  s->device_ = device;
  s->release_ = std::move(release);
  if (data != nullptr) g_allocations.fetch_add(1, std::memory_order_relaxed);
  return s;
}

Storage::~Storage() {
  if (release_) {
    if (data_ != nullptr) release_(data_);
    return;
  }
  if (!owned_) return;
  auto* strs = static_cast<std::string*>(data_);
  for (size_t i = 0; i < strings_; ++i) strs[i].~basic_string();
  std::free(data_);
}

StatusOr<int64_t> CheckedNumElements(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) {
    if (d < 0) return InvalidArgument("negative dimension in " + DimsToString(dims));
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) {
      return InvalidArgument("element count of " + DimsToString(dims) + " overflows int64");
    }
    n *= d;
  }
  return n;
}

StatusOr<size_t> CheckedByteSize(DataType dtype, int64_t numel) {
  if (numel < 0) return InvalidArgument("negative element count");
  if (dtype == DataType::kString) {
    if (static_cast<uint64_t>(numel) > std::numeric_limits<size_t>::max() / sizeof(std::string)) {
      return InvalidArgument("string tensor of " + std::to_string(numel) + " elements is too big");
    }
    return static_cast<size_t>(numel) * sizeof(std::string);
  }
  int bits = DataTypeBits(dtype);
  if (bits == 0)
    return InvalidArgument(std::string("no storage size for type ") + DataTypeName(dtype));
  uint64_t n = static_cast<uint64_t>(numel);
  if (n > (std::numeric_limits<uint64_t>::max() - 7) / static_cast<uint64_t>(bits) ||
      n * bits / 8 > (uint64_t{1} << 48)) {
    return InvalidArgument("tensor of " + std::to_string(numel) + " " + DataTypeName(dtype) +
                           " elements is too big");
  }
  return static_cast<size_t>((n * bits + 7) / 8);
}

std::string DimsToString(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

StatusOr<Tensor> Tensor::Create(DataType dtype, std::vector<int64_t> dims) {
  KILN_ASSIGN_OR_RETURN(int64_t n, CheckedNumElements(dims));
  KILN_ASSIGN_OR_RETURN(size_t bytes, CheckedByteSize(dtype, n));
  KILN_ASSIGN_OR_RETURN(auto storage, Storage::Allocate(dtype, bytes, static_cast<size_t>(n)));
  Tensor t;
  t.dtype_ = dtype;
  t.dims_ = std::move(dims);
  t.numel_ = n;
  t.nbytes_ = bytes;
  t.storage_ = std::move(storage);
  return t;
}

Tensor::Tensor(DataType dtype, std::vector<int64_t> dims) {
  auto t = Create(dtype, std::move(dims));
  if (!t.ok()) {
    std::fprintf(stderr, "kiln: internal tensor allocation failed: %s\n",
                 t.status().ToString().c_str());
    std::abort();
  }
  *this = std::move(t).value();
}

Tensor Tensor::Wrap(DataType dtype, std::vector<int64_t> dims, void* data, Device device) {
  Tensor t;
  t.dtype_ = dtype;
  t.dims_ = std::move(dims);
  t.numel_ = 1;
  for (int64_t d : t.dims_) t.numel_ *= d;
  auto bytes = CheckedByteSize(dtype, t.numel_);
  t.nbytes_ = bytes.ok() ? *bytes : 0;
  t.storage_ = Storage::Borrow(data, t.nbytes_, device);
  return t;
}

StatusOr<Tensor> Tensor::View(std::shared_ptr<Storage> storage, size_t offset, DataType dtype,
                              std::vector<int64_t> dims) {
  if (dtype == DataType::kString) return InvalidArgument("string tensors cannot be views");
  KILN_ASSIGN_OR_RETURN(int64_t n, CheckedNumElements(dims));
  KILN_ASSIGN_OR_RETURN(size_t bytes, CheckedByteSize(dtype, n));
  if (storage == nullptr || offset > storage->bytes() || bytes > storage->bytes() - offset) {
    return Internal("a view of " + std::to_string(bytes) + " bytes at offset " +
                    std::to_string(offset) + " does not fit its storage");
  }
  Tensor t;
  t.dtype_ = dtype;
  t.dims_ = std::move(dims);
  t.numel_ = n;
  t.nbytes_ = bytes;
  t.storage_ = std::move(storage);
  t.offset_ = offset;
  return t;
}

StatusOr<Tensor> Tensor::Reshaped(std::vector<int64_t> dims) const {
  KILN_ASSIGN_OR_RETURN(int64_t n, CheckedNumElements(dims));
  if (n != numel_) {
    return InvalidArgument("cannot view " + TypeString() + " as " + DimsToString(dims));
  }
  Tensor t = *this;
  t.dims_ = std::move(dims);
  return t;
}

Tensor Tensor::Clone() const {
  if (!defined()) return Tensor();
  if (device() != Device::kCpu) {
    std::fprintf(stderr, "kiln internal error: Tensor::Clone of a %s tensor (%s)\n",
                 DeviceName(device()), TypeString().c_str());
    std::abort();
  }
  Tensor t(dtype_, dims_);
  if (dtype_ == DataType::kString) {
    const std::string* src = data<std::string>();
    std::string* dst = t.data<std::string>();
    for (int64_t i = 0; i < numel_; ++i) dst[i] = src[i];
  } else if (nbytes_ > 0) {
    std::memcpy(t.raw_data(), raw_data(), nbytes_);
  }
  return t;
}

std::string Tensor::TypeString() const {
  return std::string(DataTypeName(dtype_)) + DimsToString(dims_);
}

bool IsMapKeyType(DataType t) {
  switch (t) {
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64:
    case DataType::kUint8:
    case DataType::kUint16:
    case DataType::kUint32:
    case DataType::kUint64:
    case DataType::kString:
      return true;
    default:
      return false;
  }
}

namespace {

// The flat index of a key that occurs twice in `keys` (a 1-D tensor of type T), or -1.
template <typename T>
int64_t DuplicateKey(const Tensor& keys) {
  const T* k = keys.data<T>();
  std::vector<int64_t> order(static_cast<size_t>(keys.numel()));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  std::stable_sort(order.begin(), order.end(), [k](int64_t a, int64_t b) { return k[a] < k[b]; });
  for (size_t i = 1; i < order.size(); ++i) {
    if (!(k[order[i - 1]] < k[order[i]])) return order[i];
  }
  return -1;
}

}  // namespace

std::string MapKeyToString(const Tensor& keys, int64_t i) {
  switch (keys.dtype()) {
    case DataType::kInt8:
      return std::to_string(keys.data<int8_t>()[i]);
    case DataType::kInt16:
      return std::to_string(keys.data<int16_t>()[i]);
    case DataType::kInt32:
      return std::to_string(keys.data<int32_t>()[i]);
    case DataType::kInt64:
      return std::to_string(keys.data<int64_t>()[i]);
    case DataType::kUint8:
      return std::to_string(keys.data<uint8_t>()[i]);
    case DataType::kUint16:
      return std::to_string(keys.data<uint16_t>()[i]);
    case DataType::kUint32:
      return std::to_string(keys.data<uint32_t>()[i]);
    case DataType::kUint64:
      return std::to_string(keys.data<uint64_t>()[i]);
    case DataType::kString:
      return "'" + keys.data<std::string>()[i] + "'";
    default:
      return "?";
  }
}

StatusOr<AnyValue> AnyValue::Map(Tensor keys, Tensor values) {
  if (!IsMapKeyType(keys.dtype())) {
    return InvalidArgument(std::string("map keys must be of an integer type or string, got ") +
                           (keys.defined() ? keys.TypeString() : "no tensor"));
  }
  if (!values.defined()) return InvalidArgument("map values have no element type");
  if (keys.rank() != 1 || values.rank() != 1 || keys.numel() != values.numel()) {
    return InvalidArgument("a map needs 1-D keys and values of one length, got keys " +
                           keys.TypeString() + " and values " + values.TypeString());
  }
  if (keys.device() != Device::kCpu || values.device() != Device::kCpu) {
    return InvalidArgument("map keys and values must be on the cpu");
  }
  int64_t dup = -1;
  switch (keys.dtype()) {
    case DataType::kInt8:
      dup = DuplicateKey<int8_t>(keys);
      break;
    case DataType::kInt16:
      dup = DuplicateKey<int16_t>(keys);
      break;
    case DataType::kInt32:
      dup = DuplicateKey<int32_t>(keys);
      break;
    case DataType::kInt64:
      dup = DuplicateKey<int64_t>(keys);
      break;
    case DataType::kUint8:
      dup = DuplicateKey<uint8_t>(keys);
      break;
    case DataType::kUint16:
      dup = DuplicateKey<uint16_t>(keys);
      break;
    case DataType::kUint32:
      dup = DuplicateKey<uint32_t>(keys);
      break;
    case DataType::kUint64:
      dup = DuplicateKey<uint64_t>(keys);
      break;
    case DataType::kString:
      dup = DuplicateKey<std::string>(keys);
      break;
    default:
      break;
  }
  if (dup >= 0) return InvalidArgument("map key " + MapKeyToString(keys, dup) + " occurs twice");
  AnyValue v;
  v.kind = Kind::kMap;
  v.map_keys = std::move(keys);
  v.map_values = std::move(values);
  return v;
}

std::string AnyValue::TypeString() const {
  switch (kind) {
    case Kind::kTensor:
      return tensor.TypeString();
    case Kind::kSequence:
      // Items of a kind other than tensor name their own type: "seq(map(int64,float))".
      if (!sequence.empty() && sequence[0].kind != Kind::kTensor &&
          sequence[0].kind != Kind::kNone) {
        return "seq(" + sequence[0].TypeString() + ")";
      }
      if (sequence.empty() && sequence_map_key_type != DataType::kUndefined) {
        return std::string("seq(map(") + DataTypeName(sequence_map_key_type) + "," +
               DataTypeName(sequence_elem_type) + "))";
      }
      return std::string("seq(") + DataTypeName(sequence_elem_type) + ")";
    case Kind::kMap:
      return std::string("map(") + DataTypeName(map_keys.dtype()) + "," +
             DataTypeName(map_values.dtype()) + ")";
    case Kind::kNone:
      return "none";
  }
  return "?";
}

}  // namespace kiln
