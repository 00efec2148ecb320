// AttributePartitioner: whole categories per client, the balancing rule, determinism, bad input.
import Testing
@testable import Partitioners

@Suite struct AttributePartitionerTests {
    /// For each category, the set of clients holding at least one of its samples.
    private func clientsPerCategory(_ partition: Partition, labels: [String]) throws -> [String: Set<Int>] {
        var holders: [String: Set<Int>] = [:]
        for (sample, client) in try partition.clientOfSample(sampleCount: labels.count).enumerated() {
            holders[labels[sample], default: []].insert(client)
        }
        return holders
    }

    @Test(arguments: AttributePartitioner.Grouping.allCases)
    func putsEachCategoryOnExactlyOneClient(grouping: AttributePartitioner.Grouping) throws {
        let counts = (0..<30).map { 5 + ($0 * 7) % 23 }  // 30 categories of uneven sizes
        let labels = interleavedLabels(counts)
        for clients in [1, 3, 10, 29, 30] {
            let partition = try AttributePartitioner(seed: 12, grouping: grouping).partition(labels: labels, clients: clients)
            expectExactCover(partition, sampleCount: labels.count)
            #expect(partition.clientCount == clients)
            for (category, holders) in try clientsPerCategory(partition, labels: labels) {
                #expect(holders.count == 1, "\(category) is on clients \(holders)")
            }
            #expect(partition.clientSizes.allSatisfy { $0 > 0 })
        }
    }

    @Test func balancedGroupingFollowsLargestFirstToTheEmptiestClient() throws {
        // Sizes 5, 4, 3, 2, 1 are distinct, so the seed cannot matter. By hand:
        // A(5) -> c0 [5, 0]; B(4) -> c1 [5, 4]; C(3) -> c1 [5, 7]; D(2) -> c0 [7, 7];
        // E(1) -> c0 (tie, lowest number) [8, 7].
        let labels = interleavedLabels([5, 4, 3, 2, 1], names: ["A", "B", "C", "D", "E"])
        for seed: UInt64 in [0, 1, 77] {
            let partition = try AttributePartitioner(seed: seed).partition(labels: labels, clients: 2)
            let statistics = try partition.statistics(labels: labels)
            #expect(statistics.counts == [[5, 0, 0, 2, 1], [0, 4, 3, 0, 0]])
        }
    }

    @Test func balancedGroupingKeepsClientSizesWithinOneCategory() throws {
        let counts = (0..<27).map { 10 + ($0 * 13) % 41 }
        let labels = interleavedLabels(counts)
        for clients in [2, 5, 9] {
            let sizes = try AttributePartitioner(seed: 3).partition(labels: labels, clients: clients).clientSizes
            #expect(sizes.max()! - sizes.min()! <= counts.max()!, "sizes \(sizes)")
        }
    }

    @Test func equalCategoryCountsGivesThreeManufacturersPerClient() throws {
        // Fed-FGVC: 30 manufacturers over 10 clients, three categories each.
        let labels = interleavedLabels((0..<30).map { 3 + $0 % 5 })
        let statistics = try AttributePartitioner(seed: 5, grouping: .equalCategoryCounts)
            .partition(labels: labels, clients: 10).statistics(labels: labels)
        #expect(statistics.labelsPerClient == [Int](repeating: 3, count: 10))
    }

    @Test func sameSeedSamePartitionOtherSeedOtherGrouping() throws {
        let labels = interleavedLabels([Int](repeating: 6, count: 12))  // equal sizes: the seed decides
        for grouping in AttributePartitioner.Grouping.allCases {
            let first = try AttributePartitioner(seed: 40, grouping: grouping).partition(labels: labels, clients: 4)
            let again = try AttributePartitioner(seed: 40, grouping: grouping).partition(labels: labels, clients: 4)
            let other = try AttributePartitioner(seed: 41, grouping: grouping).partition(labels: labels, clients: 4)
            #expect(first == again)
            #expect(first != other)
        }
    }

    @Test func fewerCategoriesThanClientsNamesBothNumbers() {
        let labels = interleavedLabels([10, 10, 10])
        let error = partitionError { try AttributePartitioner(seed: 0).partition(labels: labels, clients: 4) }
        #expect(error == .fewerCategoriesThanClients(categories: 3, clients: 4))
        #expect(error?.description.contains("4 clients requested but the labels contain only 3 distinct categories") == true)
    }

    @Test func zeroClientsAndMoreClientsThanSamplesAreErrors() {
        let labels = ["a", "b"]
        #expect(partitionError { try AttributePartitioner(seed: 0).partition(labels: labels, clients: 0) }
                == .noClients(partitioner: "AttributePartitioner", clients: 0))
        #expect(partitionError { try AttributePartitioner(seed: 0).partition(labels: labels, clients: 3) }
                == .moreClientsThanSamples(partitioner: "AttributePartitioner", clients: 3, samples: 2))
    }
}
