// GEMM throughput of `Tensor.matmul` (`BLAS.gemm` underneath: the library's AVX-512 kernel, or
// the system BLAS with FEDVLM_GEMM=blas).
// Shapes: op(a) [M, K] @ op(b) [K, N] -> c [M, N]; FLOPs = 2·M·N·K (one multiply and one add per term).
// A transposed operand is stored [K, M] (or [N, K]) and passed as a transposed view, as in backward.

import ArgumentParser
import Tensors

/// One matrix product shape.
struct MatmulShape: Sendable {
    let m: Int
    let k: Int
    let n: Int
    var transposeA = false
    var transposeB = false

    /// "MxK * KxN", the row key shared with the PyTorch script; " (A^T)" / " (B^T)" mark an
    /// operand stored transposed.
    var label: String {
        "\(m)x\(k) * \(k)x\(n)" + (transposeA ? " (A^T)" : "") + (transposeB ? " (B^T)" : "")
    }
    var floatingPointOperations: Double { 2 * Double(m) * Double(n) * Double(k) }

    /// Square 256 … 2048, and a tall 4096x512 * 512x2048 product (the shape of a batched
    /// projection into a wider layer).
    static let standard: [MatmulShape] = [256, 512, 1024, 2048].map { MatmulShape(m: $0, k: $0, n: $0) }
        + [MatmulShape(m: 4096, k: 512, n: 2048)]

    /// `--extended`: the train-step benchmark's products (tokens 2048, width 256, MLP 1024,
    /// vocabulary 4096: forward x·Wᵀ, backward Gᵀ·x and G·W) and small attention-sized ones.
    static let extended: [MatmulShape] = [
        MatmulShape(m: 2048, k: 256, n: 256), MatmulShape(m: 2048, k: 256, n: 1024), MatmulShape(m: 2048, k: 256, n: 4096),
        MatmulShape(m: 2048, k: 256, n: 1024, transposeB: true), MatmulShape(m: 2048, k: 256, n: 256, transposeB: true),
        MatmulShape(m: 2048, k: 4096, n: 256, transposeB: true),
        MatmulShape(m: 256, k: 2048, n: 256, transposeA: true), MatmulShape(m: 256, k: 2048, n: 1024, transposeA: true),
        MatmulShape(m: 64, k: 64, n: 64), MatmulShape(m: 128, k: 64, n: 128), MatmulShape(m: 128, k: 64, n: 128, transposeB: true),
        MatmulShape(m: 64, k: 64, n: 128, transposeA: true),
    ]
}

struct MatmulBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matmul",
        abstract: "GFLOPS of square and rectangular fp32 matrix products.")

    @OptionGroup var options: CommonOptions

    @Option(name: .customLong("peak-gflops"), help: "The machine's nominal fp32 peak, for the % of peak column.")
    var peakGFLOPS: Double = 480

    @Option(name: .customLong("measured-peak-gflops"),
            help: "Measured fp32 FMA peak of all workers together (default: measured at start, as `kernel-bench peak`).")
    var measuredPeakGFLOPS: Double?

    @Flag(help: "Also time the training step's products (transposed operands included) and small attention-sized ones.")
    var extended = false

    func validate() throws {
        if !(peakGFLOPS > 0) { throw ValidationError("--peak-gflops must be positive, got \(peakGFLOPS)") }
        if let measuredPeakGFLOPS, !(measuredPeakGFLOPS > 0) {
            throw ValidationError("--measured-peak-gflops must be positive, got \(measuredPeakGFLOPS)")
        }
    }

    func run() throws {
        let environment = RunEnvironment.current()
        let repeats = options.repeats ?? 20, warmup = options.warmup ?? 3
        var generator = RandomGenerator(seed: options.seed)
        // The products run on all workers, so their efficiency is against all workers' FMA peak
        // (median of 3 short samples: about half a second).
        let workers = ParallelConfiguration.workerCount
        let measuredPeak = measuredPeakGFLOPS ?? {
            let samples = (0..<3).compactMap { _ in measureFMAPeak(threads: workers, iterations: 20_000_000) }
            return samples.isEmpty ? nil : samples.sorted()[samples.count / 2]
        }()
        var table = TextTable(title: "matmul (Swift, Tensor.matmul -> \(BLAS.gemmKernelDescription) GEMM), median of \(repeats)",
                              columns: ["shape", "median ms", "min ms", "GFLOPS", "% of peak", "% of measured peak"])
        var rows: [ResultRow] = []
        for shape in MatmulShape.standard + (extended ? MatmulShape.extended : []) {
            let a = Tensor.randomNormal(shape.transposeA ? [shape.k, shape.m] : [shape.m, shape.k], using: &generator)
            let b = Tensor.randomNormal(shape.transposeB ? [shape.n, shape.k] : [shape.k, shape.n], using: &generator)
            try checkProduct(a, b, shape: shape)
            let timing = measure(warmup: warmup, repeats: repeats,
                                 minimumSampleSeconds: options.minimumSampleMilliseconds / 1000) {
                _ = Tensor.matmul(a, b, transposeA: shape.transposeA, transposeB: shape.transposeB)
            }
            let gflops = shape.floatingPointOperations / timing.median / 1e9
            let peakPercent = 100 * gflops / peakGFLOPS
            let measuredPercent = measuredPeak.map { 100 * gflops / $0 }
            table.append([shape.label, formatted(timing.median * 1e3, decimals: 3), formatted(timing.minimum * 1e3, decimals: 3),
                          formatted(gflops, decimals: 1), formatted(peakPercent, decimals: 1),
                          measuredPercent.map { formatted($0, decimals: 1) } ?? "-"])
            var row = ResultRow()
            row.set("benchmark", "matmul")
            row.set("implementation", "swift")
            row.set("case", shape.label)
            row.set("m", shape.m)
            row.set("k", shape.k)
            row.set("n", shape.n)
            row.set("median_ms", timing.median * 1e3)
            row.set("min_ms", timing.minimum * 1e3)
            row.set("gflops", gflops)
            row.set("peak_gflops", peakGFLOPS)
            row.set("peak_percent", peakPercent)
            if let measuredPeak, let measuredPercent {
                row.set("measured_peak_gflops", measuredPeak)
                row.set("measured_peak_percent", measuredPercent)
            }
            row.set("transpose_a", shape.transposeA)
            row.set("transpose_b", shape.transposeB)
            options.annotate(&row, timing: timing, warmup: warmup)
            environment.annotate(&row)
            rows.append(row)
        }
        let measuredNote = measuredPeak.map {
            "Measured peak: \(formatted($0, decimals: 0)) GFLOPS, FMA loop on \(workers) threads at once"
                + (measuredPeakGFLOPS == nil ? " (kernel-bench peak; --measured-peak-gflops to set)" : " (--measured-peak-gflops)")
        } ?? "Measured peak: unavailable (no AVX-512)"
        emit(table: table, rows: rows, environment: environment, json: options.json,
             notes: ["Peak: \(formatted(peakGFLOPS, decimals: 0)) GFLOPS nominal (--peak-gflops)", measuredNote])
    }

    /// Checks two corner entries of the product against a Double-precision dot product, so a
    /// fast but wrong kernel (e.g. a broken BLAS build) cannot produce a benchmark number.
    private func checkProduct(_ a: Tensor, _ b: Tensor, shape: MatmulShape) throws {
        let c = Tensor.matmul(a, b, transposeA: shape.transposeA, transposeB: shape.transposeB)
        for (row, column) in [(0, 0), (shape.m - 1, shape.n - 1)] {
            var expected = 0.0
            for index in 0..<shape.k {
                let left = shape.transposeA ? a[index, row] : a[row, index]
                let right = shape.transposeB ? b[column, index] : b[index, column]
                expected += Double(left) * Double(right)
            }
            let tolerance = 1e-3 * Double(shape.k).squareRoot()   // entries have standard deviation sqrt(K)
            if abs(Double(c[row, column]) - expected) > tolerance {
                throw BenchmarkError("matmul \(shape.label): c[\(row), \(column)] = \(c[row, column]), expected \(expected)")
            }
        }
    }
}
