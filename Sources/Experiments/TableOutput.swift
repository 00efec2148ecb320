// Rendering a table reproduction: the paper's layout filled with our numbers, the same
// layout with the paper's numbers, the takeaway verdicts, plots, and the files a run writes
// (Markdown, CSV, JSON, SVG, a self-contained HTML report).

import Foundation
import Reports

extension TableOutcome {
    /// A table in the paper's layout filled by `value`; caption cells show "CIDEr/ROUGE-L".
    public static func resultTable(layout: PaperTableLayout, title: String, caption: String,
                                   value: (CellKey) -> Double?) throws -> ResultTable {
        var columns: [TableColumn] = []
        for group in layout.columnGroups {
            for sub in group.subcolumns { columns.append(TableColumn([group.title, sub], ranking: .higherIsBetter)) }
        }
        let groups = layout.rowGroups.map { rowGroup in
            RowGroup(rowGroup.label, rows: rowGroup.rows.map { row in
                var cells: [TableCell] = []
                for cell in row.cells {
                    let values = cell.keys.map(value)
                    let shown: TableCell = values.count == 2
                        ? TableCell.pair(values[0], values[1])
                        : TableCell.number(values[0])
                    cells.append(shown)
                    // A value spanning two sub-columns (Central in Table 5) is shown once.
                    for _ in 1..<max(1, cell.columnSpan) { cells.append(TableCell(text: "")) }
                }
                return TableRow(row.method, cells: cells)
            })
        }
        return try ResultTable(title: title, caption: caption, groupHeader: "Mode", rowHeader: "Method", columns: columns,
                               groups: groups, markingScope: .wholeColumn)
    }

    /// ", 2 jobs, peak memory 412 MB" when recorded.
    var resourcesText: String {
        (jobs.map { ", \($0) jobs" } ?? "") + (peakResidentBytes.map { ", peak memory \(ProcessResources.megabytes($0))" } ?? "")
    }

    /// "preset quick, seed 0, teacher-forced, 812 s".
    public var captionLine: String {
        "FedVLM \(version), preset \(preset.rawValue), seed \(seed), \(evaluation.rawValue) evaluation, \(results.count) runs, \(String(format: "%.0f", wallSeconds)) s" + resourcesText
    }

    /// Our table in the paper's layout.
    public func ourTable() throws -> ResultTable {
        let layout = PaperReference.layout(table: table)!
        return try Self.resultTable(layout: layout, title: "\(table.capitalized) (ours): \(layout.caption)", caption: captionLine,
                                    value: { self.value($0) })
    }

    /// The paper's numbers in the same layout.
    public func paperTable() throws -> ResultTable {
        let layout = PaperReference.layout(table: table)!
        return try Self.resultTable(layout: layout, title: "\(table.capitalized) (paper)", caption: "FedVLMBench paper",
                                    value: PaperReference.value)
    }

    /// Takeaway verdicts as Markdown lines.
    public var verdictText: String {
        verdicts.map { verdict in
            let numbers = verdict.quantities.map { "\($0.summary): \(String(format: "%+.3f", $0.value)) (needs \($0.requirement))" }
            return "- Takeaway \(verdict.takeaway.number) — \(verdict.outcome.rawValue): \(verdict.explanation)\n  paper: \(verdict.paperDirection)\n  measured: \(numbers.joined(separator: "; "))"
        }.joined(separator: "\n")
    }

    /// Test metric per round of each run on `dataset`, one series per run.
    public func roundPlots() throws -> [SVGPlot] {
        var plots: [SVGPlot] = []
        let datasets = Array(Set(cells.map(\.key.dataset))).sorted()
        for dataset in datasets {
            let keysOfDataset = cells.filter { $0.key.dataset == dataset }.map(\.key)
            guard let metric = keysOfDataset.first?.metric else { continue }
            var series: [LineSeries] = []
            for result in results where result.spec.dataset == dataset.lowercased() {
                let values = result.rounds.map { record in
                    record.evaluation.flatMap { TableReproduction.measuredValue(metric: metric, dataset: dataset, in: $0) } ?? .nan
                }
                series.append(LineSeries(result.spec.label.replacingOccurrences(of: " \(result.spec.dataset)", with: ""), values: values))
            }
            guard !series.isEmpty else { continue }
            plots.append(try SVGPlot.lines(title: "\(dataset): \(metric) per round", xAxis: PlotAxis("round"),
                                           yAxis: PlotAxis(metric), series: series))
        }
        return plots
    }

    /// Writes table.md, table.csv, paper.csv, results.json, plots and report.html into `directory`.
    /// - Returns: the Markdown shown to the user (our table, the paper's, the verdicts).
    @discardableResult
    public func write(to directory: URL) throws -> String {
        try ResultFiles.createDirectory(directory)
        let ours = try ourTable(), paper = try paperTable()
        let markdown = """
        \(ours.markdown())

        \(paper.markdown())

        Takeaways:
        \(verdictText)

        """
        try ResultFiles.writeText(markdown, to: directory.appendingPathComponent("table.md"))
        try ResultFiles.writeCSV(ours, to: directory.appendingPathComponent("table.csv"))
        try ResultFiles.writeCSV(paper, to: directory.appendingPathComponent("paper.csv"))
        try ResultFiles.writeJSON(self, to: directory.appendingPathComponent("results.json"))
        let plots = try roundPlots()
        for (index, plot) in plots.enumerated() {
            try ResultFiles.writeText(plot.svg(), to: directory.appendingPathComponent("plot-\(index + 1).svg"))
        }
        let report = HTMLReport(
            title: "FedVLM \(table) reproduction",
            metadata: [.init("preset", preset.rawValue), .init("seed", "\(seed)"), .init("evaluation", evaluation.rawValue),
                       .init("runs", "\(results.count)"), .init("wall time", String(format: "%.0f s", wallSeconds)),
                       .init("jobs", jobs.map(String.init) ?? "1"),
                       .init("peak memory", peakResidentBytes.map(ProcessResources.megabytes) ?? "not recorded"),
                       .init("version", version)],
            sections: [.init("Our numbers", blocks: [.table(ours)]),
                       .init("The paper's numbers", blocks: [.table(paper)]),
                       .init("Takeaways", blocks: [.preformatted(verdictText)]),
                       .init("Test metric per round", blocks: plots.map { .plot($0) })])
        try ResultFiles.writeText(report.html(), to: directory.appendingPathComponent("report.html"))
        return markdown
    }
}
