// Why this target exists: OpenBLAS has no pre-packed GEMM, so at the small row
// counts of per-frame inference (50 tokens of a ViT-B/32 image) it spends as
// much time re-packing the weight matrix on every call as multiplying. These
// kernels multiply against weights packed once at load. x86-64 with AVX-512F
// or AVX2+FMA, chosen at run time; everything else falls back to cblas_sgemm.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

/// Width of one packed panel of output columns.
#define CKERNELS_PANEL 32
/// Rows of one AVX-512 tile: callers splitting rows between threads split at multiples of it.
#define CKERNELS_ROW_TILE 10

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

/// Floats of x (m, k) laid out for the AVX-512 tile (rows in tiles of 10, k-major per 256-wide block).
size_t ckernels_packed_x_floats(size_t m, size_t k);

/// Lays x (m ≤ 480, k) out once for `ckernels_packed_linear_shared`, in this
/// thread's buffer (valid until this thread's next packed call); NULL where
/// the CPU has no AVX-512F, m is larger, or memory ran out (callers use
/// `ckernels_packed_linear` then).
const float *ckernels_pack_x(const float *x, size_t m, size_t k);

/// `ckernels_packed_linear` over x laid out by `ckernels_pack_x`, for threads
/// sharing one output: each claims `chunk` column panels at a time from
/// *next_chunk (atomically) until none are left, so a thread slowed by the
/// machine's neighbours does less of the work, not all of the waiting. The
/// same bits as `ckernels_packed_linear`.
void ckernels_packed_linear_shared(const float *xp, size_t m, size_t k, const float *packed, size_t n,
                                   const float *bias, int accumulate, float *y, size_t *next_chunk, size_t chunk);

/// A spin-wait hint (x86 `pause`), for the thread pool's workers waiting for a job.
static inline void ckernels_pause(void) {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

// MARK: elementwise (elementwise.c)

/// Lanes of the elementwise kernels on this CPU: 16 (AVX-512F), 8 (AVX2) or 0 (none: callers use Swift's SIMD8).
int ckernels_elementwise_width(void);
/// Testing: run at `width` lanes from now on (0: none, -1: detect again); 0 when this CPU cannot.
int ckernels_elementwise_force_width(int width);
/// x ← exp(x), x·σ(1.702x) or x·σ(2·√(2/π)(x + 0.044715x³)) in place: FastMath's operations, its bits.
void ckernels_exp(float *x, size_t n);
void ckernels_quick_gelu(float *x, size_t n);
void ckernels_gelu_tanh(float *x, size_t n);

// MARK: attention (attention.c)

/// 1 when this CPU runs the attention kernels (AVX-512F); otherwise callers use BLAS.
int ckernels_attention_supported(void);

/// scores (length, length) = scale · Q Kᵀ for one head: q and k point at the head's first column, rows `ld`
/// apart, `d` wide; `keys` is scratch for d·length floats.
void ckernels_attention_scores(const float *q, const float *k, size_t ld, size_t length, size_t d, float scale,
                               float *keys, float *scores);

/// out (length, d), rows `ldo` apart = P (length, length) · V, V's rows `ld` apart.
void ckernels_attention_mix(const float *p, const float *v, size_t ld, size_t length, size_t d, float *out,
                            size_t ldo);

// MARK: AMX (amx.c)

/// 1 when this CPU has AMX tiles with int8 (bf16 = 0) or bf16 (bf16 = 1) products and Linux lets this
/// process use them (asked once).
int ckernels_amx_supports(int bf16);
/// For the AMX kernels: sets this thread's eight tiles to 16 rows × 64 bytes (release them with tilerelease).
void ckernels_amx_configure_tiles(void);

// MARK: int8 (int8_linear.c)

/// Columns per packed int8 panel; the kernels consume k in groups of 4.
#define CKERNELS_I8_PANEL 16
/// Largest quantised weight magnitude (7 bits: see int8_linear.c).
#define CKERNELS_I8_WEIGHT_MAX 63.0f
/// Kernel variants, for forced dispatch in tests.
#define CKERNELS_I8_PORTABLE 0
#define CKERNELS_I8_AVX2 1
#define CKERNELS_I8_AVX512VNNI 2
#define CKERNELS_I8_AMX 3

/// k rounded up to a multiple of 64 (one AMX tile row; the other kernels take groups of 4).
size_t ckernels_i8_padded_k(size_t k);
/// m rounded up to a multiple of 16 (an AMX tile's rows): the rows of a quantised input.
size_t ckernels_i8_padded_rows(size_t m);

/// Quantises weight (n, k) per output channel (scale = max|w| / 63) and packs it:
/// packed holds ceil(n/16)·16·padded_k bytes, scales and colsums ceil(n/16)·16 entries
/// (colsums[j] = Σ quantised w[j]: the zero-point correction).
void ckernels_i8_pack(const float *weight, size_t n, size_t k, int8_t *packed, float *scales, int32_t *colsums);

/// Quantises each row of x (m, k) to u8 with its own scale and zero point; q is (padded_rows(m), padded_k),
/// zero padded (whole rows too), laid out as the variant in use reads it (rows; for AMX 16×64-byte tiles).
void ckernels_i8_quantize_rows(const float *x, size_t m, size_t k, uint8_t *q, float *scales, int32_t *zeros);

/// y (m, n) = dequantised(q · packedᵀ) + bias (+ y when accumulate), for panels [panel_begin, panel_end).
void ckernels_i8_linear(const uint8_t *q, const float *xscales, const int32_t *xzeros, size_t m, size_t kp,
                        const int8_t *packed, const float *wscales, const int32_t *colsums, size_t n, const float *bias,
                        int accumulate, float *y, size_t panel_begin, size_t panel_end);

/// 1 when this CPU runs `variant`.
int ckernels_i8_supports(int variant);
/// Testing: run `variant` from now on (-1: detect again); 0 when this CPU cannot.
int ckernels_i8_force(int variant);
/// The variant in use.
int ckernels_i8_variant(void);


// MARK: bf16 (bf16_linear.c)

/// Columns per packed bf16 panel; the kernels consume k in pairs.
#define CKERNELS_BF16_PANEL 16
/// Kernel variants, for forced dispatch in tests.
#define CKERNELS_BF16_PORTABLE 0
#define CKERNELS_BF16_AVX512 1
#define CKERNELS_BF16_AMX 2

/// k rounded up to a multiple of 32 (one AMX tile row; the other kernels take pairs).
size_t ckernels_bf16_padded_k(size_t k);
/// m rounded up to a multiple of 16 (an AMX tile's rows): the rows of a converted input.
size_t ckernels_bf16_padded_rows(size_t m);

/// Converts weight (n, k) to bfloat16 (nearest even) and packs it: ceil(n/16)·16·padded_k values.
void ckernels_bf16_pack(const float *weight, size_t n, size_t k, uint16_t *packed);

/// Converts x (m, k) to bfloat16: (padded_rows(m), padded_k), zero padded, laid out as the variant in use
/// reads it (rows; for AMX 16×32-element tiles).
void ckernels_bf16_convert_rows(const float *x, size_t m, size_t k, uint16_t *xb);

/// y (m, n) = xb · packedᵀ (+ bias) (+ y when accumulate), fp32 sums, for panels [panel_begin, panel_end).
void ckernels_bf16_linear(const uint16_t *xb, size_t m, size_t kp, const uint16_t *packed, size_t n, const float *bias,
                          int accumulate, float *y, size_t panel_begin, size_t panel_end);

/// 1 when this CPU runs `variant`.
int ckernels_bf16_supports(int variant);
/// Testing: run `variant` from now on (-1: detect again); 0 when this CPU cannot.
int ckernels_bf16_force(int variant);
/// The variant in use.
int ckernels_bf16_variant(void);

#endif
