// Why this file exists: Debian ships cblas.h under the openblas-pthread include
// directory (no separate cblas pkg-config); this header pulls it in for Swift.
#ifndef COPENBLAS_SHIM_H
#define COPENBLAS_SHIM_H
#include <cblas.h>
#endif
