// The default model's files, linked into the binary with the assembler's
// .incbin (no multi-megabyte array literal for the compiler to chew on).
// MONITOR_MODEL_DIR comes from Package.swift (absolute path of models/synthetic).
// SwiftPM does not see .incbin inputs: tools/synthetic/train.sh touches this file
// after writing a new model so the next build picks it up.
#include "embedded_model.h"
#include <string.h>

#define EMBED(symbol, file)                                                    \
  __asm__(".section .rodata\n"                                                 \
          ".balign 64\n"                                                       \
          ".global " #symbol "_start\n" #symbol "_start:\n"                    \
          ".incbin \"" MONITOR_MODEL_DIR "/" file "\"\n"                       \
          ".global " #symbol "_end\n" #symbol "_end:\n"                        \
          ".byte 0\n"                                                          \
          ".previous\n");                                                      \
  extern const unsigned char symbol##_start[];                                 \
  extern const unsigned char symbol##_end[];

EMBED(monitor_config, "config.json")
EMBED(monitor_weights, "model.safetensors")
EMBED(monitor_vocab, "vocab.json")
EMBED(monitor_merges, "merges.txt")
EMBED(monitor_preprocessor, "preprocessor_config.json")
EMBED(monitor_temporal, "temporal.safetensors")
EMBED(monitor_retrospective, "retrospective.safetensors")
EMBED(monitor_check_frames, "demo/check-frames.mkv")

struct embedded_file {
  const char *name;
  const unsigned char *start;
  const unsigned char *end;
};

const unsigned char *monitor_embedded_file(const char *name, size_t *size) {
  static const struct embedded_file files[] = {
      {"config.json", monitor_config_start, monitor_config_end},
      {"model.safetensors", monitor_weights_start, monitor_weights_end},
      {"vocab.json", monitor_vocab_start, monitor_vocab_end},
      {"merges.txt", monitor_merges_start, monitor_merges_end},
      {"preprocessor_config.json", monitor_preprocessor_start, monitor_preprocessor_end},
      {"temporal.safetensors", monitor_temporal_start, monitor_temporal_end},
      {"retrospective.safetensors", monitor_retrospective_start, monitor_retrospective_end},
      {"check-frames.mkv", monitor_check_frames_start, monitor_check_frames_end},
  };
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    if (strcmp(files[i].name, name) == 0) {
      *size = (size_t)(files[i].end - files[i].start);
      return files[i].start;
    }
  }
  *size = 0;
  return NULL;
}
