// Fed-FGVC accuracy against the Dirichlet concentration alpha (the paper's supplementary
// figure): F-CL with FedAvg on the encoder-based model, one run per alpha plus the IID split.
// Smaller alpha means each client sees fewer classes; the paper finds accuracy falls with it.

import Foundation
import Tensors
import Reports

/// The outcome of a Dirichlet sweep.
public struct DirichletSweepOutcome: Codable, Sendable {
    public var alphas: [Double]
    /// Accuracy per alpha, same order.
    public var accuracies: [Double]
    public var iidAccuracy: Double
    public var results: [ExperimentResult]
    public var preset: Preset
    public var seed: UInt64
    public var wallSeconds: Double

    /// Whether accuracy rises with alpha (Spearman-style count of increasing neighbours).
    public var trend: String {
        let rising = zip(accuracies, accuracies.dropFirst()).filter { $0.1 >= $0.0 }.count
        return "\(rising) of \(max(0, accuracies.count - 1)) steps to a larger alpha keep or raise accuracy; IID \(String(format: "%.3f", iidAccuracy))"
    }

    /// Writes sweep.md, sweep.csv, results.json, sweep.svg and report.html; returns the Markdown.
    @discardableResult
    public func write(to directory: URL) throws -> String {
        try ResultFiles.createDirectory(directory)
        let table = try ResultTable(
            title: "Fed-FGVC accuracy against Dirichlet alpha (F-CL, FedAvg)",
            caption: "FedVLM \(fedVLMVersion), preset \(preset.rawValue), seed \(seed), \(String(format: "%.0f", wallSeconds)) s",
            rowHeader: "alpha",
            columns: [TableColumn(["accuracy"], ranking: .higherIsBetter)],
            groups: [RowGroup("", rows: zip(alphas, accuracies).map { TableRow(String($0.0), cells: [.number($0.1)]) }
                + [TableRow("IID", cells: [.number(iidAccuracy)])])])
        let plot = try SVGPlot.lines(title: "Fed-FGVC accuracy vs Dirichlet alpha", xAxis: PlotAxis("alpha", scale: .log10),
                                     yAxis: PlotAxis("accuracy"),
                                     series: [LineSeries("FedAvg F-CL", points: zip(alphas, accuracies).map { PlotPoint(x: $0.0, y: $0.1) })])
        let markdown = table.markdown() + "\n\nTrend: \(trend)\n"
        try ResultFiles.writeText(markdown, to: directory.appendingPathComponent("sweep.md"))
        try ResultFiles.writeCSV(table, to: directory.appendingPathComponent("sweep.csv"))
        try ResultFiles.writeJSON(self, to: directory.appendingPathComponent("results.json"))
        try ResultFiles.writeText(plot.svg(), to: directory.appendingPathComponent("sweep.svg"))
        let report = HTMLReport(title: "FedVLM Dirichlet sweep", metadata: [.init("preset", preset.rawValue), .init("seed", "\(seed)")],
                                sections: [.init("Accuracy", blocks: [.table(table), .plot(plot), .paragraph(trend)])])
        try ResultFiles.writeText(report.html(), to: directory.appendingPathComponent("report.html"))
        return markdown
    }
}

/// Runs the sweep.
public enum DirichletSweep {
    /// The alphas swept by default (our choice; the supplement with the paper's values is not available).
    public static let defaultAlphas: [Double] = [0.1, 0.5, 1, 5]

    /// Runs one Fed-FGVC experiment per alpha plus the IID reference, `jobs` at a time
    /// (see `TableReproduction.runAll`).
    public static func run(runner: ExperimentRunner, preset: Preset, seed: UInt64, alphas: [Double] = defaultAlphas,
                           jobs: Int = ParallelConfiguration.workerCount,
                           progress: ((Int, Int, ExperimentSpec) -> Void)? = nil) throws -> DirichletSweepOutcome {
        let started = Date()
        var base = ExperimentSpec()
        base.dataset = "fed-fgvc"
        base.preset = preset
        base.seed = seed
        let specs = alphas.map { alpha -> ExperimentSpec in
            var spec = base
            spec.partition = .dirichlet
            spec.dirichletAlpha = alpha
            return spec
        } + [base]
        let results = try TableReproduction.runAll(specs, with: runner, jobs: jobs, progress: progress)
        let accuracies = results.map { TableReproduction.measuredValue(metric: "accuracy", dataset: "Fed-FGVC", in: $0.final) ?? .nan }
        return DirichletSweepOutcome(alphas: alphas, accuracies: Array(accuracies.dropLast()), iidAccuracy: accuracies.last!,
                                     results: results, preset: preset, seed: seed, wallSeconds: Date().timeIntervalSince(started))
    }
}
