// The generated protobuf classes (package onnx). Only ir/onnx_io.cc and ir/onnx_export.cc include
// this header.
#pragma once

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include "onnx/onnx-data.pb.h"
#include "onnx/onnx-ml.pb.h"
#pragma GCC diagnostic pop
