// A stand-in device for tests on machines without a GPU: it calls itself cuda, and its "device
// memory" is host memory, so placement, copies, device arenas, streams and graph capture can be
// checked, and the few device kernels registered here compute. Counters tell what the runtime
// asked of it. Kernels put their work on the stream (FakeStream::Enqueue), so a capture records
// it and a graph launch replays it, as on a GPU.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kernels/api/device.h"
#include "kernels/api/kernel.h"
#include "kernels/cpu/register.h"
#include "passes/pass_test_util.h"
#include "runtime/session.h"

namespace kiln::test {

// Host memory tagged as the device's, with counters.
struct FakeCounters {
  std::atomic<int> allocations{0};
  std::atomic<int> streams{0};
  std::atomic<int> to_device{0};
  std::atomic<int> to_host{0};
  std::atomic<int> syncs{0};
  std::atomic<int> captures{0};  // BeginCapture calls
  std::atomic<int> launches{0};  // graph launches
  std::atomic<int> work{0};      // work items run (kernels, copies, fills), replayed ones included
  std::atomic<int> runs{0};      // Run calls of the element-wise device kernels
};

// Recorded work: replayed in order by Launch.
class FakeGraph final : public DeviceGraph {
 public:
  FakeGraph(FakeCounters* c, std::vector<std::function<void()>> work)
      : c_(c), work_(std::move(work)) {}
  Status Launch(DeviceStream&) override {
    ++c_->launches;
    for (const auto& w : work_) {
      ++c_->work;
      w();
    }
    return Status::Ok();
  }

 private:
  FakeCounters* c_;
  std::vector<std::function<void()>> work_;
};

class FakeStream final : public DeviceStream {
 public:
  explicit FakeStream(FakeCounters* c) : c_(c) {}
  // Runs `work` now, or records it while capturing.
  void Enqueue(std::function<void()> work) {
    if (capturing_) {
      recorded_.push_back(std::move(work));
    } else {
      ++c_->work;
      work();
    }
  }
  Status CopyToDevice(void* dst, const void* src, size_t bytes) override {
    ++c_->to_device;
    // As the CUDA stream does: the bytes are taken now (a capture keeps its own copy of them).
    auto staged = std::make_shared<std::vector<char>>(static_cast<const char*>(src),
                                                      static_cast<const char*>(src) + bytes);
    Enqueue([dst, staged] { std::memcpy(dst, staged->data(), staged->size()); });
    return Status::Ok();
  }
  Status CopyToHost(void* dst, const void* src, size_t bytes) override {
    if (capturing_) return Unsupported("fake stream: CopyToHost while capturing");
    ++c_->to_host;
    std::memcpy(dst, src, bytes);
    return Status::Ok();
  }
  Status CopyOnDevice(void* dst, const void* src, size_t bytes) override {
    Enqueue([dst, src, bytes] { std::memcpy(dst, src, bytes); });
    return Status::Ok();
  }
  Status Fill(void* dst, uint8_t value, size_t bytes) override {
    Enqueue([dst, value, bytes] { std::memset(dst, value, bytes); });
    return Status::Ok();
  }
  Status Synchronize() override {
    if (capturing_) return Unsupported("fake stream: Synchronize while capturing");
    ++c_->syncs;
    return Status::Ok();
  }
  Status BeginCapture() override {
    if (capturing_) return Unsupported("fake stream: already capturing");
    ++c_->captures;
    capturing_ = true;
    return Status::Ok();
  }
  StatusOr<std::unique_ptr<DeviceGraph>> EndCapture() override {
    if (!capturing_) return Unsupported("fake stream: not capturing");
    capturing_ = false;
    return std::unique_ptr<DeviceGraph>(new FakeGraph(c_, std::move(recorded_)));
  }

 private:
  FakeCounters* c_;
  bool capturing_ = false;
  std::vector<std::function<void()>> recorded_;
};

class FakeBackend final : public DeviceBackend {
 public:
  explicit FakeBackend(FakeCounters* c, Status available = Status::Ok())
      : c_(c), available_(std::move(available)) {}
  Device device() const override { return Device::kCuda; }
  Status Available() const override { return available_; }
  std::string Describe() const override { return "fake device (host memory)"; }
  size_t alignment() const override { return 256; }
  StatusOr<std::shared_ptr<Storage>> Allocate(size_t bytes) const override {
    ++c_->allocations;
    void* p = bytes ? std::aligned_alloc(256, (bytes + 255) / 256 * 256) : nullptr;
    return Storage::Adopt(p, bytes, Device::kCuda, [](void* q) { std::free(q); });
  }
  StatusOr<std::unique_ptr<DeviceStream>> CreateStream() const override {
    ++c_->streams;
    return std::unique_ptr<DeviceStream>(new FakeStream(c_));
  }

 private:
  FakeCounters* c_;
  Status available_;
};

// Device kernels: they insist on device inputs (host ones where declared) and a stream.
inline Status CheckOnDevice(const KernelContext& ctx, const std::vector<int>& host = {}) {
  if (ctx.stream() == nullptr || ctx.device() != Device::kCuda) {
    return ctx.Error(StatusCode::kInternal, "no device stream");
  }
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor* t = ctx.Input(i);
    if (t == nullptr) continue;
    const bool want_host = std::find(host.begin(), host.end(), i) != host.end();
    if ((t->device() == Device::kCpu) != want_host) {
      return ctx.Error(StatusCode::kInternal, "input " + std::to_string(i) + " on the wrong device");
    }
  }
  return Status::Ok();
}

template <typename F>
KernelFactory Elementwise(F f, bool binary, FakeCounters* c = nullptr) {
  return Stateless([f, binary, c](KernelContext& ctx) -> Status {
    KILN_RETURN_IF_ERROR(CheckOnDevice(ctx));
    if (c != nullptr) ++c->runs;
    const Tensor& a = *ctx.Input(0);
    if (binary && ctx.Input(1)->dims() != a.dims()) return ctx.Unsupported("no broadcasting");
    KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, a.dtype(), a.dims()));
    if (y->device() != Device::kCuda) return ctx.Error(StatusCode::kInternal, "host output");
    // The work goes on the stream, as a device kernel's launch would: a capture records it.
    const float* pa = a.data<float>();
    const float* pb = binary ? ctx.Input(1)->data<float>() : nullptr;
    float* py = y->data<float>();
    const int64_t n = a.numel();
    static_cast<FakeStream*>(ctx.stream())->Enqueue([f, pa, pb, py, n] {
      for (int64_t i = 0; i < n; ++i) py[i] = f(pa[i], pb != nullptr ? pb[i] : 0.f);
    });
    return Status::Ok();
  });
}

inline void RegisterFakeDevice(KernelRegistry& r, FakeCounters* c, Status available = Status::Ok()) {
  r.RegisterDevice(std::make_shared<FakeBackend>(c, std::move(available)));
  const std::vector<DataType> f32 = {DataType::kFloat};
  r.Register(KernelDef("Relu").Opsets(14).OnDevice(Device::kCuda).Types("T", {0}, f32),
             Elementwise([](float x, float) { return x > 0 ? x : 0.f; }, false, c));
  r.Register(
      KernelDef("Add").Opsets(14).OnDevice(Device::kCuda).Types("T", {0, 1}, f32).Inplace(0, 0),
      Elementwise([](float x, float y) { return x + y; }, true, c));
  // Reshape reads its shape on the host and makes a view on the device.
  r.Register(KernelDef("Reshape")
                 .Opsets(14)
                 .OnDevice(Device::kCuda)
                 .Types("T", {0}, f32)
                 .HostInputs({1})
                 .Alias(0, 0),
             Stateless([](KernelContext& ctx) -> Status {
               KILN_RETURN_IF_ERROR(CheckOnDevice(ctx, {1}));
               const Tensor& shape = *ctx.Input(1);
               std::vector<int64_t> dims(shape.data<int64_t>(),
                                         shape.data<int64_t>() + shape.numel());
               int64_t known = 1, infer = -1;
               for (size_t i = 0; i < dims.size(); ++i) {
                 if (dims[i] == -1) {
                   infer = static_cast<int64_t>(i);
                 } else {
                   known *= dims[i];
                 }
               }
               if (infer >= 0) dims[infer] = ctx.Input(0)->numel() / known;
               KILN_ASSIGN_OR_RETURN(Tensor v, ctx.Input(0)->Reshaped(dims));
               return ctx.SetOutput(0, AnyValue(std::move(v)));
             }));
  // Shape reads only dims: its result is written on the host.
  r.Register(KernelDef("Shape").Opsets(15).OnDevice(Device::kCuda).HostOutputs({0}),
             Stateless([](KernelContext& ctx) -> Status {
               KILN_RETURN_IF_ERROR(CheckOnDevice(ctx));
               const Tensor& x = *ctx.Input(0);
               KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kInt64, {x.rank()}));
               if (y->device() != Device::kCpu) return ctx.Error(StatusCode::kInternal, "device");
               for (int i = 0; i < x.rank(); ++i) y->data<int64_t>()[i] = x.dim(i);
               return Status::Ok();
             }));
}

struct Fixture {
  FakeCounters counters;
  KernelRegistry reg;
  explicit Fixture(Status available = Status::Ok()) {
    RegisterCpuKernels(reg);
    RegisterFakeDevice(reg, &counters, std::move(available));
  }
  SessionOptions Options(int level = 0, bool strict = false) {
    SessionOptions so;
    so.devices = {Device::kCuda, Device::kCpu};
    so.registry = &reg;
    so.optimization_level = level;
    so.strict_placement = strict;
    return so;
  }
};

inline Tensor Floats(std::vector<float> v, std::vector<int64_t> dims) {
  return Tensor::FromVector<float>(v, std::move(dims));
}

inline std::vector<float> Values(const AnyValue& v) {
  EXPECT_TRUE(v.is_tensor());
  EXPECT_EQ(v.tensor.device(), Device::kCpu);
  return std::vector<float>(v.tensor.data<float>(), v.tensor.data<float>() + v.tensor.numel());
}

// n (int64 [2]) * [1, 1] -> shape; Reshape(Relu(x [2, 6]), shape) -> y: a reshape to a shape the
// run's input gives. Declared types let placement see integer tensors (shape inference does this
// in real models).
inline Model ReshapeToAnInputShape() {
  ModelBuilder b(17);
  b.Input("n", {2}, DataType::kInt64).Input("x", {2, 6});
  b.Init("one", Tensor::FromVector<int64_t>({1, 1}));
  b.Node("Mul", {"n", "one"}, {"shape"}).Node("Relu", {"x"}, {"r"});
  b.Node("Reshape", {"r", "shape"}, {"y"}).Output("y");
  Model m = b.Build();
  Graph& g = *m.graph;
  g.mutable_value(g.FindValue("one")).type = TypeInfo::Tensor(DataType::kInt64);
  g.mutable_value(g.FindValue("shape")).type = TypeInfo::Tensor(DataType::kInt64);
  return m;
}

}  // namespace kiln::test
