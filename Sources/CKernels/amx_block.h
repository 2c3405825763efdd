// The product loop both AMX kernels share (int8_linear.c, bf16_linear.c):
// two row blocks × two 16-column panels in the eight tiles — sums in tiles
// 0–3, inputs in 4–5, weights in 6–7 — so each load feeds two products.
// Inputs come in 16-row tiles of 64 bytes per row, 1 KiB contiguous (rows
// [0, 16) of k [i, i + STEP) at x + 16·i), and a panel's next STEP k are one
// weight tile as packed (at panel + 16·i). Only the element type, the k per
// tile row and the product instruction differ, so one macro writes both.
#ifndef CKERNELS_AMX_BLOCK_H
#define CKERNELS_AMX_BLOCK_H

#include <immintrin.h>
#include <stddef.h>

// block_amx: one block; acc holds [2][2][16][16] 4-byte sums (row block, panel, row, column),
// 1 KiB per [block][panel]. `blocks` and `panels` are compile-time constants in each instance;
// block_amx_any picks the instance for run-time counts.
#define CKERNELS_AMX_BLOCK(element, weight, step, product, features)                                                     \
  __attribute__((target(features), always_inline)) static inline void block_amx(                                  \
      const element *x, size_t kp, const int blocks, const int panels, const weight *panel0,                      \
      const weight *panel1, void *acc) {                                                                          \
    char *sums = (char *)acc;                                                                                     \
    _tile_zero(0);                                                                                                \
    if (panels == 2) _tile_zero(1);                                                                               \
    if (blocks == 2) _tile_zero(2);                                                                               \
    if (blocks == 2 && panels == 2) _tile_zero(3);                                                                \
    for (size_t i = 0; i < kp; i += (step)) {                                                                     \
      _tile_loadd(4, x + i * 16, 64);                                                                             \
      if (blocks == 2) _tile_loadd(5, x + 16 * kp + i * 16, 64);                                                  \
      _tile_loadd(6, panel0 + i * 16, 64);                                                                        \
      if (panels == 2) _tile_loadd(7, panel1 + i * 16, 64);                                                       \
      product(0, 4, 6);                                                                                           \
      if (panels == 2) product(1, 4, 7);                                                                          \
      if (blocks == 2) product(2, 5, 6);                                                                          \
      if (blocks == 2 && panels == 2) product(3, 5, 7);                                                           \
    }                                                                                                             \
    _tile_stored(0, sums, 64);                                                                                    \
    if (panels == 2) _tile_stored(1, sums + 1024, 64);                                                            \
    if (blocks == 2) _tile_stored(2, sums + 2048, 64);                                                            \
    if (blocks == 2 && panels == 2) _tile_stored(3, sums + 3072, 64);                                             \
  }                                                                                                               \
                                                                                                                  \
  __attribute__((target(features))) static void block_amx_any(const element *x, size_t kp, int blocks,           \
                                                              int panels, const weight *panel0,                   \
                                                              const weight *panel1, void *acc) {                   \
    if (blocks == 2 && panels == 2)                                                                               \
      block_amx(x, kp, 2, 2, panel0, panel1, acc);                                                                \
    else if (blocks == 2)                                                                                         \
      block_amx(x, kp, 2, 1, panel0, panel1, acc);                                                                \
    else if (panels == 2)                                                                                         \
      block_amx(x, kp, 1, 2, panel0, panel1, acc);                                                                \
    else                                                                                                          \
      block_amx(x, kp, 1, 1, panel0, panel1, acc);                                                                \
  }

#endif
