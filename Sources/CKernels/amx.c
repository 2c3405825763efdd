// Intel AMX (Advanced Matrix Extensions): whether this CPU and kernel let the
// process use the tile registers. Linux hands out the 8 KiB of tile state
// only to a process that asks for it (arch_prctl ARCH_REQ_XCOMP_PERM); the
// grant covers every thread of the process, so it is asked once, here.
#include "ckernels.h"

#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <immintrin.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { request_permission = 0x1023, tile_data = 18 };

static int asked = 0, granted = 0;

static int os_grants_tiles(void) {
  if (!asked) {
    asked = 1;
    granted = syscall(SYS_arch_prctl, request_permission, tile_data) == 0;
  }
  return granted;
}

int ckernels_amx_supports(int bf16) {
  unsigned a, b, c, d;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  const int tile = (d >> 24) & 1, int8 = (d >> 25) & 1, bfloat = (d >> 22) & 1;
  if (!tile || !(bf16 ? bfloat : int8)) return 0;
  // The OS saves tile configuration and data (XCR0 bits 17 and 18) only if it knows them.
  unsigned low, high;
  __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  if ((low & (3u << 17)) != (3u << 17)) return 0;
  return os_grants_tiles();
}

// Palette 1 with all eight tiles 16 rows × 64 bytes: what both AMX kernels use.
typedef struct __attribute__((aligned(64))) {
  uint8_t palette, start_row, reserved[14];
  uint16_t bytes_per_row[16];
  uint8_t rows[16];
} tile_config;

__attribute__((target("amx-tile"))) void ckernels_amx_configure_tiles(void) {
  tile_config config;
  memset(&config, 0, sizeof config);
  config.palette = 1;
  for (int t = 0; t < 8; t++) {
    config.rows[t] = 16;
    config.bytes_per_row[t] = 64;
  }
  _tile_loadconfig(&config);
}
#else
void ckernels_amx_configure_tiles(void) {}

int ckernels_amx_supports(int bf16) {
  (void)bf16;
  return 0;
}
#endif
