// Reproducing one of the paper's Tables 3–6: derive an experiment spec for every cell the
// paper prints, run each distinct spec once, read our number for every cell, then lay the
// numbers out as the paper does, next to the paper's own, and judge the takeaways.

import Datasets
import Federation
import Foundation
import Metrics
import Models
import Reports
import Tensors

/// The output of a table reproduction.
public struct TableOutcome: Codable, Sendable {
    public var table: String
    public var preset: Preset
    public var seed: UInt64
    public var evaluation: EvaluationProtocol
    public var version: String
    /// Our value of every cell we measured.
    public var cells: [MeasuredCell]
    public var results: [ExperimentResult]
    public var verdicts: [TakeawayVerdict]
    public var wallSeconds: Double
    /// Experiments that ran side by side.
    public var jobs: Int?
    /// Peak resident memory of the process at the end of the table.
    public var peakResidentBytes: Int?

    /// One measured cell and the paper's value for it.
    public struct MeasuredCell: Codable, Sendable {
        public var key: CellKey
        public var ours: Double
        public var paper: Double?
    }

    /// Our value of `key`, if measured.
    public func value(_ key: CellKey) -> Double? { cells.first { $0.key == key }?.ours }
}

/// Derives specs for a paper table and runs them.
public struct TableReproduction {
    public let table: String
    public let preset: Preset
    public let seed: UInt64
    public var evaluation: EvaluationProtocol = .teacherForced
    /// Run only specs whose label contains one of these (case-insensitive); empty: all.
    public var only: [String] = []

    /// The paper tables this reproduces.
    public static let tables = ["table3", "table4", "table5", "table6"]

    public init(table: String, preset: Preset, seed: UInt64) throws {
        guard Self.tables.contains(table) else {
            throw ExperimentError("unknown table '\(table)'; valid: \(Self.tables.joined(separator: ", "))")
        }
        self.table = table
        self.preset = preset
        self.seed = seed
    }

    /// The layout of the table in the paper.
    public var layout: PaperTableLayout { PaperReference.layout(table: table)! }

    /// The spec that measures `key` (its metric aside).
    public func spec(for key: CellKey) -> ExperimentSpec {
        var spec = ExperimentSpec()
        spec.preset = preset
        spec.seed = seed
        spec.evaluation = evaluation
        spec.dataset = key.dataset.lowercased()
        spec.algorithm = key.method.hasSuffix("Central") ? "central" : key.method.lowercased()
        switch key.partition {
        case "Non-IID": spec.partition = .nonIID
        case "": spec.partition = table == "table6" ? .task : .iid
        default: spec.partition = .iid
        }
        switch table {
        case "table3":
            let parts = key.group.split(separator: " ").map(String.init)
            spec.connector = ["linear": "linear", "mlp2x": "mlp2x_gelu", "mlp6x": "mlp6x_gelu"][parts[0]] ?? parts[0]
            spec.strategy = parts[1]
        case "table4":
            spec.strategy = key.group
        default:
            spec.architecture = key.group == "encoder-free" ? .encoderFree : .encoderBased
            spec.strategy = spec.architecture == .encoderFree ? "F-L" : "F-CL"
        }
        if spec.architecture == .encoderFree {
            spec.connector = "mlp2x_gelu"
        }
        if spec.isCentral { spec.partition = spec.partition == .task ? .task : .iid }
        return spec
    }

    /// Distinct specs of the table in reading order, with the cells each one measures.
    public func plannedRuns() -> [(spec: ExperimentSpec, keys: [CellKey])] {
        var runs: [(spec: ExperimentSpec, keys: [CellKey])] = []
        for key in layout.cellKeys {
            let spec = spec(for: key)
            if !only.isEmpty && !only.contains(where: { spec.label.lowercased().contains($0.lowercased()) }) { continue }
            if let index = runs.firstIndex(where: { $0.spec == spec }) { runs[index].keys.append(key) } else { runs.append((spec, [key])) }
        }
        return runs
    }

    /// Our value of a paper metric name from a run's final evaluation.
    public static func measuredValue(metric: String, dataset: String, in evaluation: TestEvaluation) -> Double? {
        func get(_ task: TaskKind, _ name: MetricName) -> Double? { evaluation.value(task: task, metric: name) }
        switch metric {
        case "accuracy":
            return get(.vqa, .accuracy) ?? get(.classification, .accuracy)
        case "CIDEr": return get(.captioning, .cider) ?? get(.reportGeneration, .cider)
        case "ROUGE-L": return get(.captioning, .rougeL) ?? get(.reportGeneration, .rougeL)
        case "IoU": return get(.grounding, .meanIoU)
        case "VQA accuracy": return get(.vqa, .accuracy)
        case "classification accuracy": return get(.classification, .accuracy)
        case "caption CIDEr": return get(.captioning, .cider)
        case "caption ROUGE-L": return get(.captioning, .rougeL)
        case "report CIDEr": return get(.reportGeneration, .cider)
        case "report ROUGE-L": return get(.reportGeneration, .rougeL)
        case "grounding IoU", "detection IoU": return get(.grounding, .meanIoU)
        default: return nil
        }
    }

    /// Runs every planned spec and collects the table's cells and verdicts.
    ///
    /// - Parameters:
    ///   - jobs: experiments run side by side (default: one per core). Each experiment then keeps
    ///     its kernels on its own thread (`ParallelConfiguration.runSerially`); at the tiny model
    ///     sizes of the tables that uses two cores far better than splitting every GEMM. Every
    ///     run draws only from its own seeds, so the table is the same for any `jobs`.
    ///   - progress: called as each run starts, with (position in the plan, plan size, spec).
    public func run(with runner: ExperimentRunner, jobs: Int = ParallelConfiguration.workerCount,
                    progress: ((Int, Int, ExperimentSpec) -> Void)? = nil) throws -> TableOutcome {
        let started = Date()
        let runs = plannedRuns()
        guard !runs.isEmpty else { throw ExperimentError("\(table): --only \(only) matches no cell; labels look like '\(spec(for: layout.cellKeys[0]).label)'") }
        let results = try Self.runAll(runs.map(\.spec), with: runner, jobs: jobs, progress: progress)
        var cells: [TableOutcome.MeasuredCell] = []
        for (run, result) in zip(runs, results) {
            for key in run.keys {
                if let value = Self.measuredValue(metric: key.metric, dataset: key.dataset, in: result.final) {
                    cells.append(.init(key: key, ours: value, paper: PaperReference.value(key)))
                }
            }
        }
        let lookup = Dictionary(cells.map { ($0.key, $0.ours) }, uniquingKeysWith: { first, _ in first })
        let verdicts = Takeaway.allCases.filter { $0.table == table }.map { $0.judge(lookup: { lookup[$0] }) }
        return TableOutcome(table: table, preset: preset, seed: seed, evaluation: evaluation, version: fedVLMVersion,
                            cells: cells, results: results, verdicts: verdicts, wallSeconds: Date().timeIntervalSince(started),
                            jobs: jobs, peakResidentBytes: ProcessResources.peakResidentBytes())
    }

    /// Runs `specs` on up to `jobs` threads and returns their results in the order of `specs`.
    /// The first failure (in plan order) is rethrown once the running experiments finish; no new
    /// run starts after a failure.
    public static func runAll(_ specs: [ExperimentSpec], with runner: ExperimentRunner, jobs: Int,
                              progress: ((Int, Int, ExperimentSpec) -> Void)? = nil) throws -> [ExperimentResult] {
        let workers = Swift.max(1, Swift.min(jobs, specs.count))
        if workers == 1 {
            return try specs.enumerated().map { index, spec in
                progress?(index + 1, specs.count, spec)
                return try runner.run(spec)
            }
        }
        // Build what runs share (datasets, pretrained parts) before going parallel, so pretraining
        // happens once and its progress is not interleaved with runs.
        for spec in specs {
            _ = try runner.dataset(for: spec)
            _ = try runner.models.makeModel(for: spec)
        }
        let queue = RunQueue(count: specs.count)
        // The callbacks run on the worker threads; callers were told so (ExperimentRunner's docs).
        let report = UncheckedSendable(progress)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let index = queue.next() {
                report.value?(index + 1, specs.count, specs[index])
                let outcome = Result { try ParallelConfiguration.runSerially { try runner.run(specs[index]) } }
                queue.finish(index, with: outcome)
            }
        }
        return try queue.results()
    }
}

/// A value the caller has made safe to share across threads.
private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// Hands out plan positions to worker threads and collects their outcomes.
private final class RunQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private var failed = false
    private var outcomes: [Result<ExperimentResult, Error>?]

    init(count: Int) { outcomes = Array(repeating: nil, count: count) }

    func next() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard !failed, nextIndex < outcomes.count else { return nil }
        defer { nextIndex += 1 }
        return nextIndex
    }

    func finish(_ index: Int, with outcome: Result<ExperimentResult, Error>) {
        lock.lock(); defer { lock.unlock() }
        outcomes[index] = outcome
        if case .failure = outcome { failed = true }
    }

    func results() throws -> [ExperimentResult] {
        try outcomes.compactMap { try $0?.get() }
    }
}
