// DirichletPartitioner: label-distribution skew controlled by a concentration alpha.
//
// Hsu, Qi & Brown, "Measuring the effects of non-identical data distribution for federated
// visual classification" (arXiv:1909.06335), as implemented by Flower's flwr-datasets
// `DirichletPartitioner` (parameters alpha, min_partition_size, self_balancing, seed).
// FedVLMBench uses it for four extra heterogeneity levels of Fed-FGVC (Sec. 3).
//
// Algorithm (N samples, K clients, classes in sorted order, seeded generator G):
//   0. Check: K >= 1, K <= N, alpha finite and > 0, minPartitionSize >= 0,
//      K * minPartitionSize <= N (otherwise no draw can succeed), maxAttempts >= 1.
//   1. Shuffle each class's sample indices once with G (so which samples of a class a client
//      gets is random, not the dataset's storage order).
//   2. Attempt (at most maxAttempts times):
//      for each class c with n_c samples:
//        draw log-weights w_k = log Gamma(alpha) for k in 0..<K   (p ~ Dir(alpha) = normalised Gammas)
//        self-balancing: clients already holding more than N / K samples get weight 0
//        p = exp(w - max w) / sum exp(w - max w)   over the remaining clients
//        client k takes the run of the class between floor(n_c * P_{k-1}) and floor(n_c * P_k),
//        P_k = p_0 + ... + p_k (the cut after the last client with p_k > 0 is exactly n_c), so
//        every sample of the class goes to exactly one client;
//      accept when every client holds at least minPartitionSize samples.
//   3. No accepted attempt: throw, reporting the best draw's smallest client.
//
// Differences from flwr-datasets' DirichletPartitioner:
//   - flwr (the version read) gives up after a fixed 10 redraws; here the limit is
//     `maxAttempts`, the error names the best draw's smallest client, and requests that no
//     draw can meet fail before drawing.
//   - Tiny alpha makes Gamma draws underflow to 0, and self-balancing can zero every remaining
//     proportion; flwr then divides 0 by 0. Normalising log-weights relative to the largest
//     eligible one keeps the denominator >= 1. At least one client is always eligible: before a
//     class is dealt fewer than N samples are placed, so the smallest client holds fewer than N / K.
//   - flwr's last client receives the rounding remainder of every class even when self-balancing
//     excluded it; here the remainder goes to the last client with a positive proportion.
//   - flwr splits each class in dataset order and shuffles afterwards; here each class is shuffled
//     before splitting and the output lists are sorted. flwr also accepts one alpha per client;
//     this partitioner is symmetric (one alpha).

/// Skews each client's label distribution: per class, the share of each client is drawn
/// from a symmetric Dirichlet(alpha) distribution.
///
/// Small alpha (0.1) gives each client few classes; large alpha (100) approaches an IID split.
public struct DirichletPartitioner: Partitioner, Hashable, CustomStringConvertible {
    /// Concentration of the symmetric Dirichlet distribution; finite and > 0.
    public var alpha: Double
    /// Every client must end up with at least this many samples; draws that miss are repeated.
    public var minPartitionSize: Int
    /// Seed of all draws; the same seed gives the same partition.
    public var seed: UInt64
    /// How many draws to try before giving up with an error (at least 1).
    public var maxAttempts: Int
    /// When true, clients that already hold more than `N / K` samples receive nothing of the
    /// remaining classes (flwr-datasets' `self_balancing`), which evens out client sizes.
    public var selfBalancing: Bool

    /// Creates a Dirichlet label-skew partitioner. Defaults follow flwr-datasets
    /// (`min_partition_size = 10`, `self_balancing = False`).
    ///
    /// - Parameters:
    ///   - alpha: Dirichlet concentration, finite and > 0.
    ///   - minPartitionSize: minimum samples per client (default 10); 0 allows empty clients.
    ///   - seed: seed of all draws.
    ///   - maxAttempts: draws to try before throwing (default 1000).
    ///   - selfBalancing: stop giving samples to clients above the mean size (default false).
    public init(alpha: Double, minPartitionSize: Int = 10, seed: UInt64,
                maxAttempts: Int = 1000, selfBalancing: Bool = false) {
        self.alpha = alpha
        self.minPartitionSize = minPartitionSize
        self.seed = seed
        self.maxAttempts = maxAttempts
        self.selfBalancing = selfBalancing
    }

    /// A one-line summary for tables and logs.
    public var description: String {
        "Dirichlet(alpha: \(alpha), minPartitionSize: \(minPartitionSize), selfBalancing: \(selfBalancing), seed: \(seed))"
    }

    /// Splits the samples so that each class is shared among clients in Dirichlet proportions.
    ///
    /// - Parameter labels: the class of each sample.
    /// - Throws: ``PartitionError`` for zero clients, more clients than samples, `alpha <= 0` or
    ///   non-finite, negative `minPartitionSize`, `maxAttempts < 1`, a minimum size that no draw
    ///   can meet, or `maxAttempts` draws that all missed it.
    public func partition(labels: [String], clients: Int) throws -> Partition {
        let name = "DirichletPartitioner"
        try validateClientCount(clients, samples: labels.count, partitioner: name)
        guard alpha.isFinite && alpha > 0 else {
            throw PartitionError.invalidParameter(
                partitioner: name, name: "alpha", value: "\(alpha)", requirement: "finite and greater than 0")
        }
        guard minPartitionSize >= 0 else {
            throw PartitionError.invalidParameter(
                partitioner: name, name: "minPartitionSize", value: "\(minPartitionSize)", requirement: "0 or more")
        }
        guard maxAttempts >= 1 else {
            throw PartitionError.invalidParameter(
                partitioner: name, name: "maxAttempts", value: "\(maxAttempts)", requirement: "at least 1")
        }
        // Compare by division so a huge minPartitionSize cannot overflow the product.
        guard minPartitionSize <= labels.count / clients else {
            throw PartitionError.minimumPartitionSizeImpossible(
                minPartitionSize: minPartitionSize, clients: clients, samples: labels.count)
        }

        var generator = SeededGenerator(seed: seed)
        var classIndices = indicesByLabel(labels).indices
        for position in classIndices.indices { generator.shuffle(&classIndices[position]) }

        let meanClientSize = Double(labels.count) / Double(clients)
        var largestSmallestClient = -1
        for _ in 0..<maxAttempts {
            // takes[c][k]: how many samples of class c client k receives in this draw.
            var takes: [[Int]] = []
            takes.reserveCapacity(classIndices.count)
            var clientSizes = [Int](repeating: 0, count: clients)
            for members in classIndices {
                var logWeights = (0..<clients).map { _ in generator.nextLogGamma(shape: alpha) }
                if selfBalancing {
                    for client in 0..<clients where Double(clientSizes[client]) > meanClientSize {
                        logWeights[client] = -.infinity
                    }
                }
                let shares = splitCounts(total: members.count,
                                         proportions: SeededGenerator.normalizedExponentials(logWeights))
                for client in 0..<clients { clientSizes[client] += shares[client] }
                takes.append(shares)
            }
            let smallestClient = clientSizes.min()!
            if smallestClient >= minPartitionSize {
                return assemble(classIndices: classIndices, takes: takes, clients: clients)
            }
            largestSmallestClient = max(largestSmallestClient, smallestClient)
        }
        throw PartitionError.minimumPartitionSizeNotReached(
            minPartitionSize: minPartitionSize, attempts: maxAttempts, alpha: alpha, clients: clients,
            samples: labels.count, largestSmallestClient: largestSmallestClient)
    }

    /// Each client's run of every class, in class order.
    private func assemble(classIndices: [[Int]], takes: [[Int]], clients: Int) -> Partition {
        var shares = [[Int]](repeating: [], count: clients)
        for (members, counts) in zip(classIndices, takes) {
            var start = 0
            for client in 0..<clients {
                shares[client] += members[start..<(start + counts[client])]
                start += counts[client]
            }
        }
        return Partition(clients: shares)
    }
}

/// Integer counts summing exactly to `total`, from cumulative proportions:
/// count_k = floor(total * P_k) - floor(total * P_{k-1}). The cut after the last client with a
/// positive proportion is forced to `total`, so rounding in the cumulative sum can neither lose
/// nor duplicate a sample, and a client with proportion 0 (excluded by self-balancing) gets nothing.
///
/// - Precondition: at least one proportion is positive.
func splitCounts(total: Int, proportions: [Double]) -> [Int] {
    guard let lastPositive = proportions.lastIndex(where: { $0 > 0 }) else {
        preconditionFailure("splitCounts needs at least one positive proportion, got \(proportions)")
    }
    var counts: [Int] = []
    counts.reserveCapacity(proportions.count)
    var cumulative = 0.0
    var previousCut = 0
    for (position, proportion) in proportions.enumerated() {
        cumulative += proportion
        let cut = position >= lastPositive
            ? total
            : min(total, max(previousCut, Int((cumulative * Double(total)).rounded(.down))))
        counts.append(cut - previousCut)
        previousCut = cut
    }
    return counts
}
