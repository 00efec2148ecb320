// The bytes behind a tensor. A `Tensor` is a value type; several tensors (views) may
// share one storage, and a write first makes the storage unique (copy-on-write).

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

    /// Allocates `count` uninitialised elements.
    public init(uninitializedCount count: Int) {
        precondition(count >= 0, "TensorStorage: negative element count \(count)")
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride,
                                                   alignment: 64)
        self.base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }
}
