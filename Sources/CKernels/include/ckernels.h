// Why this target exists: OpenBLAS has no pre-packed GEMM, so at the small row
// counts of per-frame inference (50 tokens of a ViT-B/32 image) it spends as
// much time re-packing the weight matrix on every call as multiplying. These
// kernels multiply against weights packed once at load. x86-64 with AVX-512F
// or AVX2+FMA, chosen at run time; everything else falls back to cblas_sgemm.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>

/// Width of one packed panel of output columns.
#define CKERNELS_PANEL 32

/// 1 when this CPU can run the packed kernels.
int ckernels_packed_supported(void);

/// Testing: 1 limits the kernels to AVX2 even on an AVX-512 CPU, 0 restores detection.
void ckernels_limit_to_avx2(int limit);

/// Packs weight (n, k) row-major (PyTorch's nn.Linear layout) into
/// ceil(n/32) panels of (k, 32), zero-padded: packed[(p*k + i)*32 + j] = weight[(p*32 + j)*k + i].
/// `packed` holds ceil(n/32)*32*k floats.
void ckernels_pack(const float *weight, size_t n, size_t k, float *packed);

/// y (m, n) = x (m, k) · weightᵀ (+ bias) (+ y when accumulate), for the
/// panels [panel_begin, panel_end) only (so threads can split the panels).
void ckernels_packed_linear(const float *x, size_t m, size_t k, const float *packed, size_t n, const float *bias,
                            int accumulate, float *y, size_t panel_begin, size_t panel_end);

#endif
