// HTMLReport: one self-contained HTML5 page per experiment, readable offline in any browser.
//
// Layout: <h1> title, a <dl> of metadata (preset, seed, protocol, wall time, commit, ...), then
// sections, each an <h2> heading followed by blocks: paragraphs, result tables (ResultTable.html()),
// inline SVG plots (SVGPlot.svg()) and preformatted text. The style sheet is inline; there is no
// script and no external resource. All caller text is escaped.

/// A self-contained HTML page holding an experiment's tables, plots and notes.
///
/// ```swift
/// let report = HTMLReport(
///     title: "Table 4 reproduction",
///     metadata: [.init("preset", "quick"), .init("seed", "0")],
///     sections: [.init("Results", blocks: [.table(table), .plot(plot), .preformatted(log)])])
/// try ResultFiles.writeText(report.html(), to: outputDirectory.appendingPathComponent("report.html"))
/// ```
public struct HTMLReport: Sendable, Hashable {
    /// One key/value line of the metadata block.
    public struct Metadata: Sendable, Hashable, Codable {
        /// The name, e.g. "preset".
        public var key: String
        /// The value, e.g. "quick".
        public var value: String

        /// Creates a metadata entry.
        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    /// One piece of a section.
    public enum Block: Sendable, Hashable {
        /// A paragraph of text.
        case paragraph(String)
        /// A results table, rendered with ``ResultTable/html()``.
        case table(ResultTable)
        /// A chart, inlined as SVG inside a `<figure>`.
        case plot(SVGPlot)
        /// Text shown as is in a fixed-width font (logs, command lines, JSON).
        case preformatted(String)
    }

    /// A headed part of the page.
    public struct Section: Sendable, Hashable {
        /// The section heading.
        public var heading: String
        /// The section's content, in order.
        public var blocks: [Block]

        /// Creates a section.
        public init(_ heading: String, blocks: [Block]) {
            self.heading = heading
            self.blocks = blocks
        }
    }

    /// The page title (the `<title>` and the `<h1>`).
    public var title: String
    /// Key/value lines shown under the title, in order.
    public var metadata: [Metadata]
    /// The sections, in order.
    public var sections: [Section]

    /// Creates a report.
    public init(title: String, metadata: [Metadata] = [], sections: [Section] = []) {
        self.title = title
        self.metadata = metadata
        self.sections = sections
    }

    /// The style sheet embedded in every page.
    static let styleSheet = """
        body { font-family: sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; color: #222222; }
        h1 { font-size: 1.6em; }
        h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #cccccc; }
        dl.metadata { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
        dl.metadata dt { font-weight: bold; }
        dl.metadata dd { margin: 0; }
        table.result-table { border-collapse: collapse; margin: 1em 0; font-size: 0.95em; }
        table.result-table caption { text-align: left; padding-bottom: 0.4em; }
        table.result-table th, table.result-table td { border: 1px solid #bbbbbb; padding: 0.25em 0.6em; }
        table.result-table thead th { background: #f0f0f0; text-align: center; }
        table.result-table tbody th { text-align: left; font-weight: normal; }
        table.result-table td { text-align: right; font-variant-numeric: tabular-nums; }
        figure { margin: 1em 0; }
        pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; }
        """

    /// The complete HTML5 document, ending in a newline.
    public func html() -> String {
        var lines = [
            "<!DOCTYPE html>",
            "<html lang=\"en\">",
            "<head>",
            "<meta charset=\"utf-8\">",
            "<title>\(escapeMarkup(title))</title>",
            "<style>",
            Self.styleSheet,
            "</style>",
            "</head>",
            "<body>",
            "<h1>\(escapeMarkup(title))</h1>",
        ]
        if !metadata.isEmpty {
            lines.append("<dl class=\"metadata\">")
            for entry in metadata {
                lines.append("<dt>\(escapeMarkup(entry.key))</dt><dd>\(escapeMarkup(entry.value))</dd>")
            }
            lines.append("</dl>")
        }
        for section in sections {
            lines.append("<section>")
            lines.append("<h2>\(escapeMarkup(section.heading))</h2>")
            for block in section.blocks {
                switch block {
                case .paragraph(let text):
                    lines.append("<p>\(escapeMarkup(text))</p>")
                case .table(let table):
                    lines.append(trimmingFinalNewline(table.html()))
                case .plot(let plot):
                    lines.append("<figure>")
                    lines.append(trimmingFinalNewline(plot.svg()))
                    lines.append("</figure>")
                case .preformatted(let text):
                    lines.append("<pre>\(escapeMarkup(trimmingFinalNewline(text)))</pre>")
                }
            }
            lines.append("</section>")
        }
        lines += ["</body>", "</html>"]
        return lines.joined(separator: "\n") + "\n"
    }
}

/// `text` without one final line break.
private func trimmingFinalNewline(_ text: String) -> String {
    text.hasSuffix("\n") ? String(text.dropLast()) : text
}
