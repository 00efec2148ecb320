// Checks the hand-typed Tables 3-6 of Sources/Experiments/PaperReference.swift against a second,
// mechanical transcription (Tests/Fixtures/make_paper_reference_fixtures.py parses the paper's
// text), and checks the layouts a renderer relies on.
import Foundation
import Testing
@testable import Experiments

/// The fixture written by Tests/Fixtures/make_paper_reference_fixtures.py.
struct PaperReferenceFixture: Decodable {
    struct Cell: Decodable {
        let table, group, method, dataset, partition, metric: String
        let value: Double
        var key: CellKey {
            CellKey(table: table, group: group, method: method, dataset: dataset, partition: partition, metric: metric)
        }
    }

    let rows: [String: [String]]
    let cells: [Cell]
    let takeawayQuantities: [String: [String: Double]]

    enum CodingKeys: String, CodingKey {
        case rows, cells
        case takeawayQuantities = "takeaway_quantities"
    }

    static func load() throws -> PaperReferenceFixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/paper_reference.json")
        return try JSONDecoder().decode(PaperReferenceFixture.self, from: Data(contentsOf: url))
    }
}

@Suite("Paper reference tables")
struct PaperReferenceTests {
    @Test("every cell equals the mechanical transcription of the paper, and there are no others")
    func cellsMatchPaperText() throws {
        let fixture = try PaperReferenceFixture.load()
        #expect(fixture.cells.count == 450)
        #expect(PaperReference.allCells.count == fixture.cells.count)
        for cell in fixture.cells {
            let value = try #require(PaperReference.value(cell.key), "missing \(cell.key)")
            #expect(value == cell.value, "\(cell.key): typed \(value), paper \(cell.value)")
        }
        let expectedCounts = ["table3": 72, "table4": 160, "table5": 110, "table6": 108]
        for (table, count) in expectedCounts {
            #expect(PaperReference.cells(table: table).count == count, "\(table)")
            #expect(fixture.cells.filter { $0.table == table }.count == count, "\(table) in fixture")
        }
        #expect(PaperReference.cells(table: "table7").isEmpty)
    }

    @Test("printed rows are the paper's rows, number for number, in order")
    func printedRowsAreVerbatim() throws {
        let fixture = try PaperReferenceFixture.load()
        for layout in PaperReference.layouts {
            let paperRows = try #require(fixture.rows[layout.table])
            let ourRows = layout.rowGroups.flatMap(\.rows)
            #expect(paperRows.count == ourRows.count, "\(layout.table) row count")
            for (paperRow, ourRow) in zip(paperRows, ourRows) {
                // The paper's line minus its labels (mode, method) is our printed string.
                let numbers = paperRow.split(separator: " ").filter { $0.first?.isNumber == true }.joined(separator: " ")
                #expect(numbers == ourRow.printed, "\(layout.table) \(ourRow.method)")
                #expect(paperRow.split(separator: " ").contains(Substring(ourRow.method)), "\(layout.table): \(paperRow)")
            }
        }
    }

    @Test("layouts: spans fill every row, keys are unique and cover the table")
    func layoutsAreConsistent() throws {
        #expect(PaperReference.layouts.map(\.table) == ["table3", "table4", "table5", "table6"])
        #expect(PaperReference.layout(table: "table9") == nil)
        for layout in PaperReference.layouts {
            for rowGroup in layout.rowGroups {
                for row in rowGroup.rows {
                    let spans = row.cells.reduce(0) { $0 + $1.columnSpan }
                    #expect(spans == layout.subcolumnCount, "\(layout.table) \(rowGroup.label) \(row.method)")
                    for cell in row.cells {
                        #expect(cell.keys.allSatisfy { $0.table == layout.table && $0.method == row.method })
                    }
                }
            }
            let keys = layout.cellKeys
            #expect(Set(keys).count == keys.count, "\(layout.table) duplicate keys")
            #expect(Set(keys) == Set(PaperReference.cells(table: layout.table).keys), "\(layout.table)")
        }
        let table3 = try #require(PaperReference.layout(table: "table3"))
        #expect(table3.subcolumnCount == 6)
        #expect(table3.rowGroups.map(\.label) == PaperReference.strategies)
        let table6 = try #require(PaperReference.layout(table: "table6"))
        #expect(table6.columnGroups.map(\.title) == ["Fed-Nature", "Fed-Med"])
        #expect(table6.subcolumnCount == 7)
        #expect(table6.rowGroups.map { $0.rows.map(\.method) }
                == Array(repeating: ["MT-Central"] + PaperReference.algorithms, count: 2))
    }

    @Test("captions are CIDEr/ROUGE-L pairs with CIDEr first, on the 0-10 scale")
    func captionCellsArePairs() throws {
        let table4 = try #require(PaperReference.layout(table: "table4"))
        let firstRow = try #require(table4.rowGroups.first?.rows.first)
        let captionCell = firstRow.cells[2]
        #expect(captionCell.keys.map(\.metric) == ["CIDEr", "ROUGE-L"])
        #expect(captionCell.keys.allSatisfy { $0.dataset == "Fed-ScienceCap" && $0.partition == "IID" })
        for (key, value) in PaperReference.allCells {
            if key.metric.hasSuffix("CIDEr") {
                #expect(value > 0 && value < 10, "\(key)")
            } else {
                #expect(value > 0 && value < 1, "\(key)")
            }
        }
    }

    @Test("Table 5's Central row has one value per dataset spanning both partitions")
    func table5CentralSpansPartitions() throws {
        let table5 = try #require(PaperReference.layout(table: "table5"))
        for rowGroup in table5.rowGroups {
            let central = try #require(rowGroup.rows.first)
            #expect(central.method == "Central")
            #expect(central.cells.map(\.columnSpan) == [2, 2, 2, 2])
            #expect(central.cells.flatMap(\.keys).allSatisfy { $0.partition.isEmpty })
        }
        let key = CellKey(table: "table5", group: "encoder-free", method: "Central", dataset: "Fed-RadGenome",
                          partition: "", metric: "IoU")
        #expect(PaperReference.value(key) == 0.580)
    }

    @Test("keys of the examples in the task brief resolve to the printed numbers")
    func examplesResolve() {
        #expect(PaperReference.value(CellKey(table: "table3", group: "mlp2x F-CL", method: "FedAvg", dataset: "Fed-ScienceCap",
                                             partition: "IID", metric: "CIDEr")) == 7.521)
        #expect(PaperReference.value(CellKey(table: "table4", group: "F-2stage", method: "FedYogi", dataset: "Fed-FGVC",
                                             partition: "Non-IID", metric: "accuracy")) == 0.561)
        #expect(PaperReference.value(CellKey(table: "table6", group: "encoder-free", method: "FedAdam", dataset: "Fed-Nature",
                                             partition: "", metric: "caption CIDEr")) == 1.090)
        #expect(PaperReference.value(CellKey(table: "table6", group: "encoder-based", method: "MT-Central", dataset: "Fed-Med",
                                             partition: "", metric: "report ROUGE-L")) == 0.595)
        // Central has no per-partition cells in Table 5.
        #expect(PaperReference.value(CellKey(table: "table5", group: "encoder-based", method: "Central", dataset: "Fed-SLAKE",
                                             partition: "IID", metric: "accuracy")) == nil)
    }

    @Test("the paper's repeated runs agree across tables except one printed cell")
    func crossTableConsistency() {
        // Table 5's encoder-based rows are Table 4's F-CL rows (the paper adopts mlp2x + F-CL).
        var disagreements: [CellKey] = []
        for (key, value) in PaperReference.cells(table: "table5")
        where key.group == "encoder-based" && key.method != "Central" && key.dataset != "Fed-RadGenome" {
            let table4Key = CellKey(table: "table4", group: "F-CL", method: key.method, dataset: key.dataset,
                                    partition: key.partition, metric: key.metric)
            if PaperReference.value(table4Key) != value { disagreements.append(key) }
        }
        // The paper prints FedYogi's non-IID Fed-SLAKE accuracy as 0.774 in Table 4 and 0.775 in Table 5.
        #expect(disagreements == [CellKey(table: "table5", group: "encoder-based", method: "FedYogi", dataset: "Fed-SLAKE",
                                          partition: "Non-IID", metric: "accuracy")])
        // Table 5's encoder-based Central equals Table 3's mlp2x F-CL Central.
        for (dataset, metric) in [("Fed-SLAKE", "accuracy"), ("Fed-ScienceCap", "CIDEr"), ("Fed-ScienceCap", "ROUGE-L")] {
            let table3 = PaperReference.value(CellKey(table: "table3", group: "mlp2x F-CL", method: "Central",
                                                      dataset: dataset, partition: "IID", metric: metric))
            let table5 = PaperReference.value(CellKey(table: "table5", group: "encoder-based", method: "Central",
                                                      dataset: dataset, partition: "", metric: metric))
            #expect(table3 != nil && table3 == table5, "\(dataset) \(metric)")
        }
    }

    @Test("Table 2 statistics agree with the tables' datasets and metrics")
    func datasetStatistics() throws {
        let names = PaperReference.datasetStatistics.map(\.name)
        #expect(names == ["Fed-FGVC", "Fed-ScienceCap", "Fed-SLAKE", "Fed-RadGenome", "Fed-Nature", "Fed-Med"])
        let tableDatasets = Set(PaperReference.allCells.keys.map(\.dataset))
        #expect(tableDatasets == Set(names))
        for dataset in PaperReference.textCentricDatasets + PaperReference.visionCentricDatasets {
            let statistics = try #require(PaperReference.datasetStatistics.first { $0.name == dataset })
            #expect(statistics.tasks.count == 1)
            #expect(statistics.tasks[0].metrics.first == PaperReference.primaryMetric(dataset: dataset))
        }
        for multitask in ["Fed-Nature", "Fed-Med"] {
            let statistics = try #require(PaperReference.datasetStatistics.first { $0.name == multitask })
            #expect(statistics.tasks.count == statistics.maxClients, "one client per task")
            let columns = PaperReference.multitaskPrimaryMetrics.filter { $0.dataset == multitask }
            #expect(columns.count == statistics.tasks.count)
        }
        #expect(PaperReference.datasetStatistics.first { $0.name == "Fed-FGVC" }?.tasks.first?.instances == 9_967)
        #expect(PaperReference.primaryMetric(dataset: "Fed-Unknown") == nil)
    }

    @Test("cell keys encode, decode, print and sort predictably")
    func cellKeyBasics() throws {
        let key = CellKey(table: "table6", group: "encoder-based", method: "FedAvg", dataset: "Fed-Med",
                          partition: "", metric: "detection IoU")
        #expect(key.description == "table6/encoder-based/FedAvg/Fed-Med/-/detection IoU")
        let decoded = try JSONDecoder().decode(CellKey.self, from: JSONEncoder().encode(key))
        #expect(decoded == key)
        let other = CellKey(table: "table3", group: "z", method: "z", dataset: "z", partition: "z", metric: "z")
        #expect([key, other].sorted() == [other, key])
    }
}
