// Errors a user of the partitioners can cause. Each message names the partitioner, the
// parameter or index at fault and the numbers involved, so it can be fixed without a debugger.

/// A problem with the inputs or parameters of a partitioner, or with a ``Partition``
/// checked against a dataset.
public enum PartitionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The number of clients was below 1.
    case noClients(partitioner: String, clients: Int)
    /// More clients were requested than there are samples, so some client would be empty.
    case moreClientsThanSamples(partitioner: String, clients: Int, samples: Int)
    /// A numeric parameter is outside its valid range (for example `alpha <= 0`).
    case invalidParameter(partitioner: String, name: String, value: String, requirement: String)
    /// The attribute split needs at least one whole category per client.
    case fewerCategoriesThanClients(categories: Int, clients: Int)
    /// The task split needs exactly one client per distinct task.
    case taskCountMismatch(tasks: [String], clients: Int)
    /// The explicit task order does not list each task of the data exactly once.
    case taskOrderMismatch(missing: [String], unknown: [String], duplicated: [String])
    /// `clients * minPartitionSize` exceeds the number of samples: no draw can satisfy it.
    case minimumPartitionSizeImpossible(minPartitionSize: Int, clients: Int, samples: Int)
    /// Every one of `attempts` Dirichlet draws left some client below `minPartitionSize`.
    case minimumPartitionSizeNotReached(
        minPartitionSize: Int, attempts: Int, alpha: Double, clients: Int, samples: Int,
        largestSmallestClient: Int)
    /// A partition refers to a sample index outside `0..<sampleCount`.
    case sampleIndexOutOfRange(client: Int, index: Int, sampleCount: Int)
    /// A sample index appears twice (in one client or in two).
    case sampleAssignedTwice(index: Int, firstClient: Int, secondClient: Int)
    /// A sample index in `0..<sampleCount` is not assigned to any client.
    case sampleNotAssigned(index: Int, sampleCount: Int)

    /// A sentence explaining what is wrong and how to fix it.
    public var description: String {
        switch self {
        case let .noClients(partitioner, clients):
            return "\(partitioner): the number of clients must be at least 1, got \(clients)."
        case let .moreClientsThanSamples(partitioner, clients, samples):
            return "\(partitioner): \(clients) clients requested but the dataset has only \(samples) samples; "
                + "every client needs at least one sample, so use at most \(samples) clients."
        case let .invalidParameter(partitioner, name, value, requirement):
            return "\(partitioner): parameter `\(name)` is \(value), but it must be \(requirement)."
        case let .fewerCategoriesThanClients(categories, clients):
            return "AttributePartitioner: \(clients) clients requested but the labels contain only \(categories) "
                + "distinct categories; each client needs at least one whole category, so use at most "
                + "\(categories) clients (or a Dirichlet / IID partitioner)."
        case let .taskCountMismatch(tasks, clients):
            return "TaskPartitioner: one client per task, but \(clients) clients were requested for "
                + "\(tasks.count) distinct tasks \(tasks)."
        case let .taskOrderMismatch(missing, unknown, duplicated):
            var problems: [String] = []
            if !missing.isEmpty { problems.append("tasks in the data but not in the order: \(missing)") }
            if !unknown.isEmpty { problems.append("tasks in the order but not in the data: \(unknown)") }
            if !duplicated.isEmpty { problems.append("tasks listed more than once: \(duplicated)") }
            return "TaskPartitioner: the task order must list every task of the data exactly once; "
                + problems.joined(separator: "; ") + "."
        case let .minimumPartitionSizeImpossible(minPartitionSize, clients, samples):
            let (needed, overflow) = minPartitionSize.multipliedReportingOverflow(by: clients)
            return "DirichletPartitioner: minPartitionSize \(minPartitionSize) x \(clients) clients = "
                + (overflow ? "more than \(Int.max)" : "\(needed)")
                + " exceeds the \(samples) samples; lower minPartitionSize or the number of clients."
        case let .minimumPartitionSizeNotReached(minPartitionSize, attempts, alpha, clients, samples, largestSmallest):
            return "DirichletPartitioner: after \(attempts) attempts (alpha \(alpha), \(clients) clients, \(samples) samples) "
                + "no draw gave every client at least \(minPartitionSize) samples; the best draw's smallest client had "
                + "\(largestSmallest). Raise alpha, lower minPartitionSize, use fewer clients, enable selfBalancing, "
                + "or allow more attempts."
        case let .sampleIndexOutOfRange(client, index, sampleCount):
            return "Partition: client \(client) holds sample index \(index), outside 0..<\(sampleCount)."
        case let .sampleAssignedTwice(index, firstClient, secondClient):
            return firstClient == secondClient
                ? "Partition: sample index \(index) appears twice in client \(firstClient)."
                : "Partition: sample index \(index) is assigned to both client \(firstClient) and client \(secondClient)."
        case let .sampleNotAssigned(index, sampleCount):
            return "Partition: sample index \(index) (of 0..<\(sampleCount)) is not assigned to any client."
        }
    }
}
