// Table 2 of the paper for our datasets: task, the real data each stands for, maximum
// clients, instances per preset and metric; the paper's own statistics beside them; and the
// per-client label counts of a chosen partition.

import Datasets
import Foundation
import Partitioners
import Reports

public enum DatasetTable {
    /// Our Table 2 (one row per synthetic dataset) with the paper's instance counts.
    public static func table() throws -> ResultTable {
        let rows = SyntheticDatasetKind.allCases.map { kind -> TableRow in
            let info = kind.info
            let paper = PaperReference.datasetStatistics.first { $0.name == info.name }
            let sizes = Preset.allCases.map { preset -> String in
                let counts = preset.sampleCounts
                return "\(preset.rawValue) \(counts.train)+\(counts.test)"
            }.joined(separator: ", ")
            return TableRow(info.name, cells: [
                TableCell(text: info.tasks.map(\.rawValue).joined(separator: ", ")),
                TableCell(text: info.standsFor),
                TableCell(text: "\(info.categoryCount) \(info.partitionAttribute)"),
                TableCell(text: "\(info.maxClients)"),
                TableCell(text: sizes),
                TableCell(text: paper.map { "\($0.tasks.reduce(0) { $0 + $1.instances })" } ?? "—"),
                TableCell(text: info.metrics.joined(separator: ", ")),
            ])
        }
        return try ResultTable(
            title: "Table 2 (ours): the six federated datasets as synthetic stand-ins",
            caption: "instances per preset are train+test samples drawn by the experiments; the paper column is its total",
            rowHeader: "Dataset",
            columns: ["Tasks", "Stands for", "Partition attribute", "Max clients", "Instances per preset", "Paper instances",
                      "Metric"].map { TableColumn([$0]) },
            groups: [RowGroup("", rows: rows)])
    }

    /// Category / task / box distribution of a generated dataset and the per-client label
    /// counts of `spec`'s partition of it.
    public static func statistics(for spec: ExperimentSpec, runner: ExperimentRunner) throws -> String {
        let dataset = try runner.dataset(for: spec)
        let partition = try runner.partition(dataset, for: spec)
        let labels = spec.partition == .task ? dataset.train.map(\.task.rawValue) : dataset.train.map(\.category)
        let statistics = try partition.statistics(labels: labels)
        return """
        ## \(dataset.info.name), preset \(spec.preset.rawValue), seed \(spec.seed)

        \(distributionReport(dataset).markdown)

        ### Per-client \(dataset.info.partitionAttribute) counts, partition \(spec.partition.rawValue)\(spec.dirichletAlpha.map { " (alpha \($0))" } ?? "")

        \(statistics.markdownTable())
        """
    }
}
