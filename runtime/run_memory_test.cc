// Memory planning in Session::Run: no intermediate allocations in steady state, one arena per
// concurrent run, poisoning, outputs never left pointing into an arena, one plan per shape.
#include "runtime/run_memory.h"

#include <gtest/gtest.h>

#include <atomic>
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
  EXPECT_EQ(reports[0].graph, "main");
  EXPECT_EQ(reports[0].buffers, 4);  // a, b, c, s (r views c; y is the output)
  EXPECT_LE(reports[0].lower_bound, reports[0].arena_bytes);
  EXPECT_LE(reports[0].arena_bytes, reports[0].naive_bytes);
  EXPECT_LT(reports[0].arena_bytes, reports[0].naive_bytes);  // a chain reuses memory
  EXPECT_FALSE(reports[0].drawing.empty());
}

TEST(RunMemory, InplaceReusesTheBufferOfAnInputThatDies) {
  // Neg writes over a (its last reader) and Exp over b: a, b and c share one slot. Sigmoid may
  // not write over r (a view of c): Add reads r after it. y is the caller's.
  auto s = Session::Create(Chain(), Opts());
  ASSERT_TRUE(s.ok());
  SessionOptions off = Opts();
  off.memory_planning = false;
  auto ref = Session::Create(Chain(), off);
  ASSERT_TRUE(ref.ok());
  Tensor x = Input(4, 1);
  auto want = (*ref)->Run({{"x", x}});
  ASSERT_TRUE(want.ok());
  for (int i = 0; i < 3; ++i) {
    auto got = (*s)->Run({{"x", x}});
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(Floats((*got)[0].value.tensor), Floats((*want)[0].value.tensor)) << "run " << i;
  }
  auto r = (*s)->MemoryReports();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].buffers, 4);
  EXPECT_EQ(r[0].inplace, 2);
  EXPECT_EQ(r[0].slots, 2);
  EXPECT_EQ(r[0].arena_bytes, 2 * 128);  // two slots of 96 bytes, padded to 64
  EXPECT_EQ(r[0].naive_bytes, 4 * 128);
}

TEST(RunMemory, InplaceNeverOverwritesAValueReadLater) {
  // Neg's input a is read again by Add: Neg gets a slot of its own.
  ModelBuilder b;
  b.Input("x", {8});
  b.Node("Relu", {"x"}, {"a"}).Node("Neg", {"a"}, {"n"}).Node("Add", {"a", "n"}, {"s"});
  b.Node("Exp", {"s"}, {"y"}).Output("y");
  SessionOptions so = Opts();
  so.poison_arena = true;
  auto s = Session::Create(b.Build(), so);
  ASSERT_TRUE(s.ok());
  Tensor x = Tensor::FromVector<float>({-2, -1, 0, 1, 2, 3, 4, 5}, {8});
  for (int i = 0; i < 3; ++i) {
    auto got = (*s)->Run({{"x", x}});
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(Floats((*got)[0].value.tensor), std::vector<float>(8, 1.0f)) << "run " << i;
  }
  auto r = (*s)->MemoryReports();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].buffers, 3);  // a, n, s
  EXPECT_EQ(r[0].inplace, 1);  // s over a (or n): Add is the last reader of both
  EXPECT_EQ(r[0].slots, 2);
}

// The CPU kernels plus test kernels (domain "test", opset 1), and sessions using them.
struct TestKernels {
  KernelRegistry reg;
  TestKernels() { RegisterCpuKernels(reg); }
  TestKernels& Add(const std::string& op, FunctionKernel::Fn fn) {
    reg.Register(KernelDef(op, "test").Opsets(1), Stateless(std::move(fn)));
    return *this;
  }
  // A session over `b`'s model (which may call the test ops) on these kernels; null on error.
  std::unique_ptr<Session> Create(ModelBuilder& b, SessionOptions so) {
    Model m = b.Build();
    m.opset_imports["test"] = 1;
    so.registry = &reg;
    auto s = Session::Create(std::move(m), so);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
};

// A kernel that sums its input through a scratch buffer: y = sum(x) broadcast to x's shape.
Status SumViaScratch(KernelContext& ctx) {
  const Tensor* x = ctx.Input(0);
  KILN_ASSIGN_OR_RETURN(Tensor scratch, ctx.Scratch(x->nbytes()));
  float* tmp = reinterpret_cast<float*>(scratch.raw_data());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(tmp) % kTensorAlignment, 0u);
  std::memcpy(tmp, x->raw_data(), x->nbytes());
  float total = 0;
  for (int64_t i = 0; i < x->numel(); ++i) total += tmp[i];
  KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->dims()));
  for (int64_t i = 0; i < x->numel(); ++i) y->data<float>()[i] = total;
  return Status::Ok();
}

TEST(RunMemory, ScratchIsPlannedForOneStep) {
  TestKernels k;
  k.Add("SumViaScratch", SumViaScratch);
  ModelBuilder b;
  b.Input("x", {16});
  b.Node("Relu", {"x"}, {"a"}).Node("SumViaScratch", {"a"}, {"b"}, {}, "test", 1);
  b.Node("Neg", {"b"}, {"y"}).Output("y");
  SessionOptions so = Opts();
  so.poison_arena = true;
  auto session = k.Create(b, so);
  ASSERT_NE(session, nullptr);
  std::vector<float> xs(16);
  for (int i = 0; i < 16; ++i) xs[i] = static_cast<float>(i);
  Tensor x = Tensor::FromVector<float>(xs, {16});
  ASSERT_TRUE(session->Run({{"x", x}}).ok());  // recorded
  ASSERT_TRUE(session->Run({{"x", x}}).ok());  // the arena is allocated once
  const int64_t before = Storage::allocation_count();
  auto got = session->Run({{"x", x}});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(Storage::allocation_count() - before, 1);  // y only: no scratch on the heap
  EXPECT_EQ(Floats((*got)[0].value.tensor), std::vector<float>(16, -120.0f));
  auto r = session->MemoryReports();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].scratch, 1);
  EXPECT_EQ(r[0].slots, 3);  // a, the scratch and b, all live at step 1
  EXPECT_EQ(r[0].arena_bytes, 3 * 64);
  EXPECT_EQ(r[0].lower_bound, 3 * 64);
}

// y = Loop(trip count 5) of v <- v + tanh(v * w), w read from the outer scope.
Model LoopModel() {
  ModelBuilder b;
  b.Input("x", {-1, 32}).Input("w", {32});
  b.Init("trips", Tensor::FromVector<int64_t>({5}, {}));
  b.Init("keep_going", Tensor::FromVector<bool>({true}, {}));
  auto body = std::make_shared<Graph>();
  body->name = "body";
  auto value = [&](const std::string& name, bool input) {
    int id = body->AddValue(name).value();
    if (input) body->AddInput(id);
    return id;
  };
  const int iter = value("iter", true), cond_in = value("cond_in", true),
            v_in = value("v_in", true);
  const int w = value("w", false);
  body->mutable_value(w).outer_scope = true;
  const int t = value("t", false), u = value("u", false), v_out = value("v_out", false);
  const int cond_out = value("cond_out", false);
  auto add = [&](const std::string& op, std::vector<int> in, int out) {
    Node n;
    n.name = op + "_in_body";
    n.op_type = op;
    n.opset = 17;
    n.inputs = std::move(in);
    n.outputs = {out};
    EXPECT_TRUE(body->AddNode(n).ok());
  };
  (void)iter;
  add("Mul", {v_in, w}, t);
  add("Tanh", {t}, u);
  add("Add", {u, v_in}, v_out);
  add("Identity", {cond_in}, cond_out);
  body->AddOutput(cond_out);
  body->AddOutput(v_out);
  Attribute a;
  a.name = "body";
  a.type = AttrType::kGraph;
  a.g = body;
  b.Node("Loop", {"trips", "keep_going", "x"}, {"y"}, {a}).Output("y");
  return b.Build();
}

TEST(RunMemory, LoopBodiesRunFromTheirOwnPlan) {
  SessionOptions off = Opts();
  off.memory_planning = false;
  auto ref = Session::Create(LoopModel(), off);
  SessionOptions so = Opts();
  so.poison_arena = true;
  auto s = Session::Create(LoopModel(), so);
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::vector<float> xs(3 * 32), ws(32);
  for (size_t i = 0; i < xs.size(); ++i) xs[i] = std::sin(0.1f * i);
  for (size_t i = 0; i < ws.size(); ++i) ws[i] = std::cos(0.2f * i);
  std::vector<NamedValue> feeds = {{"x", AnyValue(Tensor::FromVector<float>(xs, {3, 32}))},
                                   {"w", AnyValue(Tensor::FromVector<float>(ws, {32}))}};
  auto want = (*ref)->Run(feeds);
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  int64_t before = Storage::allocation_count();
  ASSERT_TRUE((*ref)->Run(feeds).ok());
  const int64_t unplanned = Storage::allocation_count() - before;
  ASSERT_TRUE((*s)->Run(feeds).ok());  // main and body recorded; iterations 2-5 planned
  ASSERT_TRUE((*s)->Run(feeds).ok());
  before = Storage::allocation_count();
  auto got = (*s)->Run(feeds);
  const int64_t planned = Storage::allocation_count() - before;
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(Floats((*got)[0].value.tensor), Floats((*want)[0].value.tensor));
  // Each of the 5 iterations allocates Loop's iteration-number and condition scalars, then the
  // body's t, u and v_out. Planned, t and u live in the body's arena; what remains is the
  // loop-carried v_out, handed back to Loop (and finally the caller's y).
  EXPECT_EQ(unplanned, 5 * (2 + 3));
  EXPECT_EQ(planned, 5 * (2 + 1));
  auto reports = (*s)->MemoryReports();
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0].graph, "main");
  EXPECT_EQ(reports[1].graph, "main/Loop_0.body");
  EXPECT_EQ(reports[1].buffers, 2);  // t, u (u written over t)
  EXPECT_EQ(reports[1].inplace, 1);
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

TEST(RunMemory, EightThreadsShareOneSessionWithALoop) {
  SessionOptions off = Opts();
  off.memory_planning = false;
  auto ref = Session::Create(LoopModel(), off);
  SessionOptions so = Opts(3);
  so.poison_arena = true;
  auto s = Session::Create(LoopModel(), so);
  ASSERT_TRUE(ref.ok() && s.ok());
  constexpr int kThreads = 8, kRuns = 20;
  auto feeds = [](int t) {
    const int64_t n = 1 + t % 3;
    std::vector<float> xs(n * 32), ws(32);
    for (size_t i = 0; i < xs.size(); ++i) xs[i] = std::sin(0.1f * i + t);
    for (size_t i = 0; i < ws.size(); ++i) ws[i] = std::cos(0.2f * i - t);
    return std::vector<NamedValue>{{"x", AnyValue(Tensor::FromVector<float>(xs, {n, 32}))},
                                   {"w", AnyValue(Tensor::FromVector<float>(ws, {32}))}};
  };
  std::vector<std::vector<float>> want(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    auto r = (*ref)->Run(feeds(t));
    ASSERT_TRUE(r.ok());
    want[t] = Floats((*r)[0].value.tensor);
  }
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const auto f = feeds(t);
      for (int i = 0; i < kRuns; ++i) {
        auto r = (*s)->Run(f);
        if (!r.ok() || Floats((*r)[0].value.tensor) != want[t]) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(RunMemory, EightThreadsShareOneSessionWithAConv) {
  // Conv (+Relu, fused at level 3) and MaxPool on oneDNN: packed weights and the primitive cache
  // are shared by all threads; blocked copies and scratchpads are per-run scratch in the arena.
  auto build = [] {
    ModelBuilder b;
    b.Input("x", {-1, 3, 12, 12}).RandomInit("w", {8, 3, 3, 3}).RandomInit("bias", {8});
    b.Node("Conv", {"x", "w", "bias"}, {"c"}, {IntsAttr("pads", {1, 1, 1, 1})});
    b.Node("Relu", {"c"}, {"r"});
    b.Node("MaxPool", {"r"}, {"y"},
           {IntsAttr("kernel_shape", {2, 2}), IntsAttr("strides", {2, 2})});
    b.Output("y");
    return b.Build();
  };
  SessionOptions off = Opts();
  off.memory_planning = false;
  auto ref = Session::Create(build(), off);
  SessionOptions so = Opts(3);
  so.poison_arena = true;
  auto s = Session::Create(build(), so);
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  constexpr int kThreads = 8, kRuns = 10;
  auto input = [](int t) {
    const int64_t n = 1 + t % 2;
    std::vector<float> xs(n * 3 * 12 * 12);
    for (size_t i = 0; i < xs.size(); ++i) xs[i] = std::sin(0.05f * i + t);
    return Tensor::FromVector<float>(xs, {n, 3, 12, 12});
  };
  std::vector<std::vector<float>> want(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    auto r = (*ref)->Run({{"x", input(t)}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    want[t] = Floats((*r)[0].value.tensor);
  }
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const Tensor x = input(t);
      for (int i = 0; i < kRuns; ++i) {
        auto r = (*s)->Run({{"x", x}});
        if (!r.ok()) {
          ++mismatches[t];
          continue;
        }
        const std::vector<float> got = Floats((*r)[0].value.tensor);
        bool close = got.size() == want[t].size();
        for (size_t j = 0; close && j < got.size(); ++j) {
          close = std::fabs(got[j] - want[t][j]) <= 1e-5f * (1 + std::fabs(want[t][j]));
        }
        if (!close) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
  auto reports = (*s)->MemoryReports();
  ASSERT_EQ(reports.size(), 2u);  // batch 1 and batch 2
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
  TestKernels k;
  k.Add("ReadsUninitialized", ReadsUninitialized);
  ModelBuilder b;
  b.Input("x", {4});
  b.Node("ReadsUninitialized", {"x"}, {"u"}, {}, "test", 1).Node("Neg", {"u"}, {"y"}).Output("y");
  SessionOptions so = Opts();
  so.poison_arena = true;
  auto session = k.Create(b, so);
  ASSERT_NE(session, nullptr);
  Tensor x = Tensor::FromVector<float>({1, 2, 3, 4}, {4});
  auto recorded = session->Run({{"x", x}});
  auto planned = session->Run({{"x", x}});
  ASSERT_TRUE(recorded.ok() && planned.ok());
  EXPECT_EQ(Floats((*recorded)[0].value.tensor), (std::vector<float>(4, -0.0f)));  // heap: zeros
  for (float v : Floats((*planned)[0].value.tensor)) EXPECT_TRUE(std::isnan(v));
}

#if defined(__SANITIZE_ADDRESS__)
// Writes one float past the end of its output: on every call, or from its second call on.
Status WritePastTheOutput(KernelContext& ctx) {
  const Tensor* x = ctx.Input(0);
  KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->dims()));
  float* p = y->data<float>();
  for (int64_t i = 0; i <= x->numel(); ++i) p[i] = 1.0f;
  return Status::Ok();
}
Status WritesPastItsOutputFromItsSecondCall(KernelContext& ctx) {
  static std::atomic<int> calls{0};
  if (++calls >= 2) return WritePastTheOutput(ctx);
  const Tensor* x = ctx.Input(0);
  KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x->dtype(), x->dims()));
  std::memcpy(y->raw_data(), x->raw_data(), x->nbytes());
  return Status::Ok();
}

// Only in AddressSanitizer builds (scripts/sanitize.sh): heap blocks are poisoned past the bytes
// asked for, and the arena outside the bytes handed out in this run.
TEST(RunMemoryDeathTest, AddressSanitizerSeesWritesPastAnOutput) {
  TestKernels k;
  k.Add("Always", WritePastTheOutput).Add("Second", WritesPastItsOutputFromItsSecondCall);
  auto session = [&](const std::string& op) {
    ModelBuilder b;
    b.Input("x", {4});
    b.Node(op, {"x"}, {"u"}, {}, "test", 1).Node("Neg", {"u"}, {"y"}).Output("y");
    return k.Create(b, Opts());
  };
  Tensor x = Tensor::FromVector<float>({1, 2, 3, 4}, {4});
  // The recorded run: u is a heap block of 16 bytes (in 64 allocated).
  auto heap = session("Always");
  EXPECT_DEATH((void)heap->Run({{"x", x}}), "use-after-poison");
  // The planned run: u is a 64-byte slot of the arena, of which 16 bytes are handed out.
  auto planned = session("Second");
  ASSERT_TRUE(planned->Run({{"x", x}}).ok());  // recorded, well-behaved
  EXPECT_DEATH((void)planned->Run({{"x", x}}), "use-after-poison");
}
#endif

}  // namespace
}  // namespace kiln::test
