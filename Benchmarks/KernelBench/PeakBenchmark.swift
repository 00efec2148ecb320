// The machine's measured fp32 FMA peak: `fedvlm_fma_peak_gflops` (24 independent AVX-512 FMA
// chains, CKernels) on one core, then on every core at once (one thread per core, started
// together, each timing itself; the total is the sum). Nominal peaks (clock x FMA units) are
// not what a virtual machine delivers; GEMM efficiency is quoted against this figure.

import ArgumentParser
import Foundation
import Tensors

/// Total GFLOPS of `threads` threads running the FMA loop side by side (nil without AVX-512).
func measureFMAPeak(threads: Int, iterations: Int) -> Double? {
    if threads <= 1 { return BLAS.measuredFMAPeak(iterations: iterations) }
    let results = UnsafeMutablePointer<Double>.allocate(capacity: threads)
    defer { results.deallocate() }
    results.initialize(repeating: 0, count: threads)
    let shared = UncheckedBox(results)
    let group = DispatchGroup()
    for index in 0..<threads {
        group.enter()
        let thread = Thread {
            shared.value[index] = BLAS.measuredFMAPeak(iterations: iterations) ?? 0
            group.leave()
        }
        thread.start()
    }
    group.wait()
    let total = (0..<threads).reduce(0.0) { $0 + results[$1] }
    return total > 0 ? total : nil
}

/// Carries a pointer the threads write at distinct indices.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

struct PeakBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peak",
        abstract: "Measured fp32 FMA peak (AVX-512) on one core and on all cores at once.")

    @Flag(help: "Print one JSON object per result row instead of a table.")
    var json = false

    @Option(help: "Timed samples per configuration; the median is reported.")
    var repeats: Int = 7

    @Option(help: "FMA rounds per sample and thread (768 FLOPs each; 60M is about 0.25 s at 190 GFLOPS).")
    var iterations: Int = 60_000_000

    func validate() throws {
        if repeats < 1 { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
        if iterations < 1 { throw ValidationError("--iterations must be at least 1, got \(iterations)") }
    }

    func run() throws {
        let environment = RunEnvironment.current()
        guard BLAS.measuredFMAPeak(iterations: 1000) != nil else {
            throw BenchmarkError("peak: the CPU has no AVX-512 (the FMA loop is AVX-512 code)")
        }
        var table = TextTable(title: "fp32 FMA peak (24 AVX-512 FMA chains per thread), median of \(repeats)",
                              columns: ["threads", "median GFLOPS", "max GFLOPS", "per core", "relative spread"])
        var rows: [ResultRow] = []
        let cores = environment.cores
        for threads in Set([1, cores]).sorted() {
            let samples = (0..<repeats).map { _ in measureFMAPeak(threads: threads, iterations: iterations) ?? 0 }
            let timing = Timing(samples: samples, callsPerSample: 1)   // median and spread of GFLOPS samples
            let median = timing.median
            table.append([threads == 1 ? "1 (one core)" : "\(threads) (all cores)", formatted(median, decimals: 1),
                          formatted(samples.max()!, decimals: 1), formatted(median / Double(threads), decimals: 1),
                          formatted(timing.relativeSpread, decimals: 3)])
            var row = ResultRow()
            row.set("benchmark", "peak")
            row.set("implementation", "swift")
            row.set("case", threads == 1 ? "1 core" : "\(threads) cores")
            row.set("peak_threads", threads)
            row.set("gflops", median)
            row.set("max_gflops", samples.max()!)
            row.set("gflops_per_core", median / Double(threads))
            row.set("iterations", iterations)
            row.set("repeats", repeats)
            row.set("relative_spread", timing.relativeSpread)
            environment.annotate(&row)
            rows.append(row)
        }
        emit(table: table, rows: rows, environment: environment, json: json,
             notes: ["FLOPs per sample and thread: \(grouped(iterations)) x 24 chains x 16 lanes x 2"])
    }
}
