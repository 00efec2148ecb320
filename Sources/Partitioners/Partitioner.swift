// Module `Partitioners`: splitting a dataset's sample indices among federated clients.
//
// Pure index math with no dependency on any other target. Input: one label per sample
// (category, class, modality or task name). Output: a Partition, the sorted sample indices
// of each client. Every partitioner is deterministic: its random draws come only from a
// SeededGenerator built from its seed, so the same inputs and seed give the same partition.
//
// Partitioners (FedVLMBench, Sec. 3 "datasets"; Flower's flwr-datasets for the Dirichlet one):
//   IIDPartitioner        uniform random split (optionally stratified by label)
//   AttributePartitioner  whole categories per client: the paper's "non-IID" split
//   DirichletPartitioner  label skew: per class, proportions ~ Dir(alpha) over clients
//   TaskPartitioner       one task per client: the multitask datasets Fed-Nature and Fed-Med

/// Splits a dataset's samples among federated clients, given one label per sample.
///
/// Conforming types are value types holding their parameters (and seed); `partition` is a
/// pure function of those parameters and its arguments.
///
/// ```swift
/// let labels = ["cat", "dog", "cat", "bird", "dog", "cat"]
/// let partition = try DirichletPartitioner(alpha: 0.5, minPartitionSize: 1, seed: 7)
///     .partition(labels: labels, clients: 2)
/// print(try partition.statistics(labels: labels).markdownTable())
/// ```
public protocol Partitioner: Sendable {
    /// Assigns every sample index `0..<labels.count` to exactly one of `clients` clients.
    ///
    /// - Parameters:
    ///   - labels: one label per sample (category, class, modality or task); what the label
    ///     means depends on the partitioner (the IID split ignores it except for stratification).
    ///   - clients: the number of clients K, at least 1 and at most `labels.count`.
    /// - Returns: K sorted index lists covering `0..<labels.count` exactly once.
    /// - Throws: ``PartitionError`` for impossible requests (zero clients, more clients than
    ///   samples, invalid parameters, too few categories or tasks).
    func partition(labels: [String], clients: Int) throws -> Partition
}

/// The checks every partitioner makes first: at least one client and no more clients than samples.
func validateClientCount(_ clients: Int, samples: Int, partitioner: String) throws {
    guard clients >= 1 else { throw PartitionError.noClients(partitioner: partitioner, clients: clients) }
    guard clients <= samples else {
        throw PartitionError.moreClientsThanSamples(partitioner: partitioner, clients: clients, samples: samples)
    }
}

/// The sample indices of each distinct label, labels in sorted order, indices ascending.
func indicesByLabel(_ labels: [String]) -> (names: [String], indices: [[Int]]) {
    var groups: [String: [Int]] = [:]
    for (index, label) in labels.enumerated() { groups[label, default: []].append(index) }
    let names = groups.keys.sorted()
    return (names, names.map { groups[$0]! })
}
