// Weight initializers with tfjs-layers semantics (tfjs-layers/src/initializers.ts): the same
// distributions, fans and defaults, drawn with Strata's seeded random ops (so values differ from
// TF.js's, whose generator differs, but not their distribution).
#include "strata/initializers.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "models/keras_object.h"
#include "strata/engine.h"
#include "strata/error.h"
#include "strata/ops.h"

namespace strata::initializers {

using Json = nlohmann::json;

Fans computeFans(const Shape& shape) {
  const size_t r = shape.size();
  if (r == 2) return {static_cast<double>(shape[0]), static_cast<double>(shape[1])};
  if (r >= 3 && r <= 5) {
    double receptive = 1;
    for (size_t i = 0; i + 2 < r; ++i) receptive *= static_cast<double>(shape[i]);
    return {static_cast<double>(shape[r - 2]) * receptive, static_cast<double>(shape[r - 1]) * receptive};
  }
  double size = 1;
  for (int64_t d : shape) size *= static_cast<double>(d);
  return {std::sqrt(size), std::sqrt(size)};
}

Tensor zeros(const Shape& shape) { return strata::zeros(shape); }
Tensor ones(const Shape& shape) { return strata::ones(shape); }
Tensor constant(const Shape& shape, float value) { return strata::fill(shape, value); }

Tensor randomUniform(const Shape& shape, float minval, float maxval, Seed seed) {
  return strata::randomUniform(shape, minval, maxval, DType::float32, seed);
}
Tensor randomNormal(const Shape& shape, float mean, float stddev, Seed seed) {
  return strata::randomNormal(shape, mean, stddev, seed);
}
Tensor truncatedNormal(const Shape& shape, float mean, float stddev, Seed seed) {
  return strata::truncatedNormal(shape, mean, stddev, seed);
}

Tensor varianceScaling(const Shape& shape, float scale, FanMode mode, Distribution distribution, Seed seed) {
  if (!(scale >= 0)) throw Error("varianceScaling initializer: scale must be >= 0, got " + std::to_string(scale));
  const Fans f = computeFans(shape);
  const double fan = mode == FanMode::fanIn ? f.fanIn : mode == FanMode::fanOut ? f.fanOut : (f.fanIn + f.fanOut) / 2;
  const double s = scale / std::max(1.0, fan);
  switch (distribution) {
    case Distribution::normal:
    case Distribution::truncatedNormal:
      return strata::truncatedNormal(shape, 0.0f, static_cast<float>(std::sqrt(s)), seed);
    case Distribution::untruncatedNormal:
      return strata::randomNormal(shape, 0.0f, static_cast<float>(std::sqrt(s)), seed);
    case Distribution::uniform:
      break;
  }
  const float limit = static_cast<float>(std::sqrt(3 * s));
  return strata::randomUniform(shape, -limit, limit, DType::float32, seed);
}

Tensor glorotUniform(const Shape& s, Seed seed) { return varianceScaling(s, 1, FanMode::fanAvg, Distribution::uniform, seed); }
Tensor glorotNormal(const Shape& s, Seed seed) { return varianceScaling(s, 1, FanMode::fanAvg, Distribution::normal, seed); }
Tensor heUniform(const Shape& s, Seed seed) { return varianceScaling(s, 2, FanMode::fanIn, Distribution::uniform, seed); }
Tensor heNormal(const Shape& s, Seed seed) { return varianceScaling(s, 2, FanMode::fanIn, Distribution::normal, seed); }
Tensor leCunUniform(const Shape& s, Seed seed) { return varianceScaling(s, 1, FanMode::fanIn, Distribution::uniform, seed); }
Tensor leCunNormal(const Shape& s, Seed seed) { return varianceScaling(s, 1, FanMode::fanIn, Distribution::normal, seed); }

Tensor orthogonal(const Shape& shape, float gain, Seed seed) {
  if (shape.size() < 2)
    throw Error("orthogonal initializer: the shape must have rank 2 or more, got " + shapeString(shape));
  int64_t rows = 1;
  for (size_t i = 0; i + 1 < shape.size(); ++i) rows *= shape[i];
  const int64_t cols = shape.back();
  const int64_t m = std::max(rows, cols), n = std::min(rows, cols);
  if (n == 0) return strata::zeros(shape);
  // Q of A = QR with R's diagonal positive, which is what TF.js's Q * sign(diag(R)) is: modified
  // Gram-Schmidt gives that Q directly. Two passes per column keep it orthogonal to rounding.
  // On the host in double: initializers run once, and the matrix is at most a few MB.
  std::vector<float> a = tidy([&] { return strata::randomNormal({m, n}, 0.0f, 1.0f, seed); }).dataSync();
  std::vector<double> q(static_cast<size_t>(m * n));  // column j at q[j * m]
  std::vector<double> v(static_cast<size_t>(m));
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t i = 0; i < m; ++i) v[i] = a[i * n + j];
    for (int pass = 0; pass < 2; ++pass)
      for (int64_t k = 0; k < j; ++k) {
        const double* qk = &q[k * m];
        double dot = 0;
        for (int64_t i = 0; i < m; ++i) dot += qk[i] * v[i];
        for (int64_t i = 0; i < m; ++i) v[i] -= dot * qk[i];
      }
    double norm = 0;
    for (int64_t i = 0; i < m; ++i) norm += v[i] * v[i];
    norm = std::sqrt(norm);
    const double inv = norm > 0 ? 1.0 / norm : 0.0;  // a zero column stays zero, as sign(0) = 0 makes it in TF.js
    for (int64_t i = 0; i < m; ++i) q[j * m + i] = v[i] * inv;
  }
  // Flattened result [rows, cols]: Q itself when rows >= cols, else Q transposed.
  std::vector<float> out(static_cast<size_t>(rows * cols));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      out[r * cols + c] = static_cast<float>(gain * (rows >= cols ? q[c * m + r] : q[r * m + c]));
  return strata::tensor(out, shape);
}

Tensor identity(const Shape& shape, float gain) {
  if (shape.size() != 2 || shape[0] != shape[1])
    throw Error("identity initializer: only square 2-D shapes are supported, got " + shapeString(shape));
  return tidy([&] { return mul(scalar(gain), eye(static_cast<int>(shape[0]))); });
}

namespace {

// One initializer class: reads its config (ctx names it in errors) and draws.
using Maker = Tensor (*)(const Json& c, const Shape& s, Seed seed, const std::string& ctx);

float num(const Json& c, const char* snake, const char* camel, double fallback, const std::string& ctx) {
  return static_cast<float>(keras::number(c, snake, camel, fallback, ctx));
}

FanMode fanModeOf(const Json& c, const std::string& ctx) {
  const Json* v = keras::field(c, "mode");
  if (!v) return FanMode::fanIn;
  static const std::map<std::string, FanMode> modes{
      {"fanin", FanMode::fanIn}, {"fanout", FanMode::fanOut}, {"fanavg", FanMode::fanAvg}};
  auto it = v->is_string() ? modes.find(keras::canonicalName(v->get<std::string>())) : modes.end();
  if (it == modes.end()) throw Error(ctx + ".mode must be one of fan_in, fan_out, fan_avg, got " + v->dump());
  return it->second;
}

Distribution distributionOf(const Json& c, const std::string& ctx) {
  const Json* v = keras::field(c, "distribution");
  if (!v) return Distribution::normal;
  static const std::map<std::string, Distribution> dists{{"normal", Distribution::normal},
                                                         {"uniform", Distribution::uniform},
                                                         {"truncatednormal", Distribution::truncatedNormal},
                                                         {"untruncatednormal", Distribution::untruncatedNormal}};
  auto it = v->is_string() ? dists.find(keras::canonicalName(v->get<std::string>())) : dists.end();
  if (it == dists.end())
    throw Error(ctx + ".distribution must be one of normal, uniform, truncated_normal, untruncated_normal, got " +
                v->dump());
  return it->second;
}

// The variance-scaling presets ignore everything in their config but the seed (as tfjs-layers).
template <Tensor (*F)(const Shape&, Seed)>
Tensor preset(const Json&, const Shape& s, Seed seed, const std::string&) {
  return F(s, seed);
}

// Canonical class name (keras::canonicalName) -> maker.
const std::map<std::string, Maker>& registry() {
  static const std::map<std::string, Maker> table{
      {"zeros", [](const Json&, const Shape& s, Seed, const std::string&) { return zeros(s); }},
      {"ones", [](const Json&, const Shape& s, Seed, const std::string&) { return ones(s); }},
      {"constant",
       [](const Json& c, const Shape& s, Seed, const std::string& ctx) {
         if (!keras::field(c, "value")) throw Error(ctx + ".value is missing (Constant needs a value)");
         return constant(s, num(c, "value", nullptr, 0, ctx));
       }},
      {"randomuniform",
       [](const Json& c, const Shape& s, Seed seed, const std::string& ctx) {
         return randomUniform(s, num(c, "minval", nullptr, -0.05, ctx), num(c, "maxval", nullptr, 0.05, ctx), seed);
       }},
      {"randomnormal",
       [](const Json& c, const Shape& s, Seed seed, const std::string& ctx) {
         return randomNormal(s, num(c, "mean", nullptr, 0, ctx), num(c, "stddev", nullptr, 0.05, ctx), seed);
       }},
      {"truncatednormal",
       [](const Json& c, const Shape& s, Seed seed, const std::string& ctx) {
         return truncatedNormal(s, num(c, "mean", nullptr, 0, ctx), num(c, "stddev", nullptr, 0.05, ctx), seed);
       }},
      {"variancescaling",
       [](const Json& c, const Shape& s, Seed seed, const std::string& ctx) {
         const float scale = num(c, "scale", nullptr, 1.0, ctx);
         if (scale < 0) throw Error(ctx + ".scale must be >= 0, got " + std::to_string(scale));
         return varianceScaling(s, scale, fanModeOf(c, ctx), distributionOf(c, ctx), seed);
       }},
      {"glorotuniform", preset<glorotUniform>},
      {"glorotnormal", preset<glorotNormal>},
      {"heuniform", preset<heUniform>},
      {"henormal", preset<heNormal>},
      {"lecununiform", preset<leCunUniform>},
      {"lecunnormal", preset<leCunNormal>},
      {"orthogonal",
       [](const Json& c, const Shape& s, Seed seed, const std::string& ctx) {
         return orthogonal(s, num(c, "gain", nullptr, 1.0, ctx), seed);
       }},
      {"identity",
       [](const Json& c, const Shape& s, Seed, const std::string& ctx) {
         return identity(s, num(c, "gain", nullptr, 1.0, ctx));
       }},
  };
  return table;
}

// Keras 3 spells two classes with an "Initializer" suffix.
std::string withoutSuffix(std::string name) {
  static const std::string suffix = "initializer";
  if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
    name.resize(name.size() - suffix.size());
  return name;
}

}  // namespace

Tensor fromConfig(const Json& initializerConfig, const Shape& shape, Seed defaultSeed, const std::string& context) {
  const keras::Object obj = keras::readObject(initializerConfig, "initializer", context);
  const std::string key = withoutSuffix(keras::canonicalName(obj.className));
  auto it = registry().find(key);
  if (it == registry().end())
    throw Error(context + ": unknown initializer class '" + obj.className +
                "' (known: Zeros, Ones, Constant, RandomUniform, RandomNormal, TruncatedNormal, VarianceScaling, "
                "GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal, Identity)");
  const std::string ctx = context + (initializerConfig.is_object() ? ".config" : "");
  const Seed seed = keras::seed(*obj.config, ctx);
  try {
    return it->second(*obj.config, shape, seed ? seed : defaultSeed, ctx);
  } catch (const DisposedError&) {
    throw;
  } catch (const OutOfMemoryError&) {
    throw;
  } catch (const Error& e) {
    // Errors from the drawing functions do not know the config's place: add it.
    const std::string msg = e.what();
    if (msg.rfind(context, 0) == 0) throw;
    throw Error(context + ": " + msg);
  }
}

}  // namespace strata::initializers
