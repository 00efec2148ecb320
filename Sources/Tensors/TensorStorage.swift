// The bytes behind a tensor. A `Tensor` is a value type; several tensors (views) may
// share one storage, and a write first makes the storage unique (copy-on-write).
//
// Large buffers are recycled through `StoragePool`: a training step allocates and frees the
// same activation and gradient sizes every step, and handing each one back to the kernel
// (glibc serves blocks above its mmap threshold with fresh, zero-filled pages) cost about a
// tenth of a step in page faults and page clearing.

import Foundation

/// A heap buffer of Float32 values owned by one or more tensors.
///
/// The buffer is allocated uninitialised: every constructor in this module writes each
/// element before the tensor is visible. It is `@unchecked Sendable` because tensors only
/// write to storage they uniquely own (see `Tensor.makeUnique()`), and the parallel kernels
/// write disjoint ranges.
public final class TensorStorage: @unchecked Sendable {
    /// Number of Float32 elements.
    public let count: Int
    /// Start of the buffer (64-byte aligned for SIMD loads in BLAS).
    public let base: UnsafeMutablePointer<Float>
    /// Bytes actually reserved (a pool size class), 0 when the buffer came from `allocate`.
    private let pooledBytes: Int

    /// Allocates `count` uninitialised elements.
    public init(uninitializedCount count: Int) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        if let sizeClass = StoragePool.sizeClass(forBytes: bytes) {
            self.pooledBytes = sizeClass
            self.base = StoragePool.shared.take(bytes: sizeClass).bindMemory(to: Float.self, capacity: max(count, 1))
        } else {
            self.pooledBytes = 0
            self.base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
                .bindMemory(to: Float.self, capacity: max(count, 1))
        }
    }

    deinit {
        if pooledBytes > 0 {
            StoragePool.shared.give(UnsafeMutableRawPointer(base), bytes: pooledBytes)
        } else {
            UnsafeMutableRawPointer(base).deallocate()
        }
    }
}

/// Recycles large tensor buffers by size class (four classes per power of two, so at most 25%
/// of a buffer is slack). Free buffers are kept up to `capacityBytes` in all; beyond that they
/// go back to the system. Thread-safe.
public final class StoragePool: @unchecked Sendable {
    /// The process-wide pool behind every `TensorStorage`.
    public static let shared = StoragePool()

    /// Buffers smaller than this come from malloc directly (its own bins reuse them cheaply).
    public static let minimumPooledBytes = 64 * 1024

    /// Upper bound on the bytes held by free buffers: 512 MiB, or `FEDVLM_POOL_MB` megabytes
    /// (0 disables pooling).
    public let capacityBytes: Int = {
        if let text = ProcessInfo.processInfo.environment["FEDVLM_POOL_MB"], let megabytes = Int(text), megabytes >= 0 {
            return megabytes << 20
        }
        return 512 << 20
    }()

    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private var freeBytes = 0
    private let lock = NSLock()

    /// The size class a request of `bytes` is served from, or nil for small requests.
    static func sizeClass(forBytes bytes: Int) -> Int? {
        guard bytes >= minimumPooledBytes, shared.capacityBytes > 0 else { return nil }
        let power = Int.bitWidth - (bytes - 1).leadingZeroBitCount     // 2^power ≥ bytes
        let quarter = 1 << (power - 3)                                 // classes at 5/8, 6/8, 7/8, 8/8 of 2^power
        return (bytes + quarter - 1) / quarter * quarter
    }

    func take(bytes: Int) -> UnsafeMutableRawPointer {
        lock.lock()
        if let buffer = free[bytes]?.popLast() {
            freeBytes -= bytes
            lock.unlock()
            return buffer
        }
        lock.unlock()
        return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
    }

    func give(_ buffer: UnsafeMutableRawPointer, bytes: Int) {
        lock.lock()
        if freeBytes + bytes <= capacityBytes {
            free[bytes, default: []].append(buffer)
            freeBytes += bytes
            lock.unlock()
            return
        }
        lock.unlock()
        buffer.deallocate()
    }

    /// Bytes currently held by free buffers.
    public var idleBytes: Int {
        lock.lock(); defer { lock.unlock() }
        return freeBytes
    }

    /// Returns every free buffer to the system (for long-lived processes between jobs).
    public func drain() {
        lock.lock()
        let buffers = free
        free = [:]
        freeBytes = 0
        lock.unlock()
        for list in buffers.values { for buffer in list { buffer.deallocate() } }
    }
}
