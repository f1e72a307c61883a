// The int8 kernels: cpu (oneDNN) against reference on random data over the geometries and
// epilogues the int8 models use (uint8 outputs within one unit of requantization, float32
// outputs within float rounding), the reference kernel against its defining formula written
// with float ops, and quantize/dequantize against their mathematics. (The TF.js-oracle cases
// of these ops are in tests/conformance/ops/quantized.mjs.)
#include <gtest/gtest.h>

#include <cmath>

#include "strata/backend.h"
#include "strata/strata.h"

namespace st = strata;

namespace {

struct BackendGuard {
  std::string saved = st::getBackend();
  explicit BackendGuard(const std::string& name) { st::setBackend(name); }
  ~BackendGuard() { st::setBackend(saved); }
};

bool hasCpu() {
  for (const auto& s : st::backendStatus())
    if (s.name == "cpu" && s.available) return true;
  return false;
}

st::Tensor randomInts(const st::Shape& shape, int lo, int hi, st::DType dtype, uint64_t seed) {
  return st::quantize(st::floor(st::randomUniform(shape, static_cast<float>(lo), static_cast<float>(hi) + 1, st::DType::float32, seed)),
                      1.f, 0, dtype);
}

// One case: a convolution (kind 0), depthwise (1) or matrix product (2) and its epilogue.
struct Case {
  const char* name;
  int kind;
  st::Shape x, w;
  st::QuantizedConv2DOptions o;
  int weightMax = 63;
};

st::QuantizedConv2DOptions opts(std::array<int, 2> strides, st::Padding pad, std::array<int, 2> dilations, int zp,
                                st::Activation act, bool u8Out) {
  st::QuantizedConv2DOptions o;
  o.strides = strides;
  o.pad = pad;
  o.dilations = dilations;
  o.q.inputScale = 0.02f;
  o.q.inputZeroPoint = zp;
  o.q.activation = act;
  if (u8Out) {
    o.q.outputDType = st::DType::uint8;
    o.q.outputScale = 0.05f;
    o.q.outputZeroPoint = act == st::Activation::linear ? 100 : 0;
  }
  return o;  // filterScales and bias are filled per case (they need the channel count)
}

using A = st::Activation;
const Case kCases[] = {
    {"conv1x1_relu_u8", 0, {1, 8, 8, 32}, {1, 1, 32, 48}, opts({1, 1}, "same", {1, 1}, 0, A::relu, true)},
    {"conv1x1_zp_linear_f32", 0, {2, 7, 7, 24}, {1, 1, 24, 16}, opts({1, 1}, "valid", {1, 1}, 131, A::linear, false)},
    {"conv3x3_same_relu6_f32", 0, {1, 9, 9, 16}, {3, 3, 16, 24}, opts({1, 1}, "same", {1, 1}, 0, A::relu6, false)},
    {"conv3x3_stride2_zp_relu6_u8", 0, {1, 11, 11, 8}, {3, 3, 8, 16}, opts({2, 2}, "valid", {1, 1}, 77, A::relu6, true)},
    {"conv_first_layer_3ch_explicit", 0, {1, 15, 15, 3}, {3, 3, 3, 32},
     opts({2, 2}, st::Padding::explicitPads(0, 1, 0, 1), {1, 1}, 128, A::relu6, true)},
    {"conv_dilated_linear_u8", 0, {1, 10, 10, 8}, {3, 3, 8, 8}, opts({1, 1}, "same", {2, 2}, 5, A::linear, true)},
    {"conv_8bit_weights", 0, {1, 6, 6, 16}, {3, 3, 16, 8}, opts({1, 1}, "same", {1, 1}, 0, A::relu, true), 127},
    {"depthwise_relu6_u8", 1, {1, 12, 12, 32}, {3, 3, 32, 1}, opts({1, 1}, "same", {1, 1}, 0, A::relu6, true), 127},
    {"depthwise_stride2_zp_f32", 1, {2, 9, 9, 24}, {3, 3, 24, 1}, opts({2, 2}, "valid", {1, 1}, 140, A::linear, false), 127},
    {"depthwise_mult2_explicit", 1, {1, 8, 8, 4}, {3, 3, 4, 2},
     opts({2, 2}, st::Padding::explicitPads(0, 1, 0, 1), {1, 1}, 0, A::relu, true)},
    {"matmul_batch1_relu_u8", 2, {1, 300}, {300, 70}, opts({1, 1}, "valid", {1, 1}, 0, A::relu, true)},
    {"matmul_zp_linear_f32", 2, {5, 64}, {64, 10}, opts({1, 1}, "valid", {1, 1}, 128, A::linear, false)},
    {"matmul_8bit_weights", 2, {3, 40}, {40, 12}, opts({1, 1}, "valid", {1, 1}, 9, A::relu6, true), 127},
};

struct Operands {
  st::Tensor x, w;
  st::QuantizedConv2DOptions o;
};

Operands operands(const Case& c, uint64_t seed) {
  Operands p{randomInts(c.x, 0, 255, st::DType::uint8, seed), randomInts(c.w, -c.weightMax, c.weightMax, st::DType::int8, seed + 1), c.o};
  const int64_t outC = c.kind == 1 ? c.w[2] * c.w[3] : c.w.back();
  p.o.q.filterScales = st::randomUniform({outC}, 0.002f, 0.02f, st::DType::float32, seed + 2);
  p.o.q.bias = st::randomUniform({outC}, -1.f, 1.f, st::DType::float32, seed + 3);
  return p;
}

st::Tensor run(const Case& c, const Operands& p) {
  if (c.kind == 0) return st::quantizedConv2d(p.x, p.w, p.o);
  if (c.kind == 1) return st::quantizedDepthwiseConv2d(p.x, p.w, p.o);
  return st::quantizedMatMul(p.x, p.w, p.o.q);
}

class Int8Parity : public ::testing::TestWithParam<Case> {};

// oneDNN applies the scales in another order (and adds the bias before scaling), so a uint8
// output may round the other way: one unit at most. float32 outputs agree to float rounding.
TEST_P(Int8Parity, CpuMatchesReference) {
  if (!hasCpu()) GTEST_SKIP() << "the cpu backend is not built";
  const Case& c = GetParam();
  const int64_t before = st::memory().numTensors;
  st::tidy([&] {
    BackendGuard g("reference");
    Operands p = operands(c, 1000);
    st::Tensor want = run(c, p);
    st::setBackend("cpu");
    st::Tensor got = run(c, p);
    ASSERT_EQ(got.shape(), want.shape());
    ASSERT_EQ(got.dtype(), want.dtype());
    auto a = got.dataSync<float>(), b = want.dataSync<float>();
    const bool u8 = got.dtype() == st::DType::uint8;
    int bad = 0, offByOne = 0;
    for (size_t i = 0; i < a.size() && bad < 5; ++i) {
      const double tol = u8 ? 1.0 : 1e-4 + 1e-5 * std::abs(b[i]);
      if (std::abs(a[i] - b[i]) > tol) {
        ADD_FAILURE() << c.name << ": element " << i << " is " << a[i] << ", reference " << b[i];
        ++bad;
      }
      offByOne += a[i] != b[i];
    }
    if (u8) {
      EXPECT_LE(offByOne, static_cast<int>(a.size() / 20) + 1) << "too many one-unit differences";
    }
  });
  EXPECT_EQ(st::memory().numTensors, before);
}

INSTANTIATE_TEST_SUITE_P(Int8Kernels, Int8Parity, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

// The reference kernel is its formula: y = act(conv(x - zx, w) * inputScale * scale[c] + bias),
// computed here with float ops on the dequantized integers (exact: small integer sums).
TEST(Int8Kernels, ReferenceIsTheFormula) {
  BackendGuard g("reference");
  st::tidy([&] {
    for (const Case& c : kCases) {
      Operands p = operands(c, 77);
      st::Tensor xf = st::dequantize(p.x, 1.f, p.o.q.inputZeroPoint), wf = st::dequantize(p.w, 1.f, 0);
      st::Tensor acc = c.kind == 2 ? st::matMul(xf, wf)
                       : c.kind == 1 ? st::depthwiseConv2d(xf, wf, {p.o.strides, p.o.pad, p.o.dilations})
                                     : st::conv2d(xf, wf, {p.o.strides, p.o.pad, p.o.dilations});
      st::Tensor y = st::add(st::mul(acc, st::mul(st::scalar(p.o.q.inputScale), p.o.q.filterScales)), p.o.q.bias);
      if (p.o.q.activation == A::relu) y = st::relu(y);
      if (p.o.q.activation == A::relu6) y = st::relu6(y);
      st::Tensor got = run(c, p);
      if (got.dtype() == st::DType::uint8) {
        // Within one unit: the formula's rounding ties may fall either way after float rounding.
        st::Tensor want = st::dequantize(st::quantize(y, p.o.q.outputScale, p.o.q.outputZeroPoint), 1.f, 0);
        EXPECT_LE(st::max(st::abs(st::sub(st::dequantize(got, 1.f, 0), want))).item<float>(), 1.f) << c.name;
      } else {
        EXPECT_LE(st::max(st::abs(st::sub(got, y))).item<float>(), 1e-4f) << c.name;
      }
    }
  });
}

// A float32 input is quantized by the kernel exactly as quantize() does: same bits.
TEST(Int8Kernels, FloatInputIsQuantizeThenProduct) {
  for (const auto& s : st::backendStatus()) {
    if (!s.available || (s.name != "reference" && s.name != "cpu")) continue;
    BackendGuard g(s.name);
    st::tidy([&] {
      for (const Case& c : kCases) {
        Operands p = operands(c, 99);
        p.o.q.inputZeroPoint = 60;
        st::Tensor xf = st::randomUniform(c.x, -1.f, 4.f, st::DType::float32, 5);
        p.x = xf;
        st::Tensor fromFloat = run(c, p);
        p.x = st::quantize(xf, p.o.q.inputScale, p.o.q.inputZeroPoint);
        EXPECT_EQ(fromFloat.dataSync<float>(), run(c, p).dataSync<float>()) << c.name << " on " << s.name;
      }
    });
  }
}

// Quantize rounds half to even and saturates; dequantize(quantize(x)) is within half a step
// of x inside the representable range.
TEST(QuantizeOp, MathematicsOfTheAffineMap) {
  BackendGuard g("reference");
  for (const char* backend : {"reference", "cpu"}) {
    if (std::string(backend) == "cpu" && !hasCpu()) continue;
    st::setBackend(backend);
    st::tidy([&] {
      const float scale = 0.5f;
      st::Tensor x = st::tensor({0.25f, 0.75f, 1.25f, -0.25f, -0.75f, 500.f, -500.f, NAN}, {8});
      auto q = st::quantize(x, scale, 10).dataSync<float>();
      // x/scale = 0.5, 1.5, 2.5, -0.5, -1.5 -> 0, 2, 2, -0, -2 (half to even), then + 10; saturation; NaN -> zero point.
      EXPECT_EQ(q, (std::vector<float>{10, 12, 12, 10, 8, 255, 0, 10})) << backend;
      auto s = st::quantize(x, scale, -3, st::DType::int8).dataSync<float>();
      EXPECT_EQ(s, (std::vector<float>{-3, -1, -1, -3, -5, 127, -128, -3})) << backend;
      st::Tensor r = st::randomUniform({1000}, -2.f, 3.f, st::DType::float32, 5);
      const float step = 5.f / 255, zp = std::nearbyint(2.f / step);
      st::Tensor back = st::dequantize(st::quantize(r, step, static_cast<int>(zp)), step, static_cast<int>(zp));
      EXPECT_LE(st::max(st::abs(st::sub(back, r))).item<float>(), step / 2 * (1 + 1e-5f)) << backend;
    });
  }
}

TEST(QuantizeOp, ErrorsNameTheArgument) {
  st::tidy([&] {
    st::Tensor x = st::ones({2, 2});
    EXPECT_THROW(st::quantize(x, 0.f, 0), st::Error);
    EXPECT_THROW(st::quantize(x, 1.f, 256), st::Error);
    EXPECT_THROW(st::quantize(x, 1.f, -129, st::DType::int8), st::Error);
    EXPECT_THROW(st::quantize(x, 1.f, 0, st::DType::int32), st::Error);
    EXPECT_THROW(st::dequantize(x, 1.f, 0), st::Error);
    st::Tensor xq = st::quantize(st::ones({1, 4, 4, 2}), 1.f, 0);
    st::Tensor w = st::quantize(st::ones({3, 3, 2, 3}), 1.f, 0, st::DType::int8);
    st::QuantizedConv2DOptions o;
    try {
      st::quantizedConv2d(xq, w, o);
      ADD_FAILURE() << "no error without filterScales";
    } catch (const st::Error& e) {
      EXPECT_NE(std::string(e.what()).find("filterScales"), std::string::npos) << e.what();
    }
    o.q.filterScales = st::ones({2});  // 3 output channels
    EXPECT_THROW(st::quantizedConv2d(xq, w, o), st::Error);
    o.q.filterScales = st::ones({3});
    o.q.activation = st::Activation::sigmoid;
    EXPECT_THROW(st::quantizedConv2d(xq, w, o), st::Error);
    o.q.activation = st::Activation::relu;
    try {
      st::quantizedConv2d(st::ones({1, 4, 4, 2}, st::DType::int32), w, o);  // int32 x
      ADD_FAILURE() << "no error for an int32 x";
    } catch (const st::Error& e) {
      EXPECT_NE(std::string(e.what()).find("uint8"), std::string::npos) << e.what();
    }
    EXPECT_THROW(st::quantizedMatMul(st::quantize(st::ones({2, 5}), 1.f, 0), st::quantize(st::ones({4, 3}), 1.f, 0, st::DType::int8), o.q),
                 st::Error);
  });
}

}  // namespace
