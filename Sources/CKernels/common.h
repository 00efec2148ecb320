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

/// Handles a product with nothing to multiply (cblas semantics): returns 1 after doing all
/// there is to do (nothing when C is empty; C = beta C when k == 0 or alpha == 0, zeros
/// written without reading C when beta == 0), else 0.
static inline int isTrivialProduct(long m, long n, long k, float alpha, float beta, float *c, long ldc) {
    if (m <= 0 || n <= 0) return 1;
    if (k > 0 && alpha != 0) return 0;
    for (long i = 0; i < m; i++)
        for (long j = 0; j < n; j++) c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j];
    return 1;
}

#endif
