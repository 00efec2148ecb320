// Tests of HTMLReport: page structure, escaping of every kind of text, inline tables and plots.

import Foundation
import Testing
@testable import Reports

private func sampleReport() throws -> HTMLReport {
    let table = try ResultTable(
        title: "Table <3>", caption: "preset smoke", rowHeader: "Method",
        columns: [TableColumn(["Acc"], ranking: .higherIsBetter)],
        groups: [RowGroup("", rows: [TableRow("FedAvg", cells: [.number(0.5)]), TableRow("FedProx", cells: [.number(0.4)])])])
    let plot = try SVGPlot.lines(title: "Accuracy", xAxis: PlotAxis("Round"), yAxis: PlotAxis("Accuracy"),
                                 series: [LineSeries("FedAvg", values: [0.1, 0.5])])
    return HTMLReport(
        title: "Run <1> & \"2\"",
        metadata: [.init("preset", "smoke"), .init("seed", "0"), .init("note", "a<b")],
        sections: [
            .init("Results & plots", blocks: [
                .paragraph("FedAvg beats <FedProx> & more"),
                .table(table),
                .plot(plot),
                .preformatted("loss < 1\n  indented & kept\n"),
            ]),
            .init("Empty", blocks: []),
        ])
}

@Test func reportHasDocumentStructureAndInlineStyle() throws {
    let html = try sampleReport().html()
    #expect(html.hasPrefix("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"))
    #expect(html.hasSuffix("</body>\n</html>\n"))
    #expect(html.contains("<style>\n"))
    #expect(!html.contains("<script"))
    #expect(!html.contains("<link"))
    #expect(!html.contains("src="))
    #expect(html.components(separatedBy: "<section>").count == 3)
    #expect(html.components(separatedBy: "</section>").count == 3)
}

@Test func reportEscapesAllText() throws {
    let html = try sampleReport().html()
    #expect(html.contains("<title>Run &lt;1&gt; &amp; &quot;2&quot;</title>"))
    #expect(html.contains("<h1>Run &lt;1&gt; &amp; &quot;2&quot;</h1>"))
    #expect(html.contains("<dt>note</dt><dd>a&lt;b</dd>"))
    #expect(html.contains("<h2>Results &amp; plots</h2>"))
    #expect(html.contains("<p>FedAvg beats &lt;FedProx&gt; &amp; more</p>"))
    #expect(html.contains("<pre>loss &lt; 1\n  indented &amp; kept</pre>"))
    #expect(html.contains("<caption><strong>Table &lt;3&gt;</strong><br>preset smoke</caption>"))
}

@Test func reportInlinesTablesAndPlots() throws {
    let report = try sampleReport()
    let html = report.html()
    guard case .table(let table) = report.sections[0].blocks[1], case .plot(let plot) = report.sections[0].blocks[2] else {
        Issue.record("unexpected sample blocks")
        return
    }
    #expect(html.contains(table.html()))
    #expect(html.contains("<figure>\n" + plot.svg() + "</figure>"))
    #expect(html.contains("<td><strong>0.500</strong></td>"))
    #expect(html.contains("<td><u>0.400</u></td>"))
    // The inlined SVG is still well-formed XML.
    let start = try #require(html.range(of: "<svg "))
    let end = try #require(html.range(of: "</svg>"))
    #expect(XMLCheck(String(html[start.lowerBound..<end.upperBound])).isWellFormed)
}

@Test func reportIsDeterministic() throws {
    #expect(try sampleReport().html() == sampleReport().html())
    let empty = HTMLReport(title: "t").html()
    #expect(!empty.contains("<dl"))
    #expect(!empty.contains("<section>"))
}
