// Tests of ResultFiles: exact JSON text with sorted keys, byte-identical files from differently
// built dictionaries, non-finite numbers, JSON Lines, CSV and text files, directory creation.

import Foundation
import Testing
@testable import Reports

/// A fresh directory under the system temporary directory, unique per test.
private func scratchDirectory(_ name: String) throws -> URL {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("ReportsTests-\(ProcessInfo.processInfo.processIdentifier)-\(name)")
    try? FileManager.default.removeItem(at: directory)
    return directory
}

private struct RoundMetrics: Codable, Equatable {
    var round: Int
    var accuracy: Double
    var algorithm: String
}

@Test func jsonIsPrettyWithSortedKeysAndFinalNewline() throws {
    let text = try ResultFiles.jsonText(RoundMetrics(round: 3, accuracy: 0.5, algorithm: "FedAvg/Prox"))
    let expected = """
        {
          "accuracy" : 0.5,
          "algorithm" : "FedAvg/Prox",
          "round" : 3
        }

        """
    #expect(text == expected)
}

@Test func jsonFilesAreByteIdenticalWhateverTheInsertionOrder() throws {
    let directory = try scratchDirectory("json")
    defer { try? FileManager.default.removeItem(at: directory) }
    var forward: [String: Double] = [:]
    var backward: [String: Double] = [:]
    let names = (0..<200).map { "client_\($0)" }
    for (index, name) in names.enumerated() { forward[name] = Double(index) / 7 }
    for (index, name) in names.enumerated().reversed() { backward[name] = Double(index) / 7 }
    let first = directory.appendingPathComponent("nested/a/first.json")
    let second = directory.appendingPathComponent("second.json")
    try ResultFiles.writeJSON(forward, to: first)
    try ResultFiles.writeJSON(backward, to: second)
    let firstBytes = try Data(contentsOf: first)
    #expect(firstBytes == (try Data(contentsOf: second)))
    #expect(try ResultFiles.readJSON([String: Double].self, from: first) == forward)
    // Rewriting replaces the file in place.
    try ResultFiles.writeJSON(["only": 1.0], to: first)
    #expect(try ResultFiles.readJSON([String: Double].self, from: first) == ["only": 1.0])
}

@Test func nonFiniteNumbersRoundTripAsStrings() throws {
    let values = [Double.nan, .infinity, -.infinity, 1.25]
    let text = try ResultFiles.jsonText(values)
    #expect(text.contains("\"NaN\""))
    #expect(text.contains("\"-Infinity\""))
    let decoded = try ResultFiles.makeJSONDecoder().decode([Double].self, from: Data(text.utf8))
    #expect(decoded[0].isNaN)
    #expect(decoded[1...] == [.infinity, -.infinity, 1.25])
}

@Test func jsonLinesAppendAndReportBadLines() throws {
    let directory = try scratchDirectory("jsonl")
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("logs/rounds.jsonl")
    let rows = [RoundMetrics(round: 1, accuracy: 0.25, algorithm: "FedAvg"),
                RoundMetrics(round: 2, accuracy: 0.5, algorithm: "FedAvg")]
    for row in rows { try ResultFiles.appendJSONLine(row, to: file) }
    let text = try String(contentsOf: file, encoding: .utf8)
    #expect(text == "{\"accuracy\":0.25,\"algorithm\":\"FedAvg\",\"round\":1}\n"
        + "{\"accuracy\":0.5,\"algorithm\":\"FedAvg\",\"round\":2}\n")
    #expect(try ResultFiles.readJSONLines(RoundMetrics.self, from: file) == rows)

    try ResultFiles.writeText(text + "{\"round\":3,\n", to: file)
    do {
        _ = try ResultFiles.readJSONLines(RoundMetrics.self, from: file)
        Issue.record("a truncated line was accepted")
    } catch let error as ReportError {
        #expect(error.message.contains("rounds.jsonl: line 3"))
    }
}

@Test func csvAndTextFilesAreWrittenExactly() throws {
    let directory = try scratchDirectory("csv")
    defer { try? FileManager.default.removeItem(at: directory) }
    let table = try ResultTable(title: "t", caption: "", rowHeader: "Method",
                                columns: [TableColumn(["Acc, %"])],
                                groups: [RowGroup("", rows: [TableRow("FedAvg", cells: [.number(81.5, decimals: 1)])])])
    let csvFile = directory.appendingPathComponent("tables/t.csv")
    try ResultFiles.writeCSV(table, to: csvFile)
    #expect(try Data(contentsOf: csvFile) == Data("Method,\"Acc, %\"\r\nFedAvg,81.5\r\n".utf8))
    let textFile = directory.appendingPathComponent("notes.md")
    try ResultFiles.writeText("é — ✓\n", to: textFile)
    #expect(try String(contentsOf: textFile, encoding: .utf8) == "é — ✓\n")
}

@Test func directoryCreationFailsWhenAFileIsInTheWay() throws {
    let directory = try scratchDirectory("dirs")
    defer { try? FileManager.default.removeItem(at: directory) }
    try ResultFiles.createDirectory(directory.appendingPathComponent("a/b/c"))
    try ResultFiles.createDirectory(directory.appendingPathComponent("a/b/c"))  // existing: no error
    let blocker = directory.appendingPathComponent("file")
    try ResultFiles.writeText("x", to: blocker)
    do {
        try ResultFiles.writeText("y", to: blocker.appendingPathComponent("inside.txt"))
        Issue.record("writing under a regular file succeeded")
    } catch let error as ReportError {
        #expect(error.message.contains(blocker.path))
    }
    #expect(throws: ReportError.self) {
        try ResultFiles.readJSON([Int].self, from: directory.appendingPathComponent("absent.json"))
    }
}
