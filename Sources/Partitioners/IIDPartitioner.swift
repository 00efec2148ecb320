// IIDPartitioner: every client gets a uniformly random, equally sized share of the samples.
//
// FedVLMBench's IID partitions distribute each category evenly over the clients (Sec. 3:
// categories "evenly distributed"), which is the `stratified` variant below; the plain variant
// is Flower's IidPartitioner up to the shuffle (flwr-datasets shards the dataset in its stored order).
//
// Algorithm (N samples, K clients):
//   plain:      shuffle 0..<N with the seeded generator; client k takes the k-th contiguous
//               chunk; the first N mod K clients take one extra sample.
//   stratified: labels in sorted order, each label's indices shuffled, then all of them dealt
//               round-robin, the deal continuing from label to label; every client's count of
//               every label differs from the mean by less than 1, and client sizes differ by at most 1.

/// Splits the samples uniformly at random into K nearly equal parts (sizes differ by at most 1).
public struct IIDPartitioner: Partitioner, Hashable, CustomStringConvertible {
    /// Seed of the shuffle; the same seed gives the same partition.
    public var seed: UInt64
    /// When true, each label is spread as evenly as possible over the clients (stratified split,
    /// as the paper's IID partitions); when false, a plain random split that ignores labels.
    public var stratified: Bool

    /// Creates an IID partitioner.
    ///
    /// - Parameters:
    ///   - seed: seed of the shuffle.
    ///   - stratified: spread each label evenly over the clients (default `false`).
    public init(seed: UInt64, stratified: Bool = false) {
        self.seed = seed
        self.stratified = stratified
    }

    /// A one-line summary for tables and logs.
    public var description: String { "IID(stratified: \(stratified), seed: \(seed))" }

    /// Splits `labels.count` samples into `clients` nearly equal random parts.
    ///
    /// - Throws: ``PartitionError/noClients(partitioner:clients:)`` or
    ///   ``PartitionError/moreClientsThanSamples(partitioner:clients:samples:)``.
    public func partition(labels: [String], clients: Int) throws -> Partition {
        try validateClientCount(clients, samples: labels.count, partitioner: "IIDPartitioner")
        var generator = SeededGenerator(seed: seed)
        var order: [Int]
        if stratified {
            order = []
            order.reserveCapacity(labels.count)
            for var indices in indicesByLabel(labels).indices {
                generator.shuffle(&indices)
                order += indices
            }
            // Dealing position p to client p mod K spreads each label's run evenly.
            var shares = [[Int]](repeating: [], count: clients)
            for (position, index) in order.enumerated() { shares[position % clients].append(index) }
            return Partition(clients: shares)
        }
        order = Array(0..<labels.count)
        generator.shuffle(&order)
        return Partition(clients: contiguousChunks(of: order, count: clients))
    }

    /// Plain IID split when only the number of samples is known.
    public func partition(sampleCount: Int, clients: Int) throws -> Partition {
        guard sampleCount >= 0 else {
            throw PartitionError.invalidParameter(
                partitioner: "IIDPartitioner", name: "sampleCount", value: "\(sampleCount)", requirement: "non-negative")
        }
        return try IIDPartitioner(seed: seed, stratified: false)
            .partition(labels: [String](repeating: "", count: sampleCount), clients: clients)
    }
}

/// `count` contiguous chunks of `elements`; the first `elements.count % count` are one longer.
func contiguousChunks(of elements: [Int], count: Int) -> [[Int]] {
    let baseSize = elements.count / count
    let longerChunks = elements.count % count
    var chunks: [[Int]] = []
    chunks.reserveCapacity(count)
    var start = 0
    for chunk in 0..<count {
        let size = baseSize + (chunk < longerChunks ? 1 : 0)
        chunks.append(Array(elements[start..<(start + size)]))
        start += size
    }
    return chunks
}
