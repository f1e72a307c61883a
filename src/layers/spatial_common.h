// Helpers shared by the convolution, pooling, reshaping, normalization and merge layer families:
// config readers for the Keras spatial keys (data_format, padding, int-or-pair lists), the
// TF.js output-length rules, and input checks whose errors name the layer.
#pragma once

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "models/activations.h"
#include "strata/error.h"
#include "strata/layer.h"
#include "strata/ops.h"

namespace strata::layers::spatial {

/// Shape text with unknown extents as "null" (as Keras prints them): [null,8,8,3].
inline std::string symShapeString(const SymShape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ",";
    out += s[i] < 0 ? std::string("null") : std::to_string(s[i]);
  }
  return out + "]";
}

/// Only channels_last is supported; a missing or null data_format means channels_last.
inline void requireChannelsLast(const Config& c) {
  if (!c.has("data_format")) return;
  const Json& v = c.raw("data_format");
  if (!v.is_string())
    throw Error(c.where("data_format") + " must be \"channels_last\" or \"channels_first\", got " + v.dump());
  std::string f = v.get<std::string>();
  if (f == "channels_last" || f == "channelsLast") return;
  if (f == "channels_first" || f == "channelsFirst")
    throw Error(c.where("data_format") +
                " is \"channels_first\"; only \"channels_last\" (NHWC) is supported");
  throw Error(c.where("data_format") + " must be \"channels_last\" or \"channels_first\", got " + v.dump());
}

/// "valid" (the default), "same" or "causal" (TF.js's PaddingMode values).
inline std::string readPaddingMode(const Config& c) {
  std::string p = c.getString("padding", "valid");
  if (p != "valid" && p != "same" && p != "causal")
    throw Error(c.where("padding") + " must be \"valid\", \"same\" or \"causal\", got \"" + p + "\"");
  return p;
}

/// The op padding TF.js passes on: "same" stays, anything else ("valid", "causal") is "valid".
inline Padding opPadding(const std::string& mode) { return Padding(mode == "same" ? "same" : "valid"); }

/// Positive integers of a list key.
inline std::vector<int> readPositiveInts(const Config& c, const char* key, size_t n, std::vector<int> fallback) {
  std::vector<int> v = c.getInts(key, n, std::move(fallback));
  for (int x : v)
    if (x <= 0) {
      std::string all;
      for (int y : v) all += (all.empty() ? "" : ", ") + std::to_string(y);
      throw Error(c.where(key) + " must hold positive integers, got [" + all + "]");
    }
  return v;
}

/// TF.js convOutputLength; -1 (unknown) stays -1. Causal behaves like valid here, as in TF.js.
inline int64_t convOutputLength(int64_t in, int filter, const std::string& padding, int stride, int dilation = 1) {
  if (in < 0) return -1;
  int64_t dilated = filter + static_cast<int64_t>(filter - 1) * (dilation - 1);
  int64_t out = padding == "same" ? in : in - dilated + 1;
  // Math.floor((out + stride - 1) / stride) for possibly negative out.
  int64_t num = out + stride - 1;
  int64_t q = num / stride;
  if (num % stride != 0 && num < 0) --q;
  return q;
}

/// TF.js deconvLength for Conv2DTranspose.
inline int64_t deconvLength(int64_t in, int stride, int kernel, const std::string& padding) {
  if (in < 0) return -1;
  if (padding == "valid") return in * stride + std::max(kernel - stride, 0);
  return in * stride;  // "same"
}

/// Throws unless exactly one input shape of rank `rank` is given.
inline const SymShape& oneShape(const Layer& l, const std::vector<SymShape>& shapes, int rank) {
  if (shapes.size() != 1)
    throw Error(l.describe() + " expects 1 input, got " + std::to_string(shapes.size()));
  if (rank >= 0 && static_cast<int>(shapes[0].size()) != rank)
    throw Error(l.describe() + " expects an input of rank " + std::to_string(rank) + ", got shape " +
                symShapeString(shapes[0]));
  return shapes[0];
}

/// Throws unless exactly one input tensor of rank `rank` is given.
inline const Tensor& oneTensor(const Layer& l, const std::vector<Tensor>& inputs, int rank) {
  expectInputs(l, inputs, 1);
  if (rank >= 0 && inputs[0].rank() != rank)
    throw Error(l.describe() + " expects an input of rank " + std::to_string(rank) + ", got shape " +
                shapeString(inputs[0].shape()));
  return inputs[0];
}

/// The channel extent (last axis) of a shape; throws if unknown.
inline int64_t knownChannels(const Layer& l, const SymShape& s) {
  if (s.empty() || s.back() < 0)
    throw Error(l.describe() + ": the channel dimension (last axis) of the input must be defined, got shape " +
                symShapeString(s));
  return s.back();
}

/// Adds `bias` (if defined) and applies the activation.
inline Tensor biasActivation(Tensor y, const Tensor& bias, const ActivationSpec& act) {
  if (bias.defined()) y = add(y, bias);
  return act.name == "linear" ? y : act.fn(y);
}

/// The activation of a layer config (missing or null means linear, as in TF.js).
inline ActivationSpec readActivation(const Config& c, const std::string& context) {
  if (!c.has("activation")) return getActivation(Json("linear"), context);
  return getActivation(c.raw("activation"), context);
}

}  // namespace strata::layers::spatial
