// Helpers shared by the GEMM kernels in this target (not part of the public header).
#ifndef FEDVLM_CKERNELS_COMMON_H
#define FEDVLM_CKERNELS_COMMON_H

#include <stddef.h>
#include <stdlib.h>

/// A 64-byte aligned buffer of at least `bytes`, kept in `*buffer` and grown on demand (the
/// kernels keep one per thread). Aborts when memory runs out: a GEMM cannot fail.
static inline void *reserveAligned(void **buffer, size_t *capacity, size_t bytes) {
    if (bytes > *capacity) {
        free(*buffer);
        *buffer = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
        *capacity = *buffer ? bytes : 0;
        if (!*buffer) abort();
    }
    return *buffer;
}

/// C = beta C for an m x n C (cblas semantics: beta == 0 writes zeros without reading C).
static inline void scaleC(long m, long n, float beta, float *c, long ldc) {
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
}

#endif
