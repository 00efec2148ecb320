// PartitionStatistics: how many samples of each label every client holds, and its rendering
// as a Markdown or plain-text table (the per-client statistics the issue asks for).
//
// Shapes: K = number of clients, L = number of distinct labels; counts is K x L.
import Foundation

/// Per-client counts of each label, as returned by ``Partition/statistics(labels:)``.
///
/// ```
/// | client | A | B | C | total |
/// |---|---:|---:|---:|---:|
/// | 0 | 2 | 0 | 1 | 3 |
/// | 1 | 0 | 3 | 1 | 4 |
/// | total | 2 | 3 | 2 | 7 |
/// ```
public struct PartitionStatistics: Sendable, Hashable, Codable {
    /// The distinct labels, sorted; column `j` of ``counts`` counts `labels[j]`.
    public let labels: [String]
    /// `counts[k][j]`: number of samples with label `labels[j]` held by client k (K x L).
    public let counts: [[Int]]

    /// Creates a table from its columns and per-client rows.
    ///
    /// - Precondition: every row has one count per label.
    public init(labels: [String], counts: [[Int]]) {
        precondition(counts.allSatisfy { $0.count == labels.count },
                     "PartitionStatistics: every row needs \(labels.count) counts, one per label")
        self.labels = labels
        self.counts = counts
    }

    /// Decodes `{"labels": [String], "counts": [[Int]]}`, rejecting rows of the wrong length.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let labels = try container.decode([String].self, forKey: .labels)
        let counts = try container.decode([[Int]].self, forKey: .counts)
        if let row = counts.firstIndex(where: { $0.count != labels.count }) {
            throw DecodingError.dataCorruptedError(
                forKey: .counts, in: container,
                debugDescription: "counts[\(row)] has \(counts[row].count) entries but there are \(labels.count) labels")
        }
        self.init(labels: labels, counts: counts)
    }

    /// Number of clients, K.
    public var clientCount: Int { counts.count }

    /// Samples per client (row sums).
    public var clientTotals: [Int] { counts.map { $0.reduce(0, +) } }

    /// Samples per label over all clients (column sums).
    public var labelTotals: [Int] {
        labels.indices.map { column in counts.reduce(0) { $0 + $1[column] } }
    }

    /// Total number of samples in the table.
    public var total: Int { clientTotals.reduce(0, +) }

    /// For each client, how many distinct labels it holds at least one sample of.
    public var labelsPerClient: [Int] { counts.map { row in row.filter { $0 > 0 }.count } }

    /// Mean over clients of the total-variation distance between the client's label
    /// distribution and the pooled one: `mean_k 0.5 * sum_j |counts[k][j] / n_k - totals[j] / N|`.
    ///
    /// 0 for a perfectly stratified split; close to `1 - 1/L` when every client holds one
    /// label out of L equally frequent ones. Empty clients are left out of the mean.
    /// A single number to compare the heterogeneity of partitions (IID vs Dirichlet alpha).
    public var meanLabelDistributionDistance: Double {
        let pooledTotal = Double(total)
        guard pooledTotal > 0 else { return 0 }
        let pooled = labelTotals.map { Double($0) / pooledTotal }
        var distanceSum = 0.0
        var nonEmptyClients = 0
        for row in counts {
            let size = Double(row.reduce(0, +))
            guard size > 0 else { continue }
            nonEmptyClients += 1
            var distance = 0.0
            for (count, share) in zip(row, pooled) { distance += abs(Double(count) / size - share) }
            distanceSum += 0.5 * distance
        }
        return nonEmptyClients == 0 ? 0 : distanceSum / Double(nonEmptyClients)
    }

    /// The table as GitHub-flavoured Markdown: one row per client, one column per label,
    /// a `total` column and a `total` row.
    ///
    /// - Parameter clientHeader: the title of the first column.
    public func markdownTable(clientHeader: String = "client") -> String {
        let rows = tableRows(clientHeader: clientHeader)
        let escaped = rows.map { $0.map { $0.replacingOccurrences(of: "|", with: "\\|") } }
        var lines = ["| " + escaped[0].joined(separator: " | ") + " |"]
        lines.append("|---" + String(repeating: "|---:", count: escaped[0].count - 1) + "|")
        for row in escaped.dropFirst() { lines.append("| " + row.joined(separator: " | ") + " |") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The same table as aligned plain text (numbers right-aligned), for logs and terminals.
    public func plainTable(clientHeader: String = "client") -> String {
        let rows = tableRows(clientHeader: clientHeader)
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        func render(_ row: [String]) -> String {
            row.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        var lines = [render(rows[0]), rule]
        lines += rows.dropFirst().dropLast().map(render)
        lines.append(rule)
        lines.append(render(rows[rows.count - 1]))
        return lines.joined(separator: "\n") + "\n"
    }

    /// Header, one row per client, totals row; every cell already a string.
    private func tableRows(clientHeader: String) -> [[String]] {
        var rows = [[clientHeader] + labels + ["total"]]
        for (client, row) in counts.enumerated() {
            rows.append(["\(client)"] + row.map(String.init) + ["\(row.reduce(0, +))"])
        }
        rows.append(["total"] + labelTotals.map(String.init) + ["\(total)"])
        return rows
    }
}

extension PartitionStatistics: CustomStringConvertible {
    /// The plain-text table.
    public var description: String { plainTable() }
}
