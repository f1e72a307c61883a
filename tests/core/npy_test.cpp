// .npy round trips and malformed files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "strata/strata.h"

namespace st = strata;
namespace fs = std::filesystem;

class NpyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    st::setBackend("reference");
    dir_ = fs::temp_directory_path() / ("strata_npy_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) { return (dir_ / name).string(); }
  void writeRaw(const std::string& name, const std::string& header, const std::vector<uint8_t>& data) {
    std::ofstream out(path(name), std::ios::binary);
    std::string h = header;
    size_t total = 10 + h.size() + 1;
    h.append((64 - total % 64) % 64, ' ');
    h.push_back('\n');
    out.write("\x93NUMPY\x01\x00", 8);
    out.put(static_cast<char>(h.size() & 0xff));
    out.put(static_cast<char>(h.size() >> 8));
    out.write(h.data(), static_cast<std::streamsize>(h.size()));
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  }
  fs::path dir_;
};

TEST_F(NpyTest, RoundTripsEveryDtype) {
  auto f = st::tensor({1.5f, -2, 3, 4, 5, 6}, {2, 3});
  auto i = st::tensorInt({1, -2, 3});
  auto b = st::tensorBool({true, false});
  auto s = st::scalar(7.0f);
  for (auto& [name, t] : std::vector<std::pair<std::string, st::Tensor>>{{"f", f}, {"i", i}, {"b", b}, {"s", s}}) {
    st::saveNpy(path(name + ".npy"), t);
    auto back = st::loadNpy(path(name + ".npy"));
    EXPECT_EQ(back.shape(), t.shape()) << name;
    EXPECT_EQ(back.dtype(), t.dtype()) << name;
    EXPECT_EQ(back.dataSync(), t.dataSync()) << name;
  }
}

TEST_F(NpyTest, ReadsFloat64AndInt64WithConversion) {
  std::vector<uint8_t> d(3 * 8);
  double vals[3] = {1.25, -2.5, 1e10};
  std::memcpy(d.data(), vals, sizeof vals);
  writeRaw("d.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", d);
  auto t = st::loadNpy(path("d.npy"));
  EXPECT_EQ(t.dtype(), st::DType::float32);
  EXPECT_EQ(t.dataSync(), (std::vector<float>{1.25f, -2.5f, 1e10f}));
  int64_t ints[2] = {5, -7};
  std::vector<uint8_t> di(16);
  std::memcpy(di.data(), ints, 16);
  writeRaw("i.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", di);
  EXPECT_EQ(st::loadNpy(path("i.npy")).dataSync<int32_t>(), (std::vector<int32_t>{5, -7}));
  int64_t big = int64_t{1} << 40;
  std::memcpy(di.data(), &big, 8);
  writeRaw("big.npy", "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", di);
  EXPECT_THROW(st::loadNpy(path("big.npy")), st::Error);
}

TEST_F(NpyTest, BadFilesNameTheFileAndProblem) {
  auto expectError = [&](const std::string& name, const std::string& needle) {
    try {
      st::loadNpy(path(name));
      FAIL() << name;
    } catch (const st::Error& e) {
      std::string m = e.what();
      EXPECT_NE(m.find(name), std::string::npos) << m;
      EXPECT_NE(m.find(needle), std::string::npos) << m;
    }
  };
  expectError("missing.npy", "cannot open");
  std::ofstream(path("garbage.npy")) << "hello";
  expectError("garbage.npy", "magic");
  writeRaw("short.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (10,), }", std::vector<uint8_t>(8));
  expectError("short.npy", "truncated");
  writeRaw("fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", std::vector<uint8_t>(16));
  expectError("fortran.npy", "Fortran");
  writeRaw("complex.npy", "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", std::vector<uint8_t>(8));
  expectError("complex.npy", "unsupported dtype");
}

TEST_F(NpyTest, FailedWriteLeavesNoFile) {
  std::string p = (dir_ / "no_such_dir" / "x.npy").string();
  EXPECT_THROW(st::saveNpy(p, st::ones({2})), st::Error);
  EXPECT_FALSE(fs::exists(p));
}
