// Renderers of ResultTable: GitHub Markdown, aligned plain text, RFC 4180 CSV and an HTML table.
//
// Shared conventions:
// - the group label is shown on the first row of its group only (as in the paper), except in CSV,
//   where every record repeats it so each line stands alone;
// - a group without rows is not shown;
// - widths count Swift Characters (grapheme clusters), so "—" is one column wide;
// - best / second best: Markdown **x** / <u>x</u>, HTML <strong> / <u>, plain text suffix * / +,
//   CSV unmarked (it carries data, not presentation).

/// The line ending of CSV records.
public enum CSVLineEnding: String, Sendable, Hashable, Codable, CaseIterable {
    /// CR LF, as RFC 4180 prescribes (and Python's csv module writes).
    case crlf = "\r\n"
    /// LF only, friendlier to line-based diff tools.
    case lf = "\n"
}

/// A header cell spanning adjacent leaf columns at one header level.
struct HeaderSpan: Hashable {
    /// The label at this level.
    var label: String
    /// Index of the first leaf column covered.
    var firstColumn: Int
    /// Number of leaf columns covered.
    var columnCount: Int
}

extension ResultTable {
    /// Header cells of one level, left to right: adjacent columns share a cell when their header
    /// paths agree on every level from the top down to `level`.
    func headerSpans(level: Int) -> [HeaderSpan] {
        var spans: [HeaderSpan] = []
        for (index, column) in columns.enumerated() {
            if let last = spans.last,
               columns[last.firstColumn].headerPath[0...level] == column.headerPath[0...level] {
                spans[spans.count - 1].columnCount += 1
            } else {
                spans.append(HeaderSpan(label: column.headerPath[level], firstColumn: index, columnCount: 1))
            }
        }
        return spans
    }

    /// The label columns' headers: group (if shown) then row.
    private var labelHeaders: [String] { showsGroupColumn ? [groupHeader, rowHeader] : [rowHeader] }

    /// Each visible row's label cells (group label on the first row of a group only) with its
    /// group and row index.
    private func visibleRows(repeatingGroupLabel: Bool) -> [(labels: [String], group: Int, row: Int)] {
        var result: [(labels: [String], group: Int, row: Int)] = []
        for (groupIndex, group) in groups.enumerated() {
            for (rowIndex, row) in group.rows.enumerated() {
                var labels = [row.label]
                if showsGroupColumn {
                    labels.insert(rowIndex == 0 || repeatingGroupLabel ? group.label : "", at: 0)
                }
                result.append((labels, groupIndex, rowIndex))
            }
        }
        return result
    }

    // MARK: Markdown

    /// A GitHub-flavoured Markdown rendering.
    ///
    /// The title becomes a heading (omitted if empty), the caption a paragraph (omitted if empty),
    /// and the table has one header row whose labels flatten the header levels with spaces
    /// ("Fed-SLAKE IID"). Label columns are left-aligned, value columns right-aligned, and the
    /// source is padded so it also reads as a table. Best cells are `**x**`, second best
    /// `<u>x</u>`; pipes in text are escaped.
    /// - Parameter headingLevel: number of `#` before the title (1...6).
    public func markdown(headingLevel: Int = 3) -> String {
        precondition((1...6).contains(headingLevel), "Markdown heading level must be in 1...6, got \(headingLevel)")
        let marks = marks()
        let header = labelHeaders.map(escapeMarkdownCell) + columns.map { escapeMarkdownCell($0.flattenedHeader) }
        let body: [[String]] = visibleRows(repeatingGroupLabel: false).map { entry in
            let row = groups[entry.group].rows[entry.row]
            let values = row.cells.enumerated().map { columnIndex, cell in
                let text = escapeMarkdownCell(cell.text)
                switch marks[entry.group][entry.row][columnIndex] {
                case .none: return text
                case .best: return "**\(text)**"
                case .secondBest: return "<u>\(text)</u>"
                }
            }
            return entry.labels.map(escapeMarkdownCell) + values
        }
        let labelColumnCount = labelHeaders.count
        // Width at least 4 so a right-aligned delimiter "---:" fits.
        let widths = header.indices.map { column in
            max(4, ([header] + body).map { $0[column].count }.max() ?? 0)
        }
        func line(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { column, text in
                column < labelColumnCount ? padRight(text, to: widths[column]) : padLeft(text, to: widths[column])
            }
            return "| " + padded.joined(separator: " | ") + " |"
        }
        let delimiter = "| " + widths.enumerated().map { column, width in
            column < labelColumnCount
                ? ":" + String(repeating: "-", count: width - 1)
                : String(repeating: "-", count: width - 1) + ":"
        }.joined(separator: " | ") + " |"

        var lines: [String] = []
        if !title.isEmpty { lines += [String(repeating: "#", count: headingLevel) + " " + singleLine(title), ""] }
        if !caption.isEmpty { lines += [singleLine(caption), ""] }
        lines.append(line(header))
        lines.append(delimiter)
        lines += body.map(line)
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Plain text

    /// A plain-text rendering aligned for a fixed-width terminal.
    ///
    /// Title and caption lines come first, then one line per header level; an upper-level label
    /// is underlined with dashes across the columns it spans. Label columns are left-aligned,
    /// values right-aligned, columns separated by two spaces. Best values carry a `*` suffix,
    /// second best a `+`, explained by a last line when any mark is present. Lines have no
    /// trailing spaces.
    public func plainText() -> String {
        let marks = marks()
        let labelColumnCount = labelHeaders.count
        let rows = visibleRows(repeatingGroupLabel: false)
        // A ranked column holding any mark gives every cell a one-character suffix so digits stay aligned.
        let columnHasMark = columns.indices.map { column in
            rows.contains { marks[$0.group][$0.row][column] != .none }
        }
        let body: [[String]] = rows.map { entry in
            let cells = groups[entry.group].rows[entry.row].cells
            return entry.labels.map(singleLine) + cells.enumerated().map { column, cell in
                let text = singleLine(cell.text)
                guard columnHasMark[column] else { return text }
                switch marks[entry.group][entry.row][column] {
                case .none: return text + " "
                case .best: return text + "*"
                case .secondBest: return text + "+"
                }
            }
        }
        let leafHeaders = labelHeaders.map(singleLine) + columns.map { singleLine($0.headerPath[headerDepth - 1]) }
        var widths = leafHeaders.indices.map { column in ([leafHeaders] + body).map { $0[column].count }.max() ?? 0 }
        let separator = 2
        // Widen the last column under an upper-level label that is wider than its span. Spans of
        // higher levels contain those of lower ones, so widening never breaks a level already done.
        for level in 0..<(headerDepth - 1) {
            for span in headerSpans(level: level) {
                let first = labelColumnCount + span.firstColumn
                let last = first + span.columnCount - 1
                let spanWidth = widths[first...last].reduce(0, +) + separator * (span.columnCount - 1)
                let labelWidth = singleLine(span.label).count
                if labelWidth > spanWidth { widths[last] += labelWidth - spanWidth }
            }
        }
        func columnStart(_ column: Int) -> Int { widths[..<column].reduce(0, +) + separator * column }
        let gap = String(repeating: " ", count: separator)

        var lines: [String] = []
        if !title.isEmpty { lines.append(singleLine(title)) }
        if !caption.isEmpty { lines.append(singleLine(caption)) }
        if !lines.isEmpty { lines.append("") }
        for level in 0..<(headerDepth - 1) {
            var labelLine = ""
            var ruleLine = ""
            for span in headerSpans(level: level) {
                let first = labelColumnCount + span.firstColumn
                let last = first + span.columnCount - 1
                let start = columnStart(first)
                let spanWidth = columnStart(last) + widths[last] - start
                labelLine = padRight(labelLine, to: start) + singleLine(span.label)
                ruleLine = padRight(ruleLine, to: start) + String(repeating: "-", count: spanWidth)
            }
            lines += [labelLine, ruleLine]
        }
        func line(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { column, text in
                column < labelColumnCount ? padRight(text, to: widths[column]) : padLeft(text, to: widths[column])
            }
            return trimTrailingSpaces(padded.joined(separator: gap))
        }
        lines.append(line(leafHeaders))
        lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: gap))
        lines += body.map(line)
        if columnHasMark.contains(true) { lines += ["", "* best, + second best"] }
        return lines.map(trimTrailingSpaces).joined(separator: "\n") + "\n"
    }

    // MARK: CSV

    /// An RFC 4180 CSV rendering: one header record, then one record per row.
    ///
    /// The header holds the group header (if the group column is shown), the row header and
    /// each column's flattened header ("Fed-SLAKE IID"). Every record repeats its group label.
    /// Missing cells are empty fields; marks, title and caption are not written. Fields with a
    /// comma, quote or line break are quoted, quotes doubled; every record ends with `lineEnding`.
    public func csv(lineEnding: CSVLineEnding = .crlf) -> String {
        let header = labelHeaders + columns.map(\.flattenedHeader)
        let records = visibleRows(repeatingGroupLabel: true).map { entry in
            entry.labels + groups[entry.group].rows[entry.row].cells.map { $0.isMissing ? "" : $0.text }
        }
        return ([header] + records)
            .map { $0.map(quoteCSVField).joined(separator: ",") + lineEnding.rawValue }
            .joined()
    }

    // MARK: HTML

    /// An HTML `<table>` with real `colspan` (spanning headers) and `rowspan` (label headers over
    /// all header levels, group labels over their rows).
    ///
    /// The title (in `<strong>`) and the caption sit in `<caption>`; header cells carry `scope`;
    /// best cells are wrapped in `<strong>`, second best in `<u>`. All text is escaped. The
    /// table has class `result-table` for styling (``HTMLReport`` supplies a style sheet).
    public func html() -> String {
        let marks = marks()
        let depth = headerDepth
        var lines = ["<table class=\"result-table\">"]
        switch (title.isEmpty, caption.isEmpty) {
        case (true, true): break
        case (false, true): lines.append("<caption><strong>\(escapeMarkup(title))</strong></caption>")
        case (true, false): lines.append("<caption>\(escapeMarkup(caption))</caption>")
        case (false, false):
            lines.append("<caption><strong>\(escapeMarkup(title))</strong><br>\(escapeMarkup(caption))</caption>")
        }
        lines.append("<thead>")
        for level in 0..<depth {
            var cells = ""
            if level == 0 {
                for label in labelHeaders {
                    cells += "<th\(spanAttribute("rowspan", depth)) scope=\"col\">\(escapeMarkup(label))</th>"
                }
            }
            for span in headerSpans(level: level) {
                let scope = span.columnCount > 1 ? "colgroup" : "col"
                cells += "<th\(spanAttribute("colspan", span.columnCount)) scope=\"\(scope)\">"
                    + "\(escapeMarkup(span.label))</th>"
            }
            lines.append("<tr>\(cells)</tr>")
        }
        lines.append("</thead>")
        lines.append("<tbody>")
        for (groupIndex, group) in groups.enumerated() {
            for (rowIndex, row) in group.rows.enumerated() {
                var cells = ""
                if showsGroupColumn && rowIndex == 0 {
                    cells += "<th\(spanAttribute("rowspan", group.rows.count)) scope=\"rowgroup\">"
                        + "\(escapeMarkup(group.label))</th>"
                }
                cells += "<th scope=\"row\">\(escapeMarkup(row.label))</th>"
                for (columnIndex, cell) in row.cells.enumerated() {
                    let text = escapeMarkup(cell.text)
                    switch marks[groupIndex][rowIndex][columnIndex] {
                    case .none: cells += "<td>\(text)</td>"
                    case .best: cells += "<td><strong>\(text)</strong></td>"
                    case .secondBest: cells += "<td><u>\(text)</u></td>"
                    }
                }
                lines.append("<tr>\(cells)</tr>")
            }
        }
        lines.append("</tbody>")
        lines.append("</table>")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// ` name="count"` when a cell spans more than one row or column, else nothing.
private func spanAttribute(_ name: String, _ count: Int) -> String {
    count > 1 ? " \(name)=\"\(count)\"" : ""
}

/// `text` followed by spaces up to `width` Characters.
func padRight(_ text: String, to width: Int) -> String {
    let count = text.count
    return count >= width ? text : text + String(repeating: " ", count: width - count)
}

/// `text` preceded by spaces up to `width` Characters.
func padLeft(_ text: String, to width: Int) -> String {
    let count = text.count
    return count >= width ? text : String(repeating: " ", count: width - count) + text
}

/// `text` without spaces at its end.
func trimTrailingSpaces(_ text: String) -> String {
    var result = Substring(text)
    while result.last == " " { result = result.dropLast() }
    return String(result)
}
