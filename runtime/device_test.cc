// The device layer without a GPU: a stand-in device ("cuda" in name, host memory underneath)
// with a few kernels checks placement, copy insertion, initializer upload, host inputs and
// outputs, the device arena of the memory planner, strict mode and concurrent runs.
#include "kernels/api/device.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <set>
#include <thread>

#include "kernels/cpu/register.h"
#include "passes/pass_test_util.h"
#include "runtime/fake_device_test_util.h"
#include "runtime/session.h"

namespace kiln::test {
namespace {

// x[2,3] -> Relu -> Add(., w) -> Sigmoid (no device kernel) -> Add(., x) -> y
Model Mixed() {
  ModelBuilder b(17);
  b.Input("x", {2, 3}).Init("w", Floats({1, -2, 3, -4, 5, -6}, {2, 3}));
  b.Node("Relu", {"x"}, {"r"}).Node("Add", {"r", "w"}, {"a"});
  b.Node("Sigmoid", {"a"}, {"s"}).Node("Add", {"s", "x"}, {"y"}).Output("y");
  return b.Build();
}

std::vector<float> Expected(const std::vector<float>& x) {
  const std::vector<float> w = {1, -2, 3, -4, 5, -6};
  std::vector<float> y;
  for (size_t i = 0; i < x.size(); ++i) {
    const float a = std::max(x[i], 0.f) + w[i];
    y.push_back(1.f / (1.f + std::exp(-a)) + x[i]);
  }
  return y;
}

TEST(Placement, NodesGoToTheFirstDeviceWithAKernelAndCopiesAreInserted) {
  Fixture f;
  auto s = Session::Create(Mixed(), f.Options());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const PlacementReport& p = (*s)->placement();
  EXPECT_EQ(p.CountOn(Device::kCuda), 3);  // Relu, Add, Add
  EXPECT_EQ(p.CountOn(Device::kCpu), 1);   // Sigmoid
  // x and w to the device (w once, at load), a to the host for Sigmoid, s back, y to the host.
  EXPECT_EQ(p.copies_to_device, 3);
  EXPECT_EQ(p.uploads, 1);
  EXPECT_EQ(p.copies_to_host, 2);
  std::string text = p.ToString();
  EXPECT_NE(text.find("cpu  Sigmoid 'Sigmoid_2'  (no cuda kernel)"), std::string::npos) << text;
  EXPECT_NE(text.find("cuda: 3 nodes, cpu: 1 node (1 no cuda kernel)"), std::string::npos) << text;
  const std::vector<float> x = {-1, 2, -3, 4, -5, 6};
  auto out = (*s)->Run({{"x", Floats(x, {2, 3})}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].name, "y");
  std::vector<float> got = Values((*out)[0].value), want = Expected(x);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_FLOAT_EQ(got[i], want[i]);
  EXPECT_EQ(f.counters.to_device.load(), 3);  // w at load; x and s in the run
  EXPECT_EQ(f.counters.to_host.load(), 2);
}

TEST(Placement, StrictModeNamesTheNodesThatWouldFallBack) {
  Fixture f;
  auto s = Session::Create(Mixed(), f.Options(0, /*strict=*/true));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(s.status().message().find(
                "strict placement: 1 node cannot run on cuda: Sigmoid 'Sigmoid_2' (no cuda kernel)"),
            std::string::npos)
      << s.status().ToString();
}

TEST(Placement, UnavailableDeviceIsAnErrorAtLoad) {
  Fixture f(Status(StatusCode::kUnsupported, "no CUDA device found (test)"));
  auto s = Session::Create(Mixed(), f.Options());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("device 'cuda' is not available: no CUDA device found"),
            std::string::npos)
      << s.status().ToString();
}

TEST(Placement, CpuOnlySessionsAreUntouched) {
  Fixture f;
  SessionOptions so = f.Options();
  so.devices = {Device::kCpu};
  auto s = Session::Create(Mixed(), so);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->placement().copies_to_device + (*s)->placement().copies_to_host, 0);
  EXPECT_EQ((*s)->placement().CountOn(Device::kCpu), 4);
  EXPECT_EQ(f.counters.streams.load(), 0);
}

TEST(Placement, TypesWithoutADeviceKernelStayOnTheCpu) {
  Fixture f;
  ModelBuilder b(17);
  b.Input("x", {4}, DataType::kDouble).Input("z", {4}, DataType::kDouble);
  b.Node("Add", {"x", "z"}, {"y"}).Output("y");
  auto s = Session::Create(b.Build(), f.Options());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->placement().CountOn(Device::kCpu), 1);
  EXPECT_NE((*s)->placement().ToString().find("(no cuda kernel for double)"), std::string::npos)
      << (*s)->placement().ToString();
}

// x[N,6] -> Shape (device, host output) -> Reshape(Relu(x), [-1, 3]) on the device: the shape
// never visits the device, and only y comes back.
TEST(Placement, HostInputsAndOutputsNeedNoCopies) {
  Fixture f;
  ModelBuilder b(17);
  b.Input("x", {2, 6}).Init("shape", Tensor::FromVector<int64_t>({-1, 3}));
  b.Node("Relu", {"x"}, {"r"}).Node("Reshape", {"r", "shape"}, {"v"});
  b.Node("Shape", {"v"}, {"vs"}).Node("Relu", {"v"}, {"y"}).Output("y").Output("vs");
  auto s = Session::Create(b.Build(), f.Options());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const PlacementReport& p = (*s)->placement();
  EXPECT_EQ(p.CountOn(Device::kCuda), 4) << p.ToString();
  EXPECT_EQ(p.copies_to_device, 1) << p.ToString();  // x only: the shape is read on the host
  EXPECT_EQ(p.copies_to_host, 1) << p.ToString();    // y only: vs is made on the host
  std::vector<float> x = {1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12};
  auto out = (*s)->Run({{"x", Floats(x, {2, 6})}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].value.tensor.dims(), (std::vector<int64_t>{4, 3}));
  EXPECT_EQ(Values((*out)[0].value)[2], 3.f);
  const Tensor& vs = (*out)[1].value.tensor;
  EXPECT_EQ(vs.device(), Device::kCpu);
  EXPECT_EQ(std::vector<int64_t>(vs.data<int64_t>(), vs.data<int64_t>() + 2),
            (std::vector<int64_t>{4, 3}));
}

// Integer shape arithmetic whose inputs are on the host stays there, even when the device has a
// kernel for it: a fake integer Add on the device must not be chosen.
TEST(Placement, ShapeArithmeticStaysOnTheHost) {
  Fixture f;
  f.reg.Register(KernelDef("Mul").Opsets(14).OnDevice(Device::kCuda).Types(
                     "T", {0, 1}, {DataType::kInt64}),
                 Stateless([](KernelContext& ctx) -> Status {
                   return ctx.Error(StatusCode::kInternal, "must not run on the device");
                 }));
  auto s = Session::Create(ReshapeToAnInputShape(), f.Options(0, /*strict=*/true));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_NE((*s)->placement().ToString().find("cpu  Mul 'Mul_0'  (shape arithmetic)"),
            std::string::npos)
      << (*s)->placement().ToString();
  std::vector<float> x(12, 1.f);
  auto out = (*s)->Run({{"n", Tensor::FromVector<int64_t>({3, 4})}, {"x", Floats(x, {2, 6})}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ((*out)[0].value.tensor.dims(), (std::vector<int64_t>{3, 4}));
}

// A device kernel that implements only some attribute values says so from its factory: the node
// then runs on the CPU, and the report gives the kernel's reason.
TEST(Placement, AFactoryThatRefusesAttributesSendsTheNodeToTheNextDevice) {
  Fixture f;
  f.reg.Register(KernelDef("LeakyRelu").Opsets(6).OnDevice(Device::kCuda).Types(
                     "T", {0}, {DataType::kFloat}),
                 [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
                   if (info.GetFloat("alpha", 0.01f) != 0.01f) {
                     return info.Unsupported("only alpha = 0.01 here");
                   }
                   return Elementwise([](float x, float) { return x > 0 ? x : 0.01f * x; },
                                      false)(info);
                 });
  ModelBuilder b(17);
  b.Input("x", {3});
  b.Node("LeakyRelu", {"x"}, {"a"}).Node("LeakyRelu", {"a"}, {"y"}, {FloatAttr("alpha", 0.5f)});
  b.Output("y");
  auto s = Session::Create(b.Build(), f.Options());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const std::string text = (*s)->placement().ToString();
  EXPECT_EQ((*s)->placement().CountOn(Device::kCuda), 1) << text;
  EXPECT_NE(text.find("cpu  LeakyRelu 'LeakyRelu_1'  (cuda kernel: node 'LeakyRelu_1' (LeakyRelu, "
                      "opset 17): only alpha = 0.01 here)"),
            std::string::npos)
      << text;
  auto out = (*s)->Run({{"x", Floats({-4, 0, 2}, {3})}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  std::vector<float> got = Values((*out)[0].value);
  EXPECT_FLOAT_EQ(got[0], -4 * 0.01f * 0.5f);
  EXPECT_FLOAT_EQ(got[2], 2.f);
}

TEST(DeviceMemory, SteadyStateRunsAllocateNoDeviceMemory) {
  Fixture f;
  auto s = Session::Create(Mixed(), f.Options());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const std::vector<float> x = {-1, 2, -3, 4, -5, 6};
  ASSERT_TRUE((*s)->Run({{"x", Floats(x, {2, 3})}}).ok());  // recorded
  ASSERT_TRUE((*s)->Run({{"x", Floats(x, {2, 3})}}).ok());  // planned: the arenas are allocated
  const int device_before = f.counters.allocations.load();
  const int streams_before = f.counters.streams.load();
  for (int i = 0; i < 4; ++i) {
    auto out = (*s)->Run({{"x", Floats(x, {2, 3})}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    std::vector<float> got = Values((*out)[0].value), want = Expected(x);
    for (size_t k = 0; k < want.size(); ++k) EXPECT_FLOAT_EQ(got[k], want[k]);
  }
  EXPECT_EQ(f.counters.allocations.load(), device_before);
  EXPECT_EQ(f.counters.streams.load(), streams_before);  // the run's stream comes from the pool
  auto reports = (*s)->MemoryReports();
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].device, Device::kCpu);
  EXPECT_EQ(reports[1].device, Device::kCuda);
  // On the device: x's copy, r, a (in place over r: Add may overwrite its input), s's copy.
  EXPECT_GE(reports[1].buffers, 3);
  EXPECT_EQ(reports[1].arena_bytes % 256, 0);
  EXPECT_LE(reports[1].lower_bound, reports[1].arena_bytes);
}

TEST(DeviceMemory, PoisonedDeviceArenasGiveTheSameResults) {
  Fixture f;
  SessionOptions so = f.Options(3);
  so.poison_arena = true;
  auto s = Session::Create(Mixed(), so);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const std::vector<float> x = {0.5f, -2, 3, 4, -5, 6};
  for (int i = 0; i < 3; ++i) {
    auto out = (*s)->Run({{"x", Floats(x, {2, 3})}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    std::vector<float> got = Values((*out)[0].value), want = Expected(x);
    for (size_t k = 0; k < want.size(); ++k) EXPECT_FLOAT_EQ(got[k], want[k]);
  }
}

TEST(DeviceMemory, ConcurrentRunsUseOneStreamEach) {
  Fixture f;
  auto s = Session::Create(Mixed(), f.Options());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        std::vector<float> x = {float(t), float(-i), 1, 2, -3, float(i)};
        auto out = (*s)->Run({{"x", Floats(x, {2, 3})}});
        if (!out.ok()) {
          ++failures;
          continue;
        }
        std::vector<float> got = Values((*out)[0].value), want = Expected(x);
        for (size_t k = 0; k < want.size(); ++k) {
          if (std::fabs(got[k] - want[k]) > 1e-6f) ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LE(f.counters.streams.load(), 5);  // at most one per concurrent run (+1 at load)
}

}  // namespace
}  // namespace kiln::test
