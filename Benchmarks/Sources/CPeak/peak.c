#include "cpeak.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CHAINS 10
#define ITERATIONS 20000000L

// Best of three, as every figure of the benchmarks.
__attribute__((target("avx2,fma"))) double cpeak_fma_macs_per_second(void) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
  double best = 0;
  for (int round = 0; round < 3; round++) {
    __m256 acc[CHAINS];
    const __m256 a = _mm256_set1_ps(0.999f), b = _mm256_set1_ps(1e-7f);
    for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_set1_ps((float)c);
    const double start = now();
    for (long i = 0; i < ITERATIONS; i++) {
#pragma GCC unroll 10
      for (int c = 0; c < CHAINS; c++) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
      __asm__ volatile("" : "+x"(acc[0]), "+x"(acc[1]), "+x"(acc[2]), "+x"(acc[3]), "+x"(acc[4]));
    }
    const double seconds = now() - start;
    float sink[8];
    __m256 total = acc[0];
    for (int c = 1; c < CHAINS; c++) total = _mm256_add_ps(total, acc[c]);
    _mm256_storeu_ps(sink, total);
    __asm__ volatile("" ::"r"(sink[0]));
    const double rate = (double)ITERATIONS * CHAINS * 8 / seconds;
    if (rate > best) best = rate;
  }
  return best;
}

// Each chain multiplies its own opaque operand, so the compiler can neither
// hoist nor share the multiplications.
__attribute__((target("avx2"))) double cpeak_int8_avx2_macs_per_second(void) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2")) return 0;
  double best = 0;
  for (int round = 0; round < 3; round++) {
    __m256i acc[6], a[6];
    const __m256i b = _mm256_set1_epi8(-2), ones = _mm256_set1_epi16(1);
    for (int c = 0; c < 6; c++) {
      acc[c] = _mm256_set1_epi32(c);
      a[c] = _mm256_set1_epi8((char)(c + 1));
    }
    const double start = now();
    for (long i = 0; i < ITERATIONS; i++) {
      __asm__ volatile("" : "+x"(a[0]), "+x"(a[1]), "+x"(a[2]), "+x"(a[3]), "+x"(a[4]), "+x"(a[5]));
#pragma GCC unroll 6
      for (int c = 0; c < 6; c++)
        acc[c] = _mm256_add_epi32(acc[c], _mm256_madd_epi16(_mm256_maddubs_epi16(a[c], b), ones));
    }
    const double seconds = now() - start;
    int sink[8];
    __m256i total = acc[0];
    for (int c = 1; c < 6; c++) total = _mm256_add_epi32(total, acc[c]);
    _mm256_storeu_si256((__m256i *)sink, total);
    __asm__ volatile("" ::"r"(sink[0]));
    const double rate = (double)ITERATIONS * 6 * 32 / seconds;
    if (rate > best) best = rate;
  }
  return best;
}

// The AVX-512 instructions of the kernels, each as ten independent chains
// (more than latency × throughput) of one zmm instruction: vfmadd231ps
// (16 fp32 MACs), vpdpbusd (64 u8×s8 MACs), vdpbf16ps (32 bf16 MACs).
#define CHAIN_LOOP(type, init, step, macs_per_instruction)                       \
  double best = 0;                                                               \
  for (int round = 0; round < 3; round++) {                                      \
    type acc[CHAINS], a, b;                                                      \
    init;                                                                        \
    const double start = now();                                                  \
    for (long i = 0; i < ITERATIONS; i++) {                                      \
      __asm__ volatile("" : "+v"(a), "+v"(b));                                   \
      _Pragma("GCC unroll 10") for (int c = 0; c < CHAINS; c++) step;            \
    }                                                                            \
    const double seconds = now() - start;                                        \
    for (int c = 1; c < CHAINS; c++) __asm__ volatile("" ::"v"(acc[c]));         \
    __asm__ volatile("" ::"v"(acc[0]));                                          \
    const double rate = (double)ITERATIONS * CHAINS * (macs_per_instruction) / seconds; \
    if (rate > best) best = rate;                                                \
  }                                                                              \
  return best;

__attribute__((target("avx512f"))) static double fma512(void) {
  CHAIN_LOOP(
      __m512,
      { a = _mm512_set1_ps(0.999f); b = _mm512_set1_ps(1e-7f); for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps((float)c); },
      acc[c] = _mm512_fmadd_ps(acc[c], a, b), 16)
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) static double vnni512(void) {
  CHAIN_LOOP(
      __m512i,
      { a = _mm512_set1_epi8(3); b = _mm512_set1_epi8(-2); for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_epi32(c); },
      acc[c] = _mm512_dpbusd_epi32(acc[c], a, b), 64)
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) static double bf16512(void) {
  CHAIN_LOOP(
      __m512,
      { a = _mm512_set1_ps(0.5f); b = _mm512_set1_ps(1e-3f); for (int c = 0; c < CHAINS; c++) acc[c] = _mm512_set1_ps((float)c); },
      acc[c] = _mm512_dpbf16_ps(acc[c], (__m512bh)a, (__m512bh)b), 32)
}

// AMX: four sum tiles, each tdpbusd (16×16×64 u8×s8) or tdpbf16ps (16×16×32
// bf16 pairs) on operands held in tiles, so only the matrix unit is timed.
typedef struct __attribute__((aligned(64))) {
  uint8_t palette, start_row, reserved[14];
  uint16_t bytes_per_row[16];
  uint8_t rows[16];
} tile_config;

#define AMX_LOOP(instruction, macs)                                                \
  tile_config config;                                                              \
  memset(&config, 0, sizeof config);                                               \
  config.palette = 1;                                                              \
  for (int t = 0; t < 8; t++) {                                                    \
    config.rows[t] = 16;                                                           \
    config.bytes_per_row[t] = 64;                                                  \
  }                                                                                \
  _tile_loadconfig(&config);                                                       \
  _tile_zero(0);                                                                   \
  _tile_zero(1);                                                                   \
  _tile_zero(2);                                                                   \
  _tile_zero(3);                                                                   \
  _tile_zero(4);                                                                   \
  _tile_zero(5);                                                                   \
  _tile_zero(6);                                                                   \
  _tile_zero(7);                                                                   \
  double best = 0;                                                                 \
  for (int round = 0; round < 3; round++) {                                        \
    const double start = now();                                                    \
    for (long i = 0; i < ITERATIONS / 16; i++) {                                   \
      instruction(0, 4, 6);                                                        \
      instruction(1, 4, 7);                                                        \
      instruction(2, 5, 6);                                                        \
      instruction(3, 5, 7);                                                        \
    }                                                                              \
    const double rate = (double)(ITERATIONS / 16) * 4 * (macs) / (now() - start); \
    if (rate > best) best = rate;                                                  \
  }                                                                                \
  _tile_release();                                                                 \
  return best;

__attribute__((target("amx-tile,amx-int8"))) static double amx_int8(void) { AMX_LOOP(_tile_dpbusd, 16 * 16 * 64) }
__attribute__((target("amx-tile,amx-bf16"))) static double amx_bf16(void) { AMX_LOOP(_tile_dpbf16ps, 16 * 16 * 32) }

// Whether the CPU has AMX with `feature_bit` (CPUID 7 EDX: 25 int8, 22 bf16) and Linux grants the tiles.
static int amx(int feature_bit) {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !((d >> 24) & 1) || !((d >> feature_bit) & 1)) return 0;
  return syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* tile data */) == 0;
}

double cpeak_amx_int8_macs_per_second(void) { return amx(25) ? amx_int8() : 0; }
double cpeak_amx_bf16_macs_per_second(void) { return amx(22) ? amx_bf16() : 0; }

double cpeak_fma512_macs_per_second(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") ? fma512() : 0;
}

double cpeak_int8_vnni_macs_per_second(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") ? vnni512() : 0;
}

double cpeak_bf16_macs_per_second(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512vl") ? bf16512() : 0;
}
#else
double cpeak_fma_macs_per_second(void) { return 0; }
double cpeak_int8_avx2_macs_per_second(void) { return 0; }
double cpeak_fma512_macs_per_second(void) { return 0; }
double cpeak_int8_vnni_macs_per_second(void) { return 0; }
double cpeak_bf16_macs_per_second(void) { return 0; }
double cpeak_amx_int8_macs_per_second(void) { return 0; }
double cpeak_amx_bf16_macs_per_second(void) { return 0; }
#endif
