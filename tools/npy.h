// Reading and writing NumPy .npy files (format versions 1-3, little-endian, C order) for the CLI.
#pragma once

#include <string>

#include "ir/status.h"
#include "ir/tensor.h"

namespace kiln {

StatusOr<Tensor> ReadNpy(const std::string& path);
Status WriteNpy(const std::string& path, const Tensor& t);

}  // namespace kiln
