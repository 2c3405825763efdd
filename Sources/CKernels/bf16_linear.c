// BF16 linear layers: weights converted to bfloat16 once at load and packed
// for the kernel, activations converted per call, products summed in fp32
// (AVX-512 BF16's vdpbf16ps). Half the weight memory of fp32 and twice the
// multiply-adds per instruction; bfloat16 keeps fp32's exponent, so nothing
// needs scales or outlier handling.
//
// Every variant computes the same bits: each output is one fp32 chain over k
// in pairs, acc += x[2i+1]·w[2i+1] then acc += x[2i]·w[2i] (the order
// vdpbf16ps defines), each product exact in fp32 (8-bit × 8-bit mantissas),
// and conversions round to nearest even with denormals flushed to zero, as
// vcvtne2ps2bf16 does.
#include "ckernels.h"

#include <string.h>

size_t ckernels_bf16_padded_k(size_t k) { return (k + 31) & ~(size_t)31; }
size_t ckernels_bf16_padded_rows(size_t m) { return (m + 15) & ~(size_t)15; }

// Where the AMX kernel wants element i of row r: 16-row × 32-element tiles,
// each 1 KiB contiguous (as the int8 kernel's inputs). The other kernels read rows.
static inline uint16_t *tiled_at(uint16_t *xb, size_t r, size_t i, size_t kp) {
  return xb + (r / 16) * 16 * kp + (i / 32) * 512 + (r % 16) * 32;
}

// The rows past m: zeros, so an AMX tile may load 16 rows at the end.
static void zero_padding_rows(uint16_t *xb, size_t m, size_t kp, int tiled) {
  const size_t mp = ckernels_bf16_padded_rows(m);
  if (!tiled) {
    memset(xb + m * kp, 0, (mp - m) * kp * sizeof(uint16_t));
    return;
  }
  for (size_t r = m; r < mp; r++)
    for (size_t i = 0; i < kp; i += 32) memset(tiled_at(xb, r, i, kp), 0, 32 * sizeof(uint16_t));
}

static inline uint16_t to_bf16(float value) {
  uint32_t bits;
  memcpy(&bits, &value, 4);
  if ((bits & 0x7f800000u) == 0x7f800000u && (bits & 0x007fffffu)) return (uint16_t)((bits >> 16) | 0x40);  // quiet NaN
  if ((bits & 0x7f800000u) == 0) return (uint16_t)((bits >> 16) & 0x8000);  // zero and denormals: signed zero
  bits += 0x7fffu + ((bits >> 16) & 1);
  return (uint16_t)(bits >> 16);
}

static inline float from_bf16(uint16_t value) {
  const uint32_t bits = (uint32_t)value << 16;
  float result;
  memcpy(&result, &bits, 4);
  return result;
}

void ckernels_bf16_pack(const float *weight, size_t n, size_t k, uint16_t *packed) {
  const size_t kp = ckernels_bf16_padded_k(k);
  const size_t panels = (n + CKERNELS_BF16_PANEL - 1) / CKERNELS_BF16_PANEL;
  memset(packed, 0, panels * CKERNELS_BF16_PANEL * kp * sizeof(uint16_t));
  for (size_t j = 0; j < n; j++) {
    uint16_t *base = packed + (j / CKERNELS_BF16_PANEL) * CKERNELS_BF16_PANEL * kp;
    const size_t column = j % CKERNELS_BF16_PANEL;
    // Pairs of consecutive k per column, 16 columns per pair row: one pair row is one zmm.
    for (size_t i = 0; i < k; i++) base[((i / 2) * CKERNELS_BF16_PANEL + column) * 2 + i % 2] = to_bf16(weight[j * k + i]);
  }
}

static void convert_portable(const float *x, size_t m, size_t k, uint16_t *xb) {
  const size_t kp = ckernels_bf16_padded_k(k);
  for (size_t r = 0; r < m; r++) {
    for (size_t i = 0; i < k; i++) xb[r * kp + i] = to_bf16(x[r * k + i]);
    for (size_t i = k; i < kp; i++) xb[r * kp + i] = 0;
  }
  zero_padding_rows(xb, m, kp, 0);
}

// The finish of one output: + bias, + y when accumulating.
static inline float finish(float sum, const float *bias, size_t c, int accumulate, float previous) {
  const float value = sum + (bias ? bias[c] : 0.0f);
  return accumulate ? previous + value : value;
}

static void panel_portable(const uint16_t *xb, size_t m, size_t kp, const uint16_t *panel, size_t nr, const float *bias,
                           int accumulate, float *y, size_t ldy) {
  for (size_t r = 0; r < m; r++)
    for (size_t c = 0; c < nr; c++) {
      float sum = 0;
      for (size_t g = 0; g < kp / 2; g++) {
        const uint16_t *w = panel + (g * CKERNELS_BF16_PANEL + c) * 2;
        const uint16_t *a = xb + r * kp + g * 2;
        sum += from_bf16(a[1]) * from_bf16(w[1]);
        sum += from_bf16(a[0]) * from_bf16(w[0]);
      }
      y[r * ldy + c] = finish(sum, bias, c, accumulate, y[r * ldy + c]);
    }
}

#define BF16_ROWS 10

#if defined(__x86_64__)
#include <immintrin.h>

#include "amx_block.h"

#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

// Ten rows × two 16-column panels: twenty accumulators, two weight vectors
// and the broadcast pair of the row in the 32 zmm registers (as the int8
// VNNI tile); `panels` and the row count are compile-time constants per instance.
BF16_TARGET __attribute__((always_inline)) static inline void rows_avx512(const uint16_t *xb, size_t kp, const int mr,
                                                                          const int panels, const uint16_t *panel0,
                                                                          const uint16_t *panel1, float acc[][BF16_ROWS][16]) {
  __m512 sum[BF16_ROWS][2];
#pragma GCC unroll 10
  for (int r = 0; r < mr; r++) sum[r][0] = sum[r][1] = _mm512_setzero_ps();
  for (size_t g = 0; g < kp / 2; g++) {
    const __m512bh b0 = (__m512bh)_mm512_loadu_si512((const void *)(panel0 + g * CKERNELS_BF16_PANEL * 2));
    const __m512bh b1 =
        panels == 2 ? (__m512bh)_mm512_loadu_si512((const void *)(panel1 + g * CKERNELS_BF16_PANEL * 2)) : b0;
#pragma GCC unroll 10
    for (int r = 0; r < mr; r++) {
      int32_t pair;
      memcpy(&pair, xb + r * kp + g * 2, 4);
      const __m512bh a = (__m512bh)_mm512_set1_epi32(pair);
      sum[r][0] = _mm512_dpbf16_ps(sum[r][0], a, b0);
      if (panels == 2) sum[r][1] = _mm512_dpbf16_ps(sum[r][1], a, b1);
    }
  }
  for (int r = 0; r < mr; r++) {
    _mm512_storeu_ps(acc[0][r], sum[r][0]);
    if (panels == 2) _mm512_storeu_ps(acc[1][r], sum[r][1]);
  }
}

#define BF16_CASE(rows)                                                 \
  case rows:                                                            \
    if (panels == 2)                                                    \
      rows_avx512(xb, kp, rows, 2, panel0, panel1, acc);                \
    else                                                                \
      rows_avx512(xb, kp, rows, 1, panel0, panel1, acc);                \
    break;

BF16_TARGET static void tile_avx512(const uint16_t *xb, size_t kp, size_t mr, int panels, const uint16_t *panel0,
                                    const uint16_t *panel1, float acc[][BF16_ROWS][16]) {
  switch (mr) {
    BF16_CASE(10) BF16_CASE(9) BF16_CASE(8) BF16_CASE(7) BF16_CASE(6)
    BF16_CASE(5) BF16_CASE(4) BF16_CASE(3) BF16_CASE(2)
    default:
      if (panels == 2)
        rows_avx512(xb, kp, 1, 2, panel0, panel1, acc);
      else
        rows_avx512(xb, kp, 1, 1, panel0, panel1, acc);
  }
}

// Sixteen at a time with the portable rounding; the tail the portable way.
BF16_TARGET static void convert_avx512(const float *x, size_t m, size_t k, uint16_t *xb, int tiled) {
  const size_t kp = ckernels_bf16_padded_k(k);
  uint16_t staging[tiled ? kp : 1];  // a row on its way into tiles
  for (size_t r = 0; r < m; r++) {
    const float *row = x + r * k;
    uint16_t *out = tiled ? staging : xb + r * kp;
    size_t i = 0;
    for (; i + 16 <= k; i += 16)
      _mm256_storeu_si256((__m256i *)(out + i), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(row + i)));
    for (; i < k; i++) out[i] = to_bf16(row[i]);
    for (i = k; i < kp; i++) out[i] = 0;
    if (tiled)
      for (i = 0; i < kp; i += 32) memcpy(tiled_at(xb, r, i, kp), staging + i, 32 * sizeof(uint16_t));
  }
  zero_padding_rows(xb, m, kp, tiled);
}

BF16_TARGET static void finish16_avx512(const float *sum, const float *bias, int accumulate, float *row) {
  __m512 value = _mm512_add_ps(_mm512_loadu_ps(sum), bias ? _mm512_loadu_ps(bias) : _mm512_setzero_ps());
  if (accumulate) value = _mm512_add_ps(_mm512_loadu_ps(row), value);
  _mm512_storeu_ps(row, value);
}

// AMX: tdpbf16ps multiplies a 16×32 bf16 input tile by a weight tile of 16
// k-pairs × 16 columns (a panel's next 32 k, as packed) into 16×16 fp32 sums:
// 8,192 multiply-adds in one instruction (vdpbf16ps does 32). The blocking is
// the int8 AMX kernel's: two row blocks × two panels in the eight tiles.
// The loop itself: amx_block.h.
CKERNELS_AMX_BLOCK(uint16_t, uint16_t, 32, _tile_dpbf16ps, "amx-tile,amx-bf16")

__attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw,avx512vl,avx512bf16"))) static void linear_amx(
    const uint16_t *xb, size_t m, size_t kp, const uint16_t *packed, size_t n, const float *bias, int accumulate,
    float *y, size_t panel_begin, size_t panel_end) {
  // Tile configuration is per thread; each worker sets it and gives the tiles back.
  ckernels_amx_configure_tiles();
  float acc[2][2][16][CKERNELS_BF16_PANEL] __attribute__((aligned(64)));
  for (size_t p = panel_begin; p < panel_end;) {
    const int panels = p + 1 < panel_end ? 2 : 1;
    const uint16_t *panel0 = packed + p * CKERNELS_BF16_PANEL * kp, *panel1 = panel0 + CKERNELS_BF16_PANEL * kp;
    for (size_t r = 0; r < m; r += 32) {
      const uint16_t *rows = xb + r * kp;
      block_amx_any(rows, kp, m - r > 16 ? 2 : 1, panels, panel0, panel1, acc);
      const size_t mr = m - r < 32 ? m - r : 32;
      for (int s = 0; s < panels; s++) {
        const size_t first = (p + s) * CKERNELS_BF16_PANEL;
        const size_t nr = n - first < CKERNELS_BF16_PANEL ? n - first : CKERNELS_BF16_PANEL;
        const float *b = bias ? bias + first : NULL;
        for (size_t t = 0; t < mr; t++) {
          float *row = y + (r + t) * n + first;
          const float *sums = acc[t / 16][s][t % 16];
          if (nr == CKERNELS_BF16_PANEL) {
            finish16_avx512(sums, b, accumulate, row);
            continue;
          }
          for (size_t c = 0; c < nr; c++) row[c] = finish(sums[c], b, c, accumulate, row[c]);
        }
      }
    }
    p += panels;
  }
  _tile_release();
}

int ckernels_bf16_supports(int v) {
  if (v == CKERNELS_BF16_PORTABLE) return 1;
  __builtin_cpu_init();
  const int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                     __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bf16");
  if (v == CKERNELS_BF16_AVX512) return avx512;
  return v == CKERNELS_BF16_AMX && avx512 && ckernels_amx_supports(1);
}
#else
int ckernels_bf16_supports(int v) { return v == CKERNELS_BF16_PORTABLE; }
#endif

static int detected = -1;
static int forced = -1;

int ckernels_bf16_variant(void) {
  if (forced >= 0) return forced;
  if (detected < 0)
    detected = ckernels_bf16_supports(CKERNELS_BF16_AMX)      ? CKERNELS_BF16_AMX
               : ckernels_bf16_supports(CKERNELS_BF16_AVX512) ? CKERNELS_BF16_AVX512
                                                              : CKERNELS_BF16_PORTABLE;
  return detected;
}

int ckernels_bf16_force(int v) {
  if (v >= 0 && !ckernels_bf16_supports(v)) return 0;
  forced = v;
  return 1;
}

void ckernels_bf16_convert_rows(const float *x, size_t m, size_t k, uint16_t *xb) {
#if defined(__x86_64__)
  const int v = ckernels_bf16_variant();
  if (v != CKERNELS_BF16_PORTABLE) {
    convert_avx512(x, m, k, xb, v == CKERNELS_BF16_AMX);
    return;
  }
#endif
  convert_portable(x, m, k, xb);
}

void ckernels_bf16_linear(const uint16_t *xb, size_t m, size_t kp, const uint16_t *packed, size_t n, const float *bias,
                          int accumulate, float *y, size_t panel_begin, size_t panel_end) {
  const int v = ckernels_bf16_variant();
#if defined(__x86_64__)
  if (v == CKERNELS_BF16_AMX) {
    linear_amx(xb, m, kp, packed, n, bias, accumulate, y, panel_begin, panel_end);
    return;
  }
#endif
  for (size_t p = panel_begin; p < panel_end;) {
    const size_t column = p * CKERNELS_BF16_PANEL;
    const uint16_t *panel = packed + column * kp;
    const float *panel_bias = bias ? bias + column : NULL;
#if defined(__x86_64__)
    if (v == CKERNELS_BF16_AVX512) {
      const int panels = p + 1 < panel_end ? 2 : 1;
      float acc[2][BF16_ROWS][16];
      for (size_t r = 0; r < m; r += BF16_ROWS) {
        const size_t mr = m - r < BF16_ROWS ? m - r : BF16_ROWS;
        tile_avx512(xb + r * kp, kp, mr, panels, panel, panel + CKERNELS_BF16_PANEL * kp, acc);
        for (int s = 0; s < panels; s++) {
          const size_t first = column + (size_t)s * CKERNELS_BF16_PANEL;
          const size_t nr = n - first < CKERNELS_BF16_PANEL ? n - first : CKERNELS_BF16_PANEL;
          for (size_t t = 0; t < mr; t++) {
            float *row = y + (r + t) * n + first;
            if (nr == CKERNELS_BF16_PANEL) {
              finish16_avx512(acc[s][t], bias ? bias + first : NULL, accumulate, row);
              continue;
            }
            for (size_t c = 0; c < nr; c++) row[c] = finish(acc[s][t][c], bias ? bias + first : NULL, c, accumulate, row[c]);
          }
        }
      }
      p += panels;
      continue;
    }
#endif
    const size_t nr = n - column < CKERNELS_BF16_PANEL ? n - column : CKERNELS_BF16_PANEL;
    panel_portable(xb, m, kp, panel, nr, panel_bias, accumulate, y + column, n);
    p += 1;
  }
}
