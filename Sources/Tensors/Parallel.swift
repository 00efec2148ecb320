// The library's threading model: OpenBLAS runs single-threaded (see `BLAS.ensureConfigured`)
// and every kernel, GEMM included, splits its own work into contiguous chunks over the
// machine's cores. One owner for the threads means no OpenBLAS worker spinning on a core
// while Swift code runs element-wise work, and it lets independent experiments run side by
// side (`ParallelConfiguration.runSerially`) without oversubscribing the cores. The threads
// are the pool in CKernels/thread_pool.c, whose idle helpers watch for the next job briefly
// instead of sleeping, so the many small jobs of a training step cost no kernel wake-ups.

import CKernels
import Foundation

/// Splits `0..<count` into contiguous chunks and runs `body(range)` on each, using every
/// core when the work is large enough to pay for the hand-off.
///
/// - Parameters:
///   - count: number of independent items.
///   - grain: items below which the loop runs on the calling thread; pick it so one
///     chunk is at least ~20 µs of work.
@inlinable
public func parallelChunks(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
    let workers = ParallelConfiguration.currentWorkerCount
    if count <= grain || workers <= 1 {
        if count > 0 { body(0..<count) }
        return
    }
    let chunks = min(workers, (count + grain - 1) / grain)
    let perChunk = (count + chunks - 1) / chunks
    // The chunks touch disjoint ranges, so running `body` on several threads is safe even
    // though the closure type cannot say so.
    withoutActuallyEscaping(body) { body in
        var job = ChunkJob(count: count, perChunk: perChunk, body: body)
        withUnsafeMutablePointer(to: &job) { pointer in
            fedvlm_pool_run(chunks, { context, chunk in
                let job = context!.assumingMemoryBound(to: ChunkJob.self)
                let start = chunk * job.pointee.perChunk
                let end = min(job.pointee.count, start + job.pointee.perChunk)
                if start < end { job.pointee.body(start..<end) }
            }, pointer)
        }
    }
}

/// One `parallelChunks` call, as the worker threads see it.
@usableFromInline
struct ChunkJob {
    @usableFromInline let count: Int
    @usableFromInline let perChunk: Int
    @usableFromInline let body: (Range<Int>) -> Void

    @inlinable init(count: Int, perChunk: Int, body: @escaping (Range<Int>) -> Void) {
        self.count = count
        self.perChunk = perChunk
        self.body = body
    }
}

/// How many worker threads the library's own kernels use.
public enum ParallelConfiguration {
    /// Defaults to the number of active processors; `FEDVLM_THREADS` overrides it.
    /// The first use starts the helper threads (`fedvlm_pool_start`, thread_pool.c).
    public static let workerCount: Int = {
        let requested: Int
        if let text = ProcessInfo.processInfo.environment["FEDVLM_THREADS"], let n = Int(text), n >= 1 {
            requested = n
        } else {
            requested = max(1, ProcessInfo.processInfo.activeProcessorCount)
        }
        return fedvlm_pool_start(requested)
    }()

    /// Workers available to a kernel called on this thread: 1 inside `runSerially`, else `workerCount`.
    @inlinable
    public static var currentWorkerCount: Int { isSerialThread ? 1 : workerCount }

    /// Runs `body` with every kernel it calls on this thread confined to this thread. Use it
    /// when the caller already runs independent jobs on all cores (one experiment per core).
    public static func runSerially<Result>(_ body: () throws -> Result) rethrows -> Result {
        let previous = pthread_getspecific(serialKey)
        pthread_setspecific(serialKey, UnsafeRawPointer(bitPattern: 1))
        defer { pthread_setspecific(serialKey, previous) }
        return try body()
    }

    /// True inside `runSerially` on the current thread.
    public static var isSerialThread: Bool { pthread_getspecific(serialKey) != nil }

    private static let serialKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
}
