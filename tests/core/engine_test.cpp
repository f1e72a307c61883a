// The engine: backend registry, selection, missing kernels, transparent data movement,
// profiling.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

#include "strata/backend.h"
#include "strata/strata.h"

namespace st = strata;

namespace {

// A device whose memory the host may not touch directly (like a GPU): it keeps its own copies,
// so moving a tensor to it must go through upload/download.
class FakeDevice : public st::Backend {
 public:
  void* allocate(size_t bytes) override { return std::malloc(bytes ? bytes : 1); }
  void deallocate(void* p, size_t) override { std::free(p); }
  void upload(void* dst, const void* src, size_t n) override {
    std::memcpy(dst, src, n);
    ++uploads;
  }
  void download(void* dst, const void* src, size_t n) override {
    std::memcpy(dst, src, n);
    ++downloads;
  }
  static inline int uploads = 0, downloads = 0;
};

// The fake device's own Add for same-shape float32 inputs.
void fakeAdd(const st::KernelCall& c) {
  const float* a = c.in(0).as<float>();
  const float* b = c.in(1).as<float>();
  float* o = c.out().as<float>();
  for (int64_t i = 0; i < c.out().size; ++i) o[i] = a[i] + b[i];
}

// Registered on first use, not at static initialization, so the op suites (whose parameters are
// built from the available backends before any test runs) never see these test backends.
void registerTestBackends() {
  static bool done = false;
  if (done) return;
  done = true;
  st::registerBackend("fake_device", [] { return std::make_unique<FakeDevice>(); }, -10);
  st::registerKernel("fake_device", "Add", fakeAdd);
  st::registerBackend("fake_host", [] { return std::make_unique<st::HostBackend>(); }, -20,
                      {.kernelFallback = "reference"});
  st::registerBackend("broken", []() -> std::unique_ptr<st::Backend> { throw st::Error("no such device"); }, -30);
}

}  // namespace

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { registerTestBackends(); }
  void TearDown() override { st::setBackend("reference"); }
};

TEST_F(EngineTest, RegistryListsBackendsByPriority) {
  auto names = st::backendNames();
  auto pos = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) - names.begin(); };
  EXPECT_LT(pos("reference"), pos("fake_device"));
  EXPECT_LT(pos("fake_device"), pos("fake_host"));
  EXPECT_FALSE(st::registerBackend("reference", [] { return std::make_unique<st::HostBackend>(); }, 0));
}

TEST_F(EngineTest, SetBackendErrorsNameTheAvailableBackends) {
  try {
    st::setBackend("nonexistent");
    FAIL();
  } catch (const st::Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("nonexistent"), std::string::npos) << m;
    EXPECT_NE(m.find("reference"), std::string::npos) << m;
  }
  try {
    st::setBackend("broken");
    FAIL();
  } catch (const st::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no such device"), std::string::npos) << e.what();
  }
  bool found = false;
  for (const auto& s : st::backendStatus())
    if (s.name == "broken") {
      found = true;
      EXPECT_FALSE(s.available);
      EXPECT_EQ(s.reason, "no such device");
    }
  EXPECT_TRUE(found);
}

TEST_F(EngineTest, EnvironmentOverridesTheDefault) {
  ::setenv("STRATA_BACKEND", "fake_host", 1);
  EXPECT_EQ(st::defaultBackend(), "fake_host");
  ::setenv("STRATA_BACKEND", "nonexistent", 1);
  EXPECT_THROW(st::defaultBackend(), st::Error);
  ::unsetenv("STRATA_BACKEND");
  std::string best;
  for (const auto& s : st::backendStatus())
    if (s.available && best.empty()) best = s.name;
  EXPECT_EQ(st::defaultBackend(), best);  // the highest-priority backend that initializes
}

TEST_F(EngineTest, MissingKernelNamesOpAndBackend) {
  st::setBackend("reference");
  auto x = st::tensor({1, 2});
  st::setBackend("fake_device");
  try {
    st::exp(x);
    FAIL();
  } catch (const st::Error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("'Exp'"), std::string::npos) << m;
    EXPECT_NE(m.find("'fake_device'"), std::string::npos) << m;
    EXPECT_NE(m.find("reference"), std::string::npos) << m;  // where it does exist
  }
}

TEST_F(EngineTest, TensorsMoveTransparentlyBetweenBackends) {
  st::setBackend("reference");
  auto a = st::tensor({1, 2, 3});
  auto b = st::tensor({10, 20, 30});
  st::setBackend("fake_device");
  int up = FakeDevice::uploads;
  auto c = st::add(a, b);  // a and b move to the device
  EXPECT_EQ(FakeDevice::uploads, up + 2);
  EXPECT_EQ(c.backendName(), "fake_device");
  EXPECT_EQ(a.backendName(), "fake_device");
  st::setBackend("reference");
  auto d = st::mul(c, st::scalar(2.0f));  // c moves back
  EXPECT_EQ(d.dataSync(), (std::vector<float>{22, 44, 66}));
  EXPECT_EQ(c.backendName(), "reference");
}

TEST_F(EngineTest, HostBackendBorrowsKernelsWithoutCopying) {
  st::setBackend("fake_host");
  auto x = st::tensor({-1, 2});
  EXPECT_EQ(st::relu(x).dataSync(), (std::vector<float>{0, 2}));
  st::setBackend("reference");
  EXPECT_EQ(st::relu(x).dataSync(), (std::vector<float>{0, 2}));
}

TEST_F(EngineTest, RemoveBackendRefusesWhileItHoldsMemory) {
  st::registerBackend("temp", [] { return std::make_unique<st::HostBackend>(); }, -40);
  st::setBackend("temp");
  auto t = st::zeros({3});
  EXPECT_THROW(st::removeBackend("temp"), st::Error);
  t.dispose();
  st::removeBackend("temp");
  auto names = st::backendNames();
  EXPECT_EQ(std::count(names.begin(), names.end(), "temp"), 0);
  EXPECT_THROW(st::setBackend("temp"), st::Error);
}

TEST_F(EngineTest, ProfileReportsKernels) {
  st::setBackend("reference");
  auto x = st::ones({4, 4});
  auto info = st::profile([&] { st::tidy([&] { return st::exp(st::add(x, x)); }).dispose(); });
  ASSERT_EQ(info.kernels.size(), 2u);
  EXPECT_EQ(info.kernels[0].name, "Add");
  EXPECT_EQ(info.kernels[1].name, "Exp");
  EXPECT_EQ(info.kernels[1].backend, "reference");
  EXPECT_EQ(info.kernels[0].bytesAdded, 64);
  EXPECT_EQ(info.kernels[0].inputShapes[0], (st::Shape{4, 4}));
  EXPECT_EQ(info.newTensors, 0);
  EXPECT_GE(info.peakBytes, 64 * 3);
  auto t = st::time([&] { st::tidy([&] { st::exp(x); }); });
  EXPECT_GE(t.wallMs, 0.0);
}

TEST_F(EngineTest, KernelNamesAreInterned) {
  EXPECT_EQ(st::kernelId("Add"), st::kernelId("Add"));
  EXPECT_EQ(st::kernelName(st::kernelId("Add")), "Add");
  EXPECT_TRUE(st::hasKernel("reference", "Add"));
  EXPECT_FALSE(st::hasKernel("fake_device", "Exp"));
}
