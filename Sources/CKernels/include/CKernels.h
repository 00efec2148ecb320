// FedVLM's own C kernels (see Docs/Performance.md, "Our own SGEMM").
#ifndef FEDVLM_CKERNELS_H
#define FEDVLM_CKERNELS_H

#include <stddef.h>

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

/// Bytes `fedvlm_sgemm_pack_b` writes for a k x n op(B).
size_t fedvlm_sgemm_packed_b_bytes(long k, long n);
/// Packs all of op(B) (k x n; b[p*ldb + j], or b[j*ldb + p] when transB) as `fedvlm_sgemm`
/// packs it block by block, into `packed` (64-byte aligned, `fedvlm_sgemm_packed_b_bytes(k, n)`
/// bytes), for products that reuse one operand many times (a frozen weight, decoding steps).
void fedvlm_sgemm_pack_b(int transB, long k, long n, const float *b, long ldb, float *packed);
/// `fedvlm_sgemm` with op(B) already packed by `fedvlm_sgemm_pack_b` for the same k and n: the
/// same bits as packing it here. Splitting C into row blocks keeps the packing valid; column
/// blocks do not (each needs its own).
void fedvlm_sgemm_packed(int transA, long m, long n, long k, float alpha, const float *a, long lda,
                         const float *packedB, float beta, float *c, long ldc);
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

/// Bytes `fedvlm_amx_pack_b` writes for a k x n op(B).
size_t fedvlm_amx_packed_b_bytes(long k, long n);

/// Packs all of op(B) (k x n; b[p*ldb + j], or b[j*ldb + p] when transB) as the AMX GEMM packs
/// it block by block, into `packed` (64-byte aligned, `fedvlm_amx_packed_b_bytes(k, n)` bytes),
/// for products that reuse one operand many times (a frozen weight).
void fedvlm_amx_pack_b(int transB, long k, long n, const float *b, long ldb, void *packed);

/// `fedvlm_sgemm_amx` with op(B) already packed by `fedvlm_amx_pack_b` for the same k and n:
/// the same bits as packing it here. Splitting C into row blocks keeps the packing valid;
/// column blocks do not (each needs its own).
void fedvlm_sgemm_amx_packed(int transA, long m, long n, long k, float alpha, const float *a, long lda,
                             const void *packedB, float beta, float *c, long ldc);

/// Measured single-thread fp32 FMA throughput in GFLOPS: `iterations` rounds of 24 independent
/// 16-lane FMA chains (2 FLOPs per lane). 0 when AVX-512 is not available.
double fedvlm_fma_peak_gflops(long iterations);

// Element-wise kernels (vector_kernels.c): AVX-512 twins of Swift kernels in Tensors and NN,
// the same operations in the same order, so the same bits. Only call them when
// `fedvlm_vector_kernels_available()` returns 1 (x86-64 with AVX-512F and AVX-512DQ).
int fedvlm_vector_kernels_available(void);

/// out[i] = silu(gate[i]) * up[i] for i < count (Tensor.swiGLU).
void fedvlm_swiglu(const float *gate, const float *up, float *out, long count);

/// The gradients of `fedvlm_swiglu` for the output gradient (Tensor.swiGLUBackward).
void fedvlm_swiglu_backward(const float *gate, const float *up, const float *outputGradient,
                            float *gateGradient, float *upGradient, long count);

/// One AdamW update of `count` parameters in place (VectorKernels.adamW).
void fedvlm_adamw(float *weights, float *firstMoment, float *secondMoment, const float *gradient, long count,
                  float beta1, float beta2, float decay, float stepSize, float inverseSqrtCorrection2,
                  float epsilon);

/// out[j] = e^(row[j] - shift) for j < count (not stored when out is NULL; out may alias row);
/// laneSums[0..<16] receives the sixteen lane sums, j = lane mod 16 (VectorMath.expShifted).
void fedvlm_exp_shifted(const float *row, float shift, float *out, long count, float *laneSums);

/// Rotary embedding of rows [firstRow, firstRow + rowCount) of x, viewed as [outer, inner,
/// length, 2 half] with the given strides (the last dimension dense), into the dense y of that
/// shape: y = (x1 c - x2 s, x2 c + x1 s) with s = direction * sin (Tensor.rotated(by:inverse:)).
void fedvlm_rotary(const float *x, long outerStride, long innerStride, long rowStride, long inner, long length,
                   float *y, const float *cosines, const float *sines, long half, float direction,
                   long firstRow, long rowCount);

/// Rows [firstRow, firstRow + rowCount) of the layer-norm (centered != 0, mean given) or
/// RMS-norm (mean NULL) backward pass over rows of `length` (Tensor.normBackward): writes the
/// input gradient and adds the rows' contributions to weightGradient (and biasGradient when
/// centered). gamma may be NULL (no affine weight).
void fedvlm_norm_backward(const float *x, const float *outputGradient, float *inputGradient, const float *gamma,
                          const float *mean, const float *inverseStd, long firstRow, long rowCount, long length,
                          int centered, float *weightGradient, float *biasGradient);

/// The attention kernel's row[c] = e^(row[c] - shift) for c < count (inputs <= 0 expected) and
/// 0 up to `end`, the row padded to whole 16-lane vectors; returns the row's sum
/// (RowKernels.exponentiate).
float fedvlm_attention_exponentiate(float *row, long count, long end, float shift);

/// The largest of row[0..<count], NaN skipped, -inf when empty (VectorMath.maximum).
float fedvlm_row_maximum(const float *row, long count);

// The library's worker threads (thread_pool.c).

/// One index of a job: called once for each index in 0 ..< count, on any worker thread.
typedef void (*fedvlm_pool_task)(void *context, long index);

/// Starts `workers - 1` helper threads once per process (later calls change nothing) and
/// returns how many threads run a job, the caller's included.
long fedvlm_pool_start(long workers);

/// Runs task(context, i) for every i in 0 ..< count on the caller and the helpers and returns
/// when all have finished. Idle helpers watch for the next job for `FEDVLM_SPIN_US`
/// microseconds (default 100; 0 when there are more workers than online cores) before they
/// sleep. A call made while another job is in flight
/// (nested, or from another thread) runs its indices on the calling thread.
void fedvlm_pool_run(long count, fedvlm_pool_task task, void *context);

#ifdef __cplusplus
}
#endif

#endif
