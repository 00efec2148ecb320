// DirichletPartitioner: exact cover for every alpha, IID-like at large alpha and concentrated at
// small alpha, the minimum size, self-balancing, termination, determinism and bad input.
import Testing
@testable import Partitioners

@Suite struct DirichletPartitionerTests {
    /// 4 classes x 500 samples, interleaved.
    private let labels = interleavedLabels([500, 500, 500, 500])

    @Test(arguments: [1e-4, 0.01, 0.1, 0.5, 1.0, 10.0, 1e4])
    func assignsEverySampleExactlyOnce(alpha: Double) throws {
        for selfBalancing in [false, true] {
            let partition = try DirichletPartitioner(alpha: alpha, minPartitionSize: 0, seed: 9,
                                                     selfBalancing: selfBalancing)
                .partition(labels: labels, clients: 10)
            expectExactCover(partition, sampleCount: labels.count)
            #expect(partition.clientCount == 10)
        }
    }

    @Test func largeAlphaApproachesIIDAndSmallAlphaConcentratesLabels() throws {
        func distance(_ alpha: Double) throws -> Double {
            try DirichletPartitioner(alpha: alpha, minPartitionSize: 0, seed: 21)
                .partition(labels: labels, clients: 10).statistics(labels: labels).meanLabelDistributionDistance
        }
        let iid = try IIDPartitioner(seed: 21).partition(labels: labels, clients: 10)
            .statistics(labels: labels).meanLabelDistributionDistance
        // IID: only sampling noise (about 0.05 for 200 samples per client over 4 labels).
        #expect(iid < 0.1)
        #expect(try distance(1000) < 0.05)
        #expect(try distance(100) < 0.1)
        // Small alpha: clients hold mostly one class (the maximum for 4 equal classes is 0.75).
        #expect(try distance(0.05) > 0.5)
        #expect(try distance(0.05) > distance(1) && distance(1) > distance(100))
    }

    @Test func smallAlphaConcentratesEachClassOnFewClients() throws {
        // Dir(0.01) over 10 clients puts nearly all mass on one client, so each class lives mostly
        // on one client: over seeds 0..<50 the mean largest share was at least 0.79 (IID: about 0.12).
        let statistics = try DirichletPartitioner(alpha: 0.01, minPartitionSize: 0, seed: 2)
            .partition(labels: labels, clients: 10).statistics(labels: labels)
        let largestShares = statistics.labels.indices.map { column in
            Double(statistics.counts.map { $0[column] }.max()!) / Double(statistics.labelTotals[column])
        }
        let meanLargestShare = largestShares.reduce(0, +) / Double(largestShares.count)
        #expect(meanLargestShare > 0.7, "largest client share per class: \(largestShares)")
        let iid = try IIDPartitioner(seed: 2).partition(labels: labels, clients: 10).statistics(labels: labels)
        #expect(iid.counts.map { $0[0] }.max()! < 100)  // IID: about 50 of each class per client
    }

    @Test func sameSeedSamePartitionOtherSeedOtherPartition() throws {
        let make = { (seed: UInt64) in
            try DirichletPartitioner(alpha: 0.5, minPartitionSize: 5, seed: seed).partition(labels: self.labels, clients: 8)
        }
        #expect(try make(13) == make(13))
        #expect(try make(13) != make(14))
    }

    @Test func everyClientReachesTheMinimumPartitionSize() throws {
        let partition = try DirichletPartitioner(alpha: 0.3, minPartitionSize: 60, seed: 1)
            .partition(labels: labels, clients: 10)
        #expect(partition.clientSizes.min()! >= 60)
        expectExactCover(partition, sampleCount: labels.count)
    }

    @Test func unreachableMinimumStopsAfterMaxAttemptsWithAClearError() {
        // 10 clients x 150 <= 2000 is possible on paper, but alpha 0.01 gives each class to
        // about one client, so 4 classes never cover 10 clients.
        let error = partitionError {
            try DirichletPartitioner(alpha: 0.01, minPartitionSize: 150, seed: 3, maxAttempts: 25)
                .partition(labels: labels, clients: 10)
        }
        guard case let .minimumPartitionSizeNotReached(minimum, attempts, alpha, clients, samples, best)? = error else {
            Issue.record("expected minimumPartitionSizeNotReached, got \(String(describing: error))")
            return
        }
        #expect(minimum == 150 && attempts == 25 && alpha == 0.01 && clients == 10 && samples == 2000)
        #expect(best >= 0 && best < 150)
        #expect(error!.description.contains("after 25 attempts"))
        #expect(error!.description.contains("at least 150 samples"))
    }

    @Test func impossibleMinimumFailsAtOnce() {
        let error = partitionError {
            try DirichletPartitioner(alpha: 1, minPartitionSize: 201, seed: 0).partition(labels: labels, clients: 10)
        }
        #expect(error == .minimumPartitionSizeImpossible(minPartitionSize: 201, clients: 10, samples: 2000))
        #expect(error?.description.contains("201 x 10 clients = 2010 exceeds the 2000 samples") == true)
        let huge = partitionError {
            try DirichletPartitioner(alpha: 1, minPartitionSize: Int.max, seed: 0).partition(labels: labels, clients: 3)
        }
        #expect(huge == .minimumPartitionSizeImpossible(minPartitionSize: Int.max, clients: 3, samples: 2000))
        #expect(huge?.description.contains("= more than \(Int.max) exceeds") == true)
    }

    @Test func selfBalancingBoundsClientSizes() throws {
        // A client receives part of a class only while it holds at most N / K samples, so it ends
        // with at most N / K plus one class.
        let uneven = interleavedLabels([700, 500, 300, 200, 150, 100, 50])
        let clients = 6
        for seed: UInt64 in 0..<5 {
            let partition = try DirichletPartitioner(alpha: 0.1, minPartitionSize: 0, seed: seed, selfBalancing: true)
                .partition(labels: uneven, clients: clients)
            expectExactCover(partition, sampleCount: uneven.count)
            #expect(partition.clientSizes.max()! <= uneven.count / clients + 700, "sizes \(partition.clientSizes)")
        }
    }

    @Test func handlesSingletonClassesAndOneClient() throws {
        let labels = ["a", "b", "c", "c", "d"]
        let partition = try DirichletPartitioner(alpha: 0.2, minPartitionSize: 1, seed: 6).partition(labels: labels, clients: 2)
        expectExactCover(partition, sampleCount: 5)
        #expect(partition.clientSizes.min()! >= 1)
        let single = try DirichletPartitioner(alpha: 0.2, minPartitionSize: 0, seed: 6).partition(labels: labels, clients: 1)
        #expect(single.clients == [[0, 1, 2, 3, 4]])
    }

    @Test(arguments: [0.0, -1.0, Double.nan, Double.infinity])
    func nonPositiveOrNonFiniteAlphaIsAnError(alpha: Double) {
        let error = partitionError {
            try DirichletPartitioner(alpha: alpha, seed: 0).partition(labels: labels, clients: 2)
        }
        #expect(error == .invalidParameter(partitioner: "DirichletPartitioner", name: "alpha",
                                           value: "\(alpha)", requirement: "finite and greater than 0"))
        #expect(error?.description.contains("`alpha` is \(alpha)") == true)
    }

    @Test func otherBadParametersAreErrors() {
        #expect(partitionError {
            try DirichletPartitioner(alpha: 1, minPartitionSize: -1, seed: 0).partition(labels: labels, clients: 2)
        } == .invalidParameter(partitioner: "DirichletPartitioner", name: "minPartitionSize", value: "-1", requirement: "0 or more"))
        #expect(partitionError {
            try DirichletPartitioner(alpha: 1, seed: 0, maxAttempts: 0).partition(labels: labels, clients: 2)
        } == .invalidParameter(partitioner: "DirichletPartitioner", name: "maxAttempts", value: "0", requirement: "at least 1"))
        #expect(partitionError { try DirichletPartitioner(alpha: 1, seed: 0).partition(labels: labels, clients: 0) }
                == .noClients(partitioner: "DirichletPartitioner", clients: 0))
        #expect(partitionError { try DirichletPartitioner(alpha: 1, seed: 0).partition(labels: ["a", "b"], clients: 3) }
                == .moreClientsThanSamples(partitioner: "DirichletPartitioner", clients: 3, samples: 2))
    }

    @Test func splitCountsCoversTheClassExactly() {
        #expect(splitCounts(total: 10, proportions: [0.25, 0.25, 0.5]) == [2, 3, 5])
        #expect(splitCounts(total: 7, proportions: [1.0 / 3, 1.0 / 3, 1.0 / 3]) == [2, 2, 3])
        // A zero-proportion last client (excluded by self-balancing) receives no rounding residue.
        #expect(splitCounts(total: 3, proportions: [0.3, 0.7, 0]) == [0, 3, 0])
        #expect(splitCounts(total: 5, proportions: [0, 1, 0]) == [0, 5, 0])
        // Cumulative sums that overshoot 1 by rounding never assign more than the class holds.
        #expect(splitCounts(total: 3, proportions: [0.6, 0.4000000000000001]).reduce(0, +) == 3)
    }
}
