// AttributePartitioner: each client receives whole categories (the paper's non-IID split).
//
// FedVLMBench, Sec. 3: Fed-FGVC splits by the attribute "manufacturer" (30 categories, up to 30
// clients) with categories "evenly distributed or merged"; Fed-ScienceCap by "category" (27
// categories, up to 27 clients); Fed-SLAKE by "modality" and Fed-RadGenome by organ (3 clients).
// Non-IID means every category lives on exactly one client; when there are more categories than
// clients, several categories are merged onto one client.
//
// Algorithm (C categories, K clients, C >= K):
//   1. Sort the distinct categories by name, then shuffle them with the seeded generator.
//   2. Group them by one of two rules:
//      balancedSampleCounts (default): stable-sort by sample count, largest first (so the
//        shuffle only breaks ties), then give each category to the client holding the fewest
//        samples so far, the lowest client number on ties ("longest processing time first").
//        The first K categories go to K different clients, so no client is empty, and the
//        largest client exceeds the smallest by at most the size of one category.
//      equalCategoryCounts: client k takes the k-th contiguous block of the shuffled list;
//        the first C mod K clients take one extra category (30 categories, 10 clients: three each).

/// Gives each client whole categories, so every category lives on exactly one client.
public struct AttributePartitioner: Partitioner, Hashable, CustomStringConvertible {
    /// How categories are grouped when there are more categories than clients.
    public enum Grouping: String, Sendable, Hashable, Codable, CaseIterable {
        /// Greedy: largest category first, each to the client with the fewest samples so far,
        /// so client sample counts are as even as whole categories allow.
        case balancedSampleCounts
        /// Each client gets `C / K` categories (the first `C mod K` clients one more), chosen at
        /// random by the seed, whatever their sizes.
        case equalCategoryCounts
    }

    /// Seed of the category shuffle (which categories end up together, and tie-breaking).
    public var seed: UInt64
    /// The grouping rule; see ``Grouping``.
    public var grouping: Grouping

    /// Creates an attribute (whole-category) partitioner.
    ///
    /// - Parameters:
    ///   - seed: seed of the category shuffle.
    ///   - grouping: how to merge categories when there are more categories than clients
    ///     (default ``Grouping/balancedSampleCounts``).
    public init(seed: UInt64, grouping: Grouping = .balancedSampleCounts) {
        self.seed = seed
        self.grouping = grouping
    }

    /// A one-line summary for tables and logs.
    public var description: String { "Attribute(grouping: \(grouping.rawValue), seed: \(seed))" }

    /// Assigns whole categories to clients.
    ///
    /// - Parameter labels: the category of each sample.
    /// - Throws: ``PartitionError/fewerCategoriesThanClients(categories:clients:)`` when some client
    ///   would get no category, and the common client-count errors.
    public func partition(labels: [String], clients: Int) throws -> Partition {
        try validateClientCount(clients, samples: labels.count, partitioner: "AttributePartitioner")
        let groups = indicesByLabel(labels)
        guard groups.names.count >= clients else {
            throw PartitionError.fewerCategoriesThanClients(categories: groups.names.count, clients: clients)
        }
        var generator = SeededGenerator(seed: seed)
        var categoryOrder = Array(groups.indices.indices)
        generator.shuffle(&categoryOrder)

        var categoriesOfClient = [[Int]](repeating: [], count: clients)
        switch grouping {
        case .balancedSampleCounts:
            // Swift's sort is stable, so categories of equal size keep their shuffled order.
            let largestFirst = categoryOrder.sorted { groups.indices[$0].count > groups.indices[$1].count }
            var clientSizes = [Int](repeating: 0, count: clients)
            for category in largestFirst {
                let emptiest = clientSizes.indices.min { clientSizes[$0] < clientSizes[$1] }!
                categoriesOfClient[emptiest].append(category)
                clientSizes[emptiest] += groups.indices[category].count
            }
        case .equalCategoryCounts:
            categoriesOfClient = contiguousChunks(of: categoryOrder, count: clients)
        }
        return Partition(clients: categoriesOfClient.map { categories in
            categories.flatMap { groups.indices[$0] }
        })
    }
}
