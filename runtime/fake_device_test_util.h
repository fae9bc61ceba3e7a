// A stand-in device for tests on machines without a GPU: it calls itself cuda, and its "device
// memory" is host memory, so placement, copies, device arenas and streams can be checked (and
// device kernels written for the tests can compute). Counters tell what the runtime asked of it.
#pragma once

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "runtime/device.h"

namespace kiln::test {

// Host memory tagged as the device's, with counters.
struct FakeCounters {
  std::atomic<int> allocations{0};
  std::atomic<int> streams{0};
  std::atomic<int> to_device{0};
  std::atomic<int> to_host{0};
  std::atomic<int> syncs{0};
};

class FakeStream final : public DeviceStream {
 public:
  explicit FakeStream(FakeCounters* c) : c_(c) {}
  Status CopyToDevice(void* dst, const void* src, size_t bytes) override {
    ++c_->to_device;
    std::memcpy(dst, src, bytes);
    return Status::Ok();
  }
  Status CopyToHost(void* dst, const void* src, size_t bytes) override {
    ++c_->to_host;
    std::memcpy(dst, src, bytes);
    return Status::Ok();
  }
  Status CopyOnDevice(void* dst, const void* src, size_t bytes) override {
    std::memcpy(dst, src, bytes);
    return Status::Ok();
  }
  Status Fill(void* dst, uint8_t value, size_t bytes) override {
    std::memset(dst, value, bytes);
    return Status::Ok();
  }
  Status Synchronize() override {
    ++c_->syncs;
    return Status::Ok();
  }

 private:
  FakeCounters* c_;
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

}  // namespace kiln::test
