import Experiments
import Federation
import Foundation
import Testing

/// End-to-end runs on the smoke preset (a private pretrained cache per test run).
@Suite(.serialized) struct RunnerTests {
    static let cacheRoot = FileManager.default.temporaryDirectory.appendingPathComponent("fedvlm-tests-cache-\(getpid())")

    func runner() -> ExperimentRunner {
        ExperimentRunner(models: PretrainedModelProvider(budget: .smoke, cacheRoot: Self.cacheRoot))
    }

    @Test func sameSeedSameTableBitForBit() throws {
        var reproduction = try TableReproduction(table: "table4", preset: .smoke, seed: 3)
        reproduction.only = ["F-CL fedavg fed-slake", "F-C fedyogi fed-fgvc"]
        let first = try reproduction.run(with: runner(), jobs: 1)
        // A new runner (parts reloaded from the cache), and the runs side by side on two threads.
        let second = try reproduction.run(with: runner(), jobs: 2)
        #expect(first.cells.count == 4)
        #expect(first.cells.map(\.key) == second.cells.map(\.key))
        #expect(first.cells.map(\.ours) == second.cells.map(\.ours))
        #expect(first.results.map(\.rounds.last!.meanTrainingLoss) == second.results.map(\.rounds.last!.meanTrainingLoss))
        // Every round record (losses, bytes, evaluations) agrees; only the measured seconds differ.
        func timeless(_ outcome: TableOutcome) -> [[RoundRecord]] {
            outcome.results.map { $0.rounds.map { var record = $0; record.seconds = 0; return record } }
        }
        #expect(timeless(first) == timeless(second))
        #expect(second.jobs == 2 && (second.peakResidentBytes ?? 0) > 1 << 20)
        let markdown = try first.ourTable().markdown()
        #expect(markdown.contains("Fed-SLAKE IID") && markdown.contains("seed 3"))
        #expect(first.verdicts.map(\.takeaway.number) == [2, 3, 4])
    }

    @Test func writesEveryResultFile() throws {
        var reproduction = try TableReproduction(table: "table6", preset: .smoke, seed: 0)
        reproduction.only = ["central fed-nature"]
        let outcome = try reproduction.run(with: runner())
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fedvlm-table6-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        try outcome.write(to: directory)
        for file in ["table.md", "table.csv", "paper.csv", "results.json", "report.html", "plot-1.svg"] {
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path), "\(file)")
        }
        // Both architectures' MT-Central runs; every multitask metric (5 per run) reached a cell.
        #expect(outcome.results.count == 2)
        #expect(outcome.cells.count == 10)
    }
}
