// Col2Im, opset 18+: sums sliding-window columns back into an image (the inverse of im2col).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"
#include "kernels/ops/resize_params.h"  // ReadInt64s

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

// ---------------------------------------------------------------------------------------------
// Col2Im.

class Col2ImKernel : public Kernel {
 public:
  explicit Col2ImKernel(const KernelInfo& info) {
    dilations_ = info.GetInts("dilations");
    pads_ = info.GetInts("pads");
    strides_ = info.GetInts("strides");
    init_ = info.status();
  }
  const Status& init_status() const { return init_; }

  Status Run(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    const Tensor* is = ctx.Input(1);
    const Tensor* bs = ctx.Input(2);
    if (x == nullptr || is == nullptr || bs == nullptr) return ctx.InvalidArgument("missing input");
    std::vector<int64_t> image, block;
    if (!ReadInt64s(*is, &image) || !ReadInt64s(*bs, &block)) {
      return ctx.InvalidArgument("image_shape and block_shape must be int64");
    }
    const int k = static_cast<int>(image.size());
    if (k == 0 || static_cast<int>(block.size()) != k) {
      return ctx.InvalidArgument("image_shape and block_shape must have the same non-zero length");
    }
    std::vector<int64_t> dil = dilations_.empty() ? std::vector<int64_t>(k, 1) : dilations_;
    std::vector<int64_t> str = strides_.empty() ? std::vector<int64_t>(k, 1) : strides_;
    std::vector<int64_t> pad = pads_.empty() ? std::vector<int64_t>(2 * k, 0) : pads_;
    if (static_cast<int>(dil.size()) != k || static_cast<int>(str.size()) != k ||
        static_cast<int>(pad.size()) != 2 * k) {
      return ctx.InvalidArgument("dilations/strides/pads do not match image_shape");
    }
    if (x->rank() != 3) {
      return ctx.InvalidArgument("input must have rank 3, got " + DimsToString(x->dims()));
    }
    int64_t block_size = 1, num_blocks = 1;
    std::vector<int64_t> nblk(k);
    for (int i = 0; i < k; ++i) {
      if (image[i] < 0 || block[i] <= 0 || dil[i] <= 0 || str[i] <= 0 || pad[i] < 0 ||
          pad[k + i] < 0) {
        return ctx.InvalidArgument("invalid image_shape/block_shape/attributes");
      }
      const int64_t eff = dil[i] * (block[i] - 1) + 1;
      const int64_t span = image[i] + pad[i] + pad[k + i] - eff;
      nblk[i] = span < 0 ? 0 : span / str[i] + 1;
      block_size *= block[i];
      num_blocks *= nblk[i];
    }
    if (x->dim(1) % block_size != 0 || x->dim(2) != num_blocks) {
      return ctx.InvalidArgument("input shape " + DimsToString(x->dims()) +
                                 " does not match block_shape and image_shape (expected C*" +
                                 std::to_string(block_size) + " rows and " +
                                 std::to_string(num_blocks) + " blocks)");
    }
    const int64_t channels = x->dim(1) / block_size;
    std::vector<int64_t> out_dims = {x->dim(0), channels};
    for (int64_t d : image) out_dims.push_back(d);
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), out_dims));
    if (y->numel() == 0 || x->numel() == 0) return Status::Ok();
    const std::vector<int64_t> istr = ContiguousStrides(image);
    const int64_t img_size = ProductOfDims(image, 0, k);
    bool ok = Dispatch<KILN_NUMERIC_TYPES>(x->dtype(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* xs = x->data<T>();
      T* ys = y->data<T>();
      std::vector<double> acc(img_size);
      std::vector<int64_t> bpos(k), lpos(k);
      for (int64_t n = 0; n < x->dim(0); ++n) {
        for (int64_t c = 0; c < channels; ++c) {
          std::fill(acc.begin(), acc.end(), 0.0);
          for (int64_t b = 0; b < block_size; ++b) {
            int64_t rem = b;
            for (int i = k - 1; i >= 0; --i) {
              bpos[i] = rem % block[i];
              rem /= block[i];
            }
            const T* row = xs + ((n * channels + c) * block_size + b) * num_blocks;
            for (int64_t l = 0; l < num_blocks; ++l) {
              int64_t lr = l, off = 0;
              bool inside = true;
              for (int i = k - 1; i >= 0; --i) {
                const int64_t li = lr % nblk[i];
                lr /= nblk[i];
                const int64_t p = li * str[i] - pad[i] + bpos[i] * dil[i];
                if (p < 0 || p >= image[i]) {
                  inside = false;
                  break;
                }
                off += p * istr[i];
              }
              if (inside) acc[off] += ToDouble(row[l]);
            }
          }
          T* out = ys + (n * channels + c) * img_size;
          for (int64_t i = 0; i < img_size; ++i) out[i] = SaturateFromDouble<T>(acc[i]);
        }
      }
    });
    if (!ok) return ctx.Unsupported("unsupported element type " + x->TypeString());
    return Status::Ok();
  }

 private:
  std::vector<int64_t> dilations_, pads_, strides_;
  Status init_;
};

}  // namespace

void RegisterCol2ImKernels(KernelRegistry& r) {
  r.Register(KernelDef("Col2Im").Opsets(18).Types("T", {0}, kNumericTypes).HostInputs({1, 2}),
             MakeCheckedKernel<Col2ImKernel>());
}

}  // namespace kiln::cpu
