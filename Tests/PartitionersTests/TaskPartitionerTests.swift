// TaskPartitioner: one task per client, the default and explicit orders, and bad input.
import Testing
@testable import Partitioners

@Suite struct TaskPartitionerTests {
    /// Fed-Nature's four tasks, interleaved.
    private let labels = interleavedLabels([4, 3, 2, 1], names: ["vqa", "caption", "grounding", "classification"])

    @Test func sortedOrderByDefault() throws {
        let partition = try TaskPartitioner().partition(labels: labels, clients: 4)
        expectExactCover(partition, sampleCount: labels.count)
        #expect(try TaskPartitioner().clientTasks(labels: labels) == ["caption", "classification", "grounding", "vqa"])
        for (client, task) in ["caption", "classification", "grounding", "vqa"].enumerated() {
            #expect(partition.clients[client] == labels.indices.filter { labels[$0] == task })
        }
        #expect(try TaskPartitioner().partition(tasks: labels) == partition)
    }

    @Test func explicitOrder() throws {
        let order = ["vqa", "caption", "grounding", "classification"]
        let statistics = try TaskPartitioner(taskOrder: order).partition(labels: labels, clients: 4).statistics(labels: labels)
        // Columns are sorted: caption, classification, grounding, vqa.
        #expect(statistics.counts == [[0, 0, 0, 4], [3, 0, 0, 0], [0, 0, 2, 0], [0, 1, 0, 0]])
    }

    @Test func clientCountMustEqualTaskCount() {
        let error = partitionError { try TaskPartitioner().partition(labels: labels, clients: 3) }
        #expect(error == .taskCountMismatch(tasks: ["caption", "classification", "grounding", "vqa"], clients: 3))
        #expect(error?.description.contains("3 clients were requested for 4 distinct tasks") == true)
    }

    @Test func explicitOrderMustListEachTaskOnce() {
        let error = partitionError {
            try TaskPartitioner(taskOrder: ["vqa", "vqa", "caption", "detection"]).partition(labels: labels, clients: 4)
        }
        #expect(error == .taskOrderMismatch(missing: ["classification", "grounding"], unknown: ["detection"],
                                            duplicated: ["vqa"]))
        #expect(error?.description.contains("tasks in the order but not in the data: [\"detection\"]") == true)
    }

    @Test func zeroClientsAndEmptyDataAreErrors() {
        #expect(partitionError { try TaskPartitioner().partition(labels: labels, clients: 0) }
                == .noClients(partitioner: "TaskPartitioner", clients: 0))
        #expect(partitionError { try TaskPartitioner().partition(tasks: []) }
                == .noClients(partitioner: "TaskPartitioner", clients: 0))
    }
}
