// int8 linear layers: weights quantised per output channel once at load and
// packed for the kernel, activations quantised per row (token) at run time,
// int32 accumulation, dequantisation fused with bias and the residual add.
//
//   x[r][i] ≈ sx[r]·(qx[r][i] − zx[r])      qx: u8, asymmetric per row
//   w[j][i] ≈ sw[j]·qw[j][i]                qw: s8 in [−63, 63], symmetric per channel
//   y[r][j] = sx[r]·sw[j]·(Σᵢ qx·qw − zx[r]·Σᵢ qw[j][i]) + bias[j]
//
// Weights use 7 bits: the AVX2 kernel multiplies with vpmaddubsw, whose
// 16-bit pair sums saturate above 32767; 255·63·2 = 32130 never does, so the
// AVX2 kernel and the portable one compute the same integers.
#include "ckernels.h"

#include <math.h>
#include <string.h>

size_t ckernels_i8_padded_k(size_t k) { return (k + 3) & ~(size_t)3; }

void ckernels_i8_pack(const float *weight, size_t n, size_t k, int8_t *packed, float *scales, int32_t *colsums) {
  const size_t kp = ckernels_i8_padded_k(k);
  const size_t panels = (n + CKERNELS_I8_PANEL - 1) / CKERNELS_I8_PANEL;
  memset(packed, 0, panels * CKERNELS_I8_PANEL * kp);
  for (size_t j = 0; j < panels * CKERNELS_I8_PANEL; j++) {
    scales[j] = 0;
    colsums[j] = 0;
    if (j >= n) continue;
    const float *row = weight + j * k;
    float largest = 0;
    for (size_t i = 0; i < k; i++) largest = fmaxf(largest, fabsf(row[i]));
    const float scale = largest > 0 ? largest / CKERNELS_I8_WEIGHT_MAX : 1;
    scales[j] = scale;
    const size_t panel = j / CKERNELS_I8_PANEL, column = j % CKERNELS_I8_PANEL;
    int8_t *base = packed + panel * CKERNELS_I8_PANEL * kp;
    for (size_t i = 0; i < k; i++) {
      float q = nearbyintf(row[i] / scale);
      q = fminf(fmaxf(q, -CKERNELS_I8_WEIGHT_MAX), CKERNELS_I8_WEIGHT_MAX);
      // Groups of 4 consecutive k per column, 16 columns per group row.
      base[((i / 4) * CKERNELS_I8_PANEL + column) * 4 + i % 4] = (int8_t)q;
      colsums[j] += (int32_t)q;
    }
  }
}

void ckernels_i8_quantize_rows(const float *x, size_t m, size_t k, uint8_t *q, float *scales, int32_t *zeros) {
  const size_t kp = ckernels_i8_padded_k(k);
  for (size_t r = 0; r < m; r++) {
    const float *row = x + r * k;
    // The range always holds 0, so a zero activation is exact.
    float low = 0, high = 0;
    for (size_t i = 0; i < k; i++) {
      low = fminf(low, row[i]);
      high = fmaxf(high, row[i]);
    }
    const float scale = high > low ? (high - low) / 255.0f : 1.0f;
    const float zero = nearbyintf(-low / scale);
    scales[r] = scale;
    zeros[r] = (int32_t)zero;
    const float inverse = 1.0f / scale;
    uint8_t *out = q + r * kp;
    for (size_t i = 0; i < k; i++) {
      float v = nearbyintf(row[i] * inverse) + zero;
      out[i] = (uint8_t)fminf(fmaxf(v, 0.0f), 255.0f);
    }
    for (size_t i = k; i < kp; i++) out[i] = 0;
  }
}

// y[r][j] = sx·sw·(acc − zx·colsum) + bias (+ y). The one formula every variant uses.
static inline float dequantise(int32_t acc, float sx, int32_t zx, float sw, int32_t colsum, float bias) {
  const float product = sx * sw;
  const float integer = (float)(acc - zx * colsum);
  return product * integer + bias;
}

static void tile_portable(const uint8_t *q, size_t kp, size_t mr, const int8_t *panel, int32_t acc[][CKERNELS_I8_PANEL]) {
  for (size_t r = 0; r < mr; r++)
    for (size_t c = 0; c < CKERNELS_I8_PANEL; c++) {
      int32_t sum = 0;
      for (size_t i = 0; i < kp; i++) sum += (int32_t)q[r * kp + i] * (int32_t)panel[((i / 4) * CKERNELS_I8_PANEL + c) * 4 + i % 4];
      acc[r][c] = sum;
    }
}

#define I8_ROWS 4

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2"))) static void tile_avx2(const uint8_t *q, size_t kp, size_t mr, const int8_t *panel,
                                                      int32_t acc[][CKERNELS_I8_PANEL]) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i sum[I8_ROWS][2];
  for (int r = 0; r < I8_ROWS; r++) sum[r][0] = sum[r][1] = _mm256_setzero_si256();
  for (size_t g = 0; g < kp / 4; g++) {
    const __m256i b0 = _mm256_loadu_si256((const __m256i *)(panel + g * CKERNELS_I8_PANEL * 4));
    const __m256i b1 = _mm256_loadu_si256((const __m256i *)(panel + g * CKERNELS_I8_PANEL * 4 + 32));
#pragma GCC unroll 4
    for (size_t r = 0; r < I8_ROWS; r++) {
      if (r >= mr) break;
      int32_t four;
      memcpy(&four, q + r * kp + g * 4, 4);
      const __m256i a = _mm256_set1_epi32(four);
      sum[r][0] = _mm256_add_epi32(sum[r][0], _mm256_madd_epi16(_mm256_maddubs_epi16(a, b0), ones));
      sum[r][1] = _mm256_add_epi32(sum[r][1], _mm256_madd_epi16(_mm256_maddubs_epi16(a, b1), ones));
    }
  }
  for (size_t r = 0; r < mr; r++) {
    _mm256_storeu_si256((__m256i *)acc[r], sum[r][0]);
    _mm256_storeu_si256((__m256i *)(acc[r] + 8), sum[r][1]);
  }
}

static int detected = -1;  // 1: AVX2, 0: portable
static int forced = -1;

static int variant(void) {
  if (forced >= 0) return forced;
  if (detected < 0) {
    __builtin_cpu_init();
    detected = __builtin_cpu_supports("avx2") ? 1 : 0;
  }
  return detected;
}

int ckernels_i8_supports(int v) {
  if (v == CKERNELS_I8_PORTABLE) return 1;
  __builtin_cpu_init();
  return v == CKERNELS_I8_AVX2 && __builtin_cpu_supports("avx2");
}
#else
static int forced = -1;
static int variant(void) { return CKERNELS_I8_PORTABLE; }
int ckernels_i8_supports(int v) { return v == CKERNELS_I8_PORTABLE; }
#endif

int ckernels_i8_force(int v) {
  if (v >= 0 && !ckernels_i8_supports(v)) return 0;
  forced = v;
  return 1;
}

int ckernels_i8_variant(void) { return variant(); }

void ckernels_i8_linear(const uint8_t *q, const float *xscales, const int32_t *xzeros, size_t m, size_t kp,
                        const int8_t *packed, const float *wscales, const int32_t *colsums, size_t n, const float *bias,
                        int accumulate, float *y, size_t panel_begin, size_t panel_end) {
  const int v = variant();
  int32_t acc[I8_ROWS][CKERNELS_I8_PANEL];
  for (size_t p = panel_begin; p < panel_end; p++) {
    const size_t column = p * CKERNELS_I8_PANEL;
    const size_t nr = n - column < CKERNELS_I8_PANEL ? n - column : CKERNELS_I8_PANEL;
    const int8_t *panel = packed + p * CKERNELS_I8_PANEL * kp;
    for (size_t r = 0; r < m; r += I8_ROWS) {
      const size_t mr = m - r < I8_ROWS ? m - r : I8_ROWS;
#if defined(__x86_64__)
      if (v == CKERNELS_I8_AVX2)
        tile_avx2(q + r * kp, kp, mr, panel, acc);
      else
#endif
        tile_portable(q + r * kp, kp, mr, panel, acc);
      for (size_t t = 0; t < mr; t++) {
        float *row = y + (r + t) * n + column;
        const float sx = xscales[r + t];
        const int32_t zx = xzeros[r + t];
        for (size_t c = 0; c < nr; c++) {
          const float value =
              dequantise(acc[t][c], sx, zx, wscales[column + c], colsums[column + c], bias ? bias[column + c] : 0.0f);
          row[c] = accumulate ? row[c] + value : value;
        }
      }
    }
  }
  (void)v;
}
