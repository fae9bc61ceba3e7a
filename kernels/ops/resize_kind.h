// Resize's coordinate transformation and nearest rounding modes, as plain enums that the CPU
// kernels (resize_params.h) and the CUDA kernel (kernels/cuda/resize.cuh, compiled by nvcc too)
// share. No dependencies.
#pragma once

namespace kiln::ops {

enum class CoordMode : int {
  kHalfPixel = 0,
  kHalfPixelSymmetric,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNn,
  kTfCropAndResize
};
enum class NearestMode : int { kRoundPreferFloor = 0, kRoundPreferCeil, kFloor, kCeil };

}  // namespace kiln::ops
