// Tests of ResultTable: exact renderings of a two-level-header table with row groups (the layout of
// FedVLMBench Table 4, values from its first rows), best / second-best marking, escaping,
// validation and the side-by-side comparison.

import Foundation
import Testing
@testable import Reports

/// Fed-SLAKE (IID, Non-IID) and Fed-ScienceCap (IID) over strategies F-C and F-L.
private func strategyTable() throws -> ResultTable {
    try ResultTable(
        title: "Table 4: strategies",
        caption: "preset smoke, seed 0, teacher-forced, 1.2 s",
        groupHeader: "Mode", rowHeader: "Method",
        columns: [
            TableColumn(["Fed-SLAKE", "IID"], ranking: .higherIsBetter),
            TableColumn(["Fed-SLAKE", "Non-IID"], ranking: .higherIsBetter),
            TableColumn(["Fed-ScienceCap", "IID"], ranking: .higherIsBetter),
        ],
        groups: [
            RowGroup("F-C", rows: [
                TableRow("FedAvg", cells: [.number(0.783), .number(0.775), .pair(7.285, 0.882)]),
                TableRow("FedProx", cells: [.number(0.734), .missing, .pair(7.293, 0.885)]),
            ]),
            RowGroup("F-L", rows: [
                TableRow("FedAvg", cells: [.number(0.806), .number(0.802), .pair(7.355, 0.890)]),
            ]),
        ])
}

@Test func markdownFlattensHeadersAndMarksBestAndSecondBest() throws {
    let expected = """
        ### Table 4: strategies

        preset smoke, seed 0, teacher-forced, 1.2 s

        | Mode | Method  | Fed-SLAKE IID | Fed-SLAKE Non-IID | Fed-ScienceCap IID |
        | :--- | :------ | ------------: | ----------------: | -----------------: |
        | F-C  | FedAvg  |  <u>0.783</u> |      <u>0.775</u> |        7.285/0.882 |
        |      | FedProx |         0.734 |                 — | <u>7.293/0.885</u> |
        | F-L  | FedAvg  |     **0.806** |         **0.802** |    **7.355/0.890** |

        """
    #expect(try strategyTable().markdown() == expected)
}

@Test func plainTextAlignsColumnsUnderSpanningHeaders() throws {
    let expected = """
        Table 4: strategies
        preset smoke, seed 0, teacher-forced, 1.2 s

                       Fed-SLAKE        Fed-ScienceCap
                       ---------------  --------------
        Mode  Method      IID  Non-IID             IID
        ----  -------  ------  -------  --------------
        F-C   FedAvg   0.783+   0.775+    7.285/0.882
              FedProx  0.734        —     7.293/0.885+
        F-L   FedAvg   0.806*   0.802*    7.355/0.890*

        * best, + second best

        """
    #expect(try strategyTable().plainText() == expected)
}

@Test func csvRepeatsGroupLabelsAndLeavesMissingCellsEmpty() throws {
    let expected = "Mode,Method,Fed-SLAKE IID,Fed-SLAKE Non-IID,Fed-ScienceCap IID\r\n"
        + "F-C,FedAvg,0.783,0.775,7.285/0.882\r\n"
        + "F-C,FedProx,0.734,,7.293/0.885\r\n"
        + "F-L,FedAvg,0.806,0.802,7.355/0.890\r\n"
    let table = try strategyTable()
    #expect(table.csv() == expected)
    #expect(table.csv(lineEnding: .lf) == expected.replacingOccurrences(of: "\r\n", with: "\n"))
}

@Test func htmlUsesColspanAndRowspan() throws {
    let expected = """
        <table class="result-table">
        <caption><strong>Table 4: strategies</strong><br>preset smoke, seed 0, teacher-forced, 1.2 s</caption>
        <thead>
        <tr><th rowspan="2" scope="col">Mode</th><th rowspan="2" scope="col">Method</th>\
        <th colspan="2" scope="colgroup">Fed-SLAKE</th><th scope="col">Fed-ScienceCap</th></tr>
        <tr><th scope="col">IID</th><th scope="col">Non-IID</th><th scope="col">IID</th></tr>
        </thead>
        <tbody>
        <tr><th rowspan="2" scope="rowgroup">F-C</th><th scope="row">FedAvg</th>\
        <td><u>0.783</u></td><td><u>0.775</u></td><td>7.285/0.882</td></tr>
        <tr><th scope="row">FedProx</th><td>0.734</td><td>—</td><td><u>7.293/0.885</u></td></tr>
        <tr><th scope="rowgroup">F-L</th><th scope="row">FedAvg</th>\
        <td><strong>0.806</strong></td><td><strong>0.802</strong></td><td><strong>7.355/0.890</strong></td></tr>
        </tbody>
        </table>

        """
    #expect(try strategyTable().html() == expected)
}

@Test func threeHeaderLevelsSpanAtEachLevel() throws {
    // Fed-Nature (Table 6 layout): dataset over task over metric.
    let table = try ResultTable(
        title: "", caption: "", rowHeader: "Method",
        columns: [
            TableColumn(["Fed-Nature", "VQA", "Acc"]),
            TableColumn(["Fed-Nature", "Caption", "CIDEr"]),
            TableColumn(["Fed-Nature", "Caption", "ROUGE-L"]),
            TableColumn(["Fed-Med", "VQA", "Acc"]),
        ],
        groups: [RowGroup("", rows: [TableRow("FedAvg", cells: [.number(0.9), .number(1.2), .number(0.5), .number(0.7)])])])
    #expect(table.headerSpans(level: 0) == [
        HeaderSpan(label: "Fed-Nature", firstColumn: 0, columnCount: 3),
        HeaderSpan(label: "Fed-Med", firstColumn: 3, columnCount: 1),
    ])
    // "VQA" under Fed-Nature and under Fed-Med are different cells: parents differ.
    #expect(table.headerSpans(level: 1).map(\.columnCount) == [1, 2, 1])
    let html = table.html()
    #expect(html.contains("<tr><th rowspan=\"3\" scope=\"col\">Method</th><th colspan=\"3\" scope=\"colgroup\">Fed-Nature</th>"))
    #expect(html.contains("<th colspan=\"2\" scope=\"colgroup\">Caption</th>"))
    #expect(!html.contains("<caption>"))
    #expect(!html.contains("rowgroup"), "no group column when no group is labelled")
    #expect(table.csv(lineEnding: .lf).hasPrefix("Method,Fed-Nature VQA Acc,Fed-Nature Caption CIDEr,"))
    let text = table.plainText()
    #expect(text.hasPrefix("        Fed-Nature"), "no title or caption lines, label column blank")
}

@Test func marksHandleTiesLowerIsBetterMissingAndUnranked() throws {
    let table = try ResultTable(
        title: "t", caption: "", groupHeader: "G", rowHeader: "R",
        columns: [
            TableColumn(["accuracy"], ranking: .higherIsBetter),
            TableColumn(["loss"], ranking: .lowerIsBetter),
            TableColumn(["clients"]),
        ],
        groups: [
            RowGroup("a", rows: [
                TableRow("r1", cells: [.number(0.9), .number(1.5), .number(3)]),
                TableRow("r2", cells: [.number(0.9), .number(Double.nan), .number(5)]),
            ]),
            RowGroup("b", rows: [
                TableRow("r3", cells: [.number(0.7), .number(0.5), .number(4)]),
                TableRow("r4", cells: [.number(0.8), .number(2.5), .missing]),
            ]),
        ])
    let marks = table.marks()
    // Accuracy: two tied best, the next distinct value second.
    #expect(marks.map { $0.map { $0[0] } } == [[.best, .best], [.none, .secondBest]])
    // Loss: lowest best; the NaN cell (missing) never competes.
    #expect(marks.map { $0.map { $0[1] } } == [[.secondBest, .none], [.best, .none]])
    // Unranked column: no marks.
    #expect(marks.flatMap { $0.map { $0[2] } }.allSatisfy { $0 == .none })
}

@Test func eachGroupScopeRanksWithinGroups() throws {
    let table = try ResultTable(
        title: "t", caption: "", groupHeader: "Mode", rowHeader: "Method",
        columns: [TableColumn(["Acc"], ranking: .higherIsBetter)],
        groups: [
            RowGroup("F-C", rows: [TableRow("FedAvg", cells: [.number(0.5)]), TableRow("FedProx", cells: [.number(0.4)])]),
            RowGroup("F-L", rows: [TableRow("FedAvg", cells: [.number(0.9)]), TableRow("FedProx", cells: [.number(0.95)])]),
        ],
        markingScope: .eachGroup)
    #expect(table.marks().map { $0.map { $0[0] } } == [[.best, .secondBest], [.secondBest, .best]])
    let whole = try ResultTable(title: "t", caption: "", groupHeader: "Mode", rowHeader: "Method",
                                columns: table.columns, groups: table.groups)
    #expect(whole.marks().map { $0.map { $0[0] } } == [[.none, .none], [.secondBest, .best]])
}

@Test func cellsFormatNumbersAndPairs() {
    #expect(TableCell.number(0.8234).text == "0.823")
    #expect(TableCell.number(0.8234).score == 0.8234)
    #expect(TableCell.number(-0.0001).text == "0.000", "negative zero is folded")
    #expect(TableCell.number(12.5, decimals: 1).text == "12.5")
    #expect(TableCell.number(nil) == .missing)
    #expect(TableCell.number(.infinity) == .missing)
    #expect(TableCell.pair(7.5011, 0.8979).text == "7.501/0.898")
    #expect(TableCell.pair(7.5011, 0.8979).score == 7.5011)
    #expect(TableCell.pair(nil, 0.8979).text == "—/0.898")
    #expect(TableCell.pair(nil, 0.8979).score == nil)
    #expect(TableCell.pair(.nan, nil) == .missing)
}

@Test func textIsEscapedInEveryRenderer() throws {
    let table = try ResultTable(
        title: "A <b>&</b> \"B\"", caption: "x, y",
        groupHeader: "Mode", rowHeader: "Method, name",
        columns: [TableColumn(["Set \"1\"", "a|b"])],
        groups: [RowGroup("<g>", rows: [TableRow("Fed, \"Avg\"", cells: [TableCell(text: "1 < 2 & 3")])])])
    let csv = table.csv(lineEnding: .lf)
    #expect(csv == "Mode,\"Method, name\",\"Set \"\"1\"\" a|b\"\n<g>,\"Fed, \"\"Avg\"\"\",1 < 2 & 3\n")
    let html = table.html()
    #expect(html.contains("<caption><strong>A &lt;b&gt;&amp;&lt;/b&gt; &quot;B&quot;</strong><br>x, y</caption>"))
    #expect(html.contains("<th rowspan=\"1\"") == false)
    #expect(html.contains("<th scope=\"rowgroup\">&lt;g&gt;</th><th scope=\"row\">Fed, &quot;Avg&quot;</th><td>1 &lt; 2 &amp; 3</td>"))
    #expect(!html.contains("<g>"))
    let markdown = table.markdown()
    #expect(markdown.contains("| Set \"1\" a\\|b |"), "a pipe inside a cell is escaped")
}

@Test func csvFieldQuotingFollowsRFC4180() {
    #expect(quoteCSVField("plain") == "plain")
    #expect(quoteCSVField("") == "")
    #expect(quoteCSVField("a,b") == "\"a,b\"")
    #expect(quoteCSVField("say \"hi\"") == "\"say \"\"hi\"\"\"")
    #expect(quoteCSVField("two\nlines") == "\"two\nlines\"")
    #expect(quoteCSVField("cr\r\nlf") == "\"cr\r\nlf\"")
}

@Test func invalidShapesThrowNamingTheProblem() {
    let column = TableColumn(["Acc"])
    #expect(throws: ReportError.self) {
        try ResultTable(title: "T", caption: "", rowHeader: "M", columns: [column],
                        groups: [RowGroup("", rows: [TableRow("FedAvg", cells: [])])])
    }
    do {
        _ = try ResultTable(title: "T", caption: "", rowHeader: "M", columns: [column],
                            groups: [RowGroup("F-C", rows: [TableRow("FedAvg", cells: [.missing, .missing])])])
        Issue.record("a row with too many cells was accepted")
    } catch let error as ReportError {
        #expect(error.message.contains("\"F-C\" row 0 \"FedAvg\" has 2 cells, the table has 1 columns"))
    } catch {
        Issue.record("unexpected error \(error)")
    }
    #expect(throws: ReportError.self) {
        try ResultTable(title: "T", caption: "", rowHeader: "M", columns: [column, TableColumn(["A", "B"])], groups: [])
    }
    #expect(throws: ReportError.self) {
        try ResultTable(title: "T", caption: "", rowHeader: "M", columns: [column, column], groups: [])
    }
    #expect(throws: ReportError.self) {
        try ResultTable(title: "T", caption: "", rowHeader: "M", columns: [TableColumn([])], groups: [])
    }
    #expect(throws: ReportError.self) {
        try ResultTable(title: "T", caption: "", rowHeader: "M", columns: [column], groups: [
            RowGroup("F-C", rows: [TableRow("FedAvg", cells: [.missing]), TableRow("FedAvg", cells: [.missing])]),
        ])
    }
}

@Test func sideBySideShowsPaperValuesLookedUpByLabels() throws {
    let ours = try strategyTable()
    // The paper's table in a different row and column order, with a row we did not run.
    let paper = try ResultTable(
        title: "paper", caption: "", groupHeader: "Mode", rowHeader: "Method",
        columns: [TableColumn(["Fed-SLAKE", "Non-IID"]), TableColumn(["Fed-SLAKE", "IID"])],
        groups: [
            RowGroup("F-L", rows: [TableRow("FedAvg", cells: [.number(0.802), .number(0.806)])]),
            RowGroup("F-C", rows: [
                TableRow("FedAdam", cells: [.number(0.735), .number(0.741)]),
                TableRow("FedProx", cells: [.number(0.750), .number(0.734)]),
                TableRow("FedAvg", cells: [.number(0.775), .number(0.783)]),
            ]),
        ])
    let combined = ResultTable.sideBySide(ours: ours, paper: paper)
    #expect(combined.title == ours.title)
    #expect(combined.columns == ours.columns)
    #expect(combined.groups.map { $0.rows.map(\.label) } == [["FedAvg", "FedProx"], ["FedAvg"]])
    #expect(combined.groups[0].rows[0].cells.map(\.text) == ["0.783 (paper 0.783)", "0.775 (paper 0.775)", "7.285/0.882"])
    #expect(combined.groups[0].rows[1].cells.map(\.text) == ["0.734 (paper 0.734)", "— (paper 0.750)", "7.293/0.885"])
    #expect(combined.groups[1].rows[0].cells[1].text == "0.802 (paper 0.802)")
    // Our scores still decide the marks.
    #expect(combined.marks() == ours.marks())
}

@Test func renderingIsDeterministic() throws {
    // Two tables built independently from equal inputs render to identical bytes.
    let first = try strategyTable()
    let second = try strategyTable()
    #expect(first.markdown() == second.markdown())
    #expect(first.plainText() == second.plainText())
    #expect(first.csv() == second.csv())
    #expect(first.html() == second.html())
}

@Test func tablesRoundTripThroughJSONAndDecodingValidates() throws {
    let table = try strategyTable()
    let text = try ResultFiles.jsonText(table)
    let decoded = try ResultFiles.makeJSONDecoder().decode(ResultTable.self, from: Data(text.utf8))
    #expect(decoded == table)
    #expect(decoded.markdown() == table.markdown())
    // Drop one cell of the first row: decoding must reject the shape.
    var object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    var groups = try #require(object["groups"] as? [[String: Any]])
    var rows = try #require(groups[0]["rows"] as? [[String: Any]])
    var cells = try #require(rows[0]["cells"] as? [Any])
    cells.removeLast()
    rows[0]["cells"] = cells
    groups[0]["rows"] = rows
    object["groups"] = groups
    let shortRow = try JSONSerialization.data(withJSONObject: object)
    #expect(throws: ReportError.self) {
        try ResultFiles.makeJSONDecoder().decode(ResultTable.self, from: shortRow)
    }
}
