// fedvlm_sgemm (Sources/CKernels) against OpenBLAS's cblas_sgemm, interleaved sample by sample
// so that a noisy (shared, virtual) machine slows both alike. Not part of the Swift package.
//
//   clang -O2 -ISources/CKernels/include Benchmarks/gemm_compare.c Sources/CKernels/sgemm.c -lopenblas -lpthread -lm -o /tmp/gemm_compare
//   OPENBLAS_CORETYPE=SkylakeX /tmp/gemm_compare [threads 1|2] [samples]
//
// Shapes: row-major C[M, N] = op(A) op(B), K inner; "tA"/"tB" mark an operand stored
// transposed. With 2 threads each GEMM is split like BLAS.parallelGemm (row blocks, or column
// blocks when C has few rows; products under 2^21 multiply-adds stay on one thread), each
// block computed by a single-threaded GEMM. Reported: median GFLOPS of the samples (one
// sample = enough calls for about 1e8 FLOPs), and the ratio ours / OpenBLAS.
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "CKernels.h"

extern void openblas_set_num_threads(int);
typedef void (*Gemm)(int, int, long, long, long, float, const float *, long, const float *, long, float, float *, long);

static void openblas(int ta, int tb, long m, long n, long k, float alpha, const float *a, long lda,
                     const float *b, long ldb, float beta, float *c, long ldc) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

// One block of a split product; the second one runs on a spinning helper thread.
struct Block { Gemm f; int ta, tb, byRows; long m, n, k, start, end, lda, ldb; const float *a, *b; float *c; };
static struct Block blocks[2];
static atomic_int generation, finished;

static void runBlock(const struct Block *j) {
    long s = j->start, e = j->end;
    if (s >= e) return;
    if (j->byRows)
        j->f(j->ta, j->tb, e - s, j->n, j->k, 1, j->ta ? j->a + s : j->a + s * j->lda, j->lda, j->b, j->ldb, 0, j->c + s * j->n, j->n);
    else
        j->f(j->ta, j->tb, j->m, e - s, j->k, 1, j->a, j->lda, j->tb ? j->b + s * j->ldb : j->b + s, j->ldb, 0, j->c + s, j->n);
}

static void *helper(void *unused) {
    int seen = 0;
    for (;;) {
        while (atomic_load(&generation) == seen) {
        }
        seen = atomic_load(&generation);
        runBlock(&blocks[1]);
        atomic_fetch_add(&finished, 1);
    }
    return unused;
}

static void product(Gemm f, int threads, int ta, int tb, long m, long n, long k, const float *a, long lda,
                    const float *b, long ldb, float *c) {
    if (threads < 2 || m * n * k < (1L << 21)) {
        f(ta, tb, m, n, k, 1, a, lda, b, ldb, 0, c, n);
        return;
    }
    int byRows = m >= 64 || m >= n;
    long count = byRows ? m : n, grain = count / 2 > 32 ? count / 2 : 32;
    long chunks = (count + grain - 1) / grain > 1 ? 2 : 1, per = (count + chunks - 1) / chunks;
    for (int i = 0; i < 2; i++)
        blocks[i] = (struct Block){f, ta, tb, byRows, m, n, k, i * per, (i + 1) * per < count ? (i + 1) * per : count, lda, ldb, a, b, c};
    if (chunks == 1) { runBlock(&blocks[0]); return; }
    int before = atomic_load(&finished);
    atomic_fetch_add(&generation, 1);
    runBlock(&blocks[0]);
    while (atomic_load(&finished) == before) {
    }
}

static int compare(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 1, samples = argc > 2 ? atoi(argv[2]) : 31;
    if (samples < 1 || samples > 1000) samples = 31;
    if (!fedvlm_sgemm_available()) { fprintf(stderr, "no AVX-512: fedvlm_sgemm is unavailable\n"); return 1; }
    openblas_set_num_threads(1);
    pthread_t thread;
    if (threads >= 2) pthread_create(&thread, 0, helper, 0);
    struct { long m, n, k; int ta, tb; } shapes[] = {
        {256, 256, 256, 0, 0}, {512, 512, 512, 0, 0}, {1024, 1024, 1024, 0, 0}, {2048, 2048, 2048, 0, 0}, {4096, 2048, 512, 0, 0},
        {2048, 256, 256, 0, 0}, {2048, 1024, 256, 0, 0}, {2048, 4096, 256, 0, 0}, {2048, 1024, 256, 0, 1}, {2048, 256, 256, 0, 1},
        {2048, 256, 4096, 0, 1}, {256, 256, 2048, 1, 0}, {256, 1024, 2048, 1, 0},
        {64, 64, 64, 0, 0}, {128, 128, 64, 0, 0}, {128, 128, 64, 0, 1}, {64, 128, 64, 1, 0},
        {16, 128, 64, 0, 0}, {32, 64, 128, 0, 0}, {128, 64, 32, 1, 0},
    };
    printf("%d thread(s), median of %d samples; GFLOPS\n%-24s %9s %9s %6s\n", threads, samples, "M x K x N", "OpenBLAS", "ours", "ratio");
    double logSum = 0;
    int count = (int)(sizeof shapes / sizeof shapes[0]);
    for (int s = 0; s < count; s++) {
        long m = shapes[s].m, n = shapes[s].n, k = shapes[s].k;
        int ta = shapes[s].ta, tb = shapes[s].tb;
        long lda = ta ? m : k, ldb = tb ? k : n;
        float *a = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k * n), *c = malloc(sizeof(float) * m * n);
        for (long i = 0; i < m * k; i++) a[i] = (float)((double)rand() / RAND_MAX - 0.5);
        for (long i = 0; i < k * n; i++) b[i] = (float)((double)rand() / RAND_MAX - 0.5);
        double flops = 2.0 * m * n * k, times[2][1000];
        int calls = (int)(1e8 / flops) + 1;
        for (int r = -2; r < samples; r++) {
            for (int which = 0; which < 2; which++) {
                double start = now();
                for (int i = 0; i < calls; i++)
                    product(which ? fedvlm_sgemm : openblas, threads, ta, tb, m, n, k, a, lda, b, ldb, c);
                if (r >= 0) times[which][r] = (now() - start) / calls;
            }
        }
        qsort(times[0], samples, sizeof(double), compare);
        qsort(times[1], samples, sizeof(double), compare);
        double blas = flops / times[0][samples / 2] / 1e9, ours = flops / times[1][samples / 2] / 1e9;
        logSum += log(ours / blas);
        char label[64];
        snprintf(label, sizeof label, "%ldx%ldx%ld%s%s", m, k, n, ta ? " tA" : "", tb ? " tB" : "");
        printf("%-24s %9.1f %9.1f %6.2f\n", label, blas, ours, ours / blas);
        fflush(stdout);
        free(a); free(b); free(c);
    }
    printf("geometric mean ratio %.3f\n", exp(logSum / count));
    return 0;
}
