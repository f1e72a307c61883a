// The int8 layer classes of quantized models (src/optimize/int8_layers.cpp) as the model
// rewriter (quantize_int8.cpp) sees them: their Keras class names and config keys.
//
// Each keeps its float twin's Keras config (filters, kernel_size, strides, dilation_rate, units,
// depth_multiplier, use_bias, activation) and adds
//   "padding": "same" | "valid" | [[top, bottom], [left, right]]  (explicit: an absorbed ZeroPadding2D)
//   "quantization": {"input":  {"scale": s, "zero_point": z},      uint8 input parameters
//                    "output": {"scale": s, "zero_point": z},      present: the output is uint8
//                    "weight_bits": b}
// Weights: "kernel" (depthwise: "depthwise_kernel") int8 in the float layer's shape,
// "kernel_scale" float32 [output channels], "bias" float32 [output channels] when use_bias.
#pragma once

#include <string>

namespace strata::int8 {

inline constexpr const char* kConv2D = "QuantizedConv2D";
inline constexpr const char* kDepthwiseConv2D = "QuantizedDepthwiseConv2D";
inline constexpr const char* kDense = "QuantizedDense";

/// The int8 class standing in for a float Keras class ("Conv2D" -> "QuantizedConv2D"), or "".
inline std::string twinOf(const std::string& floatClass) {
  if (floatClass == "Conv2D") return kConv2D;
  if (floatClass == "DepthwiseConv2D") return kDepthwiseConv2D;
  if (floatClass == "Dense") return kDense;
  return "";
}

inline bool isInt8Class(const std::string& cls) {
  return cls == kConv2D || cls == kDepthwiseConv2D || cls == kDense;
}

}  // namespace strata::int8
