// ResultTable: a results table in the layout of the FedVLMBench paper (Tables 3-6).
//
// Layout (FedVLMBench, Table 4):
//
//   Mode   Method   |      Fed-SLAKE      |   Fed-ScienceCap    |    <- header level 0 (spans)
//                   |  IID      Non-IID   |  IID      Non-IID   |    <- header level 1 (leaves)
//   F-C    FedAvg   |  0.783    0.775     |  7.285/0.882  ...   |    <- group "F-C", row "FedAvg"
//          FedProx  |  ...                                           <- same group, label shown once
//
// A table is: a title, a caption line (preset, seed, protocol, wall time, as text), leaf columns
// each carrying its full header path from the top level down, and row groups holding labelled
// rows of text cells. Adjacent columns whose header paths share a prefix share the spanning
// header cell for that prefix. The paper marks the best value of a column in bold and the
// second best with an underline; a column opts in by giving a ``ColumnRanking`` and each cell its
// numeric score. The renderers (Markdown, plain text, CSV, HTML) live in the files next to this one.

import Foundation

/// How the values of a column are ranked for best / second-best marking.
public enum ColumnRanking: String, Sendable, Hashable, Codable, CaseIterable {
    /// The column is not marked.
    case unranked
    /// Larger scores are better (accuracy, CIDEr, IoU).
    case higherIsBetter
    /// Smaller scores are better (loss, perplexity, wall time).
    case lowerIsBetter
}

/// Which rows compete for best / second best in a ranked column.
public enum MarkingScope: String, Sendable, Hashable, Codable, CaseIterable {
    /// Every row of the table competes (the paper's convention).
    case wholeColumn
    /// Rows compete only with rows of the same group (e.g. best algorithm per strategy).
    case eachGroup
}

/// The mark a cell receives from ranking its column.
public enum CellMark: String, Sendable, Hashable, Codable {
    /// Not best or second best, or the column is unranked.
    case none
    /// Best score of its column (ties all receive it); bold in Markdown and HTML.
    case best
    /// Second-best distinct score of its column; underlined in Markdown and HTML.
    case secondBest
}

/// One leaf column of a ``ResultTable``.
public struct TableColumn: Sendable, Hashable, Codable {
    /// Header labels from the top level down, e.g. `["Fed-SLAKE", "IID"]`. Never empty.
    public var headerPath: [String]
    /// How this column is ranked for best / second-best marking.
    public var ranking: ColumnRanking

    /// Creates a column.
    ///
    /// - Parameters:
    ///   - headerPath: header labels from the top level down; adjacent columns sharing a
    ///     prefix share a spanning header cell.
    ///   - ranking: how the column's scores are ranked; `.unranked` disables marking.
    public init(_ headerPath: [String], ranking: ColumnRanking = .unranked) {
        self.headerPath = headerPath
        self.ranking = ranking
    }

    /// The header labels joined by single spaces ("Fed-SLAKE IID"), as Markdown and CSV show them.
    public var flattenedHeader: String { headerPath.joined(separator: " ") }
}

/// One cell of a ``ResultTable``: display text plus an optional score used for ranking.
public struct TableCell: Sendable, Hashable, Codable {
    /// The text shown in the table, e.g. `"0.823"` or `"7.501/0.898"`.
    public var text: String
    /// The number this cell competes with in a ranked column; `nil` (or NaN) never wins.
    public var score: Double?
    /// True for a cell with no result; shown as "—" and written as an empty CSV field.
    public var isMissing: Bool

    /// The text shown for a missing result.
    public static let missingText = "—"

    /// A cell with no result.
    public static let missing = TableCell(text: missingText, score: nil, isMissing: true)

    /// Creates a cell from ready-made text.
    ///
    /// - Parameters:
    ///   - text: what the table shows.
    ///   - score: the value used for best / second-best marking, if the column is ranked.
    public init(text: String, score: Double? = nil) {
        self.init(text: text, score: score, isMissing: false)
    }

    private init(text: String, score: Double?, isMissing: Bool) {
        self.text = text
        self.score = score
        self.isMissing = isMissing
    }

    /// A cell showing `value` with a fixed number of decimals and ranked by `value`.
    ///
    /// `nil` and non-finite values give ``missing``.
    /// - Parameters:
    ///   - value: the metric, e.g. an accuracy of 0.8234.
    ///   - decimals: digits after the point; the paper uses 3.
    public static func number(_ value: Double?, decimals: Int = 3) -> TableCell {
        guard let value, value.isFinite else { return .missing }
        return TableCell(text: formatFixed(value, decimals: decimals), score: value)
    }

    /// A cell showing two metrics as "first/second" (the paper's "CIDEr/ROUGE-L", e.g.
    /// "7.501/0.898"), ranked by the first.
    ///
    /// Missing (nil or non-finite) parts are shown as "—"; if both are missing the cell is
    /// ``missing``.
    public static func pair(_ first: Double?, _ second: Double?, decimals: Int = 3) -> TableCell {
        let firstFinite = first.flatMap { $0.isFinite ? $0 : nil }
        let secondFinite = second.flatMap { $0.isFinite ? $0 : nil }
        if firstFinite == nil && secondFinite == nil { return .missing }
        let firstText = firstFinite.map { formatFixed($0, decimals: decimals) } ?? missingText
        let secondText = secondFinite.map { formatFixed($0, decimals: decimals) } ?? missingText
        return TableCell(text: "\(firstText)/\(secondText)", score: firstFinite)
    }
}

/// One labelled row of a ``ResultTable``, e.g. the "FedAvg" row.
public struct TableRow: Sendable, Hashable, Codable {
    /// The row's label, shown in the row-label column.
    public var label: String
    /// One cell per column of the table, in column order.
    public var cells: [TableCell]

    /// Creates a row.
    public init(_ label: String, cells: [TableCell]) {
        self.label = label
        self.cells = cells
    }
}

/// A group of rows sharing a label, e.g. strategy "F-C" over the algorithms.
public struct RowGroup: Sendable, Hashable, Codable {
    /// The group's label, shown once in the group column; empty for an unlabelled group.
    public var label: String
    /// The group's rows, in display order.
    public var rows: [TableRow]

    /// Creates a group of rows.
    public init(_ label: String, rows: [TableRow]) {
        self.label = label
        self.rows = rows
    }
}

/// A results table with multi-level column headers, row groups and best / second-best marking.
///
/// Build it once, then render it with ``markdown(headingLevel:)``, ``plainText()``,
/// ``csv(lineEnding:)`` or ``html()``. Every renderer is a pure function of the table: the same
/// table gives byte-identical output.
///
/// ```swift
/// let table = try ResultTable(
///     title: "Table 4: fine-tuning strategies",
///     caption: "preset quick · seed 0 · teacher-forced · 12.3 s",
///     groupHeader: "Mode", rowHeader: "Method",
///     columns: [TableColumn(["Fed-SLAKE", "IID"], ranking: .higherIsBetter),
///               TableColumn(["Fed-SLAKE", "Non-IID"], ranking: .higherIsBetter)],
///     groups: [RowGroup("F-C", rows: [TableRow("FedAvg", cells: [.number(0.783), .number(0.775)])])])
/// print(table.markdown())
/// ```
public struct ResultTable: Sendable, Hashable, Codable {
    /// The title, e.g. "Table 4: Quantitative comparison of four fine-tuning strategies".
    public let title: String
    /// The caption line stating how the numbers were made (preset, seed, protocol, wall time).
    public let caption: String
    /// Header of the group-label column ("Mode"); the column appears only if some group is labelled.
    public let groupHeader: String
    /// Header of the row-label column ("Method").
    public let rowHeader: String
    /// The leaf columns, left to right; all have header paths of the same depth.
    public let columns: [TableColumn]
    /// The row groups, top to bottom.
    public let groups: [RowGroup]
    /// Which rows compete for best / second best in ranked columns.
    public let markingScope: MarkingScope

    /// Creates a table and checks its shape.
    ///
    /// - Throws: ``ReportError`` if a column has an empty header path, header depths differ,
    ///   two columns have the same header path, a row's cell count differs from the column
    ///   count, or a (group, row) label pair repeats.
    public init(title: String, caption: String, groupHeader: String = "", rowHeader: String,
                columns: [TableColumn], groups: [RowGroup], markingScope: MarkingScope = .wholeColumn) throws {
        let depth = columns.first?.headerPath.count ?? 1
        var seenPaths: Set<[String]> = []
        for (index, column) in columns.enumerated() {
            if column.headerPath.isEmpty {
                throw ReportError("table \"\(title)\": column \(index) has an empty header path")
            }
            if column.headerPath.count != depth {
                throw ReportError("table \"\(title)\": column \(index) \(column.headerPath) has "
                    + "\(column.headerPath.count) header levels, column 0 has \(depth)")
            }
            if !seenPaths.insert(column.headerPath).inserted {
                throw ReportError("table \"\(title)\": column \(index) repeats header path \(column.headerPath)")
            }
        }
        var seenRows: Set<[String]> = []
        for (groupIndex, group) in groups.enumerated() {
            for (rowIndex, row) in group.rows.enumerated() {
                if row.cells.count != columns.count {
                    throw ReportError("table \"\(title)\": group \(groupIndex) \"\(group.label)\" row \(rowIndex) "
                        + "\"\(row.label)\" has \(row.cells.count) cells, the table has \(columns.count) columns")
                }
                if !seenRows.insert([group.label, row.label]).inserted {
                    throw ReportError("table \"\(title)\": group \(groupIndex) \"\(group.label)\" repeats "
                        + "row label \"\(row.label)\"")
                }
            }
        }
        self.title = title
        self.caption = caption
        self.groupHeader = groupHeader
        self.rowHeader = rowHeader
        self.columns = columns
        self.groups = groups
        self.markingScope = markingScope
    }

    private enum CodingKeys: String, CodingKey {
        case title, caption, groupHeader, rowHeader, columns, groups, markingScope
    }

    /// Decodes a table and checks its shape as ``init(title:caption:groupHeader:rowHeader:columns:groups:markingScope:)`` does.
    ///
    /// - Throws: a `DecodingError` for malformed JSON, ``ReportError`` for a malformed table.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(
            title: container.decode(String.self, forKey: .title),
            caption: container.decode(String.self, forKey: .caption),
            groupHeader: container.decode(String.self, forKey: .groupHeader),
            rowHeader: container.decode(String.self, forKey: .rowHeader),
            columns: container.decode([TableColumn].self, forKey: .columns),
            groups: container.decode([RowGroup].self, forKey: .groups),
            markingScope: container.decode(MarkingScope.self, forKey: .markingScope))
    }

    /// Number of header levels (the common depth of the column header paths; 1 with no columns).
    public var headerDepth: Int { columns.first?.headerPath.count ?? 1 }

    /// True if some group has a non-empty label, so the group column is shown.
    public var showsGroupColumn: Bool { groups.contains { !$0.label.isEmpty } }

    /// Best / second-best marks for every cell, indexed `[group][row][column]`.
    ///
    /// In a ranked column, cells with a finite score compete (the whole column or each group,
    /// per ``markingScope``). Every cell holding the best score is `.best`; every cell holding
    /// the next distinct score is `.secondBest`. Unranked columns and unscored cells get `.none`.
    public func marks() -> [[[CellMark]]] {
        var result = groups.map { group in
            Array(repeating: Array(repeating: CellMark.none, count: columns.count), count: group.rows.count)
        }
        let competitions: [[Int]] = switch markingScope {
        case .wholeColumn: [Array(groups.indices)]
        case .eachGroup: groups.indices.map { [$0] }
        }
        for (columnIndex, column) in columns.enumerated() where column.ranking != .unranked {
            for competingGroups in competitions {
                var scores: [Double] = []
                for groupIndex in competingGroups {
                    for row in groups[groupIndex].rows {
                        if let score = row.cells[columnIndex].score, score.isFinite { scores.append(score) }
                    }
                }
                // Distinct scores from best to worst.
                let ordered = Set(scores).sorted(by: column.ranking == .higherIsBetter ? (>) : (<))
                guard let best = ordered.first else { continue }
                let second = ordered.count > 1 ? ordered[1] : nil
                for groupIndex in competingGroups {
                    for (rowIndex, row) in groups[groupIndex].rows.enumerated() {
                        guard let score = row.cells[columnIndex].score, score.isFinite else { continue }
                        if score == best {
                            result[groupIndex][rowIndex][columnIndex] = .best
                        } else if score == second {
                            result[groupIndex][rowIndex][columnIndex] = .secondBest
                        }
                    }
                }
            }
        }
        return result
    }

    /// The cell at a group label, row label and column header path, if present.
    public func cell(group: String, row: String, column headerPath: [String]) -> TableCell? {
        guard let columnIndex = columns.firstIndex(where: { $0.headerPath == headerPath }),
              let rowGroup = groups.first(where: { $0.label == group }),
              let tableRow = rowGroup.rows.first(where: { $0.label == row }) else { return nil }
        return tableRow.cells[columnIndex]
    }

    /// A table shaped like `ours` whose cells read "ours (paper theirs)", e.g. "0.81 (paper 0.82)".
    ///
    /// Paper cells are looked up by group label, row label and column header path, so the paper
    /// table may hold more rows or columns than ours. A value missing on either side shows "—";
    /// a cell whose paper counterpart is absent from `paper` entirely shows ours alone.
    /// Scores (and so best / second-best marks) are ours.
    /// - Parameters:
    ///   - ours: the table this library produced; it fixes the shape, title and caption.
    ///   - paper: the paper's table, e.g. FedVLMBench Table 4 typed in.
    ///   - paperLabel: the word before the paper's value.
    public static func sideBySide(ours: ResultTable, paper: ResultTable, paperLabel: String = "paper") -> ResultTable {
        let groups = ours.groups.map { group in
            RowGroup(group.label, rows: group.rows.map { row in
                TableRow(row.label, cells: zip(ours.columns, row.cells).map { column, cell in
                    guard let paperCell = paper.cell(group: group.label, row: row.label, column: column.headerPath) else {
                        return cell
                    }
                    return TableCell(text: "\(cell.text) (\(paperLabel) \(paperCell.text))", score: cell.score)
                })
            })
        }
        // Same shape and labels as `ours`, which already passed validation.
        guard let table = try? ResultTable(
            title: ours.title, caption: ours.caption, groupHeader: ours.groupHeader, rowHeader: ours.rowHeader,
            columns: ours.columns, groups: groups, markingScope: ours.markingScope) else {
            preconditionFailure("side-by-side table of \"\(ours.title)\" lost the validated shape")
        }
        return table
    }
}

/// `value` with exactly `decimals` digits after the point, "-0.000" folded to "0.000".
///
/// Uses the C `printf` conversion (locale-independent in Foundation's `String(format:)` without a
/// locale), so the text is the same on every machine.
func formatFixed(_ value: Double, decimals: Int) -> String {
    precondition(decimals >= 0 && decimals <= 17, "decimals must be in 0...17, got \(decimals)")
    let text = String(format: "%.\(decimals)f", value)
    if text.hasPrefix("-") && text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) {
        return String(text.dropFirst())
    }
    return text
}
