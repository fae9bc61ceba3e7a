// SessionOptions::intra_op_threads: the CPU kernels of a run see the session's thread count, and
// the calling thread's own setting is back after the run.
#include <gtest/gtest.h>

#include <sched.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "kernels/api/default_registry.h"
#include "kernels/cpu/register.h"
#include "passes/pass_test_util.h"
#include "runtime/session.h"

namespace kiln::test {
namespace {

// test.Threads(X) -> Y: a copy of X that records the kernel threads it was run with.
class ThreadsKernel : public Kernel {
 public:
  explicit ThreadsKernel(std::atomic<int>* seen) : seen_(seen) {}
  Status Run(KernelContext& ctx) const override {
    seen_->store(CpuKernelThreads());
    const Tensor& x = *ctx.Input(0);
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x.dtype(), x.dims()));
    std::memcpy(y->raw_data(), x.raw_data(), x.nbytes());
    return Status::Ok();
  }

 private:
  std::atomic<int>* seen_;
};

struct Fixture {
  std::atomic<int> seen{0};
  KernelRegistry reg;
  Fixture() {
    RegisterCpuKernels(reg);
    reg.Register(KernelDef("Threads", "test").Opsets(1).Types("T", {0}, {DataType::kFloat}),
                 [this](const KernelInfo&) -> StatusOr<std::unique_ptr<Kernel>> {
                   return std::unique_ptr<Kernel>(new ThreadsKernel(&seen));
                 });
  }
  StatusOr<std::unique_ptr<Session>> Load(int threads) {
    ModelBuilder b(17);
    b.Input("x", {2}, DataType::kFloat);
    b.Node("Threads", {"x"}, {"y"}, {}, "test").Output("y");
    Model m = b.Build();
    m.opset_imports["test"] = 1;
    SessionOptions so;
    so.registry = &reg;
    so.intra_op_threads = threads;
    return Session::Create(std::move(m), so);
  }
  // The threads the kernel saw in one run on the calling thread.
  int RunOnce(const Session& s) {
    seen = 0;
    auto out = s.Run({{"x", Tensor::FromVector<float>({1, 2}, {2})}});
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return seen.load();
  }
};

TEST(IntraOpThreads, RunsSeeTheSessionsCountAndTheCallersComesBack) {
  Fixture f;
  const int mine = CpuKernelThreads();
  ASSERT_GE(mine, 1);
  for (int threads : {1, 3, 5}) {
    auto s = f.Load(threads);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(f.RunOnce(**s), threads);
    EXPECT_EQ(CpuKernelThreads(), mine) << "the caller's setting after a run";
  }
  // 0: the cores the process may use; with OMP_NUM_THREADS set, the caller's own setting.
  auto plain = f.Load(0);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  const int def = DefaultCpuKernelThreads();
  SetCpuKernelThreads(4);
  EXPECT_EQ(f.RunOnce(**plain), def > 0 ? def : 4);
  EXPECT_EQ(CpuKernelThreads(), 4);
  SetCpuKernelThreads(mine);
}

// The default count: between 1 and the CPUs of the process's affinity mask (the cgroup quota can
// only lower it); 0 exactly when OMP_NUM_THREADS is set.
TEST(IntraOpThreads, DefaultIsTheCoresThisProcessMayUse) {
  const int def = DefaultCpuKernelThreads();
  if (std::getenv("OMP_NUM_THREADS") != nullptr) {
    EXPECT_EQ(def, 0);
    return;
  }
  cpu_set_t set;
  ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  EXPECT_GE(def, 1);
  EXPECT_LE(def, CPU_COUNT(&set));
}

TEST(IntraOpThreads, EachCallingThreadHasItsOwn) {
  Fixture f;
  auto one = f.Load(1);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  int in_thread = 0, after = 0;
  std::thread t([&] {
    SetCpuKernelThreads(3);
    in_thread = f.RunOnce(**one);
    after = CpuKernelThreads();
  });
  t.join();
  EXPECT_EQ(in_thread, 1);
  EXPECT_EQ(after, 3);
}

}  // namespace
}  // namespace kiln::test
