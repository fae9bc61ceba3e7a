// Kernel::Prepare and KernelContext::state(): a kernel's shape-dependent state is made once per
// input-shape signature, on the run the memory plan records, and handed to later runs with the
// same input shapes only.
#include <gtest/gtest.h>

#include <atomic>

#include "kernels/cpu/register.h"
#include "passes/pass_test_util.h"
#include "runtime/session.h"

namespace kiln::test {
namespace {

struct Counts {
  std::atomic<int> prepared{0};
  std::atomic<int> with_state{0};
  std::atomic<int> without_state{0};
};

// Remembers the dims it was prepared for; Run checks them against its input.
struct DimsState final : KernelState {
  std::vector<int64_t> dims;
};

// test.Probe(X) -> Y: a copy of X (int64) that counts what the runtime gave it.
class ProbeKernel : public Kernel {
 public:
  explicit ProbeKernel(Counts* c) : c_(c) {}
  StatusOr<std::shared_ptr<const KernelState>> Prepare(KernelContext& ctx) const override {
    ++c_->prepared;
    auto s = std::make_shared<DimsState>();
    s->dims = ctx.Input(0)->dims();
    return std::shared_ptr<const KernelState>(std::move(s));
  }
  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    if (const DimsState* s = ctx.state<DimsState>()) {
      if (s->dims != x.dims()) return ctx.Error(StatusCode::kInternal, "state of other dims");
      ++c_->with_state;
    } else {
      ++c_->without_state;
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, x.dtype(), x.dims()));
    std::memcpy(y->raw_data(), x.raw_data(), x.nbytes());
    return Status::Ok();
  }

 private:
  Counts* c_;
};

struct Fixture {
  Counts counts;
  KernelRegistry reg;
  Fixture() {
    RegisterCpuKernels(reg);
    reg.Register(KernelDef("Probe", "test").Opsets(1).Types("T", {0}, {DataType::kInt64}),
                 [this](const KernelInfo&) -> StatusOr<std::unique_ptr<Kernel>> {
                   return std::unique_ptr<Kernel>(new ProbeKernel(&counts));
                 });
  }
  SessionOptions Options(bool planning = true) {
    SessionOptions so;
    so.registry = &reg;
    so.optimization_level = 0;
    so.memory_planning = planning;
    return so;
  }
};

// x -> NonZero -> Probe -> y: Probe's input shape depends on x's values, not only its shape.
Model NonZeroProbe() {
  ModelBuilder b(17);
  b.Input("x", {-1}, DataType::kFloat);
  b.Node("NonZero", {"x"}, {"nz"}).Node("Probe", {"nz"}, {"y"}, {}, "test").Output("y");
  Model m = b.Build();
  m.opset_imports["test"] = 1;
  return m;
}

Tensor Floats(std::vector<float> v) {
  const int64_t n = static_cast<int64_t>(v.size());
  return Tensor::FromVector<float>(std::move(v), {n});
}

TEST(KernelState, PreparedOncePerSignatureAndGivenToLaterRuns) {
  Fixture f;
  auto s = Session::Create(NonZeroProbe(), f.Options());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  for (int i = 0; i < 3; ++i) {
    auto out = (*s)->Run({{"x", Floats({1, 0, 2, 3})}});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ((*out)[0].value.tensor.dims(), (std::vector<int64_t>{1, 3}));
  }
  EXPECT_EQ(f.counts.prepared.load(), 1);
  EXPECT_EQ(f.counts.with_state.load(), 3);  // the prepared run uses it too
  // A new signature is prepared anew.
  auto out = (*s)->Run({{"x", Floats({1, 1})}});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(f.counts.prepared.load(), 2);
}

TEST(KernelState, InputShapesThatDifferFromThePreparedOnesGetNoState) {
  Fixture f;
  auto s = Session::Create(NonZeroProbe(), f.Options());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto first = (*s)->Run({{"x", Floats({1, 0, 2, 3})}});  // Probe sees [1, 3]
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = (*s)->Run({{"x", Floats({1, 0, 0, 3})}});  // same signature, Probe sees [1, 2]
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ((*second)[0].value.tensor.dims(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(f.counts.prepared.load(), 1);
  EXPECT_EQ(f.counts.with_state.load(), 1);
  EXPECT_EQ(f.counts.without_state.load(), 1);
}

TEST(KernelState, WithoutMemoryPlanningNothingIsPrepared) {
  Fixture f;
  auto s = Session::Create(NonZeroProbe(), f.Options(/*planning=*/false));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  for (int i = 0; i < 2; ++i) ASSERT_TRUE((*s)->Run({{"x", Floats({1, 2})}}).ok());
  EXPECT_EQ(f.counts.prepared.load(), 0);
  EXPECT_EQ(f.counts.without_state.load(), 2);
}

}  // namespace
}  // namespace kiln::test
