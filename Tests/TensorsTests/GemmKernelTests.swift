// The library's GEMM kernels (CKernels): the AVX-512 SGEMM (`fedvlm_sgemm`) against the
// system BLAS's cblas_sgemm, and the AMX bf16x6 GEMM (`fedvlm_sgemm_amx`) against a float64
// reference and the FMA kernel's own error. All transpose cases, edge sizes around the
// micro-tiles, alpha/beta, leading dimensions wider than the matrix, beta 0 over NaN, K beyond
// one K block; and the determinism `BLAS.parallelGemm` relies on (row or column blocks give
// the same bits).
// Layouts: row-major; op(A) m x k, op(B) k x n, C m x n; lda/ldb/ldc are row strides.
import CBLAS
import CKernels
import Testing
@testable import Tensors

/// Inputs and a C of one product, with padded rows (leading dimension = width + pad).
struct GemmProblem {
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

    /// The same problem with other A and B values.
    init(copying problem: GemmProblem, a: [Float], b: [Float]) {
        transA = problem.transA; transB = problem.transB
        m = problem.m; n = problem.n; k = problem.k
        lda = problem.lda; ldb = problem.ldb; ldc = problem.ldc
        self.a = a; self.b = b; c = problem.c
    }

    func ours(alpha: Float, beta: Float, amx: Bool = false) -> [Float] {
        var result = c
        if amx {
            fedvlm_sgemm_amx(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, &result, ldc)
        } else {
            fedvlm_sgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, &result, ldc)
        }
        return result
    }

    /// The product computed whole, by three row blocks and by three column blocks (split
    /// points off every tile grid), with alpha 1.25 and beta 0.5.
    func wholeAndBlocks(amx: Bool) -> (whole: [Float], byRows: [Float], byColumns: [Float]) {
        let sgemm = amx ? fedvlm_sgemm_amx : fedvlm_sgemm
        let (ta, tb) = (transA ? Int32(1) : 0, transB ? Int32(1) : 0)
        var byRows = c, byColumns = c
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                let rowSplit = [0, m / 12, m / 3 + 1, m], columnSplit = [0, 3, n / 7 + 1, n]
                for (start, end) in zip(rowSplit, rowSplit.dropFirst()) {
                    let aBlock = transA ? a.baseAddress! + start : a.baseAddress! + start * lda
                    byRows.withUnsafeMutableBufferPointer { c in
                        sgemm(ta, tb, end - start, n, k, 1.25, aBlock, lda, b.baseAddress!, ldb, 0.5, c.baseAddress! + start * ldc, ldc)
                    }
                }
                for (start, end) in zip(columnSplit, columnSplit.dropFirst()) {
                    let bBlock = transB ? b.baseAddress! + start * ldb : b.baseAddress! + start
                    byColumns.withUnsafeMutableBufferPointer { c in
                        sgemm(ta, tb, m, end - start, k, 1.25, a.baseAddress!, lda, bBlock, ldb, 0.5, c.baseAddress! + start, ldc)
                    }
                }
            }
        }
        return (ours(alpha: 1.25, beta: 0.5, amx: amx), byRows, byColumns)
    }

    func elementA(_ i: Int, _ p: Int) -> Float { transA ? a[p * lda + i] : a[i * lda + p] }
    func elementB(_ p: Int, _ j: Int) -> Float { transB ? b[j * ldb + p] : b[p * ldb + j] }

    /// The exact result in float64, and the scale of its rounding errors:
    /// |alpha| sum_p |a_ip b_pj| + |beta c_ij| (the bound fp32 error analysis multiplies by u).
    func reference(alpha: Float, beta: Float) -> (value: [Double], scale: [Double]) {
        var value = [Double](repeating: 0, count: m * n), scale = value
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0, magnitude = 0.0
                for p in 0..<k {
                    let product = Double(elementA(i, p)) * Double(elementB(p, j))
                    sum += product
                    magnitude += Swift.abs(product)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                value[i * n + j] = Double(alpha) * sum + old
                scale[i * n + j] = Swift.abs(Double(alpha)) * magnitude + Swift.abs(old)
            }
        }
        return (value, scale)
    }

    /// The largest error of `result` relative to the error scale, in units of fp32 roundoff
    /// (2^-24); nil when an element is not finite or the padding changed.
    func errorInUnits(_ result: [Float], _ reference: (value: [Double], scale: [Double])) -> Double? {
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<ldc {
                let x = result[i * ldc + j]
                if j >= n {
                    if x.bitPattern != c[i * ldc + j].bitPattern { return nil }
                    continue
                }
                guard x.isFinite else { return nil }
                let error = Swift.abs(Double(x) - reference.value[i * n + j])
                worst = Swift.max(worst, error / (reference.scale[i * n + j] * 0x1p-24 + 1e-37))
            }
        }
        return worst
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
        if !Self.available { #expect(!BLAS.usesOwnGemmKernel) }
        #expect(BLAS.gemmKernelDescription.contains("FedVLM") == BLAS.usesOwnGemmKernel)
    }

    /// OpenBLAS on a fallback core is reported on AVX-512 CPUs only, with the fix, and says what
    /// it slows: GEMM when OpenBLAS runs it, only its level-1 routines when our kernel does.
    @Test func slowOpenBLASWarningSaysWhatItSlows() {
        for core in ["SkylakeX", "Cooperlake", "SapphireRapids"] {
            #expect(BLAS.openBLASWarning(core: core, cpuHasAVX512: true, ownGemmKernel: false) == nil, "\(core)")
        }
        #expect(BLAS.openBLASWarning(core: "Haswell", cpuHasAVX512: false, ownGemmKernel: false) == nil)
        let onBLAS = BLAS.openBLASWarning(core: "Haswell", cpuHasAVX512: true, ownGemmKernel: false) ?? ""
        #expect(onBLAS.contains("Haswell") && onBLAS.contains("OPENBLAS_CORETYPE=SkylakeX") && onBLAS.contains("GEMM speed"))
        let onOwnKernel = BLAS.openBLASWarning(core: "Zen", cpuHasAVX512: true, ownGemmKernel: true) ?? ""
        #expect(onOwnKernel.contains("Zen") && onOwnKernel.contains("OPENBLAS_CORETYPE=SkylakeX")
                && onOwnKernel.contains("FedVLM's own kernel") && !onOwnKernel.contains("GEMM speed"))
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
                let problem = GemmProblem(transA: transA, transB: transB, m: m, n: n, k: k, pad: pad,
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
            let problem = GemmProblem(transA: transA, transB: transB, m: m, n: n, k: k, pad: 3,
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
        let problem = GemmProblem(transA: transA, transB: transB, m: 61, n: 300, k: 530, pad: 0, cFill: nil, seed: 3)
        let (whole, byRows, byColumns) = problem.wholeAndBlocks(amx: false)
        #expect(whole.map(\.bitPattern) == byRows.map(\.bitPattern))
        #expect(whole.map(\.bitPattern) == byColumns.map(\.bitPattern))
        #expect(whole.map(\.bitPattern) == problem.ours(alpha: 1.25, beta: 0.5).map(\.bitPattern))
    }

    @Test(.enabled(if: available)) func fmaPeakIsMeasured() {
        let gflops = BLAS.measuredFMAPeak(iterations: 100_000)
        #expect((gflops ?? 0) > 1)
    }
}

@Suite("AMX bf16x6 GEMM kernel")
struct AMXGemmKernelTests {
    static let available = fedvlm_amx_available() != 0

    @Test func dispatchFollowsTheCPUAndTheShape() {
        let preferred = BLAS.preferredGemmKernel
        if !Self.available { #expect(preferred != .amx) }
        if preferred == .amx {
            #expect(BLAS.gemmKernel(m: 1024, n: 1024, k: 1024) == .amx)
            #expect(BLAS.gemmKernel(m: 64, n: 64, k: 256) == .amx)
            // Small products and narrow ones (attention tiles, LoRA's rank-8 factors, one
            // decoding step of 16 sequences through the output head) stay on FMA.
            #expect(BLAS.gemmKernel(m: 64, n: 64, k: 64) == .avx512)
            #expect(BLAS.gemmKernel(m: 4096, n: 8, k: 4096) == .avx512)
            #expect(BLAS.gemmKernel(m: 16, n: 4096, k: 256) == .avx512)
            #expect(BLAS.gemmKernel(m: 4096, n: 48, k: 4096) == .avx512)
            #expect(BLAS.gemmKernel(m: 4096, n: 4096, k: 16) == .avx512)
        } else {
            #expect(BLAS.gemmKernel(m: 1024, n: 1024, k: 1024) == preferred)
        }
        #expect(BLAS.usesOwnGemmKernel == (preferred != .blas))
    }

    /// Every transpose case over sizes around the 16 x 16 tile and the 32-long K chunk, with
    /// alpha/beta and padded rows: the error stays within a few fp32 roundings of the exact
    /// result (a lost bf16 piece would be 2^16 roundings), and its worst error over all the
    /// problems is no larger than the FMA kernel's worst (or one rounding).
    @Test(.enabled(if: available), arguments: GemmKernelTests.transposes)
    func asAccurateAsFP32(transA: Bool, transB: Bool) {
        let sizes = [1, 5, 15, 16, 17, 31, 32, 33, 47, 100, 257]
        var failures: [String] = []
        var worstAMX = 0.0, worstFMA = 0.0
        for (index, m) in sizes.enumerated() {
            for step in [0, 4, 7] {
                let n = sizes[(index + step) % sizes.count]
                let k = [1, 31, 32, 33, 100, 129, 300][(index + step) % 7]
                let pad = (index + step) % 3 == 0 ? 0 : 5
                let (alpha, beta): (Float, Float) = [(1, 0), (1.5, 1), (-0.75, 0.5)][(index + step) % 3]
                let problem = GemmProblem(transA: transA, transB: transB, m: m, n: n, k: k, pad: pad,
                                      cFill: beta == 0 ? .nan : nil, seed: UInt64(m * 1000 + n * 10 + k))
                let exact = problem.reference(alpha: alpha, beta: beta)
                let amx = problem.errorInUnits(problem.ours(alpha: alpha, beta: beta, amx: true), exact)
                let fma = problem.errorInUnits(problem.ours(alpha: alpha, beta: beta), exact) ?? .infinity
                guard let amx, amx <= 8 else {
                    failures.append("m \(m) n \(n) k \(k) alpha \(alpha) beta \(beta) pad \(pad): error \(amx.map { "\($0)" } ?? "not finite or padding written") u")
                    continue
                }
                worstAMX = Swift.max(worstAMX, amx)
                worstFMA = Swift.max(worstFMA, fma)
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        #expect(worstAMX <= Swift.max(worstFMA, 1), "AMX error \(worstAMX) u, FMA kernel \(worstFMA) u")
    }

    /// K over several K blocks (the kernel's block is 512), with beta accumulating across them;
    /// the last case also has several row blocks of op(A) (64 rows each at this K) packed one
    /// after another into the one buffer a single column block uses.
    @Test(.enabled(if: available), arguments: GemmKernelTests.transposes)
    func longK(transA: Bool, transB: Bool) {
        for (m, n, k, alpha, beta) in [(40, 70, 700, Float(0.7), Float(0.5)), (33, 48, 1030, 1, 0), (16, 16, 257, 2, 1),
                                       (200, 40, 1030, -1, 0.5)] {
            let problem = GemmProblem(transA: transA, transB: transB, m: m, n: n, k: k, pad: 3,
                                  cFill: beta == 0 ? .nan : nil, seed: UInt64(k))
            let error = problem.errorInUnits(problem.ours(alpha: alpha, beta: beta, amx: true),
                                             problem.reference(alpha: alpha, beta: beta))
            #expect((error ?? .infinity) <= 8, "m \(m) n \(n) k \(k): \(error.map { "\($0)" } ?? "not finite") u")
        }
    }

    /// NaN and infinity reach exactly the outputs they reach in fp32 (an infinity may arrive
    /// as NaN: its bf16 pieces multiply zeros), and nothing else.
    @Test(.enabled(if: available)) func nonFiniteInputsReachTheSameOutputs() {
        var problem = GemmProblem(transA: false, transB: false, m: 20, n: 40, k: 70, pad: 0, cFill: nil, seed: 9)
        var a = problem.a, b = problem.b
        a[3 * problem.lda + 5] = .infinity
        a[11 * problem.lda + 69] = .nan
        b[2 * problem.ldb + 33] = -.infinity
        problem = GemmProblem(copying: problem, a: a, b: b)
        let amx = problem.ours(alpha: 1, beta: 0.5, amx: true), fma = problem.ours(alpha: 1, beta: 0.5)
        #expect(amx.map(\.isFinite) == fma.map(\.isFinite))
        #expect(amx.contains { !$0.isFinite })
    }

    /// The packed op(B) holds, for every element x, the three bf16 pieces x0 = bf16(x),
    /// x1 = bf16(x - x0), x2 = bf16(x - x0 - x1) (round to nearest even, subnormals as zero as
    /// `vcvtneps2bf16` does; a non-finite x0 carries the value alone), in AMX's pair layout:
    /// chunk by chunk of 32 K values, piece s's tile row v holds K values 2v and 2v+1 of each of
    /// the panel's 16 columns. Checked against this model written here in Swift, both for op(B)
    /// stored as rows and as columns, with tails in K and in the columns and non-finite,
    /// overflowing, subnormal and signed-zero values.
    @Test(.enabled(if: available), arguments: [false, true])
    func packedOperandHoldsTheSplitInPairLayout(transposed: Bool) {
        let (k, n) = (70, 37)                                  // 3 chunks, 3 panels: one block
        var generator = RandomGenerator(seed: 21)
        var values = (0..<(k * n)).map { _ in (2 * generator.nextUniform() - 1) * 3 }
        let specials: [Float] = [.nan, .infinity, -.infinity, 3.4e38, -3.39e38, Float(1e-39 as Double), -0.0, 0, 1e-37]  // 1e-39: subnormal
        for (index, special) in specials.enumerated() { values[index * 97 % values.count] = special }
        let leading = transposed ? k : n                       // op(B)[p, j] at p*n + j, or j*k + p
        func opB(_ p: Int, _ j: Int) -> Float { transposed ? values[j * leading + p] : values[p * leading + j] }

        func bfloat16(_ x: Float) -> UInt16 {
            if x.isNaN { return UInt16(x.bitPattern >> 16) | 0x0040 }
            if x.isSubnormal { return UInt16((x.bitPattern >> 16) & 0x8000) }
            let bits = x.bitPattern
            return UInt16((bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
        }
        func widened(_ piece: UInt16) -> Float { Float(bitPattern: UInt32(piece) << 16) }
        func pieces(_ x: Float) -> [UInt16] {
            let x0 = bfloat16(x)
            let remainder1 = widened(x0).isFinite ? x - widened(x0) : 0
            let x1 = bfloat16(remainder1)
            return [x0, x1, bfloat16(remainder1 - widened(x1))]
        }

        let byteCount = fedvlm_amx_packed_b_bytes(k, n)
        #expect(byteCount == 3 * 3 * 3 * 1024)                 // panels x chunks x pieces x tile
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)   // the kernel's tiles
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0xFF, count: byteCount)
        values.withUnsafeBufferPointer { fedvlm_amx_pack_b(transposed ? 1 : 0, k, n, $0.baseAddress, leading, buffer) }
        let packed = UnsafeBufferPointer(start: buffer.assumingMemoryBound(to: UInt16.self), count: byteCount / 2)
        var mismatches: [String] = []
        for index in packed.indices {
            // Tiles of 512 bf16 (16 rows of 16 pairs) go piece by piece, chunk by chunk, panel by panel.
            let (tile, place) = index.quotientAndRemainder(dividingBy: 512)
            let (piece, chunk, panel) = (tile % 3, tile / 3 % 3, tile / 9)
            let (v, column, half) = (place / 32, place % 32 / 2, place % 2)
            let (p, j) = (chunk * 32 + 2 * v + half, panel * 16 + column)
            let expected = p < k && j < n ? pieces(opB(p, j))[piece] : 0
            if packed[index] != expected, mismatches.count < 5 {
                mismatches.append("K \(p) column \(j) piece \(piece): \(packed[index]) vs \(expected)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    /// Row blocks and column blocks (split points off the 16 x 16 grid and across a pair of
    /// tiles) give the same bits as the whole product.
    @Test(.enabled(if: available), arguments: GemmKernelTests.transposes)
    func blocksGiveTheSameBits(transA: Bool, transB: Bool) {
        let problem = GemmProblem(transA: transA, transB: transB, m: 61, n: 300, k: 530, pad: 0, cFill: nil, seed: 3)
        let (whole, byRows, byColumns) = problem.wholeAndBlocks(amx: true)
        #expect(whole.map(\.bitPattern) == byRows.map(\.bitPattern))
        #expect(whole.map(\.bitPattern) == byColumns.map(\.bitPattern))
    }

    /// `BLAS.parallelGemm` picks the kernel for the whole product, so its result is the same
    /// on one worker and on all of them.
    @Test func parallelGemmDoesNotDependOnTheWorkers() {
        let (m, n, k) = (256, 96, 128)
        var generator = RandomGenerator(seed: 12)
        let a = (0..<(m * k)).map { _ in 2 * generator.nextUniform() - 1 }
        let b = (0..<(k * n)).map { _ in 2 * generator.nextUniform() - 1 }
        func product() -> [Float] {
            var c = [Float](repeating: 0, count: m * n)
            BLAS.parallelGemm(transposeA: false, transposeB: false, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n)
            return c
        }
        let serial = ParallelConfiguration.runSerially { product() }
        #expect(product().map(\.bitPattern) == serial.map(\.bitPattern))
    }
}
