// Out-of-range indices on the cuda backend. The reference throws from GatherV2, GatherNd and
// ScatterNd when an index is out of range; a device kernel cannot, and the indices live on the
// device (checking them on the host would cost a synchronization per gather and break CUDA
// graph capture). So those kernels write zeros for a bad gather slice (ScatterNd drops the
// update) and record the first bad index in device memory; this function reports it.
#pragma once

#ifdef STRATA_CUDA_BACKEND

namespace strata::cuda {

/// Call after the stream has been synchronized (downloads, synchronize()): throws
/// strata::Error with the reference's message for the first out-of-range index met since the
/// last call, and clears it. Costs nothing unless an index kernel was launched since the last
/// call (then one 4-byte device-to-host copy). Kernels replayed from a CUDA graph are not
/// tracked; their faults surface at the next check after an eager index kernel.
void throwIndexFault();

}  // namespace strata::cuda

#endif  // STRATA_CUDA_BACKEND
