// The published numbers of FedVLMBench (Zheng et al., "FedVLMBench: Benchmarking Federated
// Fine-Tuning of Vision-Language Models"), Tables 3-6, and the dataset statistics of Table 2,
// as data that our own measurements can be compared with cell by cell.
//
// Each table row is kept as the paper prints it (`PaperTableRow.printed`, copied from the
// paper's text) and parsed once against the table's layout, so a line-by-line diff against the
// paper is possible and the layout, not the typing, decides which key a number belongs to.
// Tests/Fixtures/make_paper_reference_fixtures.py reads the same tables from the paper text
// with separate code; Tests/ExperimentsTests/PaperReferenceTests.swift compares all 450 cells.
//
// Captioning cells are printed "CIDEr/ROUGE-L" with CIDEr on the 0-10 scale (times 10, as
// pycocoevalcap reports it); they become two cells, metric "CIDEr" and metric "ROUGE-L".
//
// This file uses Foundation only, so it compiles independently of the rest of the package.
import Foundation

// MARK: - Cell keys

/// Identifies one number of the paper's Tables 3–6, or the same cell measured by this library.
///
/// The experiment runner produces keys of the same shape for its measurements, so a measured
/// table and the paper's table can be compared cell by cell (`PaperReference.value(_:)`).
///
/// | Table | `group` | `method` | `partition` | `metric` |
/// |---|---|---|---|---|
/// | `table3` | connector + strategy, e.g. `"mlp2x F-CL"` | `Central`, `FedAvg` | `IID` | `accuracy`, `CIDEr`, `ROUGE-L` |
/// | `table4` | strategy, e.g. `"F-CL"` | the five algorithms | `IID`, `Non-IID` | as table 3 |
/// | `table5` | `encoder-based`, `encoder-free` | `Central` or an algorithm | `IID`, `Non-IID`; `""` for Central | plus `IoU` |
/// | `table6` | `encoder-based`, `encoder-free` | `MT-Central` or an algorithm | `""` | per task, e.g. `VQA accuracy`, `caption CIDEr` |
public struct CellKey: Hashable, Codable, Sendable, Comparable, CustomStringConvertible {
    /// `"table3"` … `"table6"`.
    public var table: String
    /// Row group: connector and strategy (table 3, `"mlp2x F-CL"`), strategy (table 4, `"F-CL"`)
    /// or architecture (tables 5 and 6, `"encoder-based"`).
    public var group: String
    /// `"Central"`, `"MT-Central"`, `"FedAvg"`, `"FedProx"`, `"FedAdam"`, `"FedAvgM"` or `"FedYogi"`.
    public var method: String
    /// Dataset name as in Table 2, e.g. `"Fed-SLAKE"` (Table 5's header misspells Fed-RadGenome; we do not).
    public var dataset: String
    /// `"IID"`, `"Non-IID"`, or `""` where the paper reports one value (Table 5's Central row, Table 6).
    public var partition: String
    /// `"accuracy"`, `"CIDEr"` (0–10 scale), `"ROUGE-L"`, `"IoU"`, or a Table 6 task metric such as `"VQA accuracy"`.
    public var metric: String

    /// Creates a key from its six parts.
    public init(table: String, group: String, method: String, dataset: String, partition: String, metric: String) {
        self.table = table
        self.group = group
        self.method = method
        self.dataset = dataset
        self.partition = partition
        self.metric = metric
    }

    /// `table/group/method/dataset/partition/metric`, with `-` for an empty partition.
    public var description: String {
        "\(table)/\(group)/\(method)/\(dataset)/\(partition.isEmpty ? "-" : partition)/\(metric)"
    }

    /// Orders keys field by field (table, group, method, dataset, partition, metric).
    public static func < (lhs: CellKey, rhs: CellKey) -> Bool {
        (lhs.table, lhs.group, lhs.method, lhs.dataset, lhs.partition, lhs.metric)
            < (rhs.table, rhs.group, rhs.method, rhs.dataset, rhs.partition, rhs.metric)
    }
}

// MARK: - Table layouts

/// A column group of a paper table: one dataset and the sub-columns printed under it.
public struct PaperColumnGroup: Sendable, Equatable {
    /// Dataset name (`"Fed-SLAKE"`, …).
    public let title: String
    /// Sub-column headers in printed order (`["IID", "Non-IID"]`, `["Linear", "Mlp2x", "Mlp6x"]`,
    /// or Table 6's task columns such as `"Caption Generation CIDEr/ROUGE-L"`).
    public let subcolumns: [String]
}

/// One printed cell: the keys of the numbers it shows, and how many sub-columns it spans.
public struct PaperTableCell: Sendable, Equatable {
    /// One key, or two for a caption cell printed `CIDEr/ROUGE-L` (CIDEr first).
    public let keys: [CellKey]
    /// 1, or 2 for Table 5's Central row, whose single value spans a dataset's IID and Non-IID columns.
    public let columnSpan: Int
}

/// One printed row: its method and its cells left to right.
public struct PaperTableRow: Sendable, Equatable {
    /// `"Central"`, `"MT-Central"` or an algorithm name.
    public let method: String
    /// The row's numbers exactly as the paper prints them, space separated.
    public let printed: String
    /// Cells left to right; their spans add up to the table's sub-column count.
    public let cells: [PaperTableCell]
}

/// A block of rows under one label in the paper's "Mode" column.
public struct PaperRowGroup: Sendable, Equatable {
    /// The printed label (`"F-C"`, `"Encoder-based"`).
    public let label: String
    /// The key `group` shared by the block's cells (for table 3 the connector is part of each
    /// cell's group instead, since connectors are columns there).
    public let group: String
    /// Rows in printed order.
    public let rows: [PaperTableRow]
}

/// The printed layout of one of Tables 3–6, so a renderer can lay out measured numbers exactly
/// like the paper: column groups with sub-columns, then row groups of method rows.
public struct PaperTableLayout: Sendable, Equatable {
    /// `"table3"` … `"table6"`.
    public let table: String
    /// The paper's caption, shortened.
    public let caption: String
    /// Column groups left to right.
    public let columnGroups: [PaperColumnGroup]
    /// Row groups top to bottom.
    public let rowGroups: [PaperRowGroup]

    /// Number of printed sub-columns (numeric columns) of the table.
    public var subcolumnCount: Int { columnGroups.reduce(0) { $0 + $1.subcolumns.count } }

    /// Every cell key of the table in reading order (row by row, left to right, CIDEr before ROUGE-L).
    public var cellKeys: [CellKey] {
        rowGroups.flatMap { $0.rows.flatMap { $0.cells.flatMap(\.keys) } }
    }
}

// MARK: - Table 2

/// One task of a dataset in Table 2.
public struct PaperTaskStatistics: Sendable, Equatable {
    /// Task type as printed (`"VQA"`, `"Caption Generation"`, `"CLS"`, `"Detection"`, …).
    public let taskType: String
    /// Source dataset(s) of the task.
    public let dataSource: String
    /// `"Image"` or `"Image+Text"`.
    public let dataType: String
    /// Number of instances.
    public let instances: Int
    /// Evaluation metric(s), in this library's metric names.
    public let metrics: [String]
}

/// One dataset of Table 2 ("Statistics of 6 federated multimodal fine-tuning datasets").
public struct PaperDatasetStatistics: Sendable, Equatable {
    /// Dataset name (`"Fed-FGVC"`, …).
    public let name: String
    /// Maximum number of clients.
    public let maxClients: Int
    /// Its tasks; the multitask datasets (Fed-Nature, Fed-Med) give one client per task.
    public let tasks: [PaperTaskStatistics]
}

// MARK: - Reference

/// The paper's published numbers (Tables 3–6), their layouts, the Table 2 statistics and the
/// names used in cell keys.
public enum PaperReference {
    /// The five federated algorithms, in the paper's row order.
    public static let algorithms = ["FedAvg", "FedProx", "FedAdam", "FedAvgM", "FedYogi"]
    /// The four fine-tuning strategies of the encoder-based VLM, in row order.
    public static let strategies = ["F-C", "F-L", "F-CL", "F-2stage"]
    /// Connector names used in table 3 groups (this library's specs `linear`, `mlp2x_gelu`, `mlp6x_gelu`).
    public static let connectors = ["linear", "mlp2x", "mlp6x"]
    /// The two architectures (tables 5 and 6 groups).
    public static let architectures = ["encoder-based", "encoder-free"]
    /// The two partitions of the single-task datasets.
    public static let partitions = ["IID", "Non-IID"]
    /// Single-task datasets the paper calls text-centric (VQA, captioning).
    public static let textCentricDatasets = ["Fed-SLAKE", "Fed-ScienceCap"]
    /// Single-task datasets the paper calls vision-centric (classification, detection).
    public static let visionCentricDatasets = ["Fed-FGVC", "Fed-RadGenome"]
    /// Table 6's per-task metrics used for comparisons, one per task (CIDEr for captioning and reports).
    public static let multitaskPrimaryMetrics: [(dataset: String, metric: String)] = [
        ("Fed-Nature", "VQA accuracy"), ("Fed-Nature", "caption CIDEr"), ("Fed-Nature", "grounding IoU"),
        ("Fed-Nature", "classification accuracy"),
        ("Fed-Med", "VQA accuracy"), ("Fed-Med", "report CIDEr"), ("Fed-Med", "detection IoU"),
    ]

    /// The metric a single-task dataset is compared on: accuracy, IoU, or CIDEr for captioning.
    public static func primaryMetric(dataset: String) -> String? {
        singleTaskMetrics[dataset]?.first
    }

    /// The paper's value of one cell, or nil if the paper has no such cell.
    public static func value(_ key: CellKey) -> Double? { allCells[key] }

    /// All cells of one table (`"table3"` … `"table6"`); empty for an unknown name.
    public static func cells(table: String) -> [CellKey: Double] {
        allCells.filter { $0.key.table == table }
    }

    /// The printed layout of one table, or nil for an unknown name.
    public static func layout(table: String) -> PaperTableLayout? {
        layouts.first { $0.table == table }
    }

    /// Layouts of Tables 3, 4, 5 and 6, in that order.
    public static let layouts: [PaperTableLayout] = [table3Layout, table4Layout, table5Layout, table6Layout]

    /// Every published cell of Tables 3–6 (450 numbers), parsed from the printed rows.
    public static let allCells: [CellKey: Double] = {
        var cells: [CellKey: Double] = [:]
        for layout in layouts {
            for rowGroup in layout.rowGroups {
                for row in rowGroup.rows {
                    let tokens = row.printed.split(separator: " ")
                    precondition(tokens.count == row.cells.count,
                                 "\(layout.table) \(rowGroup.label) \(row.method): \(tokens.count) printed values for \(row.cells.count) cells")
                    for (token, cell) in zip(tokens, row.cells) {
                        let parts = token.split(separator: "/")
                        precondition(parts.count == cell.keys.count,
                                     "\(layout.table) \(rowGroup.label) \(row.method): '\(token)' does not fit \(cell.keys)")
                        for (part, key) in zip(parts, cell.keys) {
                            guard let number = Double(part) else {
                                preconditionFailure("\(layout.table) \(rowGroup.label) \(row.method): '\(part)' is not a number")
                            }
                            precondition(cells.updateValue(number, forKey: key) == nil, "duplicate cell \(key)")
                        }
                    }
                }
            }
        }
        return cells
    }()

    /// Table 2, in the paper's order.
    public static let datasetStatistics: [PaperDatasetStatistics] = [
        PaperDatasetStatistics(name: "Fed-FGVC", maxClients: 30, tasks: [
            PaperTaskStatistics(taskType: "CLS", dataSource: "FGVC", dataType: "Image", instances: 9_967, metrics: ["accuracy"]),
        ]),
        PaperDatasetStatistics(name: "Fed-ScienceCap", maxClients: 27, tasks: [
            PaperTaskStatistics(taskType: "Caption Generation", dataSource: "ScienceQA", dataType: "Image+Text",
                                instances: 5_157, metrics: ["CIDEr", "ROUGE-L"]),
        ]),
        PaperDatasetStatistics(name: "Fed-SLAKE", maxClients: 3, tasks: [
            PaperTaskStatistics(taskType: "VQA", dataSource: "SLAKE", dataType: "Image+Text", instances: 8_061, metrics: ["accuracy"]),
        ]),
        PaperDatasetStatistics(name: "Fed-RadGenome", maxClients: 3, tasks: [
            PaperTaskStatistics(taskType: "Detection", dataSource: "RadGenome-Chest CT", dataType: "Image+Text",
                                instances: 8_744, metrics: ["IoU"]),
        ]),
        PaperDatasetStatistics(name: "Fed-Nature", maxClients: 4, tasks: [
            PaperTaskStatistics(taskType: "VQA", dataSource: "COCO-QA", dataType: "Image+Text", instances: 6_000, metrics: ["accuracy"]),
            PaperTaskStatistics(taskType: "Visual Grounding", dataSource: "RefCOCO", dataType: "Image+Text",
                                instances: 6_000, metrics: ["IoU"]),
            PaperTaskStatistics(taskType: "Caption Generation", dataSource: "RefCOCO", dataType: "Image+Text",
                                instances: 6_000, metrics: ["CIDEr", "ROUGE-L"]),
            PaperTaskStatistics(taskType: "CLS", dataSource: "COCO", dataType: "Image", instances: 6_000, metrics: ["accuracy"]),
        ]),
        PaperDatasetStatistics(name: "Fed-Med", maxClients: 3, tasks: [
            PaperTaskStatistics(taskType: "VQA", dataSource: "SLAKE & VQA-RAD", dataType: "Image+Text",
                                instances: 3_846, metrics: ["accuracy"]),
            PaperTaskStatistics(taskType: "Detection", dataSource: "RadGenome-Chest CT", dataType: "Image+Text",
                                instances: 8_744, metrics: ["IoU"]),
            PaperTaskStatistics(taskType: "Report Generation", dataSource: "MIMIC-CXR", dataType: "Image+Text",
                                instances: 8_000, metrics: ["CIDEr", "ROUGE-L"]),
        ]),
    ]

    // MARK: Layout construction

    /// Metrics of a single-task dataset's printed cell (CIDEr before ROUGE-L, as printed).
    static let singleTaskMetrics: [String: [String]] = [
        "Fed-SLAKE": ["accuracy"],
        "Fed-ScienceCap": ["CIDEr", "ROUGE-L"],
        "Fed-FGVC": ["accuracy"],
        "Fed-RadGenome": ["IoU"],
    ]

    private static func singleTaskCell(table: String, group: String, method: String, dataset: String,
                                       partition: String, columnSpan: Int = 1) -> PaperTableCell {
        guard let metrics = singleTaskMetrics[dataset] else { preconditionFailure("no metrics for \(dataset)") }
        let keys = metrics.map {
            CellKey(table: table, group: group, method: method, dataset: dataset, partition: partition, metric: $0)
        }
        return PaperTableCell(keys: keys, columnSpan: columnSpan)
    }

    /// Builds row groups from (label, group, [(method, printed)]) with a function giving a row's cells.
    private static func rowGroups(
        _ blocks: [(label: String, group: String, rows: [(method: String, printed: String)])],
        cells: (_ group: String, _ method: String) -> [PaperTableCell]
    ) -> [PaperRowGroup] {
        blocks.map { block in
            PaperRowGroup(label: block.label, group: block.group, rows: block.rows.map { row in
                PaperTableRow(method: row.method, printed: row.printed, cells: cells(block.group, row.method))
            })
        }
    }

    // MARK: Table 3

    /// Table 3: connector ablation on IID Fed-SLAKE and Fed-ScienceCap; rows strategy x
    /// {Central, FedAvg}, columns dataset x {Linear, Mlp2x, Mlp6x}.
    static let table3Layout: PaperTableLayout = {
        let datasets = ["Fed-SLAKE", "Fed-ScienceCap"]
        let blocks: [(label: String, group: String, rows: [(method: String, printed: String)])] = [
            ("F-C", "F-C", [
                ("Central", "0.799 0.788 0.734 7.239/0.879 7.361/0.889 7.274/0.881"),
                ("FedAvg", "0.726 0.783 0.759 7.069/0.867 7.283/0.882 6.991/0.866"),
            ]),
            ("F-L", "F-L", [
                ("Central", "0.837 0.834 0.531 7.534/0.898 7.459/0.896 5.784/0.833"),
                ("FedAvg", "0.787 0.806 0.794 7.498/0.893 7.338/0.889 5.727/0.832"),
            ]),
            ("F-CL", "F-CL", [
                ("Central", "0.824 0.843 0.739 7.521/0.899 7.550/0.901 7.366/0.892"),
                ("FedAvg", "0.819 0.823 0.802 7.468/0.896 7.521/0.899 7.274/0.886"),
            ]),
            ("F-2stage", "F-2stage", [
                ("Central", "0.815 0.830 0.817 7.424/0.892 7.414/0.894 7.491/0.894"),
                ("FedAvg", "0.808 0.811 0.797 7.216/0.878 7.290/0.883 7.226/0.883"),
            ]),
        ]
        return PaperTableLayout(
            table: "table3",
            caption: "Connector layer types (Linear, Mlp2x, Mlp6x) for FL fine-tuning of the encoder-based VLM, IID Fed-SLAKE and Fed-ScienceCap",
            columnGroups: datasets.map { PaperColumnGroup(title: $0, subcolumns: ["Linear", "Mlp2x", "Mlp6x"]) },
            rowGroups: rowGroups(blocks) { strategy, method in
                datasets.flatMap { dataset in
                    connectors.map { connector in
                        singleTaskCell(table: "table3", group: "\(connector) \(strategy)", method: method,
                                       dataset: dataset, partition: "IID")
                    }
                }
            })
    }()

    // MARK: Table 4

    /// Table 4: strategies x algorithms on Fed-SLAKE, Fed-ScienceCap, Fed-FGVC, IID and Non-IID.
    static let table4Layout: PaperTableLayout = {
        let datasets = ["Fed-SLAKE", "Fed-ScienceCap", "Fed-FGVC"]
        let blocks: [(label: String, group: String, rows: [(method: String, printed: String)])] = [
            ("F-C", "F-C", [
                ("FedAvg", "0.783 0.775 7.285/0.882 7.249/0.881 0.724 0.585"),
                ("FedProx", "0.734 0.750 7.293/0.885 7.250/0.881 0.726 0.586"),
                ("FedAdam", "0.741 0.735 7.127/0.876 7.137/0.876 0.694 0.522"),
                ("FedAvgM", "0.754 0.747 7.252/0.880 7.238/0.881 0.696 0.510"),
                ("FedYogi", "0.745 0.736 7.125/0.877 7.104/0.874 0.695 0.511"),
            ]),
            ("F-L", "F-L", [
                ("FedAvg", "0.806 0.802 7.355/0.890 7.342/0.889 0.647 0.529"),
                ("FedProx", "0.800 0.780 7.331/0.889 7.311/0.887 0.637 0.488"),
                ("FedAdam", "0.783 0.771 7.194/0.885 7.125/0.881 0.627 0.460"),
                ("FedAvgM", "0.789 0.786 7.287/0.890 7.305/0.890 0.602 0.469"),
                ("FedYogi", "0.782 0.769 7.153/0.884 7.123/0.881 0.623 0.467"),
            ]),
            ("F-CL", "F-CL", [
                ("FedAvg", "0.823 0.827 7.501/0.898 7.476/0.897 0.721 0.603"),
                ("FedProx", "0.816 0.796 7.500/0.898 7.440/0.897 0.718 0.548"),
                ("FedAdam", "0.777 0.774 7.282/0.891 7.319/0.891 0.671 0.528"),
                ("FedAvgM", "0.784 0.768 7.359/0.893 7.351/0.892 0.677 0.514"),
                ("FedYogi", "0.783 0.774 7.277/0.890 7.287/0.890 0.675 0.511"),
            ]),
            ("F-2stage", "F-2stage", [
                ("FedAvg", "0.811 0.814 7.334/0.884 7.281/0.883 0.730 0.614"),
                ("FedProx", "0.773 0.785 7.262/0.883 7.221/0.880 0.715 0.591"),
                ("FedAdam", "0.782 0.777 7.315/0.887 7.315/0.887 0.713 0.539"),
                ("FedAvgM", "0.793 0.794 7.369/0.889 7.380/0.889 0.708 0.565"),
                ("FedYogi", "0.785 0.782 7.310/0.886 7.310/0.886 0.717 0.561"),
            ]),
        ]
        return PaperTableLayout(
            table: "table4",
            caption: "Four fine-tuning strategies on multi-type task datasets with IID and non-IID distributions",
            columnGroups: datasets.map { PaperColumnGroup(title: $0, subcolumns: partitions) },
            rowGroups: rowGroups(blocks) { strategy, method in
                datasets.flatMap { dataset in
                    partitions.map { partition in
                        singleTaskCell(table: "table4", group: strategy, method: method, dataset: dataset, partition: partition)
                    }
                }
            })
    }()

    // MARK: Table 5

    /// Table 5: encoder-based vs encoder-free on the four single-task datasets; the Central row
    /// has one value per dataset (partition `""`, spanning both columns).
    static let table5Layout: PaperTableLayout = {
        let datasets = ["Fed-SLAKE", "Fed-ScienceCap", "Fed-FGVC", "Fed-RadGenome"]
        let blocks: [(label: String, group: String, rows: [(method: String, printed: String)])] = [
            ("Encoder-based", "encoder-based", [
                ("Central", "0.843 7.550/0.901 0.764 0.584"),
                ("FedAvg", "0.823 0.827 7.501/0.898 7.476/0.897 0.721 0.603 0.565 0.484"),
                ("FedProx", "0.816 0.796 7.500/0.898 7.440/0.897 0.718 0.548 0.535 0.462"),
                ("FedAdam", "0.777 0.774 7.282/0.891 7.319/0.891 0.671 0.528 0.550 0.529"),
                ("FedAvgM", "0.784 0.768 7.359/0.893 7.351/0.892 0.677 0.514 0.542 0.511"),
                ("FedYogi", "0.783 0.775 7.277/0.890 7.287/0.890 0.675 0.511 0.556 0.536"),
            ]),
            ("Encoder-free", "encoder-free", [
                ("Central", "0.784 7.462/0.899 0.739 0.580"),
                ("FedAvg", "0.777 0.761 7.470/0.902 7.421/0.899 0.721 0.493 0.604 0.485"),
                ("FedProx", "0.769 0.734 7.456/0.901 7.363/0.897 0.679 0.440 0.565 0.460"),
                ("FedAdam", "0.747 0.732 7.241/0.894 6.850/0.881 0.689 0.471 0.597 0.472"),
                ("FedAvgM", "0.776 0.743 7.398/0.899 7.402/0.899 0.723 0.453 0.596 0.435"),
                ("FedYogi", "0.749 0.737 7.221/0.893 7.267/0.894 0.686 0.467 0.599 0.461"),
            ]),
        ]
        return PaperTableLayout(
            table: "table5",
            caption: "Encoder-based vs encoder-free VLMs on single-task datasets with IID and non-IID distributions",
            columnGroups: datasets.map { PaperColumnGroup(title: $0, subcolumns: partitions) },
            rowGroups: rowGroups(blocks) { architecture, method in
                datasets.flatMap { dataset in
                    method == "Central"
                        ? [singleTaskCell(table: "table5", group: architecture, method: method, dataset: dataset,
                                          partition: "", columnSpan: 2)]
                        : partitions.map { partition in
                            singleTaskCell(table: "table5", group: architecture, method: method, dataset: dataset,
                                           partition: partition)
                        }
                }
            })
    }()

    // MARK: Table 6

    /// Table 6: multitask Fed-Nature and Fed-Med; rows architecture x {MT-Central, algorithms},
    /// columns the per-task metrics (captions and reports printed CIDEr/ROUGE-L).
    static let table6Layout: PaperTableLayout = {
        let columns: [(dataset: String, header: String, metrics: [String])] = [
            ("Fed-Nature", "VQA Acc", ["VQA accuracy"]),
            ("Fed-Nature", "Caption Generation CIDEr/ROUGE-L", ["caption CIDEr", "caption ROUGE-L"]),
            ("Fed-Nature", "Visual Grounding IoU", ["grounding IoU"]),
            ("Fed-Nature", "Classification Acc", ["classification accuracy"]),
            ("Fed-Med", "VQA Acc", ["VQA accuracy"]),
            ("Fed-Med", "Report Generation CIDEr/ROUGE-L", ["report CIDEr", "report ROUGE-L"]),
            ("Fed-Med", "Detection IoU", ["detection IoU"]),
        ]
        let blocks: [(label: String, group: String, rows: [(method: String, printed: String)])] = [
            ("Encoder-based", "encoder-based", [
                ("MT-Central", "0.755 0.872/0.358 0.405 0.913 0.674 2.101/0.595 0.616"),
                ("FedAvg", "0.756 0.794/0.336 0.357 0.911 0.698 2.132/0.599 0.588"),
                ("FedProx", "0.711 0.807/0.350 0.352 0.893 0.667 1.929/0.574 0.615"),
                ("FedAdam", "0.742 0.810/0.344 0.386 0.901 0.683 2.054/0.589 0.567"),
                ("FedAvgM", "0.735 0.788/0.336 0.393 0.912 0.664 1.921/0.576 0.592"),
                ("FedYogi", "0.744 0.784/0.341 0.395 0.900 0.682 1.986/0.583 0.588"),
            ]),
            ("Encoder-free", "encoder-free", [
                ("MT-Central", "0.752 0.912/0.361 0.465 0.874 0.610 1.922/0.575 0.581"),
                ("FedAvg", "0.781 0.930/0.363 0.449 0.888 0.607 1.887/0.566 0.578"),
                ("FedProx", "0.610 0.938/0.376 0.404 0.786 0.584 1.515/0.538 0.532"),
                ("FedAdam", "0.739 1.090/0.402 0.460 0.885 0.651 1.806/0.564 0.579"),
                ("FedAvgM", "0.761 1.010/0.390 0.426 0.886 0.634 1.790/0.555 0.604"),
                ("FedYogi", "0.742 1.072/0.398 0.456 0.893 0.654 1.819/0.564 0.577"),
            ]),
        ]
        let datasetOrder = ["Fed-Nature", "Fed-Med"]
        return PaperTableLayout(
            table: "table6",
            caption: "Multitask Fed-Nature and Fed-Med; MT-Central is centralized training on the pooled multitask data",
            columnGroups: datasetOrder.map { dataset in
                PaperColumnGroup(title: dataset, subcolumns: columns.filter { $0.dataset == dataset }.map(\.header))
            },
            rowGroups: rowGroups(blocks) { architecture, method in
                columns.map { column in
                    PaperTableCell(keys: column.metrics.map {
                        CellKey(table: "table6", group: architecture, method: method, dataset: column.dataset,
                                partition: "", metric: $0)
                    }, columnSpan: 1)
                }
            })
    }()
}
