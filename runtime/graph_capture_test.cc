// Graph capture (SessionOptions::graph_capture) on the stand-in device: the first run records the
// memory plan, the second captures the device work and launches it, later runs replay it; the
// results follow the inputs of every run, and what cannot be captured is refused by name.
#include "runtime/graph_capture.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <thread>

#include "passes/pass_test_util.h"
#include "runtime/fake_device_test_util.h"
#include "runtime/session.h"

namespace kiln::test {
namespace {

SessionOptions CaptureOptions(Fixture& f) {
  SessionOptions so = f.Options();
  so.graph_capture = true;
  return so;
}

// x[2,3] -> Relu -> Add(., w) -> Add(., x) -> y, all on the device.
Model AllOnDevice(std::vector<int64_t> dims = {2, 3}) {
  ModelBuilder b(17);
  b.Input("x", dims).Init("w", Floats({1, -2, 3, -4, 5, -6}, {2, 3}));
  b.Node("Relu", {"x"}, {"r"}).Node("Add", {"r", "w"}, {"a"}).Node("Add", {"a", "x"}, {"y"});
  b.Output("y");
  return b.Build();
}

std::vector<float> Expected(const std::vector<float>& x) {
  const std::vector<float> w = {1, -2, 3, -4, 5, -6};
  std::vector<float> y;
  for (size_t i = 0; i < x.size(); ++i) y.push_back(std::max(x[i], 0.f) + w[i] + x[i]);
  return y;
}

std::vector<float> Input(int run) {
  return {float(run), -1.5f * run, 2, -3, float(run * run), 0.25f};
}

TEST(GraphCapture, ReplaysComputeTheResultsOfEachRunsInputs) {
  Fixture f;
  auto s = Session::Create(AllOnDevice(), CaptureOptions(f));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  int allocations_after_capture = 0, streams_after_capture = 0;
  for (int run = 1; run <= 6; ++run) {
    const std::vector<float> x = Input(run);
    const int runs_before = f.counters.runs.load();
    auto out = (*s)->Run({{"x", Floats(x, {2, 3})}});
    ASSERT_TRUE(out.ok()) << "run " << run << ": " << out.status().ToString();
    std::vector<float> got = Values((*out)[0].value), want = Expected(x);
    ASSERT_EQ(got.size(), want.size());
    for (size_t k = 0; k < want.size(); ++k) EXPECT_FLOAT_EQ(got[k], want[k]) << "run " << run;
    const int kernel_runs = f.counters.runs.load() - runs_before;
    if (run <= 2) {
      EXPECT_EQ(kernel_runs, 3) << "run " << run;  // recording, then capturing: every kernel runs
    } else {
      EXPECT_EQ(kernel_runs, 0) << "run " << run;  // a replay launches the graph instead
    }
    if (run == 2) {
      allocations_after_capture = f.counters.allocations.load();
      streams_after_capture = f.counters.streams.load();
    }
  }
  EXPECT_EQ(f.counters.captures.load(), 1);
  EXPECT_EQ(f.counters.launches.load(), 5);  // runs 2 to 6
  // Replays allocate no device memory and create no stream.
  EXPECT_EQ(f.counters.allocations.load(), allocations_after_capture);
  EXPECT_EQ(f.counters.streams.load(), streams_after_capture);
}

TEST(GraphCapture, PoisonedArenasBeforeEachReplayGiveTheSameResults) {
  Fixture f;
  SessionOptions so = CaptureOptions(f);
  so.poison_arena = true;
  auto s = Session::Create(AllOnDevice(), so);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  for (int run = 1; run <= 4; ++run) {
    const std::vector<float> x = Input(run);
    auto out = (*s)->Run({{"x", Floats(x, {2, 3})}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    std::vector<float> got = Values((*out)[0].value), want = Expected(x);
    for (size_t k = 0; k < want.size(); ++k) EXPECT_FLOAT_EQ(got[k], want[k]) << "run " << run;
  }
  EXPECT_EQ(f.counters.launches.load(), 3);
}

TEST(GraphCapture, EachInputShapeGetsItsOwnGraph) {
  Fixture f;
  ModelBuilder b(17);
  b.Input("x", {-1, 3});
  b.Node("Relu", {"x"}, {"r"}).Node("Add", {"r", "x"}, {"y"}).Output("y");
  auto s = Session::Create(b.Build(), CaptureOptions(f));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  for (int64_t rows : {2, 2, 2, 4, 4, 4, 2, 4}) {
    std::vector<float> x;
    for (int64_t i = 0; i < rows * 3; ++i) x.push_back(float(i % 5) - 2.f + 0.1f * rows);
    auto out = (*s)->Run({{"x", Floats(x, {rows, 3})}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    std::vector<float> got = Values((*out)[0].value);
    ASSERT_EQ(got.size(), x.size());
    for (size_t k = 0; k < x.size(); ++k) EXPECT_FLOAT_EQ(got[k], std::max(x[k], 0.f) + x[k]);
  }
  EXPECT_EQ(f.counters.captures.load(), 2);
  EXPECT_EQ(f.counters.launches.load(), 6);  // 2 and 3 of each shape, then one more each
}

// Shape arithmetic on the host (Shape's host result, a Concat on the CPU) is done once, at
// capture: it depends on shapes only.
TEST(GraphCapture, ShapeArithmeticOnTheHostIsRecordedOnce) {
  Fixture f;
  ModelBuilder b(17);
  b.Input("x", {2, 6}).Init("minus_one", Tensor::FromVector<int64_t>({-1}));
  b.Node("Relu", {"x"}, {"r"}).Node("Shape", {"r"}, {"shape"});
  b.Node("Concat", {"minus_one", "shape"}, {"target"}, {IntAttr("axis", 0)});
  b.Node("Reshape", {"r", "target"}, {"y"}).Output("y");
  Model m = b.Build();
  Graph& g = *m.graph;
  for (const char* name : {"minus_one", "shape", "target"}) {
    g.mutable_value(g.FindValue(name)).type = TypeInfo::Tensor(DataType::kInt64);
  }
  auto s = Session::Create(std::move(m), CaptureOptions(f));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  for (int run = 1; run <= 4; ++run) {
    std::vector<float> x(12);
    for (int i = 0; i < 12; ++i) x[i] = float((i + run) % 7) - 3.f;
    auto out = (*s)->Run({{"x", Floats(x, {2, 6})}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ((*out)[0].value.tensor.dims(), (std::vector<int64_t>{1, 2, 6}));
    std::vector<float> got = Values((*out)[0].value);
    for (int i = 0; i < 12; ++i) EXPECT_FLOAT_EQ(got[i], std::max(x[i], 0.f)) << "run " << run;
  }
  EXPECT_EQ(f.counters.launches.load(), 3);
}

// Integer arithmetic on a run's input (an attention mask's) usually runs on the host next to its
// input; with graph capture it stays on the device, where a replay repeats it.
TEST(GraphCapture, IntegerArithmeticOnTheRunsInputsStaysOnTheDevice) {
  Fixture f;
  f.reg.Register(KernelDef("Neg").Opsets(13).OnDevice(Device::kCuda).Types(
                     "T", {0}, {DataType::kInt64}),
                 Stateless([](KernelContext& ctx) -> Status {
                   KILN_RETURN_IF_ERROR(CheckOnDevice(ctx));
                   const Tensor& x = *ctx.Input(0);
                   KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x.dtype(), x.dims()));
                   const int64_t* px = x.data<int64_t>();
                   int64_t* py = y->data<int64_t>();
                   const int64_t n = x.numel();
                   static_cast<FakeStream*>(ctx.stream())->Enqueue([px, py, n] {
                     for (int64_t i = 0; i < n; ++i) py[i] = -px[i];
                   });
                   return Status::Ok();
                 }));
  auto model = [] {
    ModelBuilder b(17);
    b.Input("mask", {2, 2}, DataType::kInt64);
    b.Node("Neg", {"mask"}, {"y"}).Output("y");
    Model m = b.Build();
    m.graph->mutable_value(m.graph->FindValue("y")).type = TypeInfo::Tensor(DataType::kInt64);
    return m;
  };
  auto plain = Session::Create(model(), f.Options());
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ((*plain)->placement().CountOn(Device::kCpu), 1) << (*plain)->placement().ToString();
  auto s = Session::Create(model(), CaptureOptions(f));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)->placement().CountOn(Device::kCuda), 1) << (*s)->placement().ToString();
  for (int run = 1; run <= 4; ++run) {
    auto out = (*s)->Run({{"mask", Tensor::FromVector<int64_t>({run, 0, 1, -run}, {2, 2})}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    const Tensor& y = (*out)[0].value.tensor;
    EXPECT_EQ(std::vector<int64_t>(y.data<int64_t>(), y.data<int64_t>() + 4),
              (std::vector<int64_t>{-run, 0, -1, run}));
  }
  EXPECT_EQ(f.counters.launches.load(), 3);
}

TEST(GraphCapture, DeviceDataReadOnTheHostIsRefusedAtLoadByName) {
  Fixture f;
  // Sigmoid has no device kernel: its input comes back to the host in the middle of the run.
  ModelBuilder b(17);
  b.Input("x", {2, 3});
  b.Node("Relu", {"x"}, {"r"}).Node("Sigmoid", {"r"}, {"s"}).Node("Add", {"s", "x"}, {"y"});
  b.Output("y");
  auto s = Session::Create(b.Build(), CaptureOptions(f));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(s.status().message().find(
                "graph capture: 1 node keeps the run from being recorded as one device graph: "
                "MemcpyToHost"),
            std::string::npos)
      << s.status().ToString();
  EXPECT_NE(s.status().message().find("back to the host for Sigmoid 'Sigmoid_1' on the cpu"),
            std::string::npos)
      << s.status().ToString();
}

TEST(GraphCapture, HostStepsOnTheRunsInputsAreRefused) {
  Fixture f;
  auto s = Session::Create(ReshapeToAnInputShape(), CaptureOptions(f));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("Mul 'Mul_0' (runs on the cpu on data of the run's inputs)"),
            std::string::npos)
      << s.status().ToString();
}

TEST(GraphCapture, NeedsADeviceAndMemoryPlanning) {
  Fixture f;
  SessionOptions cpu = CaptureOptions(f);
  cpu.devices = {Device::kCpu};
  auto s = Session::Create(AllOnDevice(), cpu);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("graph capture: no node of the graph runs on a device"),
            std::string::npos)
      << s.status().ToString();
  SessionOptions unplanned = CaptureOptions(f);
  unplanned.memory_planning = false;
  s = Session::Create(AllOnDevice(), unplanned);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("graph capture needs memory planning"), std::string::npos)
      << s.status().ToString();
}

// A device kernel that waits for the device inside its Run cannot be captured: the capturing run
// fails saying why, and so do later runs with that shape.
TEST(GraphCapture, AKernelThatSynchronizesFailsTheCaptureWithItsReason) {
  Fixture f;
  f.reg.Register(KernelDef("Neg").Opsets(13).OnDevice(Device::kCuda).Types(
                     "T", {0}, {DataType::kFloat}),
                 Stateless([](KernelContext& ctx) -> Status {
                   const Tensor& x = *ctx.Input(0);
                   std::vector<float> host(x.numel());
                   KILN_RETURN_IF_ERROR(
                       ctx.stream()->CopyToHost(host.data(), x.raw_data(), x.nbytes()));
                   KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x.dtype(), x.dims()));
                   for (auto& v : host) v = -v;
                   return ctx.stream()->CopyToDevice(y->raw_data(), host.data(), y->nbytes());
                 }));
  ModelBuilder b(17);
  b.Input("x", {2, 3});
  b.Node("Neg", {"x"}, {"y"}).Output("y");
  auto s = Session::Create(b.Build(), CaptureOptions(f));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto first = (*s)->Run({{"x", Floats({1, 2, 3, 4, 5, 6}, {2, 3})}});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FLOAT_EQ(Values((*first)[0].value)[1], -2.f);
  for (int run = 2; run <= 3; ++run) {
    auto out = (*s)->Run({{"x", Floats({1, 2, 3, 4, 5, 6}, {2, 3})}});
    ASSERT_FALSE(out.ok());
    EXPECT_NE(out.status().message().find("graph capture"), std::string::npos)
        << out.status().ToString();
    EXPECT_NE(out.status().message().find("CopyToHost while capturing"), std::string::npos)
        << out.status().ToString();
  }
}

// Runs that find the recorded graph busy run uncaptured, with results just as right.
TEST(GraphCapture, ConcurrentRunsAreRight) {
  Fixture f;
  auto s = Session::Create(AllOnDevice(), CaptureOptions(f));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::vector<float> x = Input(t * 100 + i);
        auto out = (*s)->Run({{"x", Floats(x, {2, 3})}});
        if (!out.ok()) {
          ++failures;
          continue;
        }
        std::vector<float> got = Values((*out)[0].value), want = Expected(x);
        for (size_t k = 0; k < want.size(); ++k) {
          if (got[k] != want[k]) ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(f.counters.captures.load(), 1);
  EXPECT_GE(f.counters.launches.load(), 1);
}

}  // namespace
}  // namespace kiln::test
