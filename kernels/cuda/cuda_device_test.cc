// The CUDA device: on a machine without a GPU, the reason it is unavailable and placement of real
// models on the CUDA kernels' registrations (paired with a stand-in device, nothing runs on a GPU);
// with a GPU, copies through the real device.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "kernels/cuda/cuda_test_util.h"
#include "runtime/fake_device_test_util.h"
#include "runtime/session.h"
#if defined(KILN_WITH_CUDA)
#include "kernels/builtin/plugins.h"
#endif

namespace kiln {
namespace {

TEST(CudaDevice, AvailabilityIsReportedAndASessionWithoutItSaysWhy) {
  Status s = DeviceStatus(Device::kCuda);
#if !defined(KILN_WITH_CUDA)
  EXPECT_NE(s.message().find("not compiled into this build"), std::string::npos) << s.ToString();
#endif
  if (s.ok()) {
    std::printf("[ cuda     ] %s\n", DeviceDescription(Device::kCuda).c_str());
    return;
  }
  std::printf("[ cuda     ] not available here: %s\n", s.ToString().c_str());
  std::vector<Tensor> in = {Tensor::FromVector<float>({1, -2, 3})};
  SessionOptions so;
  so.devices = {Device::kCuda, Device::kCpu};
  auto r = RunSingleNodeWith(so, "Relu", 14, in, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("device 'cuda' is not available"), std::string::npos)
      << r.status().ToString();
}

TEST(CudaDevice, CopiesRoundTripThroughTheGpu) {
  KILN_REQUIRE_CUDA();
  const DeviceBackend* b = DefaultRegistry().Backend(Device::kCuda);
  ASSERT_NE(b, nullptr);
  auto stream = b->CreateStream();
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  // Larger than the pinned staging buffer, so the copies go in several chunks.
  Tensor x(DataType::kFloat, {5, 1 << 20});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>(i % 977);
  auto d = CopyTensorToDevice(x, *b, **stream);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->device(), Device::kCuda);
  auto d2 = CopyTensorOnDevice(*d, *b, **stream);
  ASSERT_TRUE(d2.ok()) << d2.status().ToString();
  auto h = CopyTensorToHost(*d2, **stream);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ(h->dims(), x.dims());
  EXPECT_EQ(std::memcmp(h->raw_data(), x.raw_data(), x.nbytes()), 0);
  ASSERT_TRUE((*stream)->Fill(d->raw_data(), 0, d->nbytes()).ok());
  auto z = CopyTensorToHost(*d, **stream);
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(z->data<float>()[12345], 0.f);
}

#if defined(KILN_WITH_CUDA) && defined(KILN_BACKEND_DATA_DIR)
// The generated backend data (scripts/test.sh): the build's, unless the environment's
// KILN_BACKEND_DATA_DIR names another copy (scripts/gpu_check.sh, on a machine without the build).
std::string BackendDataDir() {
  const char* env = std::getenv("KILN_BACKEND_DATA_DIR");
  return env != nullptr ? std::string(env) : std::string(KILN_BACKEND_DATA_DIR);
}

// The light real models of the backend suite (AlexNet, DenseNet-121, Inception v1/v2, ResNet-50,
// ShuffleNet, SqueezeNet, VGG-19, ZFNet-512), placed on the CUDA kernels' registrations with a
// stand-in device: every node should find a CUDA kernel. Loading creates every kernel and uploads
// every weight (to host memory here); nothing runs.
TEST(CudaPlacement, LightModelsRunEveryNodeOnTheGpu) {
  KernelRegistry reg;
  RegisterCpuKernels(reg);
  test::FakeCounters counters;
  reg.RegisterDevice(std::make_shared<test::FakeBackend>(&counters));
  ASSERT_TRUE(RegisterPluginKernels(Device::kCuda, reg).ok());
  ASSERT_TRUE(reg.status().ok()) << reg.status().ToString();
  const std::vector<std::string> models = {"bvlc_alexnet", "densenet121", "inception_v1",
                                           "inception_v2", "resnet50",     "shufflenet",
                                           "squeezenet",   "vgg19",        "zfnet512"};
  for (const std::string& m : models) {
    const std::string path = BackendDataDir() + "/light/test_" + m + "/model.onnx";
    if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
      std::fclose(f);
    } else {
      ADD_FAILURE() << path << " is missing: generate the backend data first (scripts/test.sh)";
      continue;
    }
    SessionOptions so;
    so.devices = {Device::kCuda, Device::kCpu};
    so.registry = &reg;
    auto s = Session::Load(path, so);
    ASSERT_TRUE(s.ok()) << m << ": " << s.status().ToString();
    const PlacementReport& p = (*s)->placement();
    std::printf("[ placement] %s: %s\n", m.c_str(), p.Summary().c_str());
    EXPECT_EQ(p.CountOn(Device::kCpu), 0) << m << ":\n" << p.ToString();
    EXPECT_GT(p.CountOn(Device::kCuda), 0) << m;
    // And each can be recorded as one CUDA graph (the load checks the capture layout).
    so.graph_capture = true;
    auto captured = Session::Load(path, so);
    EXPECT_TRUE(captured.ok()) << m << " with graph capture: " << captured.status().ToString();
  }
}

// Models exported by scripts/export_models.py (BERT-base, GPT-2: not part of the backend data),
// when KILN_MODELS_DIR names their folder: placement and graph capture on the CUDA registrations.
TEST(CudaPlacement, ExportedModelsPlaceAndCapture) {
  const char* dir = std::getenv("KILN_MODELS_DIR");
  if (dir == nullptr) GTEST_SKIP() << "KILN_MODELS_DIR is not set (scripts/export_models.py OUTDIR)";
  KernelRegistry reg;
  RegisterCpuKernels(reg);
  test::FakeCounters counters;
  reg.RegisterDevice(std::make_shared<test::FakeBackend>(&counters));
  ASSERT_TRUE(RegisterPluginKernels(Device::kCuda, reg).ok());
  int found = 0;
  for (const char* m : {"resnet50", "mobilenet_v2", "bert-base", "gpt2"}) {
    const std::string path = std::string(dir) + "/" + m + ".onnx";
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) continue;
    std::fclose(f);
    ++found;
    SessionOptions so;
    so.devices = {Device::kCuda, Device::kCpu};
    so.registry = &reg;
    auto s = Session::Load(path, so);
    ASSERT_TRUE(s.ok()) << m << ": " << s.status().ToString();
    std::printf("[ placement] %s: %s\n", m, (*s)->placement().Summary().c_str());
    for (const auto& n : (*s)->placement().nodes) {  // what falls back, and why
      if (n.device == Device::kCpu && n.reason != "shape arithmetic") {
        std::printf("[ on cpu   ]   %s '%s' (%s)\n", n.op.c_str(), n.name.c_str(), n.reason.c_str());
      }
    }
    so.graph_capture = true;
    auto captured = Session::Load(path, so);
    ASSERT_TRUE(captured.ok()) << m << " with graph capture: " << captured.status().ToString();
    std::printf("[ capture  ] %s: %s\n", m, (*captured)->placement().Summary().c_str());
  }
  EXPECT_GT(found, 0) << "no exported model in " << dir;
}
#endif

}  // namespace
}  // namespace kiln
