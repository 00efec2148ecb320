// GEMM throughput of `Tensor.matmul` (BLAS sgemm underneath).
// Shapes: a [M, K] @ b [K, N] -> c [M, N]; FLOPs = 2·M·N·K (one multiply and one add per term).

import ArgumentParser
import Tensors

/// One matrix product shape.
struct MatmulShape: Sendable {
    let m: Int
    let k: Int
    let n: Int

    /// "MxK * KxN", the row key shared with the PyTorch script.
    var label: String { "\(m)x\(k) * \(k)x\(n)" }
    var floatingPointOperations: Double { 2 * Double(m) * Double(n) * Double(k) }

    /// Square 256 … 2048, and a tall 4096x512 * 512x2048 product (the shape of a batched
    /// projection into a wider layer).
    static let standard: [MatmulShape] = [256, 512, 1024, 2048].map { MatmulShape(m: $0, k: $0, n: $0) }
        + [MatmulShape(m: 4096, k: 512, n: 2048)]
}

struct MatmulBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matmul",
        abstract: "GFLOPS of square and rectangular fp32 matrix products.")

    @OptionGroup var options: CommonOptions

    @Option(name: .customLong("peak-gflops"), help: "The machine's fp32 peak, for the % of peak column.")
    var peakGFLOPS: Double = 480

    func validate() throws {
        if !(peakGFLOPS > 0) { throw ValidationError("--peak-gflops must be positive, got \(peakGFLOPS)") }
    }

    func run() throws {
        let environment = RunEnvironment.current()
        let repeats = options.repeats ?? 20, warmup = options.warmup ?? 3
        var generator = RandomGenerator(seed: options.seed)
        var table = TextTable(title: "matmul (Swift, Tensor.matmul -> sgemm), median of \(repeats)",
                              columns: ["shape", "median ms", "min ms", "GFLOPS", "% of peak"])
        var rows: [ResultRow] = []
        for shape in MatmulShape.standard {
            let a = Tensor.randomNormal([shape.m, shape.k], using: &generator)
            let b = Tensor.randomNormal([shape.k, shape.n], using: &generator)
            try checkProduct(a, b, shape: shape)
            let timing = measure(warmup: warmup, repeats: repeats,
                                 minimumSampleSeconds: options.minimumSampleMilliseconds / 1000) {
                _ = Tensor.matmul(a, b)
            }
            let gflops = shape.floatingPointOperations / timing.median / 1e9
            let peakPercent = 100 * gflops / peakGFLOPS
            table.append([shape.label, formatted(timing.median * 1e3, decimals: 3), formatted(timing.minimum * 1e3, decimals: 3),
                          formatted(gflops, decimals: 1), formatted(peakPercent, decimals: 1)])
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
            options.annotate(&row, timing: timing, warmup: warmup)
            environment.annotate(&row)
            rows.append(row)
        }
        emit(table: table, rows: rows, environment: environment, json: options.json,
             notes: ["Peak: \(formatted(peakGFLOPS, decimals: 0)) GFLOPS (--peak-gflops)"])
    }

    /// Checks two corner entries of the product against a Double-precision dot product, so a
    /// fast but wrong kernel (e.g. a broken BLAS build) cannot produce a benchmark number.
    private func checkProduct(_ a: Tensor, _ b: Tensor, shape: MatmulShape) throws {
        let c = Tensor.matmul(a, b)
        for (row, column) in [(0, 0), (shape.m - 1, shape.n - 1)] {
            var expected = 0.0
            for index in 0..<shape.k { expected += Double(a[row, index]) * Double(b[index, column]) }
            let tolerance = 1e-3 * Double(shape.k).squareRoot()   // entries have standard deviation sqrt(K)
            if abs(Double(c[row, column]) - expected) > tolerance {
                throw BenchmarkError("matmul \(shape.label): c[\(row), \(column)] = \(c[row, column]), expected \(expected)")
            }
        }
    }
}
