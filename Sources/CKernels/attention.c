// The two small products of one attention head, for AVX-512 CPUs: scores
// (L, L) = scale · Q Kᵀ and out (L, d) = P V, with L the tokens of one
// sequence (50 for a ViT-B/32 image, 77 for a text) and d the head width
// (64). OpenBLAS spends most of such a call on set-up and packing — on a
// ViT-B/32 image in int8 these 46 M multiply-adds took a fifth of the time,
// as long as 2 G of the linear layers — so they are done here directly:
// 4 rows × 64 columns of the result in 16 zmm accumulators, the inner
// dimension streamed once.
#include "ckernels.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

int ckernels_attention_supported(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}

// The lanes of a 16-wide vector starting at `column` that lie before `end`.
static inline __mmask16 lanes(size_t column, size_t end) {
  if (column >= end) return 0;
  return end - column >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (end - column)) - 1);
}

// c[r][0..64) (masked at `end`) = Σ_i a[r·lda + i] · b[i·ldb + 0..64) for `rows` rows:
// the one loop both products are made of. `rows` is a compile-time constant in each instance.
__attribute__((target("avx512f"), always_inline)) static inline void rows4x64(
    const int rows, const float *a, size_t lda, const float *b, size_t ldb, size_t inner, size_t end, float scale,
    float *c, size_t ldc) {
  __m512 sum[4][4];
  const __mmask16 m0 = lanes(0, end), m1 = lanes(16, end), m2 = lanes(32, end), m3 = lanes(48, end);
  for (int r = 0; r < rows; r++) sum[r][0] = sum[r][1] = sum[r][2] = sum[r][3] = _mm512_setzero_ps();
  for (size_t i = 0; i < inner; i++) {
    const float *row = b + i * ldb;
    const __m512 b0 = _mm512_maskz_loadu_ps(m0, row), b1 = _mm512_maskz_loadu_ps(m1, row + 16);
    const __m512 b2 = _mm512_maskz_loadu_ps(m2, row + 32), b3 = _mm512_maskz_loadu_ps(m3, row + 48);
    for (int r = 0; r < rows; r++) {
      const __m512 x = _mm512_set1_ps(a[r * lda + i]);
      sum[r][0] = _mm512_fmadd_ps(x, b0, sum[r][0]);
      sum[r][1] = _mm512_fmadd_ps(x, b1, sum[r][1]);
      sum[r][2] = _mm512_fmadd_ps(x, b2, sum[r][2]);
      sum[r][3] = _mm512_fmadd_ps(x, b3, sum[r][3]);
    }
  }
  const __m512 s = _mm512_set1_ps(scale);
  for (int r = 0; r < rows; r++) {
    float *out = c + r * ldc;
    _mm512_mask_storeu_ps(out, m0, _mm512_mul_ps(s, sum[r][0]));
    _mm512_mask_storeu_ps(out + 16, m1, _mm512_mul_ps(s, sum[r][1]));
    _mm512_mask_storeu_ps(out + 32, m2, _mm512_mul_ps(s, sum[r][2]));
    _mm512_mask_storeu_ps(out + 48, m3, _mm512_mul_ps(s, sum[r][3]));
  }
}

// c (m, n) = scale · a (m, inner) · b (inner, n), every stride given.
__attribute__((target("avx512f"))) static void product(const float *a, size_t lda, const float *b, size_t ldb,
                                                       size_t m, size_t n, size_t inner, float scale, float *c,
                                                       size_t ldc) {
  for (size_t column = 0; column < n; column += 64) {
    const size_t end = n - column < 64 ? n - column : 64;
    for (size_t r = 0; r < m; r += 4) {
      const float *ar = a + r * lda;
      float *cr = c + r * ldc + column;
      switch (m - r < 4 ? m - r : 4) {
        case 4: rows4x64(4, ar, lda, b + column, ldb, inner, end, scale, cr, ldc); break;
        case 3: rows4x64(3, ar, lda, b + column, ldb, inner, end, scale, cr, ldc); break;
        case 2: rows4x64(2, ar, lda, b + column, ldb, inner, end, scale, cr, ldc); break;
        default: rows4x64(1, ar, lda, b + column, ldb, inner, end, scale, cr, ldc); break;
      }
    }
  }
}

void ckernels_attention_scores(const float *q, const float *k, size_t ld, size_t length, size_t d, float scale,
                               float *keys, float *scores) {
  // Kᵀ (d, length) first, so the product streams whole rows of it.
  for (size_t j = 0; j < length; j++)
    for (size_t i = 0; i < d; i++) keys[i * length + j] = k[j * ld + i];
  product(q, ld, keys, length, length, length, d, scale, scores, length);
}

void ckernels_attention_mix(const float *p, const float *v, size_t ld, size_t length, size_t d, float *out,
                            size_t ldo) {
  product(p, length, v, ld, length, d, length, 1.0f, out, ldo);
}
#else
int ckernels_attention_supported(void) { return 0; }
void ckernels_attention_scores(const float *q, const float *k, size_t ld, size_t length, size_t d, float scale,
                               float *keys, float *scores) {}
void ckernels_attention_mix(const float *p, const float *v, size_t ld, size_t length, size_t d, float *out,
                            size_t ldo) {}
#endif
