// Tensor handles: reading, printing, disposal semantics, variables.
#include <gtest/gtest.h>

#include <sstream>

#include "strata/strata.h"

namespace st = strata;

class TensorTest : public ::testing::Test {
 protected:
  void SetUp() override { st::setBackend("reference"); }
};

TEST_F(TensorTest, ShapeDtypeAndData) {
  auto t = st::tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(t.shape(), (st::Shape{2, 3}));
  EXPECT_EQ(t.dtype(), st::DType::float32);
  EXPECT_EQ(t.rank(), 2);
  EXPECT_EQ(t.size(), 6);
  EXPECT_EQ(t.dataSync(), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(t.dataSync<int32_t>(), (std::vector<int32_t>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(t.at({1, 2}), 6.0f);
  EXPECT_EQ(t.data().get(), t.dataSync());
  EXPECT_THROW(t.at({2, 0}), st::Error);
  EXPECT_THROW(t.item(), st::Error);
  EXPECT_EQ(st::scalar(2.5f).item(), 2.5f);
}

TEST_F(TensorTest, ShapeMismatchIsAnError) {
  try {
    st::tensor({1, 2, 3}, {2, 2});
    FAIL();
  } catch (const st::Error& e) {
    EXPECT_NE(std::string(e.what()).find("[2,2]"), std::string::npos) << e.what();
  }
}

TEST_F(TensorTest, IntAndBool) {
  auto i = st::tensorInt({1, -2, 3});
  EXPECT_EQ(i.dtype(), st::DType::int32);
  EXPECT_EQ(i.dataSync<int32_t>(), (std::vector<int32_t>{1, -2, 3}));
  auto b = st::tensorBool({true, false, true});
  EXPECT_EQ(b.dtype(), st::DType::bool_);
  EXPECT_EQ(b.dataSync<bool>(), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(b.dataSync<float>(), (std::vector<float>{1, 0, 1}));
}

TEST_F(TensorTest, PrintsLikeTfjs) {
  auto t = st::tensor({1, 2, 3, 4}, {2, 2});
  std::ostringstream os;
  os << t;
  EXPECT_NE(os.str().find("[[1.0000, 2.0000],"), std::string::npos) << os.str();
  EXPECT_NE(t.toString(true).find("shape: [2,2]"), std::string::npos);
  auto big = st::zeros({100});
  EXPECT_NE(big.toString().find("..."), std::string::npos);
}

TEST_F(TensorTest, ReadingADisposedTensorThrowsNamingIt) {
  auto t = st::tensor({1, 2, 3, 4}, {2, 2});
  auto copy = t;  // a handle to the same tensor
  t.dispose();
  EXPECT_TRUE(copy.isDisposed());
  try {
    copy.dataSync();
    FAIL() << "expected DisposedError";
  } catch (const st::DisposedError& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("tensor " + std::to_string(t.id())), std::string::npos) << m;
    EXPECT_NE(m.find("[2,2]"), std::string::npos) << m;
    EXPECT_NE(m.find("float32"), std::string::npos) << m;
    EXPECT_NE(m.find("disposed"), std::string::npos) << m;
  }
  EXPECT_NO_THROW(t.dispose());  // double dispose is harmless
  EXPECT_THROW(st::add(copy, copy), st::DisposedError);
  EXPECT_NO_THROW(copy.toString());
}

TEST_F(TensorTest, CloneSharesDataButNotDisposal) {
  auto before = st::memory();
  auto t = st::tensor({1, 2, 3});
  auto c = t.clone();
  EXPECT_NE(c.id(), t.id());
  EXPECT_EQ(st::memory().numDataBuffers, before.numDataBuffers + 1);
  t.dispose();
  EXPECT_EQ(c.dataSync(), (std::vector<float>{1, 2, 3}));
  c.dispose();
  EXPECT_EQ(st::memory().numBytes, before.numBytes);
}

TEST_F(TensorTest, EmptyHandleIsAnError) {
  st::Tensor t;
  EXPECT_FALSE(t.defined());
  EXPECT_THROW(t.shape(), st::Error);
  EXPECT_THROW(st::relu(t), st::Error);
}

TEST_F(TensorTest, Variables) {
  auto v = st::variable(st::tensor({1, 2}), true, "weights");
  EXPECT_EQ(v.name(), "weights");
  EXPECT_TRUE(v.trainable());
  EXPECT_THROW(st::variable(st::tensor({0}), true, "weights"), st::Error);
  st::Tensor alias = v;
  v.assign(st::tensor({5, 6}));
  EXPECT_EQ(alias.dataSync(), (std::vector<float>{5, 6}));
  EXPECT_THROW(v.assign(st::tensor({1, 2, 3})), st::Error);
  // tidy never disposes a variable
  st::tidy([&] { v.assign(st::add(v, st::scalar(1.0f))); });
  EXPECT_EQ(v.dataSync(), (std::vector<float>{6, 7}));
  v.dispose();
  EXPECT_NO_THROW(st::variable(st::tensor({0}), true, "weights").dispose());
}
