// FedMedian, trimmed mean and Krum on tiny vectors (one coordinate pair per client) computed
// by hand, two rounds each.
import Testing
import Tensors
@testable import Aggregators

/// Clients whose parameters are the given "w" vectors, with sample counts.
func plainClients(_ values: [[Float]], samples: [Int]? = nil) -> [ClientUpdate] {
    values.enumerated().map { index, value in
        ClientUpdate(clientID: index, parameters: vectors(["w": value]), sampleCount: samples?[index] ?? 1)
    }
}

let pairGlobal = vectors(["w": [0, 0]])

@Suite("Robust aggregators")
struct RobustAggregatorTests {
    @Test("FedMedian: odd count takes the middle value, even count the mean of the two middle ones")
    func median() throws {
        // Prepare
        let median = FedMedian()
        // Execute: round 1 with 3 clients, round 2 with 4 (one an outlier)
        let first = try median.aggregate(global: pairGlobal, updates: plainClients([[1, 9], [5, -2], [3, 4]]),
                                         failures: [], context: roundContext(1, of: 2))
        let second = try median.aggregate(global: first,
                                          updates: plainClients([[1, 0], [2, 0], [100, 0], [4, 1]], samples: [9, 1, 1, 1]),
                                          failures: [], context: roundContext(2, of: 2))
        // Assert: sample counts do not matter
        expectValues(first, ["w": [3, 4]])
        expectValues(second, ["w": [3, 0]])
    }

    @Test("TrimmedMean(0.2): floor(0.2 K) values cut per side")
    func trimmedMean() throws {
        // Prepare
        let trimmed = try TrimmedMean()
        // Execute: 5 clients -> 1 cut per side; 4 clients -> 0 cut (plain mean)
        let first = try trimmed.aggregate(global: pairGlobal,
                                          updates: plainClients([[1, 10], [2, 20], [3, 30], [4, 40], [100, -500]]),
                                          failures: [], context: roundContext(1, of: 2))
        let second = try trimmed.aggregate(global: first, updates: plainClients([[1, 0], [2, 0], [3, 0], [10, 4]]),
                                           failures: [], context: roundContext(2, of: 2))
        // Assert: [2, 3, 4] -> 3; [10, 20, 30] -> 20; then the plain means 4 and 1
        expectValues(first, ["w": [3, 20]])
        expectValues(second, ["w": [4, 1]])
        #expect(trimmed.trimCount(clientCount: 5) == 1 && trimmed.trimCount(clientCount: 4) == 0)
        #expect(aggregatorError { _ = try TrimmedMean(beta: 0.5) }?.message.contains("beta") == true)
    }

    @Test("Krum: scores are sums of squared distances to the K - f - 2 nearest; Multi-Krum averages by samples")
    func krum() throws {
        // Prepare: points 0, 1, 3, 10 on the first axis; samples 1, 3, 1, 1.
        // Squared distances: 0-1: 1, 0-3: 9, 0-10: 100, 1-3: 4, 1-10: 81, 3-10: 49.
        let updates = plainClients([[0, 0], [1, 0], [3, 0], [10, 0]], samples: [1, 3, 1, 1])
        let krum = try Krum(byzantineCount: 0, selectionCount: 1)
        let multi = try Krum(byzantineCount: 0, selectionCount: 2)
        // Execute
        let scores = krum.scores(updates.map(\.parameters))
        let single = try krum.aggregate(global: pairGlobal, updates: updates, failures: [], context: roundContext(1))
        let averaged = try multi.aggregate(global: pairGlobal, updates: updates, failures: [], context: roundContext(1))
        // Assert: f = 0 -> 2 neighbours: scores [1+9, 1+4, 4+9, 49+81] = [10, 5, 13, 130]
        #expect(scores == [10, 5, 13, 130])
        #expect(krum.lastSelection == [1])
        expectValues(single, ["w": [1, 0]])
        // Multi-Krum keeps clients 1 (n = 3) and 0 (n = 1): (3 * 1 + 1 * 0) / 4
        #expect(multi.lastSelection == [1, 0])
        expectValues(averaged, ["w": [0.75, 0]])
    }

    @Test("Krum, second round with f = 1: one neighbour, ties keep the earlier client")
    func krumTies() throws {
        // Prepare: f = 1, K = 4 -> max(1, 4 - 1 - 2) = 1 neighbour; scores [1, 1, 4, 49]
        let krum = try Krum(byzantineCount: 1)
        let updates = plainClients([[0, 0], [1, 0], [3, 0], [10, 0]])
        // Execute
        let result = try krum.aggregate(global: pairGlobal, updates: updates, failures: [], context: roundContext(2))
        // Assert
        #expect(krum.scores(updates.map(\.parameters)) == [1, 1, 4, 49])
        #expect(krum.lastSelection == [0])
        expectValues(result, ["w": [0, 0]])
    }

    @Test("Krum: selecting more updates than arrived is a clear error")
    func krumTooManySelected() throws {
        let error = aggregatorError {
            _ = try Krum(selectionCount: 3).aggregate(global: pairGlobal, updates: plainClients([[0, 0], [1, 1]]),
                                                      failures: [], context: roundContext(1))
        }
        #expect(error?.kind == .invalidOption && error?.message.contains("selected = 3") == true)
    }
}
