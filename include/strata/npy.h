// NumPy .npy files: how arrays travel on the command line (DESIGN §4).
#pragma once

#include <string>

#include "strata/tensor.h"

namespace strata {

/// Reads a little-endian, C-order .npy file. float32, int32 and bool load as they are;
/// float64 loads as float32, int64/int8/int16/uint8/uint16 as int32 (values must fit).
/// Throws strata::Error naming the file and what is wrong with it.
Tensor loadNpy(const std::string& path);

/// Writes a float32, int32 or bool tensor as .npy (format 1.0). The file is written to a
/// temporary name and renamed, so a failure never leaves a half-written file.
void saveNpy(const std::string& path, const Tensor& t);

}  // namespace strata
