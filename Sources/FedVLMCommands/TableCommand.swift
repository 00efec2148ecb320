// The shared body of the example executables that reproduce the paper's tables
// (Examples/table3 ... table6): options, progress, files, and the printed comparison.

import ArgumentParser
import Experiments
import Federation
import Foundation
import Tensors

/// Options every table example takes.
public struct TableOptions: ParsableArguments {
    @Option(help: "smoke (seconds), quick (minutes, default) or full.")
    public var preset: String = "quick"
    @Option(help: "Seed of data, partitions, initialisation and training.")
    public var seed: UInt64 = 0
    @Option(name: .customLong("only"), help: "Run only cells whose label contains this text (repeatable), e.g. --only fedavg --only fed-slake.")
    public var only: [String] = []
    @Option(help: "teacher-forced (the reference's protocol, default) or generated.")
    public var evaluation: String = "teacher-forced"
    @Option(help: "Directory for results (default results/<table>-<preset>-seed<seed>).")
    public var output: String?
    @Option(help: "Directory of the pretrained-model cache (default: $FEDVLM_CACHE or ./fedvlm-cache).")
    public var cache: String?
    @Option(help: "Experiments run side by side (default: one per core). The table is the same for any value.")
    public var jobs: Int = ParallelConfiguration.workerCount
    @Flag(help: "Print only the final table.")
    public var quiet = false

    public init() {}

    public func parsedPreset() throws -> Preset {
        do { return try Preset(parsing: preset) } catch { throw ValidationError("\(error)") }
    }

    public func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
    }

    public func parsedEvaluation() throws -> EvaluationProtocol {
        guard let value = EvaluationProtocol(rawValue: evaluation) else {
            throw ValidationError("unknown evaluation '\(evaluation)'; valid: teacher-forced, generated")
        }
        return value
    }

    public func outputDirectory(name: String, preset: Preset) -> URL {
        URL(fileURLWithPath: output ?? "results/\(name)-\(preset.rawValue)-seed\(seed)")
    }

    /// The model provider with progress lines for pretraining.
    public func modelProvider(preset: Preset, display: ProgressDisplay) -> PretrainedModelProvider {
        PretrainedModelProvider(budget: preset.pretrainingBudget, cacheRoot: cache.map { URL(fileURLWithPath: $0) },
                                progress: { stage, step, total, loss in
                                    display.status("pretraining \(stage): step \(step)/\(total) loss \(String(format: "%.4f", loss))")
                                    if step == total { display.line("pretrained \(stage): final loss \(String(format: "%.4f", loss))") }
                                })
    }
}

/// Counts runs started, for the ETA, across the threads that run experiments.
final class RunTracker: @unchecked Sendable {
    private let lock = NSLock()
    private var startedRuns = 0, totalRuns = 1
    func started(total: Int) { lock.lock(); startedRuns += 1; totalRuns = total; lock.unlock() }
    var counts: (started: Int, total: Int) { lock.lock(); defer { lock.unlock() }; return (startedRuns, totalRuns) }
}

/// Runs a paper table end to end and prints ours beside the paper's numbers.
public enum TableExample {
    public static func run(table: String, options: TableOptions) throws {
        BLAS.relaunchWithFastKernelsIfNeeded()
        let preset = try options.parsedPreset()
        let display = ProgressDisplay(quiet: options.quiet)
        if let warning = BLAS.runtimeInfo.warning { display.line("warning: \(warning)") }
        var reproduction = try TableReproduction(table: table, preset: preset, seed: options.seed)
        reproduction.evaluation = try options.parsedEvaluation()
        reproduction.only = options.only
        let runner = ExperimentRunner(models: options.modelProvider(preset: preset, display: display))
        runner.log = { display.line($0) }
        let tracker = RunTracker()
        runner.onClient = { label, round, position, count in
            let (started, total) = tracker.counts
            // Runs started minus those still going (at most `jobs`) approximates the runs done.
            let done = Double(Swift.max(0, started - options.jobs)) / Double(Swift.max(total, 1))
            display.status("[\(started)/\(total)] \(label) round \(round) client \(position)/\(count) \(display.eta(done: done))")
        }
        let outcome = try reproduction.run(with: runner, jobs: options.jobs) { index, count, spec in
            tracker.started(total: count)
            display.line("[\(index)/\(count)] \(spec.label)")
        }
        let directory = options.outputDirectory(name: table, preset: preset)
        let markdown = try outcome.write(to: directory)
        print(markdown)
        print("Wrote \(directory.path)/{table.md, table.csv, paper.csv, results.json, report.html, plot-*.svg} in \(String(format: "%.0f", outcome.wallSeconds)) s (\(options.jobs) jobs, peak memory \(ProcessResources.megabytes(outcome.peakResidentBytes ?? 0)))")
    }
}
