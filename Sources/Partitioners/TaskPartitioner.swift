// TaskPartitioner: one task per client, for the multitask datasets.
//
// FedVLMBench, Sec. 3: Fed-Nature gives each of 4 clients one task on shared COCO images
// (VQA, captioning, visual grounding, classification); Fed-Med gives each of 3 clients one
// task (VQA, report generation, detection). The split is fixed by the data, so no seed.
//
// Algorithm: client k holds every sample whose task is taskOrder[k]; the order is the sorted
// distinct task names unless an explicit order is given.

/// Gives each client all samples of one task; the number of clients equals the number of tasks.
public struct TaskPartitioner: Partitioner, Hashable, CustomStringConvertible {
    /// Which task each client gets (`taskOrder[k]` for client k), or `nil` for sorted task names.
    public var taskOrder: [String]?

    /// Creates a task partitioner.
    ///
    /// - Parameter taskOrder: the task of each client in client order; it must list every task of
    ///   the data exactly once. `nil` (default) uses the task names in sorted order.
    public init(taskOrder: [String]? = nil) {
        self.taskOrder = taskOrder
    }

    /// A one-line summary for tables and logs.
    public var description: String {
        taskOrder.map { "Task(order: \($0))" } ?? "Task(order: sorted)"
    }

    /// The task of each client for the given per-sample tasks, after checking the order.
    ///
    /// - Throws: ``PartitionError/taskOrderMismatch(missing:unknown:duplicated:)`` if the explicit
    ///   order does not list each task of `labels` exactly once.
    public func clientTasks(labels: [String]) throws -> [String] {
        let distinctTasks = Set(labels)
        guard let order = taskOrder else { return distinctTasks.sorted() }
        var seen = Set<String>()
        var duplicated: [String] = []
        for task in order where !seen.insert(task).inserted && !duplicated.contains(task) {
            duplicated.append(task)
        }
        let missing = distinctTasks.subtracting(order).sorted()
        let unknown = order.filter { !distinctTasks.contains($0) }
        guard missing.isEmpty && unknown.isEmpty && duplicated.isEmpty else {
            throw PartitionError.taskOrderMismatch(missing: missing, unknown: unknown, duplicated: duplicated)
        }
        return order
    }

    /// Puts the samples of the k-th task on client k.
    ///
    /// - Parameters:
    ///   - labels: the task of each sample.
    ///   - clients: must equal the number of distinct tasks.
    /// - Throws: ``PartitionError/taskCountMismatch(tasks:clients:)`` when `clients` differs from the
    ///   number of tasks, a task-order error, or the common client-count errors.
    public func partition(labels: [String], clients: Int) throws -> Partition {
        try validateClientCount(clients, samples: labels.count, partitioner: "TaskPartitioner")
        let tasks = try clientTasks(labels: labels)
        guard tasks.count == clients else {
            throw PartitionError.taskCountMismatch(tasks: tasks, clients: clients)
        }
        let clientOfTask = Dictionary(uniqueKeysWithValues: tasks.enumerated().map { ($1, $0) })
        var shares = [[Int]](repeating: [], count: clients)
        for (index, task) in labels.enumerated() { shares[clientOfTask[task]!].append(index) }
        return Partition(clients: shares)
    }

    /// Puts the samples of the k-th task on client k, with one client per distinct task.
    public func partition(tasks labels: [String]) throws -> Partition {
        try partition(labels: labels, clients: try clientTasks(labels: labels).count)
    }
}
