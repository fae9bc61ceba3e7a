// Memory planning in Session::Run: no intermediate allocations in steady state, one arena per
// concurrent run, poisoning, outputs never left pointing into an arena, one plan per shape.
#include "runtime/run_memory.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <thread>

#include "kernels/cpu/register.h"
#include "passes/pass_test_util.h"

namespace kiln::test {
namespace {

// x[N,6] -> Relu -> Neg -> Exp -> Reshape[N*2,3] -> Sigmoid -> Add(.,Reshape) -> y
Model Chain() {
  ModelBuilder b;
  b.Input("x", {-1, 6}).Init("shape", Tensor::FromVector<int64_t>({-1, 3}));
  b.Node("Relu", {"x"}, {"a"}).Node("Neg", {"a"}, {"b"}).Node("Exp", {"b"}, {"c"});
  b.Node("Reshape", {"c", "shape"}, {"r"}).Node("Sigmoid", {"r"}, {"s"});
  b.Node("Add", {"s", "r"}, {"y"}).Output("y");
  return b.Build();
}

Tensor Input(int64_t n, float seed) {
  std::vector<float> v(n * 6);
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(seed + 0.37f * i) * 3;
  return Tensor::FromVector<float>(v, {n, 6});
}

std::vector<float> Floats(const Tensor& t) {
  return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
}

SessionOptions Opts(int level = 0) {
  SessionOptions so;
  so.optimization_level = level;
  return so;
}

TEST(RunMemory, SteadyStateAllocatesOnlyTheOutputs) {
  auto s = Session::Create(Chain(), Opts());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Tensor x = Input(4, 1);
  ASSERT_TRUE((*s)->Run({{"x", x}}).ok());  // recorded
  ASSERT_TRUE((*s)->Run({{"x", x}}).ok());  // planned: allocates the arena once
  const int64_t before = Storage::allocation_count();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*s)->Run({{"x", x}}).ok());
  // One block per run: the graph output handed to the caller. No intermediates, no arena.
  EXPECT_EQ(Storage::allocation_count() - before, 5);
  auto reports = (*s)->MemoryReports();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].buffers, 4);  // a, b, c, s (r views c; y is the output)
  EXPECT_LE(reports[0].lower_bound, reports[0].arena_bytes);
  EXPECT_LE(reports[0].arena_bytes, reports[0].naive_bytes);
  EXPECT_LT(reports[0].arena_bytes, reports[0].naive_bytes);  // a chain reuses memory
  EXPECT_FALSE(reports[0].drawing.empty());
}

TEST(RunMemory, PlannedRunsMatchUnplannedOnes) {
  SessionOptions off = Opts();
  off.memory_planning = false;
  auto ref = Session::Create(Chain(), off);
  auto s = Session::Create(Chain(), Opts());
  ASSERT_TRUE(ref.ok() && s.ok());
  for (int i = 0; i < 4; ++i) {
    Tensor x = Input(3, static_cast<float>(i));
    auto want = (*ref)->Run({{"x", x}});
    auto got = (*s)->Run({{"x", x}});
    ASSERT_TRUE(want.ok() && got.ok());
    EXPECT_EQ(Floats((*want)[0].value.tensor), Floats((*got)[0].value.tensor));
  }
}

TEST(RunMemory, OutputThatViewsTheArenaIsCopiedOut) {
  // y = Reshape(Relu(x)): the output is a view of a planned intermediate.
  ModelBuilder b;
  b.Input("x", {2, 3}).Init("shape", Tensor::FromVector<int64_t>({3, 2}));
  b.Node("Relu", {"x"}, {"r"}).Node("Reshape", {"r", "shape"}, {"y"}).Output("y");
  auto s = Session::Create(b.Build(), Opts());
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->Run({{"x", Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {2, 3})}}).ok());
  auto first = (*s)->Run({{"x", Tensor::FromVector<float>({1, 2, 3, 4, 5, 6}, {2, 3})}});
  auto second = (*s)->Run({{"x", Tensor::FromVector<float>({9, 9, 9, 9, 9, 9}, {2, 3})}});
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(Floats((*first)[0].value.tensor), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(Floats((*second)[0].value.tensor), (std::vector<float>(6, 9)));
}

TEST(RunMemory, OnePlanPerShapeBounded) {
  SessionOptions so = Opts();
  so.max_memory_plans = 2;
  auto s = Session::Create(Chain(), so);
  ASSERT_TRUE(s.ok());
  for (int n : {1, 2, 3, 3, 2}) ASSERT_TRUE((*s)->Run({{"x", Input(n, 0)}}).ok());
  auto reports = (*s)->MemoryReports();
  ASSERT_EQ(reports.size(), 2u);  // n = 1 was dropped
  EXPECT_NE(reports[0].signature.find("[2,6]"), std::string::npos);
  EXPECT_NE(reports[1].signature.find("[3,6]"), std::string::npos);
}

TEST(RunMemory, EightThreadsShareOneSession) {
  SessionOptions off = Opts(3);
  off.memory_planning = false;
  auto ref = Session::Create(Chain(), off);
  auto s = Session::Create(Chain(), Opts(3));
  ASSERT_TRUE(ref.ok() && s.ok());
  constexpr int kThreads = 8, kRuns = 25;
  std::vector<std::vector<float>> want(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    auto r = (*ref)->Run({{"x", Input(1 + t % 3, static_cast<float>(t))}});
    ASSERT_TRUE(r.ok());
    want[t] = Floats((*r)[0].value.tensor);
  }
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Tensor x = Input(1 + t % 3, static_cast<float>(t));
      for (int i = 0; i < kRuns; ++i) {
        auto r = (*s)->Run({{"x", x}});
        if (!r.ok() || Floats((*r)[0].value.tensor) != want[t]) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
  EXPECT_EQ((*s)->MemoryReports().size(), 3u);
}

// A kernel that returns whatever its output memory held before it ran: it shows what a kernel
// that reads before writing would see.
Status ReadsUninitialized(KernelContext& ctx) {
  const Tensor* x = ctx.Input(0);
  KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->dims()));
  (void)y;  // deliberately not written
  return Status::Ok();
}

TEST(RunMemory, PoisonMakesReadsBeforeWritesVisible) {
  KernelRegistry reg;
  RegisterCpuKernels(reg);
  reg.Register(KernelDef("ReadsUninitialized", "test").Opsets(1), Stateless(ReadsUninitialized));
  ModelBuilder b;
  b.Input("x", {4});
  b.Node("ReadsUninitialized", {"x"}, {"u"}, {}, "test", 1).Node("Neg", {"u"}, {"y"}).Output("y");
  Model m = b.Build();
  m.opset_imports["test"] = 1;
  SessionOptions so = Opts();
  so.registry = &reg;
  so.poison_arena = true;
  auto s = Session::Create(std::move(m), so);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Tensor x = Tensor::FromVector<float>({1, 2, 3, 4}, {4});
  auto recorded = (*s)->Run({{"x", x}});
  auto planned = (*s)->Run({{"x", x}});
  ASSERT_TRUE(recorded.ok() && planned.ok());
  EXPECT_EQ(Floats((*recorded)[0].value.tensor), (std::vector<float>(4, -0.0f)));  // heap: zeros
  for (float v : Floats((*planned)[0].value.tensor)) EXPECT_TRUE(std::isnan(v));
}

}  // namespace
}  // namespace kiln::test
