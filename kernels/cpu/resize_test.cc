#include <gtest/gtest.h>

#include <vector>

#include "kernels/cpu/kernel_test_util.h"
#include "runtime/session.h"

namespace kiln {
namespace {

using ::kiln::test::RunErr;
using ::kiln::test::Values;

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << "element " << i;
}

TEST(ImageKernelTest, ResizeNearestScales) {
  Tensor x = Tensor::FromVector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  Tensor scales = Tensor::FromVector<float>({1, 1, 2, 2});
  auto r = RunSingleNode("Resize", 19, {x, Tensor(), scales},
                         {StringAttr("coordinate_transformation_mode", "asymmetric")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{1, 1, 4, 4}));
  EXPECT_EQ(Values<float>((*r)[0]),
            (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
}

TEST(ImageKernelTest, ResizeLinearHalfPixelSizes) {
  Tensor x = Tensor::FromVector<float>({0, 4});
  Tensor sizes = Tensor::FromVector<int64_t>({4});
  auto r =
      RunSingleNode("Resize", 13, {x, Tensor(), Tensor(), sizes}, {StringAttr("mode", "linear")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectNear(Values<float>((*r)[0]), {0, 1, 3, 4});
}

TEST(ImageKernelTest, ResizeNegativeAxesAndInt8Rounding) {
  Tensor x = Tensor::FromVector<int8_t>({0, 3, 10, 13}, {2, 2});
  Tensor scales = Tensor::FromVector<float>({2});
  auto r = RunSingleNode("Resize", 18, {x, Tensor(), scales},
                         {StringAttr("mode", "linear"), IntsAttr("axes", {-1}),
                          StringAttr("coordinate_transformation_mode", "align_corners")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{2, 4}));
  // 0, 1, 2, 3 and 10, 11, 12, 13.
  EXPECT_EQ(Values<int8_t>((*r)[0]), (std::vector<int8_t>{0, 1, 2, 3, 10, 11, 12, 13}));
}

TEST(ImageKernelTest, ResizeCropAndResizeExtrapolates) {
  Tensor x = Tensor::FromVector<float>({1, 2, 3, 4});
  Tensor roi = Tensor::FromVector<float>({-1, 2});
  Tensor sizes = Tensor::FromVector<int64_t>({3});
  auto r = RunSingleNode("Resize", 13, {x, roi, Tensor(), sizes},
                         {StringAttr("mode", "linear"),
                          StringAttr("coordinate_transformation_mode", "tf_crop_and_resize"),
                          FloatAttr("extrapolation_value", 7)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Source coordinates -3, 1.5, 6: only the middle one lies inside.
  ExpectNear(Values<float>((*r)[0]), {7, 2.5f, 7});
}

TEST(ImageKernelTest, ResizeEmptyInput) {
  Tensor x(DataType::kFloat, {0, 2});
  Tensor scales = Tensor::FromVector<float>({1, 2});
  auto r = RunSingleNode("Resize", 13, {x, Tensor(), scales}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{0, 4}));
}

TEST(ImageKernelTest, ResizeErrors) {
  Tensor x = Tensor::FromVector<float>({1, 2});
  Tensor scales = Tensor::FromVector<float>({2});
  Tensor sizes = Tensor::FromVector<int64_t>({4});
  EXPECT_FALSE(RunSingleNode("Resize", 13, {x, Tensor(), scales, sizes}, {}).ok());
  EXPECT_FALSE(RunSingleNode("Resize", 13, {x, Tensor(), Tensor(), Tensor()}, {}).ok());
  Tensor bad_scales = Tensor::FromVector<float>({2, 2});
  EXPECT_FALSE(RunSingleNode("Resize", 13, {x, Tensor(), bad_scales}, {}).ok());
  EXPECT_FALSE(
      RunSingleNode("Resize", 13, {x, Tensor(), scales}, {StringAttr("mode", "quadratic")}).ok());
  EXPECT_FALSE(RunSingleNode("Resize", 18, {x, Tensor(), scales}, {IntsAttr("axes", {3})}).ok());
}

TEST(ImageKernelTest, ResizeOpset10AndUpsample) {
  Tensor x = Tensor::FromVector<float>({1, 2}, {1, 2});
  Tensor scales = Tensor::FromVector<float>({1, 3});
  auto r = RunSingleNode("Resize", 10, {x, scales}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>((*r)[0]), (std::vector<float>{1, 1, 1, 2, 2, 2}));
  auto u = RunSingleNode("Upsample", 9, {x, scales}, {});
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(Values<float>((*u)[0]), (std::vector<float>{1, 1, 1, 2, 2, 2}));
  auto u7 = RunSingleNode("Upsample", 7, {x}, {FloatsAttr("scales", {1, 2})});
  ASSERT_TRUE(u7.ok()) << u7.status().ToString();
  EXPECT_EQ(Values<float>((*u7)[0]), (std::vector<float>{1, 1, 2, 2}));
  EXPECT_FALSE(RunSingleNode("Upsample", 7, {x}, {}).ok());
}

TEST(ImageKernelTest, UpsampleOpset1HeightAndWidthScales) {
  // The spec's example: nearest, both scales 2.
  Tensor x = Tensor::FromVector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  auto u = RunSingleNode("Upsample", 1, {x},
                         {FloatAttr("height_scale", 2), FloatAttr("width_scale", 2)});
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ((*u)[0].tensor.dims(), (std::vector<int64_t>{1, 1, 4, 4}));
  EXPECT_EQ(Values<float>((*u)[0]),
            (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
  // bilinear (asymmetric coordinates, as Upsample-7 linear): width 2 -> 4, height kept.
  auto b = RunSingleNode(
      "Upsample", 1, {Tensor::FromVector<float>({0, 4}, {1, 1, 1, 2})},
      {FloatAttr("height_scale", 1), FloatAttr("width_scale", 2), StringAttr("mode", "bilinear")});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(Values<float>((*b)[0]), (std::vector<float>{0, 2, 4, 4}));
  // Both scales are required, and X must be 4-D.
  EXPECT_FALSE(RunSingleNode("Upsample", 1, {x}, {FloatAttr("height_scale", 2)}).ok());
  EXPECT_FALSE(RunSingleNode("Upsample", 1, {Tensor::FromVector<float>({1, 2}, {1, 2})},
                             {FloatAttr("height_scale", 2), FloatAttr("width_scale", 2)})
                   .ok());
}

TEST(ImageKernelTest, MaxRoiPoolMatchesOnnxRuntime) {
  // X = (arange(60) % 17 - 5) as [1, 2, 6, 5]; four RoIs: the whole image, a fractional one, one
  // partly outside the image and one that rounds to a single pixel. Expected values: ONNX Runtime
  // 1.30's MaxRoiPool (opset 21) on the same inputs, pooled_shape [2, 3].
  std::vector<float> xv(60);
  for (int i = 0; i < 60; ++i) xv[i] = static_cast<float>(i % 17 - 5);
  Tensor x = Tensor::FromVector<float>(xv, {1, 2, 6, 5});
  Tensor rois = Tensor::FromVector<float>(
      {0, 0, 0, 4, 5, 0, 1.4f, 0.6f, 3.2f, 2.5f, 0, 3, 4, 10, 10, 0, 0.5f, 0.5f, 1.2f, 0.8f},
      {4, 5});
  const std::vector<std::pair<float, std::vector<float>>> cases = {
      {1.0f, {6, 8, 9, 11, 11, 7, 9, 11, 11, 11, 9, 10, 6, 7, 8, 11, 7, 8, 2,  3,  4,  7,  8,  9,
              7, 0, 0, 0,  0,  0, 3, 0,  0,  0,  0, 0,  1, 1, 1, 1,  1, 1, -3, -3, -3, -3, -3, -3}},
      {0.5f,
       {0, 1, 2, 10, 11, 7, 8, 9,  10, 6, 7, 8, -4, -3, -3, 1,  2,  2,  9, 10, 10, -3, -2, -2,
        8, 9, 9, 6,  7,  7, 9, 10, 10, 2, 3, 3, -5, -4, -4, -5, -4, -4, 8, 9,  9,  8,  9,  9}}};
  for (int opset : {1, 22}) {
    for (const auto& [scale, want] : cases) {
      auto y = RunSingleNode("MaxRoiPool", opset, {x, rois},
                             {IntsAttr("pooled_shape", {2, 3}), FloatAttr("spatial_scale", scale)});
      ASSERT_TRUE(y.ok()) << y.status().ToString();
      EXPECT_EQ((*y)[0].tensor.dims(), (std::vector<int64_t>{4, 2, 2, 3}));
      EXPECT_EQ(Values<float>((*y)[0]), want) << "opset " << opset << " scale " << scale;
    }
  }
  // pooled_shape is required and positive; rois must be [num_rois, 5] with a valid batch_id.
  EXPECT_FALSE(RunSingleNode("MaxRoiPool", 22, {x, rois}, {}).ok());
  EXPECT_FALSE(RunSingleNode("MaxRoiPool", 22, {x, rois}, {IntsAttr("pooled_shape", {0, 2})}).ok());
  Status bad_batch =
      RunErr("MaxRoiPool", 22, {x, Tensor::FromVector<float>({1, 0, 0, 1, 1}, {1, 5})},
             {IntsAttr("pooled_shape", {1, 1})});
  EXPECT_NE(bad_batch.ToString().find("batch_id"), std::string::npos) << bad_batch.ToString();
  EXPECT_FALSE(RunSingleNode("MaxRoiPool", 22, {x, Tensor::FromVector<float>({0, 0, 0, 1}, {1, 4})},
                             {IntsAttr("pooled_shape", {1, 1})})
                   .ok());
}

TEST(ImageKernelTest, GridSampleIdentityAndZeros) {
  Tensor x = Tensor::FromVector<float>({1, 2, 3, 4}, {1, 1, 2, 2});
  // align_corners=1: -1 and 1 are the corner pixel centers; (x, y) order, x first.
  Tensor grid = Tensor::FromVector<float>({-1, -1, 1, -1, -1, 1, 1, 1, 3, 0}, {1, 1, 5, 2});
  auto r = RunSingleNode("GridSample", 16, {x, grid}, {IntAttr("align_corners", 1)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{1, 1, 1, 5}));
  ExpectNear(Values<float>((*r)[0]), {1, 2, 3, 4, 0});
  auto b = RunSingleNode("GridSample", 20, {x, grid},
                         {IntAttr("align_corners", 1), StringAttr("padding_mode", "border")});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ExpectNear(Values<float>((*b)[0]), {1, 2, 3, 4, 3});
  // Opset 16 is 2-D only and names its modes bilinear/bicubic.
  EXPECT_FALSE(RunSingleNode("GridSample", 16, {x, grid}, {StringAttr("mode", "linear")}).ok());
  Tensor bad_grid(DataType::kFloat, {1, 1, 5, 3});
  EXPECT_FALSE(RunSingleNode("GridSample", 20, {x, bad_grid}, {}).ok());
}

TEST(ImageKernelTest, RoiAlignConstantInput) {
  Tensor x(DataType::kFloat, {1, 1, 4, 4});
  for (int i = 0; i < 16; ++i) x.data<float>()[i] = 5;
  Tensor rois = Tensor::FromVector<float>({0, 0, 3, 3}, {1, 4});
  Tensor batch = Tensor::FromVector<int64_t>({0});
  auto r = RunSingleNode("RoiAlign", 16, {x, rois, batch},
                         {IntAttr("output_height", 2), IntAttr("output_width", 2)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectNear(Values<float>((*r)[0]), {5, 5, 5, 5});
  Tensor bad_batch = Tensor::FromVector<int64_t>({1});
  EXPECT_FALSE(RunSingleNode("RoiAlign", 16, {x, rois, bad_batch}, {}).ok());
}

TEST(ImageKernelTest, MaxUnpoolScatters) {
  Tensor x = Tensor::FromVector<float>({5, 6, 7, 8}, {1, 1, 2, 2});
  Tensor ind = Tensor::FromVector<int64_t>({5, 7, 13, 15}, {1, 1, 2, 2});
  auto r = RunSingleNode("MaxUnpool", 11, {x, ind},
                         {IntsAttr("kernel_shape", {2, 2}), IntsAttr("strides", {2, 2})});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Values<float>((*r)[0]),
            (std::vector<float>{0, 0, 0, 0, 0, 5, 0, 6, 0, 0, 0, 0, 0, 7, 0, 8}));
  Tensor bad = Tensor::FromVector<int64_t>({5, 7, 13, 16}, {1, 1, 2, 2});
  EXPECT_FALSE(RunSingleNode("MaxUnpool", 11, {x, bad},
                             {IntsAttr("kernel_shape", {2, 2}), IntsAttr("strides", {2, 2})})
                   .ok());
}

TEST(ImageKernelTest, Col2ImOverlapsSum) {
  // 1-D: image 3, block 2, stride 1 -> 2 blocks; columns [a b; c d] add up at position 1.
  Tensor x = Tensor::FromVector<float>({1, 2, 10, 20}, {1, 2, 2});
  Tensor image = Tensor::FromVector<int64_t>({3});
  Tensor block = Tensor::FromVector<int64_t>({2});
  auto r = RunSingleNode("Col2Im", 18, {x, image, block}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].tensor.dims(), (std::vector<int64_t>{1, 1, 3}));
  ExpectNear(Values<float>((*r)[0]), {1, 12, 20});
  Tensor wrong = Tensor::FromVector<float>({1, 2, 3}, {1, 1, 3});
  EXPECT_FALSE(RunSingleNode("Col2Im", 18, {wrong, image, block}, {}).ok());
}

// float linear resizes of the last two axes take the float fast path; double ones the general
// separable path in double: over coordinate modes, up- and downsampling, one or both axes,
// exclude_outside and a leading axis of 3, the two agree.
TEST(ImageKernelTest, ResizeLinearFloatFastPathMatchesDouble) {
  Tensor xf(DataType::kFloat, {2, 3, 5, 7});
  Tensor xd(DataType::kDouble, {2, 3, 5, 7});
  for (int64_t i = 0; i < xf.numel(); ++i) {
    const double v = static_cast<double>((i * 37) % 101) / 9.0 - 5.0;
    xf.data<float>()[i] = static_cast<float>(v);
    xd.data<double>()[i] = static_cast<float>(v);
  }
  const std::vector<std::vector<int64_t>> sizes = {
      {2, 3, 20, 28}, {2, 3, 5, 16}, {2, 3, 3, 4}, {2, 3, 9, 7}, {2, 3, 1, 1}};
  int checked = 0;
  for (const char* mode : {"half_pixel", "align_corners", "asymmetric", "pytorch_half_pixel"}) {
    for (const auto& sz : sizes) {
      for (int exclude : {0, 1}) {
        std::vector<Attribute> attrs = {StringAttr("mode", "linear"),
                                        StringAttr("coordinate_transformation_mode", mode),
                                        IntAttr("exclude_outside", exclude)};
        Tensor st = Tensor::FromVector<int64_t>(sz);
        auto rf = RunSingleNode("Resize", 19, {xf, Tensor(), Tensor(), st}, attrs);
        auto rd = RunSingleNode("Resize", 19, {xd, Tensor(), Tensor(), st}, attrs);
        ASSERT_TRUE(rf.ok()) << rf.status().ToString();
        ASSERT_TRUE(rd.ok()) << rd.status().ToString();
        const Tensor& yf = (*rf)[0].tensor;
        const Tensor& yd = (*rd)[0].tensor;
        ASSERT_EQ(yf.dims(), sz);
        ASSERT_EQ(yd.dims(), sz);
        for (int64_t i = 0; i < yf.numel(); ++i) {
          ASSERT_NEAR(yf.data<float>()[i], yd.data<double>()[i], 1e-5)
              << mode << " exclude " << exclude << " size " << sz[2] << "x" << sz[3] << " at "
              << i;
        }
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 40);
}

}  // namespace
}  // namespace kiln
