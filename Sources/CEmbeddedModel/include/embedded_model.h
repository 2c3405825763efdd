#ifndef MONITOR_EMBEDDED_MODEL_H
#define MONITOR_EMBEDDED_MODEL_H
#include <stddef.h>

/// The bytes of one file of the default model (models/synthetic) linked into
/// the binary, or NULL (size 0) for a name that is not embedded. Names:
/// config.json, model.safetensors, vocab.json, merges.txt,
/// preprocessor_config.json, temporal.safetensors.
const unsigned char *monitor_embedded_file(const char *name, size_t *size);

#endif
