// Types shared by the neural-network op families: padding and fused activations.
#pragma once

#include <array>
#include <string>
#include <vector>

namespace strata {

/// Convolution/pooling padding: "valid", "same", or explicit per-side amounts.
struct Padding {
  enum class Kind { valid, same, explicit_ };
  Kind kind = Kind::valid;
  /// Explicit amounts: {top, bottom, left, right} (for 1-D: {left, right, 0, 0}).
  std::array<int, 4> amounts{0, 0, 0, 0};

  Padding() = default;
  /// "valid" or "same"; throws strata::Error otherwise.
  Padding(const char* mode);
  Padding(const std::string& mode) : Padding(mode.c_str()) {}
  /// The same amount on every side (TF.js numeric pad).
  Padding(int all) : kind(Kind::explicit_), amounts{all, all, all, all} {}
  static Padding explicitPads(int top, int bottom, int left, int right) {
    Padding p;
    p.kind = Kind::explicit_;
    p.amounts = {top, bottom, left, right};
    return p;
  }
};

/// Activation fused into matMul/conv2d (TF.js fused ops).
enum class Activation { linear, relu, relu6, elu, leakyrelu, prelu, sigmoid };
/// Parses "linear", "relu", "relu6", "elu", "leakyrelu", "prelu", "sigmoid".
Activation parseActivation(const std::string& name);

}  // namespace strata
