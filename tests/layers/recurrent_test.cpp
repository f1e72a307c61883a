// Recurrent layers and wrappers, checked against a plain C++ reference of the Keras equations:
// SimpleRNN, LSTM, GRU (reset_after false and true), RNN with stacked cells, masks,
// go_backwards, initial states, Bidirectional merge modes and weight names, TimeDistributed,
// gradients through time, and config errors.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "strata/layer.h"
#include "strata/strata.h"

namespace st = strata;
using st::layers::Json;
using st::layers::Layer;

namespace {

using Vec = std::vector<float>;

float hardSig(float x) { return std::max(0.0f, std::min(1.0f, 0.2f * x + 0.5f)); }
float sig(float x) { return 1.0f / (1.0f + std::exp(-x)); }

Vec randomVec(size_t n, uint32_t seed, float scale = 0.5f) {
  std::mt19937 g(seed);
  std::uniform_real_distribution<float> d(-scale, scale);
  Vec v(n);
  for (auto& e : v) e = d(g);
  return v;
}

std::unique_ptr<Layer> makeLayer(const std::string& cls, Json cfg, const std::vector<st::Shape>& inShapes) {
  auto l = st::layers::createLayer(cls, cfg, "test");
  l->ensureBuilt(inShapes);
  return l;
}

// Gives every weight seeded values; returns them (host copies) in weight order.
std::vector<Vec> seedWeights(Layer& l, uint32_t seed) {
  std::vector<Vec> out;
  for (st::layers::Weight* w : l.allWeights()) {
    Vec v = randomVec(static_cast<size_t>(w->value.size()), seed++);
    w->value.assign(st::tensor(v, w->value.shape()));
    out.push_back(v);
  }
  return out;
}

// y[n][j] = sum_k x[n][k] * m[k][j]
Vec matvec(const Vec& x, size_t off, size_t in, const Vec& m, size_t cols, size_t colOff, size_t ncols) {
  Vec y(ncols, 0.0f);
  for (size_t j = 0; j < ncols; ++j)
    for (size_t k = 0; k < in; ++k) y[j] += x[off + k] * m[k * cols + colOff + j];
  return y;
}

enum class Kind { simple, lstm, gru, gruAfter };

struct RefResult {
  Vec seq;                  // [B, T, U] in processing order
  std::vector<Vec> states;  // each [B, U]
};

// Keras equations, one sample at a time. `mask` [B*T] or empty.
RefResult reference(Kind kind, const Vec& x, size_t B, size_t T, size_t F, size_t U, const std::vector<Vec>& w,
                    bool useBias, bool backwards, const Vec& mask, std::function<float(float)> ra) {
  const Vec& W = w[0];
  const Vec& R = w[1];
  Vec bias = useBias ? w[2] : Vec();
  size_t G = kind == Kind::simple ? 1 : kind == Kind::lstm ? 4 : 3;
  size_t nStates = kind == Kind::lstm ? 2 : 1;
  RefResult res;
  res.seq.assign(B * T * U, 0.0f);
  res.states.assign(nStates, Vec(B * U, 0.0f));
  for (size_t b = 0; b < B; ++b) {
    Vec h(U, 0.0f), c(U, 0.0f);
    for (size_t k = 0; k < T; ++k) {
      size_t t = backwards ? T - 1 - k : k;
      Vec xw = matvec(x, (b * T + t) * F, F, W, G * U, 0, G * U);
      if (useBias)
        for (size_t j = 0; j < G * U; ++j) xw[j] += bias[j];  // input bias (row 0 for gruAfter)
      Vec nh(U), nc(U);
      if (kind == Kind::simple) {
        Vec hr = matvec(h, 0, U, R, U, 0, U);
        for (size_t j = 0; j < U; ++j) nh[j] = std::tanh(xw[j] + hr[j]);
      } else if (kind == Kind::lstm) {
        Vec hr = matvec(h, 0, U, R, 4 * U, 0, 4 * U);
        for (size_t j = 0; j < U; ++j) {
          float i = ra(xw[j] + hr[j]), f = ra(xw[U + j] + hr[U + j]);
          float cc = std::tanh(xw[2 * U + j] + hr[2 * U + j]), o = ra(xw[3 * U + j] + hr[3 * U + j]);
          nc[j] = f * c[j] + i * cc;
          nh[j] = o * std::tanh(nc[j]);
        }
      } else if (kind == Kind::gru) {
        Vec hr = matvec(h, 0, U, R, 3 * U, 0, 2 * U);
        Vec z(U), r(U), rh(U);
        for (size_t j = 0; j < U; ++j) {
          z[j] = ra(xw[j] + hr[j]);
          r[j] = ra(xw[U + j] + hr[U + j]);
          rh[j] = r[j] * h[j];
        }
        Vec hh = matvec(rh, 0, U, R, 3 * U, 2 * U, U);
        for (size_t j = 0; j < U; ++j) nh[j] = z[j] * h[j] + (1 - z[j]) * std::tanh(xw[2 * U + j] + hh[j]);
      } else {
        Vec hr = matvec(h, 0, U, R, 3 * U, 0, 3 * U);
        if (useBias)
          for (size_t j = 0; j < 3 * U; ++j) hr[j] += bias[3 * U + j];  // recurrent bias (row 1)
        for (size_t j = 0; j < U; ++j) {
          float z = ra(xw[j] + hr[j]), r = ra(xw[U + j] + hr[U + j]);
          float hh = std::tanh(xw[2 * U + j] + r * hr[2 * U + j]);
          nh[j] = z * h[j] + (1 - z) * hh;
        }
      }
      bool keep = mask.empty() || mask[b * T + t] != 0;
      if (keep) {
        h = nh;
        if (kind == Kind::lstm) c = nc;
      }
      for (size_t j = 0; j < U; ++j) res.seq[(b * T + k) * U + j] = h[j];
    }
    for (size_t j = 0; j < U; ++j) {
      res.states[0][b * U + j] = h[j];
      if (kind == Kind::lstm) res.states[1][b * U + j] = c[j];
    }
  }
  return res;
}

void expectNear(const st::Tensor& t, const Vec& want, float tol = 2e-5f) {
  Vec got = t.dataSync<float>();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

Vec lastStep(const Vec& seq, size_t B, size_t T, size_t U) {
  Vec v(B * U);
  for (size_t b = 0; b < B; ++b)
    for (size_t j = 0; j < U; ++j) v[b * U + j] = seq[(b * T + T - 1) * U + j];
  return v;
}

struct Case {
  const char* cls;
  Kind kind;
  Json extra;
  const char* ra;
};

class RecurrentRef : public ::testing::TestWithParam<Case> {};

TEST_P(RecurrentRef, MatchesReferenceWithSequencesStatesMasksAndDirections) {
  const Case& c = GetParam();
  const size_t B = 3, T = 5, F = 4, U = 3;
  Vec x = randomVec(B * T * F, 7, 1.0f);
  Vec maskv{1, 1, 0, 1, 0, /**/ 1, 1, 1, 1, 1, /**/ 0, 0, 1, 1, 0};
  std::function<float(float)> ra = std::string(c.ra) == "sigmoid" ? sig : hardSig;
  for (bool backwards : {false, true})
    for (bool useMask : {false, true})
      for (bool useBias : {true, false}) {
        SCOPED_TRACE(std::string(c.cls) + " backwards=" + std::to_string(backwards) + " mask=" + std::to_string(useMask) +
                     " bias=" + std::to_string(useBias));
        Json cfg = c.extra;
        cfg["units"] = U;
        cfg["return_sequences"] = true;
        cfg["return_state"] = true;
        cfg["go_backwards"] = backwards;
        cfg["use_bias"] = useBias;
        auto l = makeLayer(c.cls, cfg, {{-1, -1, static_cast<int64_t>(F)}});
        auto w = seedWeights(*l, 100);
        st::layers::CallArgs args;
        if (useMask) {
          std::vector<uint8_t> mb(maskv.begin(), maskv.end());
          args.masks = {st::tensorBool(std::span<const uint8_t>(mb), {static_cast<int64_t>(B), static_cast<int64_t>(T)})};
        }
        auto out = l->call({st::tensor(x, {3, 5, 4})}, args);
        RefResult ref = reference(c.kind, x, B, T, F, U, w, useBias, backwards, useMask ? maskv : Vec(), ra);
        ASSERT_EQ(out.size(), 1 + ref.states.size());
        EXPECT_EQ(out[0].shape(), (st::Shape{3, 5, 3}));
        expectNear(out[0], ref.seq);
        for (size_t i = 0; i < ref.states.size(); ++i) expectNear(out[1 + i], ref.states[i]);
        // Sequence outputs keep the mask; the last output alone gets none.
        st::Tensor m = l->computeMask({}, args.masks);
        EXPECT_EQ(m.defined(), useMask);

        // return_sequences false: the last output only.
        cfg["return_sequences"] = false;
        cfg["return_state"] = false;
        auto l2 = makeLayer(c.cls, cfg, {{-1, 5, static_cast<int64_t>(F)}});
        for (size_t i = 0; i < w.size(); ++i) l2->allWeights()[i]->value.assign(l->allWeights()[i]->value);
        auto out2 = l2->call({st::tensor(x, {3, 5, 4})}, args);
        ASSERT_EQ(out2.size(), 1u);
        expectNear(out2[0], lastStep(ref.seq, B, T, U));
        EXPECT_FALSE(l2->computeMask({}, args.masks).defined());
        EXPECT_EQ(l2->outputShapes({{-1, 5, 4}}), (std::vector<st::Shape>{{-1, 3}}));
      }
}

INSTANTIATE_TEST_SUITE_P(
    Layers, RecurrentRef,
    ::testing::Values(Case{"SimpleRNN", Kind::simple, Json::object(), "hard_sigmoid"},
                      Case{"LSTM", Kind::lstm, Json::object(), "hard_sigmoid"},
                      Case{"LSTM", Kind::lstm, Json{{"recurrent_activation", "sigmoid"}}, "sigmoid"},
                      Case{"GRU", Kind::gru, Json::object(), "hard_sigmoid"},
                      Case{"GRU", Kind::gru, Json{{"reset_after", false}, {"recurrent_activation", "sigmoid"}}, "sigmoid"},
                      Case{"GRU", Kind::gruAfter, Json{{"reset_after", true}, {"recurrent_activation", "sigmoid"}},
                           "sigmoid"}),
    [](const auto& info) { return std::string(info.param.cls) + std::to_string(info.index); });

TEST(Recurrent, WeightNamesShapesAndOrder) {
  auto lstm = makeLayer("LSTM", {{"name", "enc"}, {"units", 5}}, {{-1, 7, 3}});
  auto& w = lstm->ownWeights();
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].name, "kernel");
  EXPECT_EQ(w[0].value.shape(), (st::Shape{3, 20}));
  EXPECT_EQ(w[1].name, "recurrent_kernel");
  EXPECT_EQ(w[1].value.shape(), (st::Shape{5, 20}));
  EXPECT_EQ(w[2].name, "bias");
  EXPECT_EQ(w[2].value.shape(), (st::Shape{20}));
  auto gru = makeLayer("GRU", {{"units", 2}, {"reset_after", true}}, {{-1, 7, 3}});
  EXPECT_EQ(gru->ownWeights()[2].value.shape(), (st::Shape{2, 6}));
  auto rnn = makeLayer("SimpleRNN", {{"units", 2}, {"use_bias", false}}, {{-1, 7, 3}});
  EXPECT_EQ(rnn->ownWeights().size(), 2u);
  EXPECT_EQ(lstm->outputShapes({{-1, 7, 3}}), (std::vector<st::Shape>{{-1, 5}}));
}

TEST(Recurrent, StackedCellsMatchStackedLayers) {
  Json cells = Json::array({Json{{"class_name", "LSTMCell"}, {"config", {{"units", 3}}}},
                            Json{{"class_name", "GRUCell"}, {"config", {{"units", 2}}}}});
  auto rnn = makeLayer("RNN",
                       {{"cell", {{"class_name", "StackedRNNCells"}, {"config", {{"cells", cells}}}}},
                        {"return_sequences", true}, {"return_state", true}},
                       {{-1, -1, 4}});
  auto& w = rnn->ownWeights();
  ASSERT_EQ(w.size(), 6u);
  EXPECT_EQ(w[0].name, "RNNCell_0/kernel");
  EXPECT_EQ(w[5].name, "RNNCell_1/bias");
  EXPECT_EQ(w[3].value.shape(), (st::Shape{3, 6}));
  seedWeights(*rnn, 5);
  auto lstm = makeLayer("LSTM", {{"units", 3}, {"return_sequences", true}, {"return_state", true}}, {{-1, -1, 4}});
  auto gru = makeLayer("GRU", {{"units", 2}, {"return_sequences", true}, {"return_state", true}}, {{-1, -1, 3}});
  for (int i = 0; i < 3; ++i) {
    lstm->ownWeights()[i].value.assign(w[i].value);
    gru->ownWeights()[i].value.assign(w[3 + i].value);
  }
  st::Tensor x = st::tensor(randomVec(2 * 4 * 4, 3, 1.0f), {2, 4, 4});
  auto a = rnn->call({x}, {});
  auto l1 = lstm->call({x}, {});
  auto l2 = gru->call({l1[0]}, {});
  ASSERT_EQ(a.size(), 4u);  // output, then states in reverse cell order: gru h, lstm h, lstm c
  expectNear(a[0], l2[0].dataSync<float>(), 1e-6f);
  expectNear(a[1], l2[1].dataSync<float>(), 1e-6f);
  expectNear(a[2], l1[1].dataSync<float>(), 1e-6f);
  expectNear(a[3], l1[2].dataSync<float>(), 1e-6f);
  EXPECT_EQ(rnn->outputShapes({{-1, 4, 4}}), (std::vector<st::Shape>{{-1, 4, 2}, {-1, 2}, {-1, 3}, {-1, 3}}));
  // A bare cell works too.
  auto single = makeLayer("RNN", {{"cell", {{"class_name", "SimpleRNNCell"}, {"config", {{"units", 2}}}}}}, {{-1, 4, 4}});
  EXPECT_EQ(single->ownWeights()[0].name, "kernel");
}

TEST(Recurrent, InitialStatesAsExtraInputs) {
  auto l = makeLayer("LSTM", {{"units", 2}, {"return_sequences", true}}, {{-1, 3, 2}, {-1, 2}, {-1, 2}});
  seedWeights(*l, 9);
  st::Tensor x = st::tensor(randomVec(12, 4, 1.0f), {2, 3, 2});
  st::Tensor h0 = st::tensor(randomVec(4, 5), {2, 2}), c0 = st::tensor(randomVec(4, 6), {2, 2});
  auto withState = l->call({x, h0, c0}, {});
  auto zeroState = l->call({x, st::zeros({2, 2}), st::zeros({2, 2})}, {});
  auto none = l->call({x}, {});
  expectNear(zeroState[0], none[0].dataSync<float>(), 0);
  EXPECT_GT(st::max(st::abs(withState[0] - none[0])).item<float>(), 1e-4f);
  EXPECT_THROW(l->call({x, h0}, {}), st::Error);
  EXPECT_THROW(l->call({x, h0, st::zeros({2, 3})}, {}), st::Error);
}

TEST(Recurrent, GradientsFlowThroughTime) {
  auto l = makeLayer("GRU", {{"units", 3}, {"reset_after", true}, {"recurrent_activation", "sigmoid"}}, {{-1, 4, 2}});
  seedWeights(*l, 11);
  Vec xv = randomVec(2 * 4 * 2, 12, 1.0f);
  auto f = [&](const st::Tensor& x) { return st::sum(st::square(l->call({x}, {})[0])); };
  st::Tensor g = st::grad(f)(st::tensor(xv, {2, 4, 2}));
  Vec gv = g.dataSync<float>();
  const float eps = 1e-2f;
  for (size_t i = 0; i < xv.size(); ++i) {
    Vec p = xv, m = xv;
    p[i] += eps;
    m[i] -= eps;
    float num = (f(st::tensor(p, {2, 4, 2})).item<float>() - f(st::tensor(m, {2, 4, 2})).item<float>()) / (2 * eps);
    EXPECT_NEAR(gv[i], num, 2e-3f) << "input " << i;
  }
  // The first time step influences the last output.
  EXPECT_GT(std::abs(gv[0]) + std::abs(gv[1]), 1e-5f);
  // Weights get gradients too.
  auto vg = st::variableGrads([&] { return f(st::tensor(xv, {2, 4, 2})); });
  EXPECT_EQ(vg.grads.size(), 3u);
}

TEST(Recurrent, TrainingDropoutOnlyWhenTraining) {
  auto l = makeLayer("LSTM", {{"units", 4}, {"dropout", 0.5}, {"recurrent_dropout", 0.5}}, {{-1, 3, 5}});
  seedWeights(*l, 2);
  st::Tensor x = st::tensor(randomVec(2 * 3 * 5, 3, 1.0f), {2, 3, 5});
  auto a = l->call({x}, {}), b = l->call({x}, {});
  expectNear(a[0], b[0].dataSync<float>(), 0);
  st::layers::CallArgs train;
  train.training = true;
  auto c = l->call({x}, train);
  EXPECT_EQ(c[0].shape(), a[0].shape());
  EXPECT_GT(st::max(st::abs(c[0] - a[0])).item<float>(), 0.0f);
}

TEST(Recurrent, ConfigErrorsNameLayerAndKey) {
  auto msg = [](const std::string& cls, const Json& cfg) {
    try {
      auto l = st::layers::createLayer(cls, cfg, "test");
      l->ensureBuilt({{-1, 3, 2}});
      l->call({st::zeros({1, 3, 2})}, {});
    } catch (const st::Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(msg("LSTM", {{"name", "l1"}, {"units", 2}, {"stateful", true}}).find("layer 'l1' (LSTM): config.stateful"),
            std::string::npos);
  EXPECT_NE(msg("GRU", {{"name", "g"}, {"units", 0}}).find("config.units"), std::string::npos);
  EXPECT_NE(msg("GRU", {{"name", "g"}}).find("config.units is missing"), std::string::npos);
  EXPECT_NE(msg("SimpleRNN", {{"units", 2}, {"activation", "nope"}}).find("unknown activation 'nope'"), std::string::npos);
  EXPECT_NE(msg("RNN", {{"cell", {{"class_name", "ConvLSTM2DCell"}}}}).find("unknown RNN cell class"), std::string::npos);
  EXPECT_NE(msg("Bidirectional", {{"layer", {{"class_name", "LSTM"}, {"config", {{"units", 2}}}}}, {"merge_mode", "max"}})
                .find("config.merge_mode"),
            std::string::npos);
  auto td = st::layers::createLayer("TimeDistributed", {{"layer", {{"class_name", "LSTM"}, {"config", {{"units", 2}}}}}}, "t");
  try {
    td->outputShapes({{-1, 3}});
    ADD_FAILURE() << "no error";
  } catch (const st::Error& e) {
    EXPECT_NE(std::string(e.what()).find("rank 3 or more"), std::string::npos) << e.what();
  }
  auto l = makeLayer("LSTM", {{"units", 2}}, {{-1, 3, 2}});
  EXPECT_THROW(l->call({st::zeros({1, 3, 5})}, {}), st::Error);  // wrong feature size
  EXPECT_THROW(l->call({st::zeros({1, 3})}, {}), st::Error);     // wrong rank
}

// ---- Bidirectional -----------------------------------------------------------------------

TEST(Bidirectional, WeightNamesAndMergeModes) {
  Json inner = {{"class_name", "LSTM"}, {"config", {{"name", "lstm_a"}, {"units", 3}, {"return_sequences", true}}}};
  st::Tensor x = st::tensor(randomVec(2 * 4 * 2, 21, 1.0f), {2, 4, 2});
  // The two directions by hand.
  auto f = makeLayer("LSTM", {{"units", 3}, {"return_sequences", true}}, {{-1, 4, 2}});
  auto b = makeLayer("LSTM", {{"units", 3}, {"return_sequences", true}, {"go_backwards", true}}, {{-1, 4, 2}});
  for (const char* mode : {"concat", "sum", "mul", "ave", "none"}) {
    SCOPED_TRACE(mode);
    Json cfg = {{"name", "bi"}, {"layer", inner}};
    if (std::string(mode) == "none") cfg["merge_mode"] = nullptr;
    else cfg["merge_mode"] = mode;
    auto bi = makeLayer("Bidirectional", cfg, {{-1, 4, 2}});
    auto& w = bi->ownWeights();
    ASSERT_EQ(w.size(), 6u);
    EXPECT_EQ(w[0].name, "forward_lstm_a/kernel");
    EXPECT_EQ(w[2].name, "forward_lstm_a/bias");
    EXPECT_EQ(w[3].name, "backward_lstm_a/kernel");
    EXPECT_EQ(w[4].name, "backward_lstm_a/recurrent_kernel");
    seedWeights(*bi, 30);
    for (int i = 0; i < 3; ++i) {
      f->ownWeights()[i].value.assign(w[i].value);
      b->ownWeights()[i].value.assign(w[3 + i].value);
    }
    st::Tensor yf = f->call({x}, {})[0];
    st::Tensor yb = st::reverse(b->call({x}, {})[0], {1});
    auto out = bi->call({x}, {});
    std::string m = mode;
    if (m == "concat") {
      expectNear(out[0], st::concat({yf, yb}, -1).dataSync<float>(), 1e-6f);
      EXPECT_EQ(bi->outputShapes({{-1, 4, 2}}), (std::vector<st::Shape>{{-1, 4, 6}}));
    } else if (m == "sum") {
      expectNear(out[0], (yf + yb).dataSync<float>(), 1e-6f);
    } else if (m == "mul") {
      expectNear(out[0], (yf * yb).dataSync<float>(), 1e-6f);
    } else if (m == "ave") {
      expectNear(out[0], ((yf + yb) * 0.5f).dataSync<float>(), 1e-6f);
    } else {
      ASSERT_EQ(out.size(), 2u);
      expectNear(out[0], yf.dataSync<float>(), 1e-6f);
      expectNear(out[1], yb.dataSync<float>(), 1e-6f);
      EXPECT_EQ(bi->outputShapes({{-1, 4, 2}}), (std::vector<st::Shape>{{-1, 4, 3}, {-1, 4, 3}}));
    }
  }
}

TEST(Bidirectional, ReturnStateMaskAndReplacedWeights) {
  Json inner = {{"class_name", "GRU"}, {"config", {{"name", "g"}, {"units", 2}, {"return_state", true}}}};
  auto bi = makeLayer("Bidirectional", {{"layer", inner}}, {{-1, 5, 3}});
  EXPECT_EQ(bi->outputShapes({{-1, 5, 3}}), (std::vector<st::Shape>{{-1, 4}, {-1, 2}, {-1, 2}}));
  // Replacing a weight's variable in the wrapper's list reaches the inner layer.
  for (auto& w : bi->ownWeights()) w.value = st::variable(st::fill(w.value.shape(), 0.1f));
  st::Tensor x = st::tensor(randomVec(2 * 5 * 3, 1, 1.0f), {2, 5, 3});
  st::layers::CallArgs args;
  args.masks = {st::tensorBool({1, 1, 1, 0, 0, 1, 1, 1, 1, 1}, {2, 5})};
  auto out = bi->call({x}, args);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_GT(st::max(st::abs(out[0])).item<float>(), 0.0f);
  // Forward and backward states equal the halves of the merged last output.
  expectNear(out[0], st::concat({out[1], out[2]}, -1).dataSync<float>(), 1e-6f);
  // Masked trailing steps of sample 0 leave the forward state as after step 3.
  auto g = makeLayer("GRU", {{"units", 2}}, {{-1, 3, 3}});
  for (auto& w : g->ownWeights()) w.value.assign(st::fill(w.value.shape(), 0.1f));
  st::Tensor first3 = st::slice(x, {0, 0, 0}, {1, 3, 3});
  expectNear(st::slice(out[1], {0, 0}, {1, 2}), g->call({first3}, {})[0].dataSync<float>(), 1e-6f);
  EXPECT_FALSE(bi->computeMask({}, args.masks).defined());
}

TEST(Bidirectional, KerasExplicitBackwardLayer) {
  Json fwd = {{"class_name", "LSTM"}, {"config", {{"name", "f"}, {"units", 3}}}};
  Json back = {{"class_name", "GRU"}, {"config", {{"name", "b"}, {"units", 3}, {"go_backwards", true}}}};
  auto bi = makeLayer("Bidirectional", {{"layer", fwd}, {"backward_layer", back}}, {{-1, 4, 2}});
  auto& w = bi->ownWeights();
  ASSERT_EQ(w.size(), 6u);
  EXPECT_EQ(w[0].name, "forward_f/kernel");
  EXPECT_EQ(w[3].name, "backward_b/kernel");
  EXPECT_EQ(w[3].value.shape(), (st::Shape{2, 9}));
  back["config"]["go_backwards"] = false;
  EXPECT_THROW(st::layers::createLayer("Bidirectional", {{"layer", fwd}, {"backward_layer", back}}, "t"), st::Error);
}

// A Keras (Python) model converted to TF.js: Bidirectional(GRU reset_after=True) with the
// cell-scoped weight names Keras writes. TF.js 4.22 itself rejects reset_after.
TEST(Bidirectional, LoadsKerasConvertedGruResetAfter) {
  const size_t B = 2, T = 5, F = 3, U = 2;
  Json gru = {{"name", "gru"}, {"trainable", true}, {"dtype", "float32"}, {"return_sequences", true},
              {"return_state", false}, {"go_backwards", false}, {"stateful", false}, {"unroll", false},
              {"time_major", false}, {"units", U}, {"activation", "tanh"}, {"recurrent_activation", "sigmoid"},
              {"use_bias", true}, {"dropout", 0.0}, {"recurrent_dropout", 0.0}, {"implementation", 2},
              {"reset_after", true}};
  Json layers = Json::array(
      {Json{{"class_name", "InputLayer"},
            {"config", {{"batch_input_shape", {nullptr, T, F}}, {"dtype", "float32"}, {"name", "input_1"}}}},
       Json{{"class_name", "Bidirectional"},
            {"config",
             {{"name", "bidirectional"}, {"trainable", true}, {"layer", {{"class_name", "GRU"}, {"config", gru}}},
              {"merge_mode", "concat"}}}}});
  std::vector<std::pair<std::string, st::Shape>> specs = {
      {"bidirectional/forward_gru/gru_cell/kernel", {3, 6}},  {"bidirectional/forward_gru/gru_cell/recurrent_kernel", {2, 6}},
      {"bidirectional/forward_gru/gru_cell/bias", {2, 6}},    {"bidirectional/backward_gru/gru_cell/kernel", {3, 6}},
      {"bidirectional/backward_gru/gru_cell/recurrent_kernel", {2, 6}}, {"bidirectional/backward_gru/gru_cell/bias", {2, 6}}};
  Json manifestWeights = Json::array();
  std::vector<Vec> values;
  std::vector<uint8_t> bin;
  uint32_t seed = 50;
  for (auto& [name, shape] : specs) {
    manifestWeights.push_back({{"name", name}, {"shape", shape}, {"dtype", "float32"}});
    Vec v = randomVec(static_cast<size_t>(shape[0] * shape[1]), seed++);
    const auto* p = reinterpret_cast<const uint8_t*>(v.data());
    bin.insert(bin.end(), p, p + v.size() * sizeof(float));
    values.push_back(v);
  }
  Json model = {{"format", "layers-model"},
                {"generatedBy", "keras v2.13.1"},
                {"convertedBy", "TensorFlow.js Converter v4.22.0"},
                {"modelTopology",
                 {{"keras_version", "2.13.1"},
                  {"backend", "tensorflow"},
                  {"model_config", {{"class_name", "Sequential"}, {"config", {{"name", "sequential"}, {"layers", layers}}}}}}},
                {"weightsManifest", Json::array({{{"paths", {"group1-shard1of1.bin"}}, {"weights", manifestWeights}}})}};
  auto m = st::loadLayersModelFromMemory(model.dump(), {{"group1-shard1of1.bin", bin}});
  Vec x = randomVec(B * T * F, 60, 1.0f);
  st::Tensor y = m.predict(st::tensor(x, {2, 5, 3}));
  ASSERT_EQ(y.shape(), (st::Shape{2, 5, 4}));
  RefResult f = reference(Kind::gruAfter, x, B, T, F, U, {values[0], values[1], values[2]}, true, false, {}, sig);
  RefResult b = reference(Kind::gruAfter, x, B, T, F, U, {values[3], values[4], values[5]}, true, true, {}, sig);
  Vec want(B * T * 2 * U);
  for (size_t n = 0; n < B; ++n)
    for (size_t t = 0; t < T; ++t)
      for (size_t j = 0; j < U; ++j) {
        want[(n * T + t) * 2 * U + j] = f.seq[(n * T + t) * U + j];
        want[(n * T + t) * 2 * U + U + j] = b.seq[(n * T + (T - 1 - t)) * U + j];  // re-reversed
      }
  expectNear(y, want);
}

// ---- TimeDistributed ---------------------------------------------------------------------

TEST(TimeDistributed, AppliesTheLayerToEveryStep) {
  // TimeDistributed(LSTM) on [batch, outer time, inner time, features].
  Json inner = {{"class_name", "LSTM"}, {"config", {{"units", 3}}}};
  auto td = makeLayer("TimeDistributed", {{"layer", inner}}, {{-1, 4, 5, 2}});
  EXPECT_EQ(td->outputShapes({{-1, 4, 5, 2}}), (std::vector<st::Shape>{{-1, 4, 3}}));
  ASSERT_EQ(td->ownWeights().size(), 3u);
  EXPECT_EQ(td->ownWeights()[0].name, "kernel");
  seedWeights(*td, 40);
  auto l = makeLayer("LSTM", {{"units", 3}}, {{-1, 5, 2}});
  for (int i = 0; i < 3; ++i) l->ownWeights()[i].value.assign(td->ownWeights()[i].value);
  st::Tensor x = st::tensor(randomVec(2 * 4 * 5 * 2, 41, 1.0f), {2, 4, 5, 2});
  st::Tensor y = td->call({x}, {})[0];
  EXPECT_EQ(y.shape(), (st::Shape{2, 4, 3}));
  std::vector<st::Tensor> steps;
  for (const st::Tensor& s : st::unstack(x, 1)) steps.push_back(l->call({s}, {})[0]);
  expectNear(y, st::stack(steps, 1).dataSync<float>(), 1e-6f);
  EXPECT_TRUE(td->supportsMasking());
}

}  // namespace
