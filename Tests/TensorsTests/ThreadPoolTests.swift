// The worker pool behind `parallelChunks` (thread_pool.c): every index of every job runs
// exactly once, also when jobs follow each other within microseconds (the helpers are still
// spinning on the last one), when a chunk starts a job of its own, and when several threads
// start jobs at once (all but one then run on their own thread).
import CKernels
import Dispatch
import Foundation
import Testing
import Tensors

@Suite struct ThreadPoolTests {
    /// Adds 1 to `counts[i]` for every index of `count` items, through `parallelChunks`.
    private func countVisits(_ count: Int, grain: Int, into counts: UnsafeMutablePointer<Int>) {
        parallelChunks(count, grain: grain) { range in
            for i in range { counts[i] += 1 }
        }
    }

    @Test func backToBackJobsRunEveryIndexOnce() {
        #expect(ParallelConfiguration.workerCount >= 1)
        var failures: [String] = []
        let capacity = 97
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: capacity)
        defer { counts.deallocate() }
        for job in 0..<5000 {
            let count = 2 + job % (capacity - 1)
            counts.initialize(repeating: 0, count: count)
            countVisits(count, grain: 1, into: counts)
            if let bad = (0..<count).first(where: { counts[$0] != 1 }) {
                failures.append("job \(job): index \(bad) of \(count) ran \(counts[bad]) times")
                if failures.count > 5 { break }
            }
        }
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test func theCAPIRunsEachIndexOnceAndAcceptsEmptyJobs() {
        let workers = fedvlm_pool_start(ParallelConfiguration.workerCount)
        #expect(workers == ParallelConfiguration.workerCount)
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0, count: 64)
        fedvlm_pool_run(0, { _, _ in fatalError("an empty job runs nothing") }, nil)
        fedvlm_pool_run(64, { context, index in
            context!.assumingMemoryBound(to: Int.self)[index] += 1
        }, counts)
        #expect((0..<64).allSatisfy { counts[$0] == 1 })
    }

    @Test func aChunkMayStartAJobOfItsOwn() {
        let outer = 8, inner = 50
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: outer * inner)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0, count: outer * inner)
        parallelChunks(outer, grain: 1) { rows in
            for row in rows { countVisits(inner, grain: 1, into: counts + row * inner) }
        }
        #expect((0..<(outer * inner)).allSatisfy { counts[$0] == 1 })
    }

    @Test func jobsFromSeveralThreadsAtOnceAllComplete() {
        let threads = 4, jobs = 300, count = 40
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: threads * count)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0, count: threads * count)
        let box = UncheckedPointer(counts)
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for _ in 0..<jobs { countVisits(count, grain: 1, into: box.pointer + thread * count) }
        }
        #expect((0..<(threads * count)).allSatisfy { counts[$0] == jobs })
    }

    /// Results of a parallel kernel are the same bits however its chunks land on threads.
    @Test func aPoolProductEqualsTheSerialOne() {
        var generator = RandomGenerator(seed: 5)
        let a = Tensor.randomNormal([300, 200], using: &generator), b = Tensor.randomNormal([200, 260], using: &generator)
        let pooled = Tensor.matmul(a, b).scalars.map(\.bitPattern)
        for _ in 0..<3 {
            #expect(Tensor.matmul(a, b).scalars.map(\.bitPattern) == pooled)
        }
        #expect(ParallelConfiguration.runSerially { Tensor.matmul(a, b) }.scalars.map(\.bitPattern) == pooled)
    }
}

/// A pointer handed to several threads that write disjoint parts of it.
private struct UncheckedPointer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Int>
    init(_ pointer: UnsafeMutablePointer<Int>) { self.pointer = pointer }
}
