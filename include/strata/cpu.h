// The cpu backend's settings (oneDNN + OpenMP). The thread count starts from the
// STRATA_NUM_THREADS environment variable when set, else OpenMP's default. When Strata was
// built without the cpu backend these calls do nothing and getNumThreads() returns 1.
#pragma once

namespace strata {

/// Sets the number of threads the cpu backend's kernels (and oneDNN) use; n < 1 means 1.
void setNumThreads(int n);
/// The number of threads the cpu backend's kernels use.
int getNumThreads();

}  // namespace strata
