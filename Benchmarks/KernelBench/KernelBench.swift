// kernel-bench: timings of the kernels the library's training time is made of — BLAS GEMM,
// causal scaled-dot-product attention (forward and backward) and a whole decoder training
// step — and of batched greedy generation with the KV cache, in the configurations that Benchmarks/pytorch_reference.py runs in PyTorch, so the
// two can be compared line by line (see Docs/Benchmarks.md).
//
//   kernel-bench matmul [--json] [--repeats N] [--peak-gflops G] [--measured-peak-gflops G] [--extended]
//   kernel-bench peak [--json] [--repeats N]
//   kernel-bench attention [--json] [--repeats N]
//   kernel-bench train-step [--json] [--repeats N]
//   kernel-bench generate [--json] [--repeats N]

import ArgumentParser
import Tensors

@main
struct KernelBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel-bench",
        abstract: "Times GEMM, causal attention, a decoder training step and batched generation on the CPU.",
        discussion: """
            Every subcommand prints a table, or with --json one JSON object per line. \
            Benchmarks/pytorch_reference.py runs the same configurations in PyTorch and \
            compares the two (`python3 Benchmarks/pytorch_reference.py compare`).
            """,
        subcommands: [MatmulBenchmark.self, PeakBenchmark.self, AttentionBenchmark.self, TrainStepBenchmark.self, GenerateBenchmark.self])

    /// Re-executes with OpenBLAS's AVX-512 kernels when the loader picked slower ones
    /// (OpenBLAS reads OPENBLAS_CORETYPE only at load time), then parses the arguments.
    static func main() {
        BLAS.relaunchWithFastKernelsIfNeeded()
        main(nil)
    }
}

/// A benchmark that could not run or produced a wrong result (the message says which).
struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Options every subcommand takes.
struct CommonOptions: ParsableArguments {
    @Flag(help: "Print one JSON object per result row instead of a table.")
    var json = false

    @Option(help: "Timed samples per configuration, the median is reported (default: matmul 20, attention 20, train-step 10, generate 10).")
    var repeats: Int?

    @Option(help: "Untimed calls before timing starts (default: matmul 3, attention 2, train-step 2, generate 2).")
    var warmup: Int?

    @Option(name: .customLong("min-sample-ms"),
            help: "Shortest timed sample in milliseconds; fast kernels repeat within a sample to reach it.")
    var minimumSampleMilliseconds: Double = 20

    @Option(help: "Seed of the random inputs.")
    var seed: UInt64 = 0

    func validate() throws {
        if let repeats, repeats < 1 { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
        if let warmup, warmup < 0 { throw ValidationError("--warmup must not be negative, got \(warmup)") }
        if !(minimumSampleMilliseconds >= 0) {
            throw ValidationError("--min-sample-ms must be a non-negative number, got \(minimumSampleMilliseconds)")
        }
    }

    /// Adds the timing settings to a JSON row.
    func annotate(_ row: inout ResultRow, timing: Timing, warmup: Int) {
        row.set("repeats", timing.samples.count)
        row.set("warmup", warmup)
        row.set("calls_per_sample", timing.callsPerSample)
        row.set("relative_spread", timing.relativeSpread)
    }
}
