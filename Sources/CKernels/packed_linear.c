// Packed-weight GEMM microkernels. The weight is packed once into panels of
// 32 output columns; a tile of rows of x is multiplied against one panel with
// the accumulators in registers: 10 rows × 32 columns in twenty AVX-512
// registers where the CPU has AVX-512F (≈ 110 GFLOP/s on one Zen 4 core;
// 10 rows because a ViT-B/32 image is 50 tokens, so no tile runs part-empty),
// else 6 rows × 16 columns (half a panel) in twelve AVX2 registers.
#include "ckernels.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void ckernels_pack(const float *weight, size_t n, size_t k, float *packed) {
  const size_t panels = (n + CKERNELS_PANEL - 1) / CKERNELS_PANEL;
  memset(packed, 0, panels * CKERNELS_PANEL * k * sizeof(float));
  for (size_t p = 0; p < panels; p++)
    for (size_t j = 0; j < CKERNELS_PANEL && p * CKERNELS_PANEL + j < n; j++)
      for (size_t i = 0; i < k; i++) packed[(p * k + i) * CKERNELS_PANEL + j] = weight[(p * CKERNELS_PANEL + j) * k + i];
}

#if defined(__x86_64__)
#include <immintrin.h>

static int level = -1;  // 2: AVX-512F, 1: AVX2+FMA, 0: none

int ckernels_packed_supported(void) {
  if (level < 0) {
    __builtin_cpu_init();
    level = __builtin_cpu_supports("avx512f") ? 2 : (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"));
  }
  return level > 0;
}

void ckernels_limit_to_avx2(int limit) {
  level = -1;
  ckernels_packed_supported();
  if (limit && level == 2) level = 1;
}

// Writes one tile row: y[0..<nr] = (accumulate ? y : 0) + out (+ bias).
static inline void finish_row(const float *out, const float *bias, int accumulate, float *row, size_t nr) {
  for (size_t j = 0; j < nr; j++) {
    const float v = out[j] + (bias ? bias[j] : 0.0f);
    row[j] = accumulate ? row[j] + v : v;
  }
}

// The AVX-512 tile reads x packed per k block (see pack_rows): the ten
// broadcasts of one step come from one 40-byte run instead of ten rows k
// floats apart, and the panel is prefetched 32 steps ahead (4 KB: its next
// slice is on its way from memory while this one is multiplied). Together
// they took the kernel from 60% to 65–83% of FMA peak at a ViT-B/32 image's
// 50 rows (75–80% at 400), measured on a Sapphire Rapids core.
#define ROWS512 CKERNELS_ROW_TILE
#define PREFETCH_STEPS 32
__attribute__((target("avx512f"))) static void tile512(const float *xp, size_t mr, size_t kl, const float *panel,
                                                       const float *bias, int accumulate, float *y, size_t ldy,
                                                       size_t nr) {
  __m512 acc[ROWS512][2];
  for (int r = 0; r < ROWS512; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  if (mr == ROWS512) {
    for (size_t i = 0; i < kl; i++) {
      const char *ahead = (const char *)(panel + (i + PREFETCH_STEPS) * CKERNELS_PANEL);
      _mm_prefetch(ahead, _MM_HINT_T0);
      _mm_prefetch(ahead + 64, _MM_HINT_T0);
      const __m512 w0 = _mm512_loadu_ps(panel + i * CKERNELS_PANEL);
      const __m512 w1 = _mm512_loadu_ps(panel + i * CKERNELS_PANEL + 16);
#pragma GCC unroll 10
      for (int r = 0; r < ROWS512; r++) {
        const __m512 a = _mm512_set1_ps(xp[i * ROWS512 + r]);
        acc[r][0] = _mm512_fmadd_ps(a, w0, acc[r][0]);
        acc[r][1] = _mm512_fmadd_ps(a, w1, acc[r][1]);
      }
    }
  } else {
    for (size_t i = 0; i < kl; i++) {
      const __m512 w0 = _mm512_loadu_ps(panel + i * CKERNELS_PANEL);
      const __m512 w1 = _mm512_loadu_ps(panel + i * CKERNELS_PANEL + 16);
      for (size_t r = 0; r < mr; r++) {
        const __m512 a = _mm512_set1_ps(xp[i * ROWS512 + r]);
        acc[r][0] = _mm512_fmadd_ps(a, w0, acc[r][0]);
        acc[r][1] = _mm512_fmadd_ps(a, w1, acc[r][1]);
      }
    }
  }
  for (size_t r = 0; r < mr; r++) {
    float *row = y + r * ldy;
    if (nr == CKERNELS_PANEL) {
      __m512 v0 = acc[r][0], v1 = acc[r][1];
      if (bias) {
        v0 = _mm512_add_ps(v0, _mm512_loadu_ps(bias));
        v1 = _mm512_add_ps(v1, _mm512_loadu_ps(bias + 16));
      }
      if (accumulate) {
        v0 = _mm512_add_ps(v0, _mm512_loadu_ps(row));
        v1 = _mm512_add_ps(v1, _mm512_loadu_ps(row + 16));
      }
      _mm512_storeu_ps(row, v0);
      _mm512_storeu_ps(row + 16, v1);
    } else {
      float out[CKERNELS_PANEL];
      _mm512_storeu_ps(out, acc[r][0]);
      _mm512_storeu_ps(out + 16, acc[r][1]);
      finish_row(out, bias, accumulate, row, nr);
    }
  }
}

// AVX2 has sixteen ymm registers: a tile of 6 rows × 16 columns keeps twelve
// accumulators, two weight vectors and one broadcast in registers (BLIS's
// Haswell shape); a 32-column panel is done as two halves. The row count is a
// compile-time constant in each instance (see tile256), so the compiler keeps
// the accumulators in registers instead of spilling them on every FMA.
#define ROWS256 6
__attribute__((target("avx2,fma"), always_inline)) static inline void half256(
    const float *x, size_t ldx, const int mr, size_t kl, const float *panel, const float *bias, int accumulate,
    float *y, size_t ldy, size_t nr) {
  __m256 acc[ROWS256][2];
#pragma GCC unroll 6
  for (int r = 0; r < mr; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  for (size_t i = 0; i < kl; i++) {
    const float *w = panel + i * CKERNELS_PANEL;
    const __m256 w0 = _mm256_loadu_ps(w), w1 = _mm256_loadu_ps(w + 8);
#pragma GCC unroll 6
    for (int r = 0; r < mr; r++) {
      const __m256 a = _mm256_broadcast_ss(x + r * ldx + i);
      acc[r][0] = _mm256_fmadd_ps(a, w0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(a, w1, acc[r][1]);
    }
  }
  for (int r = 0; r < mr; r++) {
    float out[16];
    _mm256_storeu_ps(out, acc[r][0]);
    _mm256_storeu_ps(out + 8, acc[r][1]);
    finish_row(out, bias, accumulate, y + r * ldy, nr);
  }
}

__attribute__((target("avx2,fma"))) static void tile256(const float *x, size_t ldx, size_t mr, size_t kl,
                                                        const float *panel, const float *bias, int accumulate, float *y,
                                                        size_t ldy, size_t nr) {
  for (size_t half = 0; half < 2 && half * 16 < nr; half++) {
    const size_t columns = nr - half * 16 < 16 ? nr - half * 16 : 16;
    const float *p = panel + half * 16;
    const float *b = bias ? bias + half * 16 : NULL;
    float *out = y + half * 16;
    switch (mr) {
      case 6: half256(x, ldx, 6, kl, p, b, accumulate, out, ldy, columns); break;
      case 5: half256(x, ldx, 5, kl, p, b, accumulate, out, ldy, columns); break;
      case 4: half256(x, ldx, 4, kl, p, b, accumulate, out, ldy, columns); break;
      case 3: half256(x, ldx, 3, kl, p, b, accumulate, out, ldy, columns); break;
      case 2: half256(x, ldx, 2, kl, p, b, accumulate, out, ldy, columns); break;
      default: half256(x, ldx, 1, kl, p, b, accumulate, out, ldy, columns); break;
    }
  }
}

// Blocks of k keep a panel slice (256 × 32 floats = 32 KB) in L1 while every row block streams past it.
#define KC_MAX 256

// x's rows [0, m) × columns [kc, kc + kl) in groups of ROWS512 rows, each
// group k-major (xp[(g·kl + i)·ROWS512 + r] = x[g·ROWS512 + r][kc + i]),
// rows past m zero.
static void pack_rows(const float *x, size_t m, size_t k, size_t kc, size_t kl, float *xp) {
  static const float zeros[KC_MAX];
  for (size_t g = 0; g * ROWS512 < m; g++) {
    const float *rows[ROWS512];
    for (size_t r = 0; r < ROWS512; r++) rows[r] = g * ROWS512 + r < m ? x + (g * ROWS512 + r) * k + kc : zeros;
    float *out = xp + g * ROWS512 * kl;
    // Sequential writes, ten sequential reads: the compiler keeps it to a load and a store per float.
    for (size_t i = 0; i < kl; i++, out += ROWS512)
#pragma GCC unroll 10
      for (size_t r = 0; r < ROWS512; r++) out[r] = rows[r][i];
  }
}

// One packed-x buffer per thread (at most CHUNK_ROWS × KC_MAX floats, 480 KB,
// or a whole short x for ckernels_pack_x: 2.4 MB at 200 rows × 3072), kept
// between calls: allocating per call would cost an mmap per GEMM at batch 8.
// Freed when the thread ends (libdispatch's workers come and go).
static pthread_key_t x_block_key;
static pthread_once_t x_block_once = PTHREAD_ONCE_INIT;
typedef struct {
  size_t floats;
  float *data;
} x_block;

static void x_block_free(void *block) {
  free(((x_block *)block)->data);
  free(block);
}

static void x_block_make_key(void) { pthread_key_create(&x_block_key, x_block_free); }

static float *x_block_for(size_t floats) {
  pthread_once(&x_block_once, x_block_make_key);
  x_block *block = pthread_getspecific(x_block_key);
  if (!block) {
    block = calloc(1, sizeof *block);
    if (!block || pthread_setspecific(x_block_key, block) != 0) {
      free(block);
      return NULL;
    }
  }
  if (block->floats < floats) {
    free(block->data);
    block->data = aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
    block->floats = block->data ? floats : 0;
  }
  return block->data;
}

// One k block [kc, kc + kl) of the AVX-512 path for panels [panel_begin,
// panel_end), x packed by pack_rows: the first block applies bias and the
// caller's accumulate, later blocks add to it. Every output is the same sum
// in the same order however the panels are shared out.
static void block512(const float *xp, size_t m, size_t k, size_t kc, size_t kl, const float *packed, size_t n,
                     const float *bias, int accumulate, float *y, size_t panel_begin, size_t panel_end) {
  const size_t groups = (m + ROWS512 - 1) / ROWS512;
  const int first = kc == 0;
  for (size_t p = panel_begin; p < panel_end; p++) {
    const size_t column = p * CKERNELS_PANEL;
    const size_t nr = n - column < CKERNELS_PANEL ? n - column : CKERNELS_PANEL;
    const float *slice = packed + (p * k + kc) * CKERNELS_PANEL;
    const float *b = first && bias ? bias + column : NULL;
    for (size_t g = 0; g < groups; g++) {
      const size_t r = g * ROWS512;
      tile512(xp + r * kl, m - r < ROWS512 ? m - r : ROWS512, kl, slice, b, first ? accumulate : 1,
              y + r * n + column, n, nr);
    }
  }
}

// The AVX-512 path: k blocks outside the panels, so each block of x is packed
// once per call; rows in chunks of CHUNK_ROWS (8 images of 50 tokens fit one),
// which bounds the buffer when the text tower embeds hundreds of prompts at once.
#define CHUNK_ROWS 480
static int packed_linear512(const float *x, size_t m, size_t k, const float *packed, size_t n, const float *bias,
                            int accumulate, float *y, size_t panel_begin, size_t panel_end) {
  if (m > CHUNK_ROWS) {
    for (size_t r = 0; r < m; r += CHUNK_ROWS)
      if (!packed_linear512(x + r * k, m - r < CHUNK_ROWS ? m - r : CHUNK_ROWS, k, packed, n, bias, accumulate,
                            y + r * n, panel_begin, panel_end))
        return 0;  // only the first chunk can fail (the buffer is kept), so nothing was written twice
    return 1;
  }
  const size_t groups = (m + ROWS512 - 1) / ROWS512;
  float *xp = x_block_for(groups * ROWS512 * (k < KC_MAX ? k : KC_MAX));
  if (!xp) return 0;
  for (size_t kc = 0; kc < k; kc += KC_MAX) {
    const size_t kl = k - kc < KC_MAX ? k - kc : KC_MAX;
    pack_rows(x, m, k, kc, kl, xp);
    block512(xp, m, k, kc, kl, packed, n, bias, accumulate, y, panel_begin, panel_end);
  }
  return 1;
}

size_t ckernels_packed_x_floats(size_t m, size_t k) {
  return (m + CKERNELS_ROW_TILE - 1) / CKERNELS_ROW_TILE * CKERNELS_ROW_TILE * k;
}

const float *ckernels_pack_x(const float *x, size_t m, size_t k) {
  ckernels_packed_supported();
  if (level != 2 || m > CHUNK_ROWS) return NULL;
  const size_t groups = (m + ROWS512 - 1) / ROWS512;
  float *xp = x_block_for(ckernels_packed_x_floats(m, k));
  if (!xp) return NULL;
  for (size_t kc = 0; kc < k; kc += KC_MAX)
    pack_rows(x, m, k, kc, k - kc < KC_MAX ? k - kc : KC_MAX, xp + groups * ROWS512 * kc);
  return xp;
}

void ckernels_packed_linear_shared(const float *xp, size_t m, size_t k, const float *packed, size_t n,
                                   const float *bias, int accumulate, float *y, size_t *next_chunk, size_t chunk) {
  const size_t groups = (m + ROWS512 - 1) / ROWS512;
  const size_t panels = (n + CKERNELS_PANEL - 1) / CKERNELS_PANEL;
  for (;;) {
    const size_t begin = __atomic_fetch_add(next_chunk, 1, __ATOMIC_RELAXED) * chunk;
    if (begin >= panels) return;
    const size_t end = begin + chunk < panels ? begin + chunk : panels;
    for (size_t kc = 0; kc < k; kc += KC_MAX)
      block512(xp + groups * ROWS512 * kc, m, k, kc, k - kc < KC_MAX ? k - kc : KC_MAX, packed, n, bias, accumulate,
               y, begin, end);
  }
}

void ckernels_packed_linear(const float *x, size_t m, size_t k, const float *packed, size_t n, const float *bias,
                            int accumulate, float *y, size_t panel_begin, size_t panel_end) {
  ckernels_packed_supported();
  if (level == 2 && packed_linear512(x, m, k, packed, n, bias, accumulate, y, panel_begin, panel_end)) return;
  // AVX2 (or no memory for packing x): the 6 × 16 tiles read x in place.
  const size_t kc_max = KC_MAX;
  for (size_t p = panel_begin; p < panel_end; p++) {
    const size_t column = p * CKERNELS_PANEL;
    const size_t nr = n - column < CKERNELS_PANEL ? n - column : CKERNELS_PANEL;
    const float *panel = packed + p * k * CKERNELS_PANEL;
    const float *panel_bias = bias ? bias + column : NULL;
    for (size_t kc = 0; kc < k; kc += kc_max) {
      const size_t kl = k - kc < kc_max ? k - kc : kc_max;
      const int first = kc == 0;
      for (size_t r = 0; r < m; r += ROWS256) {
        const size_t mr = m - r < ROWS256 ? m - r : ROWS256;
        const float *b = first ? panel_bias : NULL;
        tile256(x + r * k + kc, k, mr, kl, panel + kc * CKERNELS_PANEL, b, first ? accumulate : 1,
                y + r * n + column, n, nr);
      }
    }
  }
}
#else
int ckernels_packed_supported(void) { return 0; }

size_t ckernels_packed_x_floats(size_t m, size_t k) { return m * k; }

const float *ckernels_pack_x(const float *x, size_t m, size_t k) {
  (void)x, (void)m, (void)k;
  return NULL;
}

void ckernels_packed_linear_shared(const float *xp, size_t m, size_t k, const float *packed, size_t n,
                                   const float *bias, int accumulate, float *y, size_t *next_chunk, size_t chunk) {
  (void)xp, (void)m, (void)k, (void)packed, (void)n, (void)bias, (void)accumulate, (void)y, (void)next_chunk,
      (void)chunk;
}

void ckernels_limit_to_avx2(int limit) { (void)limit; }

void ckernels_packed_linear(const float *x, size_t m, size_t k, const float *packed, size_t n, const float *bias,
                            int accumulate, float *y, size_t panel_begin, size_t panel_end) {
  (void)x, (void)m, (void)k, (void)packed, (void)n, (void)bias, (void)accumulate, (void)y, (void)panel_begin,
      (void)panel_end;
}
#endif
