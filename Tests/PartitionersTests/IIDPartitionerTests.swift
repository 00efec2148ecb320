// IIDPartitioner: exact cover, equal sizes, stratification, determinism and bad input.
import Testing
@testable import Partitioners

@Suite struct IIDPartitionerTests {
    @Test(arguments: [(103, 1), (103, 10), (7, 7), (100, 3)])
    func assignsEverySampleOnceInNearlyEqualParts(samples: Int, clients: Int) throws {
        let labels = interleavedLabels([samples / 2, samples - samples / 2])
        for stratified in [false, true] {
            let partition = try IIDPartitioner(seed: 1, stratified: stratified).partition(labels: labels, clients: clients)
            expectExactCover(partition, sampleCount: samples)
            #expect(partition.clientCount == clients)
            let sizes = partition.clientSizes
            #expect(sizes.max()! - sizes.min()! <= 1, "sizes \(sizes)")
        }
    }

    @Test func stratifiedSplitSpreadsEveryLabelEvenly() throws {
        let counts = [30, 17, 9, 4]
        let labels = interleavedLabels(counts)
        let clients = 4
        let statistics = try IIDPartitioner(seed: 8, stratified: true)
            .partition(labels: labels, clients: clients).statistics(labels: labels)
        for (column, total) in counts.enumerated() {
            for row in statistics.counts {
                #expect(row[column] == total / clients || row[column] == total / clients + 1,
                        "label \(statistics.labels[column]): \(row[column]) of \(total)")
            }
        }
    }

    @Test func sameSeedSamePartitionOtherSeedOtherPartition() throws {
        let labels = interleavedLabels([40, 40, 40])
        let first = try IIDPartitioner(seed: 2025).partition(labels: labels, clients: 5)
        let again = try IIDPartitioner(seed: 2025).partition(labels: labels, clients: 5)
        let other = try IIDPartitioner(seed: 2026).partition(labels: labels, clients: 5)
        #expect(first == again)
        #expect(first != other)
    }

    @Test func isNotTheStorageOrder() throws {
        let partition = try IIDPartitioner(seed: 4).partition(sampleCount: 100, clients: 4)
        #expect(partition.clients[0] != Array(0..<25))
        expectExactCover(partition, sampleCount: 100)
    }

    @Test func zeroOrNegativeClientsIsAnError() {
        let labels = interleavedLabels([5, 5])
        for clients in [0, -3] {
            let error = partitionError { try IIDPartitioner(seed: 0).partition(labels: labels, clients: clients) }
            #expect(error == .noClients(partitioner: "IIDPartitioner", clients: clients))
            #expect(error?.description.contains("at least 1, got \(clients)") == true)
        }
    }

    @Test func moreClientsThanSamplesIsAnError() {
        let error = partitionError { try IIDPartitioner(seed: 0).partition(sampleCount: 3, clients: 4) }
        #expect(error == .moreClientsThanSamples(partitioner: "IIDPartitioner", clients: 4, samples: 3))
        #expect(error?.description.contains("4 clients requested but the dataset has only 3 samples") == true)
    }

    @Test func negativeSampleCountIsAnError() {
        let error = partitionError { try IIDPartitioner(seed: 0).partition(sampleCount: -1, clients: 1) }
        #expect(error == .invalidParameter(partitioner: "IIDPartitioner", name: "sampleCount",
                                           value: "-1", requirement: "non-negative"))
    }
}
