// Partition: which samples each client holds.
//
// Shapes: K = number of clients, N = number of samples, L = number of distinct labels.
//   clients: K lists of sample indices in 0..<N, each sorted ascending
//   statistics.counts: K x L
//
// A partition is only index math: it never sees the samples themselves, so one partition can
// be applied to any parallel arrays (images, conversations, labels) of the same dataset.

/// The result of a partitioner: for each client, the sorted indices of the samples it holds.
///
/// Partitions produced by this module assign every sample index in `0..<sampleCount` to exactly
/// one client; ``validate(sampleCount:)`` checks that property for partitions read from
/// elsewhere (for example the reference benchmark's `train/client_{i}.json` files).
public struct Partition: Sendable, Hashable, Codable {
    /// Sample indices per client (`clients[k]` is client k's list), each sorted ascending.
    public let clients: [[Int]]

    /// Creates a partition from index lists; each list is sorted, so the order given does not matter.
    public init(clients: [[Int]]) {
        self.clients = clients.map { $0.sorted() }
    }

    /// Decodes `{"clients": [[Int]]}`, sorting each list like ``init(clients:)``.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(clients: try container.decode([[Int]].self, forKey: .clients))
    }

    /// The number of clients, K.
    public var clientCount: Int { clients.count }

    /// Number of samples held by each client.
    public var clientSizes: [Int] { clients.map(\.count) }

    /// Total number of sample indices over all clients (N for a partition of N samples).
    public var sampleCount: Int { clients.reduce(0) { $0 + $1.count } }

    /// For each sample index in `0..<sampleCount`, the client that holds it.
    ///
    /// - Throws: ``PartitionError`` if the partition is not an exact cover of `0..<sampleCount`.
    public func clientOfSample(sampleCount: Int) throws -> [Int] {
        var owner = [Int](repeating: -1, count: sampleCount)
        for (client, indices) in clients.enumerated() {
            for index in indices {
                guard index >= 0 && index < sampleCount else {
                    throw PartitionError.sampleIndexOutOfRange(client: client, index: index, sampleCount: sampleCount)
                }
                guard owner[index] < 0 else {
                    throw PartitionError.sampleAssignedTwice(index: index, firstClient: owner[index], secondClient: client)
                }
                owner[index] = client
            }
        }
        if let missing = owner.firstIndex(of: -1) {
            throw PartitionError.sampleNotAssigned(index: missing, sampleCount: sampleCount)
        }
        return owner
    }

    /// Checks that every index in `0..<sampleCount` is held by exactly one client.
    ///
    /// - Throws: ``PartitionError`` naming the first index that is out of range, assigned twice
    ///   (with both clients) or not assigned.
    public func validate(sampleCount: Int) throws {
        _ = try clientOfSample(sampleCount: sampleCount)
    }

    /// Per-client counts of each label.
    ///
    /// - Parameter labels: one label per sample of the partitioned dataset (the same array the
    ///   partitioner saw, or any other per-sample attribute worth tabulating).
    /// - Returns: a K x L table over the distinct labels in sorted order.
    /// - Throws: ``PartitionError/sampleIndexOutOfRange(client:index:sampleCount:)`` if a client
    ///   holds an index outside `labels`.
    public func statistics(labels: [String]) throws -> PartitionStatistics {
        let labelNames = Array(Set(labels)).sorted()
        let column = Dictionary(uniqueKeysWithValues: labelNames.enumerated().map { ($1, $0) })
        var counts = [[Int]](repeating: [Int](repeating: 0, count: labelNames.count), count: clients.count)
        for (client, indices) in clients.enumerated() {
            for index in indices {
                guard index >= 0 && index < labels.count else {
                    throw PartitionError.sampleIndexOutOfRange(client: client, index: index, sampleCount: labels.count)
                }
                counts[client][column[labels[index]]!] += 1
            }
        }
        return PartitionStatistics(labels: labelNames, counts: counts)
    }
}
