// Shared helpers for the Partitioners tests: synthetic label arrays and the exact-cover check.
import Testing
@testable import Partitioners

/// `counts[j]` samples labelled `names[j]`, interleaved (A, B, C, A, B, C, ...) so that no
/// partitioner can pass a test by accident of the storage order.
func interleavedLabels(_ counts: [Int], names: [String]? = nil) -> [String] {
    let names = names ?? counts.indices.map { "class\($0)" }
    var remaining = counts
    var labels: [String] = []
    while remaining.contains(where: { $0 > 0 }) {
        for (position, left) in remaining.enumerated() where left > 0 {
            labels.append(names[position])
            remaining[position] -= 1
        }
    }
    return labels
}

/// Every index of `0..<sampleCount` in exactly one client, each client's list sorted.
func expectExactCover(_ partition: Partition, sampleCount: Int, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(throws: Never.self, sourceLocation: sourceLocation) { try partition.validate(sampleCount: sampleCount) }
    #expect(partition.sampleCount == sampleCount, sourceLocation: sourceLocation)
    for indices in partition.clients {
        #expect(indices == indices.sorted(), sourceLocation: sourceLocation)
    }
}

/// The error thrown by `body`, as a `PartitionError`, or nil.
func partitionError(_ body: () throws -> Partition) -> PartitionError? {
    do {
        _ = try body()
        return nil
    } catch let error as PartitionError {
        return error
    } catch {
        return nil
    }
}
