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
// AVX2 kernel and the portable one compute the same integers. The AVX-512
// VNNI kernel (vpdpbusd) sums its four products into int32 exactly, so it
// computes them too, and so does the AMX one (tdpbusd: the same products in
// int32 tiles): every variant gives the same bits.
#include "ckernels.h"

#include <math.h>
#include <string.h>

// Every variant must round the same: no multiply-add is ever fused (the
// scalar dequantisation is inlined into AVX-512 code, where it could be).
#pragma STDC FP_CONTRACT OFF

size_t ckernels_i8_padded_k(size_t k) { return (k + 63) & ~(size_t)63; }
size_t ckernels_i8_padded_rows(size_t m) { return (m + 15) & ~(size_t)15; }

// Where the AMX kernel wants byte i of row r: the quantised input in 16-row ×
// 64-byte tiles, each 1 KiB contiguous (a tile load then reads one stream, not
// 16 rows kp apart: half again as fast at ViT-B/32's sizes). The other kernels
// read rows.
static inline uint8_t *tiled_at(uint8_t *q, size_t r, size_t i, size_t kp) {
  return q + (r / 16) * 16 * kp + (i / 64) * 1024 + (r % 16) * 64;
}

// The rows past m: zeros, so an AMX tile may load 16 rows at the end.
static void zero_padding_rows(uint8_t *q, size_t m, size_t kp, int tiled) {
  if (!tiled) {
    memset(q + m * kp, 0, (ckernels_i8_padded_rows(m) - m) * kp);
    return;
  }
  for (size_t r = m; r < ckernels_i8_padded_rows(m); r++)
    for (size_t i = 0; i < kp; i += 64) memset(tiled_at(q, r, i, kp), 0, 64);
}

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

// Per row: the range [min(0, x), max(0, x)] onto 0…255 (0 stays exact), then
// q = clamp(round(x / scale) + zero). Both variants compute the same bytes:
// the same float operations, rounding half to even (nearbyintf in the default
// mode, cvtps2dq in AVX2).
static inline float row_range(float low, float high, float *scale, int32_t *zero) {
  const float s = high > low ? (high - low) / 255.0f : 1.0f;
  const float z = nearbyintf(-low / s);
  *scale = s;
  *zero = (int32_t)z;
  return z;
}

static void quantize_portable(const float *x, size_t m, size_t k, uint8_t *q, float *scales, int32_t *zeros) {
  const size_t kp = ckernels_i8_padded_k(k);
  for (size_t r = 0; r < m; r++) {
    const float *row = x + r * k;
    float low = 0, high = 0;
    for (size_t i = 0; i < k; i++) {
      low = fminf(low, row[i]);
      high = fmaxf(high, row[i]);
    }
    const float zero = row_range(low, high, &scales[r], &zeros[r]);
    const float inverse = 1.0f / scales[r];
    uint8_t *out = q + r * kp;
    for (size_t i = 0; i < k; i++) {
      float v = nearbyintf(row[i] * inverse) + zero;
      out[i] = (uint8_t)fminf(fmaxf(v, 0.0f), 255.0f);
    }
    for (size_t i = k; i < kp; i++) out[i] = 0;
  }
  zero_padding_rows(q, m, kp, 0);
}

// y[r][j] = sx·sw·(acc − zx·colsum) + bias (+ y). The one formula every variant uses.
static inline float dequantise(int32_t acc, float sx, int32_t zx, float sw, int32_t colsum, float bias) {
  const float product = sx * sw;
  const float integer = (float)(acc - zx * colsum);
  return product * integer + bias;
}

// `dequantise` over the first nr columns of a tile row (a panel cut by n, or the portable variant).
static void finish_partial(const int32_t *acc, size_t nr, float sx, int32_t zx, const float *wscales,
                           const int32_t *colsums, const float *bias, int accumulate, float *row) {
  for (size_t c = 0; c < nr; c++) {
    const float value = dequantise(acc[c], sx, zx, wscales[c], colsums[c], bias ? bias[c] : 0.0f);
    row[c] = accumulate ? row[c] + value : value;
  }
}

static void tile_portable(const uint8_t *q, size_t kp, size_t mr, const int8_t *panel, int32_t acc[][CKERNELS_I8_PANEL]) {
  for (size_t r = 0; r < mr; r++)
    for (size_t c = 0; c < CKERNELS_I8_PANEL; c++) {
      int32_t sum = 0;
      for (size_t i = 0; i < kp; i++) sum += (int32_t)q[r * kp + i] * (int32_t)panel[((i / 4) * CKERNELS_I8_PANEL + c) * 4 + i % 4];
      acc[r][c] = sum;
    }
}

#define I8_ROWS 5
#define I8_ROWS_VNNI 10

#if defined(__x86_64__)
#include <immintrin.h>

#include "amx_block.h"

// Five rows × 16 columns: ten accumulators, two weight vectors, the
// broadcast, the ones and a temporary fill the sixteen ymm registers (and
// 50 tokens of a ViT-B/32 image are ten whole tiles). The row count is a
// compile-time constant in each instance, so nothing spills.
__attribute__((target("avx2"), always_inline)) static inline void rows_avx2(const uint8_t *q, size_t kp, const int mr,
                                                                           const int8_t *panel,
                                                                           int32_t acc[][CKERNELS_I8_PANEL]) {
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i sum[I8_ROWS][2];
#pragma GCC unroll 5
  for (int r = 0; r < mr; r++) sum[r][0] = sum[r][1] = _mm256_setzero_si256();
  for (size_t g = 0; g < kp / 4; g++) {
    const __m256i b0 = _mm256_loadu_si256((const __m256i *)(panel + g * CKERNELS_I8_PANEL * 4));
    const __m256i b1 = _mm256_loadu_si256((const __m256i *)(panel + g * CKERNELS_I8_PANEL * 4 + 32));
#pragma GCC unroll 5
    for (int r = 0; r < mr; r++) {
      int32_t four;
      memcpy(&four, q + r * kp + g * 4, 4);
      const __m256i a = _mm256_set1_epi32(four);
      sum[r][0] = _mm256_add_epi32(sum[r][0], _mm256_madd_epi16(_mm256_maddubs_epi16(a, b0), ones));
      sum[r][1] = _mm256_add_epi32(sum[r][1], _mm256_madd_epi16(_mm256_maddubs_epi16(a, b1), ones));
    }
  }
  for (int r = 0; r < mr; r++) {
    _mm256_storeu_si256((__m256i *)acc[r], sum[r][0]);
    _mm256_storeu_si256((__m256i *)(acc[r] + 8), sum[r][1]);
  }
}

__attribute__((target("avx2"))) static void tile_avx2(const uint8_t *q, size_t kp, size_t mr, const int8_t *panel,
                                                      int32_t acc[][CKERNELS_I8_PANEL]) {
  switch (mr) {
    case 5: rows_avx2(q, kp, 5, panel, acc); break;
    case 4: rows_avx2(q, kp, 4, panel, acc); break;
    case 3: rows_avx2(q, kp, 3, panel, acc); break;
    case 2: rows_avx2(q, kp, 2, panel, acc); break;
    default: rows_avx2(q, kp, 1, panel, acc); break;
  }
}

__attribute__((target("avx2"))) static void quantize_avx2(const float *x, size_t m, size_t k, uint8_t *q,
                                                          float *scales, int32_t *zeros, int tiled) {
  const size_t kp = ckernels_i8_padded_k(k);
  uint8_t staging[tiled ? kp : 1];  // a row on its way into tiles
  for (size_t r = 0; r < m; r++) {
    const float *row = x + r * k;
    __m256 low8 = _mm256_setzero_ps(), high8 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= k; i += 8) {
      const __m256 v = _mm256_loadu_ps(row + i);
      low8 = _mm256_min_ps(low8, v);
      high8 = _mm256_max_ps(high8, v);
    }
    float lows[8], highs[8];
    _mm256_storeu_ps(lows, low8);
    _mm256_storeu_ps(highs, high8);
    float low = 0, high = 0;
    for (int l = 0; l < 8; l++) {
      low = fminf(low, lows[l]);
      high = fmaxf(high, highs[l]);
    }
    for (; i < k; i++) {
      low = fminf(low, row[i]);
      high = fmaxf(high, row[i]);
    }
    const float zero = row_range(low, high, &scales[r], &zeros[r]);
    const float inverse = 1.0f / scales[r];
    const __m256 inverse8 = _mm256_set1_ps(inverse), zero8 = _mm256_set1_ps(zero);
    const __m256 floor8 = _mm256_setzero_ps(), ceiling8 = _mm256_set1_ps(255.0f);
    uint8_t *out = tiled ? staging : q + r * kp;
    for (i = 0; i + 8 <= k; i += 8) {
      // round(x·inverse) + zero, clamped: the portable formula, eight at a time.
      __m256 v = _mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(row + i), inverse8), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      v = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(v, zero8), floor8), ceiling8);
      const __m256i n = _mm256_cvtps_epi32(v);
      const __m128i words = _mm_packus_epi32(_mm256_castsi256_si128(n), _mm256_extracti128_si256(n, 1));
      _mm_storel_epi64((__m128i *)(out + i), _mm_packus_epi16(words, words));
    }
    for (; i < k; i++) {
      float v = nearbyintf(row[i] * inverse) + zero;
      out[i] = (uint8_t)fminf(fmaxf(v, 0.0f), 255.0f);
    }
    for (i = k; i < kp; i++) out[i] = 0;
    if (tiled)
      for (i = 0; i < kp; i += 64) memcpy(tiled_at(q, r, i, kp), staging + i, 64);
  }
  zero_padding_rows(q, m, kp, tiled);
}

// The dequantisation of one tile row of 16 columns: `dequantise`, eight at a
// time, with the same operations in the same order (no FMA contraction), so
// the variants agree to the bit.
__attribute__((target("avx2"))) static void finish16_avx2(const int32_t *acc, float sx, int32_t zx, const float *wscales,
                                                          const int32_t *colsums, const float *bias, int accumulate,
                                                          float *row) {
  const __m256 sx8 = _mm256_set1_ps(sx);
  const __m256i zx8 = _mm256_set1_epi32(zx);
  for (int h = 0; h < 16; h += 8) {
    const __m256 product = _mm256_mul_ps(sx8, _mm256_loadu_ps(wscales + h));
    const __m256i corrected = _mm256_sub_epi32(
        _mm256_loadu_si256((const __m256i *)(acc + h)),
        _mm256_mullo_epi32(zx8, _mm256_loadu_si256((const __m256i *)(colsums + h))));
    __m256 value = _mm256_mul_ps(product, _mm256_cvtepi32_ps(corrected));
    value = _mm256_add_ps(value, bias ? _mm256_loadu_ps(bias + h) : _mm256_setzero_ps());
    if (accumulate) value = _mm256_add_ps(_mm256_loadu_ps(row + h), value);
    _mm256_storeu_ps(row + h, value);
  }
}

// AVX-512 VNNI: one vpdpbusd adds four u8×s8 products into each of sixteen
// int32 lanes, 64 multiply-adds in one instruction (AVX2 needs three for 32).
// A panel's group of 4 k × 16 columns is exactly one zmm. Ten rows × two
// panels keep twenty accumulators, two weight vectors and the broadcast in
// the 32 zmm registers (50 tokens of a ViT-B/32 image are five whole tiles);
// each broadcast feeds two instructions. `panels` and the row count are
// compile-time constants in each instance, so nothing spills.
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline)) static inline void rows_vnni(
    const uint8_t *q, size_t kp, const int mr, const int panels, const int8_t *panel0, const int8_t *panel1,
    int32_t acc[][I8_ROWS_VNNI][CKERNELS_I8_PANEL]) {
  __m512i sum[I8_ROWS_VNNI][2];
#pragma GCC unroll 10
  for (int r = 0; r < mr; r++) sum[r][0] = sum[r][1] = _mm512_setzero_si512();
  for (size_t g = 0; g < kp / 4; g++) {
    const __m512i b0 = _mm512_loadu_si512((const void *)(panel0 + g * CKERNELS_I8_PANEL * 4));
    const __m512i b1 = panels == 2 ? _mm512_loadu_si512((const void *)(panel1 + g * CKERNELS_I8_PANEL * 4)) : b0;
#pragma GCC unroll 10
    for (int r = 0; r < mr; r++) {
      int32_t four;
      memcpy(&four, q + r * kp + g * 4, 4);
      const __m512i a = _mm512_set1_epi32(four);
      sum[r][0] = _mm512_dpbusd_epi32(sum[r][0], a, b0);
      if (panels == 2) sum[r][1] = _mm512_dpbusd_epi32(sum[r][1], a, b1);
    }
  }
  for (int r = 0; r < mr; r++) {
    _mm512_storeu_si512((void *)acc[0][r], sum[r][0]);
    if (panels == 2) _mm512_storeu_si512((void *)acc[1][r], sum[r][1]);
  }
}

#define VNNI_CASE(rows)                                                   \
  case rows:                                                              \
    if (panels == 2)                                                      \
      rows_vnni(q, kp, rows, 2, panel0, panel1, acc);                     \
    else                                                                  \
      rows_vnni(q, kp, rows, 1, panel0, panel1, acc);                     \
    break;

__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void tile_vnni(
    const uint8_t *q, size_t kp, size_t mr, int panels, const int8_t *panel0, const int8_t *panel1,
    int32_t acc[][I8_ROWS_VNNI][CKERNELS_I8_PANEL]) {
  switch (mr) {
    VNNI_CASE(10) VNNI_CASE(9) VNNI_CASE(8) VNNI_CASE(7) VNNI_CASE(6)
    VNNI_CASE(5) VNNI_CASE(4) VNNI_CASE(3) VNNI_CASE(2)
    default:
      if (panels == 2)
        rows_vnni(q, kp, 1, 2, panel0, panel1, acc);
      else
        rows_vnni(q, kp, 1, 1, panel0, panel1, acc);
  }
}

// `finish16_avx2` sixteen at a time (same operations, same order, same bits),
// inlined into the VNNI tile's caller: called once per row and panel, the
// dequantisation is a tenth of an int8 ViT-B/32 image's time.
__attribute__((target("avx512f"), always_inline)) static inline void finish16_avx512(
    const int32_t *acc, float sx, int32_t zx, const float *wscales, const int32_t *colsums, const float *bias,
    int accumulate, float *row) {
  const __m512 product = _mm512_mul_ps(_mm512_set1_ps(sx), _mm512_loadu_ps(wscales));
  const __m512i corrected =
      _mm512_sub_epi32(_mm512_loadu_si512((const void *)acc),
                       _mm512_mullo_epi32(_mm512_set1_epi32(zx), _mm512_loadu_si512((const void *)colsums)));
  __m512 value = _mm512_mul_ps(product, _mm512_cvtepi32_ps(corrected));
  value = _mm512_add_ps(value, bias ? _mm512_loadu_ps(bias) : _mm512_setzero_ps());
  if (accumulate) value = _mm512_add_ps(_mm512_loadu_ps(row), value);
  _mm512_storeu_ps(row, value);
}

// The dequantisation of a VNNI tile: `panels` panels × `mr` rows.
__attribute__((target("avx512f"))) static void finish_vnni(
    int32_t acc[][I8_ROWS_VNNI][CKERNELS_I8_PANEL], size_t mr, int panels, const float *xscales,
    const int32_t *xzeros, const float *wscales, const int32_t *colsums, const float *bias, int accumulate, float *y,
    size_t ldy) {
  for (int s = 0; s < panels; s++) {
    const size_t column = (size_t)s * CKERNELS_I8_PANEL;
    for (size_t t = 0; t < mr; t++)
      finish16_avx512(acc[s][t], xscales[t], xzeros[t], wscales + column, colsums + column,
                      bias ? bias + column : NULL, accumulate, y + t * ldy + column);
  }
}


// AMX: eight tile registers of 16 rows × 64 bytes. tdpbusd multiplies a 16×64
// u8 tile by a weight tile of 16 groups of 4 k × 16 columns into 16×16 int32
// sums: 16,384 multiply-adds in one instruction (vpdpbusd does 64). A panel's
// next 64 k are exactly such a weight tile (its groups of 4 k per column, 64
// bytes a group), so weights are loaded as packed. Two row blocks × two
// panels keep four sum tiles, two input and two weight tiles, all eight: each
// load feeds two products. Inputs have whole 16-row blocks and k in 64s
// (zero padded), so every tile is full.
// The loop itself: amx_block.h.
CKERNELS_AMX_BLOCK(uint8_t, int8_t, 64, _tile_dpbusd, "amx-tile,amx-int8")

// `finish16_avx512` for the rows of one panel of an AMX block: the panel's
// scales, column sums and bias are loaded once, not once per row (at k = 768
// the dequantisation would otherwise take as long as the products).
__attribute__((target("avx512f"))) static void finish_amx(int32_t acc[2][2][16][CKERNELS_I8_PANEL], int s,
                                                          size_t mr, const float *xscales, const int32_t *xzeros,
                                                          const float *wscales, const int32_t *colsums,
                                                          const float *bias, int accumulate, float *y, size_t ldy) {
  const __m512 scales = _mm512_loadu_ps(wscales), biases = bias ? _mm512_loadu_ps(bias) : _mm512_setzero_ps();
  const __m512i sums = _mm512_loadu_si512((const void *)colsums);
  for (size_t t = 0; t < mr; t++) {
    const __m512 product = _mm512_mul_ps(_mm512_set1_ps(xscales[t]), scales);
    const __m512i corrected = _mm512_sub_epi32(_mm512_loadu_si512((const void *)acc[t / 16][s][t % 16]),
                                               _mm512_mullo_epi32(_mm512_set1_epi32(xzeros[t]), sums));
    __m512 value = _mm512_add_ps(_mm512_mul_ps(product, _mm512_cvtepi32_ps(corrected)), biases);
    float *row = y + t * ldy;
    if (accumulate) value = _mm512_add_ps(_mm512_loadu_ps(row), value);
    _mm512_storeu_ps(row, value);
  }
}

__attribute__((target("amx-tile,amx-int8,avx512f"))) static void linear_amx(
    const uint8_t *q, const float *xscales, const int32_t *xzeros, size_t m, size_t kp, const int8_t *packed,
    const float *wscales, const int32_t *colsums, size_t n, const float *bias, int accumulate, float *y,
    size_t panel_begin, size_t panel_end) {
  // Tile configuration is per thread; each worker sets it and gives the tiles back.
  ckernels_amx_configure_tiles();
  int32_t acc[2][2][16][CKERNELS_I8_PANEL] __attribute__((aligned(64)));
  for (size_t p = panel_begin; p < panel_end;) {
    const int panels = p + 1 < panel_end ? 2 : 1;
    const int8_t *panel0 = packed + p * CKERNELS_I8_PANEL * kp, *panel1 = panel0 + CKERNELS_I8_PANEL * kp;
    for (size_t r = 0; r < m; r += 32) {
      const uint8_t *rows = q + r * kp;
      block_amx_any(rows, kp, m - r > 16 ? 2 : 1, panels, panel0, panel1, acc);
      const size_t mr = m - r < 32 ? m - r : 32;
      for (int s = 0; s < panels; s++) {
        const size_t column = (p + s) * CKERNELS_I8_PANEL;
        const float *b = bias ? bias + column : NULL;
        if (column + CKERNELS_I8_PANEL <= n) {
          finish_amx(acc, s, mr, xscales + r, xzeros + r, wscales + column, colsums + column, b, accumulate,
                     y + r * n + column, n);
          continue;
        }
        for (size_t t = 0; t < mr; t++)
          finish_partial(acc[t / 16][s][t % 16], n - column, xscales[r + t], xzeros[r + t], wscales + column,
                         colsums + column, b, accumulate, y + (r + t) * n + column);
      }
    }
    p += panels;
  }
  _tile_release();
}

static int detected = -1;  // the best variant this CPU runs
static int forced = -1;

int ckernels_i8_supports(int v) {
  if (v == CKERNELS_I8_PORTABLE) return 1;
  __builtin_cpu_init();
  if (v == CKERNELS_I8_AVX2) return __builtin_cpu_supports("avx2");
  if (v == CKERNELS_I8_AVX512VNNI)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx2");
  if (v == CKERNELS_I8_AMX) return ckernels_i8_supports(CKERNELS_I8_AVX512VNNI) && ckernels_amx_supports(0);
  return 0;
}

static int variant(void) {
  if (forced >= 0) return forced;
  if (detected < 0)
    detected = ckernels_i8_supports(CKERNELS_I8_AMX)             ? CKERNELS_I8_AMX
               : ckernels_i8_supports(CKERNELS_I8_AVX512VNNI) ? CKERNELS_I8_AVX512VNNI
               : ckernels_i8_supports(CKERNELS_I8_AVX2)     ? CKERNELS_I8_AVX2
                                                            : CKERNELS_I8_PORTABLE;
  return detected;
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

void ckernels_i8_quantize_rows(const float *x, size_t m, size_t k, uint8_t *q, float *scales, int32_t *zeros) {
#if defined(__x86_64__)
  // The VNNI and AMX variants run on AVX-512 CPUs, which all have AVX2: their quantisation is this one.
  if (variant() != CKERNELS_I8_PORTABLE) {
    quantize_avx2(x, m, k, q, scales, zeros, variant() == CKERNELS_I8_AMX);
    return;
  }
#endif
  quantize_portable(x, m, k, q, scales, zeros);
}

void ckernels_i8_linear(const uint8_t *q, const float *xscales, const int32_t *xzeros, size_t m, size_t kp,
                        const int8_t *packed, const float *wscales, const int32_t *colsums, size_t n, const float *bias,
                        int accumulate, float *y, size_t panel_begin, size_t panel_end) {
  const int v = variant();
#if defined(__x86_64__)
  if (v == CKERNELS_I8_AMX) {
    linear_amx(q, xscales, xzeros, m, kp, packed, wscales, colsums, n, bias, accumulate, y, panel_begin, panel_end);
    return;
  }
#endif
  const size_t rows = v == CKERNELS_I8_AVX512VNNI ? I8_ROWS_VNNI : I8_ROWS;
  // acc[s][t][c]: panel p + s, tile row t, column c.
  int32_t acc[2][I8_ROWS_VNNI][CKERNELS_I8_PANEL];
  for (size_t p = panel_begin; p < panel_end;) {
    // The VNNI tile takes two panels at a time (one when a single one is left).
    const int panels = v == CKERNELS_I8_AVX512VNNI && p + 1 < panel_end ? 2 : 1;
    const int8_t *panel = packed + p * CKERNELS_I8_PANEL * kp;
    for (size_t r = 0; r < m; r += rows) {
      const size_t mr = m - r < rows ? m - r : rows;
#if defined(__x86_64__)
      if (v == CKERNELS_I8_AVX512VNNI)
        tile_vnni(q + r * kp, kp, mr, panels, panel, panel + CKERNELS_I8_PANEL * kp, acc);
      else if (v == CKERNELS_I8_AVX2)
        tile_avx2(q + r * kp, kp, mr, panel, acc[0]);
      else
#endif
        tile_portable(q + r * kp, kp, mr, panel, acc[0]);
#if defined(__x86_64__)
      const size_t first = p * CKERNELS_I8_PANEL;
      if (v == CKERNELS_I8_AVX512VNNI && first + (size_t)panels * CKERNELS_I8_PANEL <= n) {
        finish_vnni(acc, mr, panels, xscales + r, xzeros + r, wscales + first, colsums + first,
                    bias ? bias + first : NULL, accumulate, y + r * n + first, n);
        continue;
      }
#endif
      for (int s = 0; s < panels; s++) {
        const size_t column = (p + s) * CKERNELS_I8_PANEL;
        const size_t nr = n - column < CKERNELS_I8_PANEL ? n - column : CKERNELS_I8_PANEL;
        for (size_t t = 0; t < mr; t++) {
          float *row = y + (r + t) * n + column;
          const float sx = xscales[r + t];
          const int32_t zx = xzeros[r + t];
#if defined(__x86_64__)
          if (v != CKERNELS_I8_PORTABLE && nr == CKERNELS_I8_PANEL) {
            finish16_avx2(acc[s][t], sx, zx, wscales + column, colsums + column, bias ? bias + column : NULL,
                          accumulate, row);
            continue;
          }
#endif
          finish_partial(acc[s][t], nr, sx, zx, wscales + column, colsums + column, bias ? bias + column : NULL,
                         accumulate, row);
        }
      }
    }
    p += panels;
  }
}
