#include "tools/npy.h"

#include <cstring>
#include <fstream>
#include <map>

#include "ir/onnx_io.h"

namespace kiln {
namespace {

const std::map<std::string, DataType>& Descrs() {
  static const std::map<std::string, DataType> m = {
      {"<f4", DataType::kFloat},  {"<f8", DataType::kDouble}, {"<f2", DataType::kFloat16},
      {"|i1", DataType::kInt8},   {"<i2", DataType::kInt16},  {"<i4", DataType::kInt32},
      {"<i8", DataType::kInt64},  {"|u1", DataType::kUint8},  {"<u2", DataType::kUint16},
      {"<u4", DataType::kUint32}, {"<u8", DataType::kUint64}, {"|b1", DataType::kBool},
      {"<c8", DataType::kComplex64}, {"<c16", DataType::kComplex128}};
  return m;
}

}  // namespace

StatusOr<Tensor> ReadNpy(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(std::string data, ReadFile(path));
  if (data.size() < 10 || data.compare(0, 6, "\x93NUMPY") != 0) {
    return InvalidArgument(path + ": not a .npy file");
  }
  int major = static_cast<unsigned char>(data[6]);
  size_t header_len, header_start;
  if (major == 1) {
    header_len = static_cast<unsigned char>(data[8]) | (static_cast<unsigned char>(data[9]) << 8);
    header_start = 10;
  } else {
    if (data.size() < 12) return InvalidArgument(path + ": truncated .npy header");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= static_cast<size_t>(static_cast<unsigned char>(data[8 + i])) << (8 * i);
    header_start = 12;
  }
  if (header_start + header_len > data.size()) return InvalidArgument(path + ": truncated .npy header");
  std::string header = data.substr(header_start, header_len);
  auto field = [&](const std::string& key) -> std::string {
    size_t p = header.find("'" + key + "'");
    if (p == std::string::npos) return "";
    p = header.find(':', p);
    return p == std::string::npos ? "" : header.substr(p + 1);
  };
  std::string descr = field("descr");
  size_t q1 = descr.find('\''), q2 = descr.find('\'', q1 + 1);
  if (q1 == std::string::npos || q2 == std::string::npos) return InvalidArgument(path + ": no dtype in .npy header");
  descr = descr.substr(q1 + 1, q2 - q1 - 1);
  auto it = Descrs().find(descr);
  if (it == Descrs().end()) return Unsupported(path + ": .npy dtype '" + descr + "' is not supported");
  if (field("fortran_order").find("True") < field("fortran_order").find(',')) {
    return Unsupported(path + ": Fortran-order .npy files are not supported");
  }
  std::string shape = field("shape");
  size_t open = shape.find('('), close = shape.find(')');
  if (open == std::string::npos || close == std::string::npos) return InvalidArgument(path + ": no shape in .npy header");
  std::vector<int64_t> dims;
  std::string inner = shape.substr(open + 1, close - open - 1);
  size_t p = 0;
  while (p < inner.size()) {
    while (p < inner.size() && (inner[p] == ' ' || inner[p] == ',')) ++p;
    if (p >= inner.size()) break;
    char* end = nullptr;
    long long v = std::strtoll(inner.c_str() + p, &end, 10);
    if (end == inner.c_str() + p) return InvalidArgument(path + ": bad shape in .npy header");
    dims.push_back(v);
    p = static_cast<size_t>(end - inner.c_str());
  }
  KILN_ASSIGN_OR_RETURN(Tensor t, Tensor::Create(it->second, dims));
  size_t body = header_start + header_len;
  if (data.size() - body != t.nbytes()) {
    return InvalidArgument(path + ": .npy holds " + std::to_string(data.size() - body) +
                           " bytes of data, expected " + std::to_string(t.nbytes()));
  }
  if (t.nbytes()) std::memcpy(t.raw_data(), data.data() + body, t.nbytes());
  return t;
}

Status WriteNpy(const std::string& path, const Tensor& t) {
  std::string descr;
  for (const auto& [d, dt] : Descrs()) {
    if (dt == t.dtype()) descr = d;
  }
  if (descr.empty()) return Unsupported(std::string("cannot write ") + DataTypeName(t.dtype()) + " as .npy");
  std::string shape = "(";
  for (int64_t d : t.dims()) shape += std::to_string(d) + ", ";
  if (t.rank() > 1) shape.resize(shape.size() - 1), shape.back() = ')';
  else shape += ")";
  if (t.rank() == 1) shape = "(" + std::to_string(t.dim(0)) + ",)";
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream f(path, std::ios::binary);
  if (!f) return IoError(path + ": cannot write");
  f.write("\x93NUMPY\x01\x00", 8);
  uint16_t len = static_cast<uint16_t>(header.size());
  char lb[2] = {static_cast<char>(len & 0xff), static_cast<char>(len >> 8)};
  f.write(lb, 2);
  f.write(header.data(), static_cast<std::streamsize>(header.size()));
  f.write(static_cast<const char*>(t.raw_data()), static_cast<std::streamsize>(t.nbytes()));
  return f ? Status::Ok() : IoError(path + ": write failed");
}

}  // namespace kiln
