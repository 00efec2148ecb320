// The library's AVX-512 SGEMM (`fedvlm_sgemm`, CKernels) against the system BLAS's
// cblas_sgemm: all transpose cases, edge sizes around the 12 x 32 micro-tile, alpha/beta,
// leading dimensions wider than the matrix, beta 0 over NaN, K beyond one K block; and the
// determinism `BLAS.parallelGemm` relies on (row or column blocks give the same bits).
// Layouts: row-major; op(A) m x k, op(B) k x n, C m x n; lda/ldb/ldc are row strides.
import CBLAS
import CKernels
import Testing
import Tensors

/// Inputs and a C of one product, with padded rows (leading dimension = width + pad).
private struct Problem {
    let transA: Bool, transB: Bool
    let m: Int, n: Int, k: Int
    let lda: Int, ldb: Int, ldc: Int
    let a: [Float], b: [Float], c: [Float]

    init(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, pad: Int, cFill: Float?, seed: UInt64) {
        self.transA = transA; self.transB = transB
        self.m = m; self.n = n; self.k = k
        lda = (transA ? m : k) + pad; ldb = (transB ? k : n) + pad; ldc = n + pad
        var generator = RandomGenerator(seed: seed)
        a = (0..<((transA ? k : m) * lda)).map { _ in 2 * generator.nextUniform() - 1 }
        b = (0..<((transB ? n : k) * ldb)).map { _ in 2 * generator.nextUniform() - 1 }
        c = (0..<(m * ldc)).map { _ in cFill ?? (2 * generator.nextUniform() - 1) }
    }

    func ours(alpha: Float, beta: Float) -> [Float] {
        var result = c
        fedvlm_sgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, &result, ldc)
        return result
    }

    func blas(alpha: Float, beta: Float) -> [Float] {
        var result = c
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, &result, Int32(ldc))
        return result
    }

    /// Nil when `ours` matches `reference` within a K-scaled tolerance and left the padding alone.
    func mismatch(_ ours: [Float], _ reference: [Float]) -> String? {
        let tolerance = 1e-5 * Float(Swift.max(k, 1)).squareRoot()
        for i in 0..<m {
            for j in 0..<ldc {
                let x = ours[i * ldc + j], y = reference[i * ldc + j]
                if j >= n {
                    if x.bitPattern != c[i * ldc + j].bitPattern { return "padding (\(i), \(j)) changed" }
                } else if !(Swift.abs(x - y) <= tolerance * (1 + Swift.abs(y))) {
                    return "(\(i), \(j)): \(x) vs BLAS \(y)"
                }
            }
        }
        return nil
    }
}

@Suite("AVX-512 GEMM kernel")
struct GemmKernelTests {
    static let available = fedvlm_sgemm_available() != 0
    static let transposes = [(false, false), (false, true), (true, false), (true, true)]

    @Test func dispatchFollowsTheCPU() {
        #expect(BLAS.usesOwnGemmKernel == (Self.available && BLAS.gemmKernel == "FedVLM AVX-512"))
        if !Self.available { #expect(!BLAS.usesOwnGemmKernel) }
    }

    @Test(.enabled(if: available), arguments: transposes)
    func matchesBLAS(transA: Bool, transB: Bool) {
        let sizes = [1, 3, 7, 13, 16, 17, 31, 33, 47, 49, 100, 257]
        var failures: [String] = []
        for (index, m) in sizes.enumerated() {
            for step in [0, 5, 9] {
                let n = sizes[(index + step) % sizes.count]
                let k = [1, 16, 33, 100][(index + step) % 4]
                let pad = (index + step) % 3 == 0 ? 0 : 5
                let (alpha, beta): (Float, Float) = [(1, 0), (1.5, 1), (-0.75, 0.5)][(index + step) % 3]
                let problem = Problem(transA: transA, transB: transB, m: m, n: n, k: k, pad: pad,
                                      cFill: beta == 0 ? .nan : nil, seed: UInt64(m * 1000 + n * 10 + k))
                if let error = problem.mismatch(problem.ours(alpha: alpha, beta: beta), problem.blas(alpha: alpha, beta: beta)) {
                    failures.append("m \(m) n \(n) k \(k) alpha \(alpha) beta \(beta) pad \(pad): \(error)")
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
    }

    /// K beyond one K block (700), K = 1, beta 0 over NaN, a tile-sized remainder, and products
    /// with few rows or few columns.
    @Test(.enabled(if: available), arguments: transposes)
    func longAndShortK(transA: Bool, transB: Bool) {
        for (m, n, k, alpha, beta) in [(50, 70, 700, Float(0.7), Float(0.5)), (37, 41, 1, 1, 0), (24, 64, 700, 1, 0),
                                        (13, 100, 385, 2, 1),
                                        // LoRA-like: few rows (B read in place), few columns (A in place, 16-wide tiles)
                                        (8, 300, 600, 1, 0.5), (300, 8, 600, 1.5, 0), (200, 16, 300, 1, 1), (12, 40, 260, 1, 0)] {
            let problem = Problem(transA: transA, transB: transB, m: m, n: n, k: k, pad: 3,
                                  cFill: beta == 0 ? .nan : nil, seed: UInt64(k))
            let error = problem.mismatch(problem.ours(alpha: alpha, beta: beta), problem.blas(alpha: alpha, beta: beta))
            #expect(error == nil, "m \(m) n \(n) k \(k): \(error ?? "")")
        }
    }

    /// The whole product, row blocks and column blocks (split points off the 12 x 32 tile
    /// grid) give the same bits: the K order of an element does not depend on where it is.
    /// The whole (n 300) packs its operands; the narrow column blocks read them in place.
    @Test(.enabled(if: available), arguments: transposes)
    func blocksGiveTheSameBits(transA: Bool, transB: Bool) {
        let (m, n, k) = (61, 300, 530)
        let problem = Problem(transA: transA, transB: transB, m: m, n: n, k: k, pad: 0, cFill: nil, seed: 3)
        let whole = problem.ours(alpha: 1.25, beta: 0.5)
        let (ta, tb) = (transA ? Int32(1) : 0, transB ? Int32(1) : 0)
        var byRows = problem.c, byColumns = problem.c
        problem.a.withUnsafeBufferPointer { a in
            problem.b.withUnsafeBufferPointer { b in
                for (start, end) in [(0, 5), (5, 22), (22, 61)] {
                    let aBlock = transA ? a.baseAddress! + start : a.baseAddress! + start * problem.lda
                    byRows.withUnsafeMutableBufferPointer { c in
                        fedvlm_sgemm(ta, tb, end - start, n, k, 1.25, aBlock, problem.lda, b.baseAddress!, problem.ldb,
                                     0.5, c.baseAddress! + start * problem.ldc, problem.ldc)
                    }
                }
                for (start, end) in [(0, 3), (3, 43), (43, 300)] {
                    let bBlock = transB ? b.baseAddress! + start * problem.ldb : b.baseAddress! + start
                    byColumns.withUnsafeMutableBufferPointer { c in
                        fedvlm_sgemm(ta, tb, m, end - start, k, 1.25, a.baseAddress!, problem.lda, bBlock, problem.ldb,
                                     0.5, c.baseAddress! + start, problem.ldc)
                    }
                }
            }
        }
        #expect(whole.map(\.bitPattern) == byRows.map(\.bitPattern))
        #expect(whole.map(\.bitPattern) == byColumns.map(\.bitPattern))
        #expect(whole.map(\.bitPattern) == problem.ours(alpha: 1.25, beta: 0.5).map(\.bitPattern))
    }

    @Test(.enabled(if: available)) func fmaPeakIsMeasured() {
        let gflops = BLAS.measuredFMAPeak(iterations: 100_000)
        #expect((gflops ?? 0) > 1)
    }
}
