// exp, quick GELU and tanh GELU over whole buffers, 16 (AVX-512) or 8 (AVX2)
// lanes at a time. Swift code is built for baseline x86-64, so its SIMD8
// version (Tensor/FastMath.swift) runs as pairs of SSE instructions: the
// GELU after each fc1 was an eighth of an int8 ViT-B/32 image. These are
// the same operations in the same order, never fused (no FMA contraction),
// so they give FastMath's bits exactly (tested).
#include "ckernels.h"

#pragma STDC FP_CONTRACT OFF

#if defined(__x86_64__)
#include <immintrin.h>

enum { function_exp, function_quick_gelu, function_gelu_tanh };

// FastMath.exp: Cephes-style range reduction and a degree-6 polynomial.
#define EXP_BODY(V, set1, mul, add, sub, less, greater, blend, cast_i, cast_f, sub_i, add_i, shift_i, set1_i) \
  V low = set1(-87.3f), high = set1(88.3f);                                                                   \
  x = blend(less(x, low), x, low);                                                                            \
  x = blend(greater(x, high), x, high);                                                                       \
  const V magic = set1(12582912.0f);                                                                          \
  const V shifted = add(mul(x, set1(1.44269504f)), magic);                                                    \
  const V n = sub(shifted, magic);                                                                            \
  V r = sub(x, mul(n, set1(0.693359375f)));                                                                   \
  r = add(r, mul(n, set1(2.1219444e-4f)));                                                                    \
  V p = set1(1.98756915e-4f);                                                                                 \
  p = add(mul(p, r), set1(1.39819995e-3f));                                                                   \
  p = add(mul(p, r), set1(8.3334519e-3f));                                                                    \
  p = add(mul(p, r), set1(4.1665796e-2f));                                                                    \
  p = add(mul(p, r), set1(1.66666655e-1f));                                                                   \
  p = add(mul(p, r), set1(5.0000001e-1f));                                                                    \
  const V er = add(add(mul(p, mul(r, r)), r), set1(1.0f));                                                    \
  const V scale = cast_f(shift_i(add_i(sub_i(cast_i(shifted), set1_i(0x4B400000)), set1_i(127)), 23));       \
  return mul(er, scale);

#define LESS512(a, b) _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ)
#define GREATER512(a, b) _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ)
#define BLEND512(mask, a, b) _mm512_mask_blend_ps(mask, a, b)

__attribute__((target("avx512f"), always_inline)) static inline __m512 exp512(__m512 x) {
  EXP_BODY(__m512, _mm512_set1_ps, _mm512_mul_ps, _mm512_add_ps, _mm512_sub_ps, LESS512, GREATER512, BLEND512,
           _mm512_castps_si512, _mm512_castsi512_ps, _mm512_sub_epi32, _mm512_add_epi32, _mm512_slli_epi32,
           _mm512_set1_epi32)
}

#define LESS256(a, b) _mm256_cmp_ps(a, b, _CMP_LT_OQ)
#define GREATER256(a, b) _mm256_cmp_ps(a, b, _CMP_GT_OQ)
#define BLEND256(mask, a, b) _mm256_blendv_ps(a, b, mask)

__attribute__((target("avx2"), always_inline)) static inline __m256 exp256(__m256 x) {
  EXP_BODY(__m256, _mm256_set1_ps, _mm256_mul_ps, _mm256_add_ps, _mm256_sub_ps, LESS256, GREATER256, BLEND256,
           _mm256_castps_si256, _mm256_castsi256_ps, _mm256_sub_epi32, _mm256_add_epi32, _mm256_slli_epi32,
           _mm256_set1_epi32)
}

// x / (1 + exp(t)) with t per function, as FastMath writes them.
#define FUNCTION_BODY(V, set1, mul, add, div, exp, negate)                                  \
  switch (function) {                                                                       \
    case function_exp: return exp(x);                                                       \
    case function_quick_gelu: return div(x, add(set1(1.0f), exp(mul(set1(-1.702f), x))));   \
    default: {                                                                              \
      const V cubic = mul(mul(mul(set1(0.044715f), x), x), x);                              \
      const V twice_u = mul(set1(1.5957691f), add(x, cubic));                               \
      return div(x, add(set1(1.0f), exp(negate(twice_u))));                                 \
    }                                                                                       \
  }

#define NEGATE512(v) _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(v), _mm512_set1_epi32((int)0x80000000)))
#define NEGATE256(v) _mm256_xor_ps(v, _mm256_set1_ps(-0.0f))

__attribute__((target("avx512f"), always_inline)) static inline __m512 function512(__m512 x, const int function) {
  FUNCTION_BODY(__m512, _mm512_set1_ps, _mm512_mul_ps, _mm512_add_ps, _mm512_div_ps, exp512, NEGATE512)
}

__attribute__((target("avx2"), always_inline)) static inline __m256 function256(__m256 x, const int function) {
  FUNCTION_BODY(__m256, _mm256_set1_ps, _mm256_mul_ps, _mm256_add_ps, _mm256_div_ps, exp256, NEGATE256)
}

// The tail goes through a zero-padded vector, as FastMath's does.
__attribute__((target("avx512f"), always_inline)) static inline void apply512(float *x, size_t n, const int function) {
  size_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(x + i, function512(_mm512_loadu_ps(x + i), function));
  if (i < n) {
    const __mmask16 tail = (__mmask16)((1u << (n - i)) - 1);
    _mm512_mask_storeu_ps(x + i, tail, function512(_mm512_maskz_loadu_ps(tail, x + i), function));
  }
}

__attribute__((target("avx2"), always_inline)) static inline void apply256(float *x, size_t n, const int function) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, function256(_mm256_loadu_ps(x + i), function));
  if (i < n) {
    float tail[8] = {0};
    for (size_t j = i; j < n; j++) tail[j - i] = x[j];
    _mm256_storeu_ps(tail, function256(_mm256_loadu_ps(tail), function));
    for (size_t j = i; j < n; j++) x[j] = tail[j - i];
  }
}

// One instance per function, so each inlines its own body.
#define ENTRY(name, function)                                                                         \
  __attribute__((target("avx512f"))) static void name##_512(float *x, size_t n) { apply512(x, n, function); } \
  __attribute__((target("avx2"))) static void name##_256(float *x, size_t n) { apply256(x, n, function); }    \
  void ckernels_##name(float *x, size_t n) {                                                          \
    if (ckernels_elementwise_width() == 16)                                                           \
      name##_512(x, n);                                                                               \
    else                                                                                              \
      name##_256(x, n);                                                                               \
  }

static int forced_width = -1;

int ckernels_elementwise_width(void) {
  if (forced_width >= 0) return forced_width;
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") ? 16 : __builtin_cpu_supports("avx2") ? 8 : 0;
}

int ckernels_elementwise_force_width(int width) {
  if (width < 0) {
    forced_width = -1;
    return 1;
  }
  __builtin_cpu_init();
  if (width != 0 && width != 8 && width != 16) return 0;
  if (width == 16 && !__builtin_cpu_supports("avx512f")) return 0;
  if (width == 8 && !__builtin_cpu_supports("avx2")) return 0;
  forced_width = width;
  return 1;
}

ENTRY(exp, function_exp)
ENTRY(quick_gelu, function_quick_gelu)
ENTRY(gelu_tanh, function_gelu_tanh)
#else
int ckernels_elementwise_width(void) { return 0; }
int ckernels_elementwise_force_width(int width) { return width <= 0; }
void ckernels_exp(float *x, size_t n) {}
void ckernels_quick_gelu(float *x, size_t n) {}
void ckernels_gelu_tanh(float *x, size_t n) {}
#endif
