// FedVLM's own C kernels (see Docs/Performance.md, "Our own SGEMM").
#ifndef FEDVLM_CKERNELS_H
#define FEDVLM_CKERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when `fedvlm_sgemm` can run on this CPU (x86-64 with AVX-512F), else 0.
int fedvlm_sgemm_available(void);

/// C = alpha op(A) op(B) + beta C, row-major, single-threaded; the same semantics as
/// cblas_sgemm(CblasRowMajor, ...): op(A) is m x k, op(B) is k x n, lda/ldb/ldc are row
/// strides. With beta == 0, C is not read (it may hold NaN). Each element of C is the same
/// sequence of operations whatever m, n or its position, so splitting C into blocks does not
/// change any bit. Only call when `fedvlm_sgemm_available()` returns 1.
void fedvlm_sgemm(int transA, int transB, long m, long n, long k, float alpha,
                  const float *a, long lda, const float *b, long ldb,
                  float beta, float *c, long ldc);

/// 1 when `fedvlm_sgemm_amx` can run: the CPU has AMX-BF16 and AVX512-BF16 and the kernel
/// granted this process the tile state (asked for once, on the first call).
int fedvlm_amx_available(void);

/// The same product and semantics as `fedvlm_sgemm`, computed on AMX tiles from a three-way
/// bf16 split of each operand (six bf16 products per fp32 product, see amx_sgemm.c). Within
/// a few fp32 roundings of `fedvlm_sgemm`, not bit-equal to it; splitting C into blocks does
/// not change any bit. Only call when `fedvlm_amx_available()` returns 1.
void fedvlm_sgemm_amx(int transA, int transB, long m, long n, long k, float alpha,
                      const float *a, long lda, const float *b, long ldb,
                      float beta, float *c, long ldc);

/// Measured single-thread fp32 FMA throughput in GFLOPS: `iterations` rounds of 24 independent
/// 16-lane FMA chains (2 FLOPs per lane). 0 when AVX-512 is not available.
double fedvlm_fma_peak_gflops(long iterations);

#ifdef __cplusplus
}
#endif

#endif
