// Registration functions of the reference kernels, one per op family (one file each).
#pragma once

#include "strata/backend.h"

namespace strata::reference {

inline constexpr const char* kName = "reference";

void registerElementwiseKernels();
void registerReduceKernels();
void registerShapeKernels();
void registerMatMulKernels();
void registerConvKernels();
void registerPoolKernels();
void registerNormalizationKernels();
void registerIndexingKernels();
void registerImageKernels();
void registerRandomKernels();

}  // namespace strata::reference
