import Dispatch
import Foundation

/// Splits `0..<count` into contiguous chunks and runs `body(range)` on each, using every
/// core when the work is large enough to pay for the hand-off. BLAS already threads
/// itself, so this is for the element-wise, reduction and normalisation kernels.
///
/// - Parameters:
///   - count: number of independent items.
///   - grain: items below which the loop runs on the calling thread; pick it so one
///     chunk is at least ~20 µs of work.
@inlinable
public func parallelChunks(_ count: Int, grain: Int, _ body: (Range<Int>) -> Void) {
    let workers = ParallelConfiguration.workerCount
    if count <= grain || workers <= 1 {
        if count > 0 { body(0..<count) }
        return
    }
    let chunks = min(workers, (count + grain - 1) / grain)
    let perChunk = (count + chunks - 1) / chunks
    // The chunks touch disjoint ranges, so sharing `body` across threads is safe even
    // though the closure type cannot say so.
    withoutActuallyEscaping(body) { body in
        let shared = UncheckedSendableBox(body)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = chunk * perChunk
            let end = min(count, start + perChunk)
            if start < end { shared.value(start..<end) }
        }
    }
}

/// How many worker threads the library's own kernels use.
public enum ParallelConfiguration {
    /// Defaults to the number of active processors; `FEDVLM_THREADS` overrides it.
    public static let workerCount: Int = {
        if let text = ProcessInfo.processInfo.environment["FEDVLM_THREADS"], let n = Int(text), n >= 1 {
            return n
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()
}

/// Carries a value across a concurrency boundary that the caller has proven safe.
@usableFromInline
struct UncheckedSendableBox<Value>: @unchecked Sendable {
    @usableFromInline let value: Value
    @inlinable init(_ value: Value) { self.value = value }
}
