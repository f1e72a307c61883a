// Op schema of the elementwise kernels: their names (TF.js kernel names) and attributes.
// Backends implement these; ops in src/ops/unary.cpp and src/ops/binary.cpp dispatch to them.
#pragma once

#include "strata/dtype.h"

namespace strata::schema {

/// Unary kernels (one input, one output of the same shape).
/// Float-only: Acos Acosh Asin Asinh Atan Atanh Ceil Cos Cosh Elu Erf Exp Expm1 Floor Gelu
///   IsFinite IsInf IsNan (bool out) Log Log1p Reciprocal Round Rsqrt Selu Sigmoid Sin Sinh
///   Softplus Sqrt Tan Tanh Relu6
/// float32 and int32: Abs Neg Sign Square Relu
/// with attributes: LeakyRelu (alpha), ClipByValue (alpha=min, beta=max), Step (alpha)
/// bool: LogicalNot
struct UnaryAttrs {
  float alpha = 0;
  float beta = 0;
};

/// Cast: converts every element to `dtype` (float->int truncates toward zero; ->bool is != 0).
struct CastAttrs {
  DType dtype = DType::float32;
};

/// Binary kernels with broadcasting (two inputs; the output has the broadcast shape and the
/// op's output dtype, which the op chose). No attributes.
/// Arithmetic (float32, int32): Add Sub Multiply RealDiv FloorDiv Mod Pow Maximum Minimum
///   SquaredDifference Atan2 DivNoNan Prelu
/// Comparison (any dtype in, bool out): Equal NotEqual Less LessEqual Greater GreaterEqual
/// Logical (bool): LogicalAnd LogicalOr LogicalXor
/// Select: three inputs (condition, a, b), all broadcast.
/// Gradient helpers: EluGrad(dy, y), Relu6Grad? no: written with ops.

}  // namespace strata::schema
