// Partition and PartitionStatistics: exact-cover validation, statistics and table rendering,
// all against small cases worked out by hand.
import Foundation
import Testing
@testable import Partitioners

@Suite struct PartitionTests {
    //            index:  0    1    2    3    4    5    6
    private let labels = ["A", "B", "A", "C", "B", "B", "C"]
    private let partition = Partition(clients: [[2, 0, 3], [1, 4, 5, 6]])

    @Test func sortsIndicesAndCountsSizes() {
        #expect(partition.clients == [[0, 2, 3], [1, 4, 5, 6]])
        #expect(partition.clientSizes == [3, 4])
        #expect(partition.sampleCount == 7)
        #expect(partition.clientCount == 2)
    }

    @Test func statisticsCountLabelsPerClient() throws {
        let statistics = try partition.statistics(labels: labels)
        #expect(statistics.labels == ["A", "B", "C"])
        #expect(statistics.counts == [[2, 0, 1], [0, 3, 1]])
        #expect(statistics.clientTotals == [3, 4])
        #expect(statistics.labelTotals == [2, 3, 2])
        #expect(statistics.total == 7)
        #expect(statistics.labelsPerClient == [2, 2])
    }

    @Test func markdownAndPlainTables() throws {
        let statistics = try partition.statistics(labels: labels)
        #expect(statistics.markdownTable() == """
            | client | A | B | C | total |
            |---|---:|---:|---:|---:|
            | 0 | 2 | 0 | 1 | 3 |
            | 1 | 0 | 3 | 1 | 4 |
            | total | 2 | 3 | 2 | 7 |

            """)
        #expect(statistics.plainTable() == """
            client  A  B  C  total
            ------  -  -  -  -----
            0       2  0  1      3
            1       0  3  1      4
            ------  -  -  -  -----
            total   2  3  2      7

            """)
        let piped = PartitionStatistics(labels: ["a|b"], counts: [[1]])
        #expect(piped.markdownTable().contains("| a\\|b |"))
    }

    @Test func meanLabelDistributionDistance() {
        // Pooled shares (1/2, 1/2); each single-label client is 1/2 away; empty clients are skipped.
        #expect(PartitionStatistics(labels: ["x", "y"], counts: [[2, 0], [0, 2], [0, 0]])
            .meanLabelDistributionDistance == 0.5)
        #expect(PartitionStatistics(labels: ["x", "y"], counts: [[3, 1], [3, 1]]).meanLabelDistributionDistance == 0)
    }

    @Test func validateNamesTheOffendingIndex() {
        #expect(throws: PartitionError.sampleIndexOutOfRange(client: 1, index: 7, sampleCount: 7)) {
            try Partition(clients: [[0, 1, 2], [3, 4, 5, 6, 7]]).validate(sampleCount: 7)
        }
        #expect(throws: PartitionError.sampleAssignedTwice(index: 2, firstClient: 0, secondClient: 1)) {
            try Partition(clients: [[0, 1, 2], [2, 3]]).validate(sampleCount: 4)
        }
        #expect(throws: PartitionError.sampleAssignedTwice(index: 1, firstClient: 0, secondClient: 0)) {
            try Partition(clients: [[0, 1, 1], [2, 3]]).validate(sampleCount: 4)
        }
        #expect(throws: PartitionError.sampleNotAssigned(index: 2, sampleCount: 4)) {
            try Partition(clients: [[0, 1], [3]]).validate(sampleCount: 4)
        }
        #expect(throws: PartitionError.sampleIndexOutOfRange(client: 0, index: 9, sampleCount: 7)) {
            try Partition(clients: [[9]]).statistics(labels: labels)
        }
        #expect(PartitionError.sampleNotAssigned(index: 2, sampleCount: 4).description
            == "Partition: sample index 2 (of 0..<4) is not assigned to any client.")
    }

    @Test func clientOfSample() throws {
        #expect(try partition.clientOfSample(sampleCount: 7) == [0, 1, 0, 0, 1, 1, 1])
    }

    @Test func codableRoundTripSortsOnDecode() throws {
        let decoded = try JSONDecoder().decode(Partition.self, from: Data(#"{"clients": [[3, 1], [0, 2]]}"#.utf8))
        #expect(decoded.clients == [[1, 3], [0, 2]])
        let again = try JSONDecoder().decode(Partition.self, from: JSONEncoder().encode(partition))
        #expect(again == partition)
        let statistics = try partition.statistics(labels: labels)
        #expect(try JSONDecoder().decode(PartitionStatistics.self, from: JSONEncoder().encode(statistics)) == statistics)
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(PartitionStatistics.self, from: Data(#"{"labels": ["a"], "counts": [[1, 2]]}"#.utf8))
        }
    }

    @Test func partitionersWorkThroughTheProtocol() throws {
        let labels = interleavedLabels([12, 9, 6], names: ["x", "y", "z"])
        let partitioners: [any Partitioner] = [
            IIDPartitioner(seed: 1), IIDPartitioner(seed: 1, stratified: true),
            AttributePartitioner(seed: 1), DirichletPartitioner(alpha: 1, minPartitionSize: 1, seed: 1),
            TaskPartitioner(),
        ]
        for partitioner in partitioners {
            let partition = try partitioner.partition(labels: labels, clients: 3)
            expectExactCover(partition, sampleCount: labels.count)
            #expect(!String(describing: partitioner).isEmpty)
        }
    }
}
