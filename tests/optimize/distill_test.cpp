// Knowledge distillation. The loss is checked against a hand computation of Hinton et al.'s
// formula in double on the host, identities (alpha = 1 is cross-entropy; equal logits give a zero
// soft term; sparse labels = one-hot), its gradient against the closed form
// d/dz_s = alpha (softmax(z_s) - y)/B + (1 - alpha) T (softmax(z_s/T) - softmax(z_t/T))/B and
// against central finite differences through a tiny Dense model; logits of softmax models are the
// pre-softmax values exactly; training moves the student towards the teacher; errors; memory.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "strata/layers_api.h"
#include "strata/strata.h"

namespace st = strata;

namespace {

std::vector<double> softmaxRow(const std::vector<float>& z, size_t row, size_t classes, double t) {
  std::vector<double> out(classes);
  double mx = -INFINITY, s = 0;
  for (size_t c = 0; c < classes; ++c) mx = std::max(mx, z[row * classes + c] / t);
  for (size_t c = 0; c < classes; ++c) s += out[c] = std::exp(z[row * classes + c] / t - mx);
  for (double& v : out) v /= s;
  return out;
}

// Hinton et al.'s loss computed by hand, in double.
struct Hand {
  double loss, hard, soft;
};
Hand byHand(const std::vector<float>& y, const std::vector<float>& zs, const std::vector<float>& zt, size_t batch,
            size_t classes, double t, double alpha) {
  double hard = 0, soft = 0;
  for (size_t b = 0; b < batch; ++b) {
    auto q1 = softmaxRow(zs, b, classes, 1), p = softmaxRow(zt, b, classes, t), q = softmaxRow(zs, b, classes, t);
    for (size_t c = 0; c < classes; ++c) {
      hard -= y[b * classes + c] * std::log(q1[c]);
      soft += p[c] * (std::log(p[c]) - std::log(q[c]));
    }
  }
  hard /= batch;
  soft /= batch;
  return {alpha * hard + (1 - alpha) * t * t * soft, hard, soft};
}

st::LayersModel mlp(const std::string& name, int hidden, const std::string& outActivation = "softmax", int classes = 4,
                    uint64_t seed = 1) {
  st::setRandomSeed(seed);
  auto m = st::sequential({.name = name});
  m.add(st::layers::dense({.units = hidden, .activation = "relu", .inputShape = {6}, .name = name + "_h"}));
  m.add(st::layers::dense({.units = classes, .activation = outActivation, .name = name + "_out"}));
  return m;
}

std::vector<float> weightsFlat(const st::LayersModel& m) {
  std::vector<float> out;
  for (auto& w : m.getWeights()) {
    auto v = w.dataSync<float>();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

}  // namespace

TEST(DistillLoss, MatchesHandComputationAndIdentities) {
  const size_t batch = 5, classes = 4;
  st::Tensor zs = st::randomNormal({5, 4}, 0, 2, 1), zt = st::randomNormal({5, 4}, 0, 3, 2);
  st::Tensor labels = st::tensorInt({0, 3, 1, 1, 2}, {5});
  st::Tensor y = st::oneHot(labels, 4, 1, 0, st::DType::float32);
  for (float t : {1.0f, 2.5f, 8.0f})
    for (float alpha : {0.0f, 0.3f, 1.0f}) {
      st::DistillLoss d = st::distillationLoss(y, zs, zt, t, alpha);
      Hand h = byHand(y.dataSync<float>(), zs.dataSync<float>(), zt.dataSync<float>(), batch, classes, t, alpha);
      EXPECT_NEAR(d.hard.item<float>(), h.hard, 1e-5 * std::max(1.0, h.hard));
      EXPECT_NEAR(d.soft.item<float>(), h.soft, 1e-5 * std::max(1.0, h.soft));
      EXPECT_NEAR(d.loss.item<float>(), h.loss, 1e-5 * std::max(1.0, h.loss)) << "T " << t << " alpha " << alpha;
      // Class indices give the same loss as one-hot labels.
      EXPECT_FLOAT_EQ(st::distillationLoss(labels, zs, zt, t, alpha).loss.item<float>(), d.loss.item<float>());
      EXPECT_GE(d.soft.item<float>(), 0.0f);  // a KL divergence
    }
  // alpha = 1 is plain categorical cross-entropy of softmax(z_s).
  st::Tensor ce = st::mean(st::losses::categoricalCrossentropyFromLogits(y, zs));
  EXPECT_NEAR(st::distillationLoss(y, zs, zt, 3, 1).loss.item<float>(), ce.item<float>(), 1e-5);
  // A student equal to the teacher has no soft loss.
  EXPECT_NEAR(st::distillationLoss(y, zt, zt, 3, 0).soft.item<float>(), 0.0f, 1e-6);
}

TEST(DistillLoss, GradientMatchesClosedFormAndFiniteDifferences) {
  const float t = 3, alpha = 0.4f;
  st::Tensor x = st::randomNormal({3, 6}, 0, 1, 11);
  st::Tensor zt = st::randomNormal({3, 4}, 0, 2, 12);
  st::Tensor y = st::oneHot(st::tensorInt({2, 0, 3}, {3}), 4, 1, 0, st::DType::float32);
  // Closed form with respect to the student's logits.
  st::Tensor zs = st::randomNormal({3, 4}, 0, 2, 13);
  st::Tensor g = st::grad([&](const st::Tensor& z) { return st::distillationLoss(y, z, zt, t, alpha).loss; })(zs);
  st::Tensor want = st::div(st::add(st::mul(st::sub(st::softmax(zs), y), st::scalar(alpha)),
                                    st::mul(st::sub(st::softmax(st::div(zs, st::scalar(t))), st::softmax(st::div(zt, st::scalar(t)))),
                                            st::scalar((1 - alpha) * t))),
                            st::scalar(3.0f));
  std::vector<float> gv = g.dataSync<float>(), wv = want.dataSync<float>();
  for (size_t i = 0; i < gv.size(); ++i) EXPECT_NEAR(gv[i], wv[i], 1e-6) << i;

  // Through a tiny model z_s = x W + b: central differences on every entry of W.
  st::Tensor w = st::randomNormal({6, 4}, 0, 0.5f, 14), b = st::randomNormal({4}, 0, 0.1f, 15);
  auto loss = [&](const st::Tensor& kernel) {
    return st::distillationLoss(y, st::add(st::matMul(x, kernel), b), zt, t, alpha).loss;
  };
  std::vector<float> analytic = st::grad(loss)(w).dataSync<float>();
  std::vector<float> wv0 = w.dataSync<float>();
  const float eps = 1e-2f;
  for (size_t i = 0; i < wv0.size(); ++i) {
    std::vector<float> plus = wv0, minus = wv0;
    plus[i] += eps;
    minus[i] -= eps;
    const double fd = (loss(st::tensor(plus, {6, 4})).item<float>() - loss(st::tensor(minus, {6, 4})).item<float>()) /
                      (2.0 * eps);
    EXPECT_NEAR(analytic[i], fd, 2e-3 + 1e-2 * std::fabs(fd)) << "W[" << i << "]";
  }
}

TEST(Distill, LogitsAreThePreSoftmaxValues) {
  st::LayersModel m = mlp("m", 5);
  st::Tensor x = st::randomUniform({7, 6}, -1, 1, st::DType::float32, 3);
  // By hand: the output Dense without its softmax.
  auto& h = m.getLayer("m_h").ownWeights();
  auto& o = m.getLayer("m_out").ownWeights();
  st::Tensor hidden = st::relu(st::add(st::matMul(x, h[0].value), h[1].value));
  std::vector<float> want = st::add(st::matMul(hidden, o[0].value), o[1].value).dataSync<float>();
  std::vector<float> got = st::predictLogits(m, x).dataSync<float>();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << i;
  // The model itself still outputs probabilities.
  EXPECT_NEAR(st::sum(m.predict(x)).item<float>(), 7.0f, 1e-4);

  // A final Softmax layer or Activation("softmax") gives the logits of the layer before it.
  for (const st::layers::LayerSpec& last : {st::layers::softmax({.name = "sm"}), st::layers::activation({.activation = "softmax", .name = "sm"})}) {
    st::setRandomSeed(8);
    auto s = st::sequential();
    s.add(st::layers::dense({.units = 4, .inputShape = {6}, .name = "lin"}));
    s.add(last);
    std::vector<float> lin = st::add(st::matMul(x, s.getLayer("lin").ownWeights()[0].value), s.getLayer("lin").ownWeights()[1].value)
                                 .dataSync<float>();
    std::vector<float> z = st::predictLogits(s, x).dataSync<float>();
    for (size_t i = 0; i < z.size(); ++i) EXPECT_NEAR(z[i], lin[i], 1e-5) << i;
  }
}

TEST(Distill, StudentMovesTowardsTheTeacherWhichStaysUnchanged) {
  st::LayersModel teacher = mlp("teacher", 16, "softmax", 4, 21);
  st::LayersModel student = mlp("student", 8, "softmax", 4, 22);
  st::Tensor x = st::randomUniform({64, 6}, -1, 1, st::DType::float32, 4);
  st::Tensor y = st::argMax(teacher.predict(x), 1);  // class indices
  std::vector<float> teacherBefore = weightsFlat(teacher);
  auto softNow = [&] {
    return st::distillationLoss(y, st::predictLogits(student, x), st::predictLogits(teacher, x), 2, 0).soft.item<float>();
  };
  const float softBefore = softNow();
  st::History h = st::distill(teacher, student, x, y,
                              {.temperature = 2, .alpha = 0.0f, .epochs = 8, .batchSize = 16, .seed = 1,
                               .optimizer = st::OptimizerSpec(st::adam(0.02f))});
  ASSERT_EQ(h.history["soft"].size(), 8u);
  EXPECT_LT(h.history["soft"].back(), 0.5 * h.history["soft"].front());
  EXPECT_EQ(h.history["loss"].size(), 8u);
  EXPECT_EQ(h.history["acc"].size(), 8u);
  EXPECT_EQ(weightsFlat(teacher), teacherBefore);
  // The trained weights are in the student, which still ends in softmax.
  EXPECT_LT(softNow(), 0.5f * softBefore);
  EXPECT_NEAR(st::sum(student.predict(x)).item<float>(), 64.0f, 1e-3);
}

TEST(Distill, ClearErrorsAndStudentUnchanged) {
  st::LayersModel teacher = mlp("teacher", 8);
  st::LayersModel student = mlp("student", 4);
  st::Tensor x = st::randomUniform({8, 6}, -1, 1, st::DType::float32, 4);
  st::Tensor y = st::tensorInt({0, 1, 2, 3, 0, 1, 2, 3}, {8});
  std::vector<float> before = weightsFlat(student);
  auto expectError = [&](const st::LayersModel& t, const st::LayersModel& s, const st::DistillArgs& a,
                         const std::string& word, const st::Tensor& yy) {
    try {
      st::distill(t, s, x, yy, a);
      ADD_FAILURE() << "no error for " << word;
    } catch (const st::Error& e) {
      EXPECT_NE(std::string(e.what()).find(word), std::string::npos) << e.what();
    }
  };
  st::LayersModel five = mlp("five", 4, "softmax", 5);
  expectError(teacher, five, {}, "the student 'five' outputs shape [null,5] but the teacher 'teacher' outputs [null,4]", y);
  expectError(teacher, mlp("sig", 4, "sigmoid"), {}, "activation 'sigmoid'", y);
  expectError(teacher, student, {.temperature = 0}, "temperature", y);
  expectError(teacher, student, {.alpha = 1.5f}, "alpha", y);
  expectError(teacher, student, {.batchSize = 0}, "batchSize", y);
  expectError(teacher, student, {}, "labels have shape [8,3]", st::zeros({8, 3}));
  expectError(teacher, student, {}, "x has 8 samples but y has 4", st::tensorInt({0, 1, 2, 3}, {4}));
  EXPECT_EQ(weightsFlat(student), before);
}

TEST(Distill, NoTensorLeaks) {
  st::LayersModel teacher = mlp("teacher", 8);
  st::LayersModel student = mlp("student", 4);
  st::Tensor x = st::randomUniform({16, 6}, -1, 1, st::DType::float32, 4);
  st::Tensor y = st::tensorInt(std::vector<int32_t>(16, 1), {16});
  const int64_t base = st::memory().numTensors;
  st::distill(teacher, student, x, y, {.epochs = 2, .batchSize = 8, .seed = 3});
  EXPECT_EQ(st::memory().numTensors, base);
}
