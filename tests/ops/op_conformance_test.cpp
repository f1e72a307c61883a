// The one parameterized suite over every op case and every available backend:
//   Forward   - outputs match TF.js 4.22 (the oracle) on the same inputs;
//   Gradient  - gradients of sum(out * w) match TF.js's;
//   GradCheck - on `reference`, gradients match central finite differences (mathematics);
//   Parity    - on every other backend, forward and backward match `reference`.
// Cases come from tests/conformance/ops/*.mjs via the generated fixtures (ops.json).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>

#include "ops/op_table.h"
#include "strata/backend.h"

namespace strata::test {

std::map<std::string, OpFn>& opTable() {
  static std::map<std::string, OpFn> table;
  return table;
}

namespace {

std::string fixturePath() {
  const char* dir = std::getenv("STRATA_FIXTURES");
  return std::string(dir && *dir ? dir : "fixtures") + "/ops.json";
}

const Json& fixtures() {
  static Json j = [] {
    std::ifstream in(fixturePath());
    if (!in) return Json{{"cases", Json::array()}, {"missing", true}};
    return Json::parse(in);
  }();
  return j;
}

// Numbers, or "NaN"/"Infinity"/"-Infinity" strings (JSON has no such numbers).
double number(const Json& v) {
  if (v.is_number()) return v.get<double>();
  std::string s = v.get<std::string>();
  if (s == "Infinity") return INFINITY;
  if (s == "-Infinity") return -INFINITY;
  return NAN;
}

Tensor fromJson(const Json& t) {
  Shape shape = t["shape"].get<Shape>();
  DType dtype = parseDType(t["dtype"].get<std::string>());
  std::vector<float> data;
  for (const auto& v : t["data"]) data.push_back(static_cast<float>(number(v)));
  Tensor f = tensor(data, shape.empty() ? Shape{} : shape);
  if (shape.empty()) f = reshape(f, {});
  return dtype == DType::float32 ? f : cast(f, dtype);
}

struct Expect {
  Shape shape;
  std::string dtype;
  std::vector<double> data;
};
Expect expectOf(const Json& t) {
  Expect e{t["shape"].get<Shape>(), t["dtype"].get<std::string>(), {}};
  for (const auto& v : t["data"]) e.data.push_back(number(v));
  return e;
}

// Compares values with |a - e| <= atol + rtol * |e|; NaNs must match NaNs.
void expectClose(const Tensor& actual, const Expect& e, double atol, double rtol, const std::string& what) {
  ASSERT_EQ(actual.shape(), e.shape) << what << ": shape";
  ASSERT_EQ(std::string(dtypeName(actual.dtype())), e.dtype) << what << ": dtype";
  std::vector<float> a = actual.dataSync<float>();
  int bad = 0;
  for (size_t i = 0; i < a.size() && bad < 5; ++i) {
    double x = a[i], y = e.data[i];
    bool ok = (std::isnan(x) && std::isnan(y)) || (std::isinf(y) && x == y) || std::abs(x - y) <= atol + rtol * std::abs(y);
    if (!ok) {
      ++bad;
      ADD_FAILURE() << what << ": element " << i << " is " << x << ", expected " << y;
    }
  }
}

struct Param {
  int index;
  std::string backend;
};
void PrintTo(const Param& p, std::ostream* os) { *os << "case " << p.index << " on " << p.backend; }

bool floatOutputs(const Json& c) {
  for (const auto& o : c["outputs"])
    if (o["dtype"] == "float32") return true;
  return false;
}
bool floatInputs(const Json& c) {
  for (const auto& i : c["inputs"])
    if (i["dtype"] == "float32") return true;
  return false;
}

// Cases x backends, filtered: which cases and which backends each suite covers.
enum class Suite { forward, gradient, gradCheck, parity };
std::vector<Param> params(Suite suite) {
  std::vector<Param> ps;
  const Json& cases = fixtures()["cases"];
  for (const auto& s : backendStatus()) {
    if (!s.available) continue;
    bool isRef = s.name == "reference";
    if (suite == Suite::gradCheck && !isRef) continue;
    if (suite == Suite::parity && isRef) continue;
    for (int i = 0; i < static_cast<int>(cases.size()); ++i) {
      const Json& c = cases[i];
      if (suite == Suite::gradient && !c.contains("grads")) continue;
      if (suite == Suite::gradCheck && !(c["fd"].get<bool>() && floatInputs(c) && floatOutputs(c) && c.contains("weights")))
        continue;
      ps.push_back({i, s.name});
    }
  }
  return ps;
}

std::vector<Tensor> runCase(const Json& c, const std::vector<Tensor>& inputs) {
  auto it = opTable().find(c["op"].get<std::string>());
  if (it == opTable().end()) throw Error("op '" + c["op"].get<std::string>() + "' is not in the C++ op table");
  return it->second(inputs, c["attrs"]);
}

// L = sum_i sum(out_i * w_i) as a tensor (for autograd).
Tensor lossOf(const Json& c, const std::vector<Tensor>& outs) {
  Tensor total = scalar(0.0f);
  for (size_t i = 0; i < outs.size(); ++i) {
    const Json& w = c["weights"][i];
    if (w.is_null()) continue;
    total = add(total, sum(mul(outs[i], fromJson(w))));
  }
  return total;
}

std::vector<int> gradInputsOf(const Json& c, const std::vector<Tensor>& inputs) {
  if (c.contains("gradInputs")) return c["gradInputs"].get<std::vector<int>>();
  std::vector<int> g;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].dtype() == DType::float32) g.push_back(static_cast<int>(i));
  return g;
}

// Analytic gradients of L with respect to inputs `which`, given output weights.
std::vector<Tensor> analyticGrads(const Json& c, const std::vector<Tensor>& inputs, const std::vector<int>& which) {
  std::vector<Tensor> xs;
  for (int k : which) xs.push_back(inputs[k]);
  auto f = [&](const std::vector<Tensor>& gx) {
    std::vector<Tensor> in = inputs;
    for (size_t j = 0; j < which.size(); ++j) in[which[j]] = gx[j];
    return lossOf(c, runCase(c, in));
  };
  return grads(f)(xs);
}

class OpConformance : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    if (fixtures().contains("missing"))
      GTEST_FAIL() << "TF.js fixtures not found at " << fixturePath()
                   << "; run `node tests/conformance/generate.mjs DIR` and set STRATA_FIXTURES=DIR (ctest does this)";
    setBackend(GetParam().backend);
    before_ = memory().numTensors;
  }
  void TearDown() override {
    if (!HasFailure()) EXPECT_EQ(memory().numTensors, before_) << "the case leaked tensors";
  }
  const Json& theCase() const { return fixtures()["cases"][GetParam().index]; }
  std::vector<Tensor> inputs() const {
    std::vector<Tensor> in;
    for (const auto& t : theCase()["inputs"]) in.push_back(fromJson(t));
    return in;
  }
  int64_t before_ = 0;
};
class OpForward : public OpConformance {};
class OpGradient : public OpConformance {};
class OpGradCheck : public OpConformance {};
class OpParity : public OpConformance {};

TEST_P(OpForward, MatchesTfjs) {
  const Json& c = theCase();
  tidy([&] {
    auto outs = runCase(c, inputs());
    ASSERT_EQ(outs.size(), c["outputs"].size());
    for (size_t i = 0; i < outs.size(); ++i)
      expectClose(outs[i], expectOf(c["outputs"][i]), c["atol"], c["rtol"], "output " + std::to_string(i));
  });
}

TEST_P(OpGradient, MatchesTfjs) {
  const Json& c = theCase();
  tidy([&] {
    auto in = inputs();
    auto gs = analyticGrads(c, in, c["gradInputs"].get<std::vector<int>>());
    for (size_t j = 0; j < gs.size(); ++j)
      expectClose(gs[j], expectOf(c["grads"][j]), 10 * c["atol"].get<double>(), 10 * c["rtol"].get<double>(),
                  "gradient of input " + std::to_string(c["gradInputs"][j].get<int>()));
  });
}

// Central differences of L in double on the host; the op itself runs in float32, so the
// step is 1e-3 and the tolerance is loose enough for float32 rounding of L.
TEST_P(OpGradCheck, MatchesFiniteDifferences) {
  const Json& c = theCase();
  tidy([&] {
    auto in = inputs();
    auto which = gradInputsOf(c, in);
    const Json& w = c["weights"];
    auto lossHost = [&](const std::vector<Tensor>& xs) {
      return tidy([&] {
        auto outs = runCase(c, xs);
        double l = 0;
        for (size_t i = 0; i < outs.size(); ++i) {
          if (w[i].is_null()) continue;
          auto y = outs[i].dataSync<float>();
          auto ww = expectOf(w[i]).data;
          for (size_t k = 0; k < y.size(); ++k) l += static_cast<double>(y[k]) * ww[k];
        }
        return l;
      });
    };
    auto gs = analyticGrads(c, in, which);
    const double eps = 1e-3;
    for (size_t j = 0; j < which.size(); ++j) {
      int k = which[j];
      auto base = in[k].dataSync<float>();
      auto an = gs[j].dataSync<float>();
      for (size_t e = 0; e < base.size() && e < 48; ++e) {
        auto probe = [&](double delta) {
          auto v = base;
          v[e] = static_cast<float>(v[e] + delta);
          auto xs = in;
          xs[k] = tensor(v, in[k].shape().empty() ? Shape{} : in[k].shape());
          if (in[k].shape().empty()) xs[k] = reshape(xs[k], {});
          return lossHost(xs);
        };
        double fd = (probe(eps) - probe(-eps)) / (2 * eps);
        EXPECT_NEAR(an[e], fd, 5e-3 + 2e-2 * std::abs(fd)) << "input " << k << " element " << e;
      }
    }
  });
}

TEST_P(OpParity, MatchesReference) {
  const Json& c = theCase();
  double atol = c["atol"], rtol = c["rtol"];
  tidy([&] {
    auto in = inputs();
    auto outs = runCase(c, in);
    setBackend("reference");
    auto refOuts = runCase(c, in);
    for (size_t i = 0; i < outs.size(); ++i) {
      Expect e{refOuts[i].shape(), std::string(dtypeName(refOuts[i].dtype())), {}};
      for (float v : refOuts[i].dataSync<float>()) e.data.push_back(v);
      expectClose(outs[i], e, atol, rtol, "forward output " + std::to_string(i) + " vs reference");
    }
    if (!c.contains("grads")) return;
    auto which = c["gradInputs"].get<std::vector<int>>();
    auto refGs = analyticGrads(c, in, which);
    setBackend(GetParam().backend);
    auto gs = analyticGrads(c, in, which);
    for (size_t j = 0; j < gs.size(); ++j) {
      Expect e{refGs[j].shape(), "float32", {}};
      for (float v : refGs[j].dataSync<float>()) e.data.push_back(v);
      expectClose(gs[j], e, 10 * atol, 10 * rtol, "gradient " + std::to_string(j) + " vs reference");
    }
  });
}

std::string paramName(const ::testing::TestParamInfo<Param>& info) {
  if (info.param.index < 0) return "no_fixtures";
  std::string n = fixtures()["cases"][info.param.index]["name"].get<std::string>() + "_" + info.param.backend;
  for (char& ch : n)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(AllOps, OpForward, ::testing::ValuesIn(params(Suite::forward)), paramName);
INSTANTIATE_TEST_SUITE_P(AllOps, OpGradient, ::testing::ValuesIn(params(Suite::gradient)), paramName);
INSTANTIATE_TEST_SUITE_P(AllOps, OpGradCheck, ::testing::ValuesIn(params(Suite::gradCheck)), paramName);
INSTANTIATE_TEST_SUITE_P(AllOps, OpParity, ::testing::ValuesIn(params(Suite::parity)), paramName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(OpParity);

// The op set: at least 120 public ops, each with a TF.js case, and every reference kernel
// exercised by some case.
TEST(OpCoverage, EveryOpHasCasesAndTheSetIsComplete) {
  ASSERT_FALSE(fixtures().contains("missing")) << "fixtures missing at " << fixturePath();
  std::set<std::string> withCases;
  for (const auto& c : fixtures()["cases"]) withCases.insert(c["op"].get<std::string>());
  for (const auto& [name, fn] : opTable()) EXPECT_TRUE(withCases.count(name)) << "op '" << name << "' has no case";
  for (const auto& name : withCases) EXPECT_TRUE(opTable().count(name)) << "case op '" << name << "' is not in the table";
  EXPECT_GE(opTable().size(), 120u) << "public ops covered by the suite";
}

TEST(OpCoverage, EveryReferenceKernelIsExercised) {
  ASSERT_FALSE(fixtures().contains("missing"));
  setBackend("reference");
  std::set<std::string> seen;
  for (const auto& c : fixtures()["cases"]) {
    std::vector<Tensor> in;
    for (const auto& t : c["inputs"]) in.push_back(fromJson(t));
    auto p = profile([&] {
      tidy([&] {
        auto outs = runCase(c, in);
        std::vector<int> which;
        if (c.contains("grads")) analyticGrads(c, in, c["gradInputs"].get<std::vector<int>>());
      });
    });
    for (const auto& k : p.kernels) seen.insert(k.name);
  }
  for (const auto& k : allKernelNames())
    if (hasKernel("reference", k)) EXPECT_TRUE(seen.count(k)) << "reference kernel '" << k << "' is never run by a case";
}

}  // namespace
}  // namespace strata::test
