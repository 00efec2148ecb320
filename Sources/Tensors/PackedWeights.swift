// Frozen weights packed once for the library's GEMM kernels.
//
// The GEMM kernels pack op(B) on every product (the AVX-512 kernel into 32-column fp32 panels,
// the AMX kernel into bf16 tiles, three pieces per element), and each worker packs its share
// again. A frozen weight (the base of a LoRA layer, a frozen encoder) is the same operand step
// after step, so `Tensor.matmul(_:packedWeight:transposeB:)` packs it once and keeps the
// packing, keyed by the weight's storage, the kernel and the columns. The cache holds a
// reference to that storage, so copy-on-write guarantees its values never change while cached:
// a write to the weight copies it first, and the copy has a new key. The products give the same
// bits as packing each time (the packed panels are identical).
// Shapes: a [M, K] · op(b) [K, N] -> [M, N].

import CKernels
import Synchronization

/// op(B) of a GEMM packed once in a kernel's layout (`.amx` or `.avx512`), with the storage it
/// came from.
final class PackedOperand: @unchecked Sendable {
    /// Keeps the source alive and, through copy-on-write, unchanged.
    let source: TensorStorage
    let bytes: UnsafeMutableRawPointer
    let byteCount: Int

    init(source: TensorStorage, kernel: BLAS.GemmKernel, k: Int, n: Int, transposed: Bool, values: UnsafePointer<Float>,
         leading: Int) {
        precondition(kernel != .blas, "PackedOperand: the system BLAS takes no packed operands")
        self.source = source
        byteCount = kernel == .amx ? fedvlm_amx_packed_b_bytes(k, n) : fedvlm_sgemm_packed_b_bytes(k, n)
        bytes = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(byteCount, 64), alignment: 64)
        if kernel == .amx {
            fedvlm_amx_pack_b(transposed ? 1 : 0, k, n, values, leading, bytes)
        } else {
            fedvlm_sgemm_pack_b(transposed ? 1 : 0, k, n, values, leading, bytes.assumingMemoryBound(to: Float.self))
        }
    }

    deinit { bytes.deallocate() }
}

/// The cache of packed weights: frozen ones, and every weight inside `reusingWeights`.
public enum PackedWeights {
    /// The most bytes of packings kept; the least recently used go first. A packing takes 1.5
    /// times its weight's fp32 bytes for AMX, about the same bytes for the AVX-512 kernel.
    public static let capacityBytes = 512 << 20

    struct Key: Hashable {
        let storage: ObjectIdentifier
        let offset: Int, leading: Int, k: Int, n: Int
        let transposed: Bool
        let kernel: BLAS.GemmKernel
    }

    struct Cache {
        var entries: [Key: (operand: PackedOperand, lastUse: Int)] = [:]
        var bytes = 0
        var clock = 0
    }

    static let cache = Mutex(Cache())

    /// The packings made inside one `reusingWeights` call, dropped when it returns.
    final class ReuseScope: Sendable {
        let keys = Mutex(Set<Key>())
    }

    @TaskLocal static var reuseScope: ReuseScope?

    /// True inside `reusingWeights`: layers then multiply by trainable weights through
    /// `Tensor.matmul(_:packedWeight:)` too.
    public static var isReusingWeights: Bool { reuseScope != nil }

    /// Runs `body` with every layer's weight packed once and reused, trainable or not, for loops
    /// that multiply by the same weights many times while nothing trains them: the decoding steps
    /// of generation, where each product has a few rows and packing the weight again for each
    /// would cost more than the product. Packings made inside are dropped when `body` returns
    /// (those of frozen weights too, which their next product packs anew). Writes to a weight
    /// inside stay correct: copy-on-write gives the written weight a new storage and key.
    public static func reusingWeights<R>(_ body: () throws -> R) rethrows -> R {
        if reuseScope != nil { return try body() }                  // the outer call drops them
        let scope = ReuseScope()
        defer {
            let keys = scope.keys.withLock { $0 }
            cache.withLock { cache in
                for key in keys {
                    if let entry = cache.entries.removeValue(forKey: key) { cache.bytes -= entry.operand.byteCount }
                }
            }
        }
        return try $reuseScope.withValue(scope) { try body() }
    }

    /// Bytes of packings currently kept.
    public static var cachedBytes: Int { cache.withLock { $0.bytes } }

    /// Drops every packing (their weights' storages are released with them).
    public static func removeAll() {
        cache.withLock { $0 = Cache() }
    }

    /// The packing of columns `columns` of op(b) (K rows) for `kernel`, made on first use. A new
    /// packing made inside `reusingWeights` (`scope`) is dropped when that call returns.
    static func operand(for b: (tensor: Tensor, transposed: Bool, leading: Int), columns: Range<Int>, k: Int,
                        kernel: BLAS.GemmKernel, scope: ReuseScope?) -> PackedOperand {
        let storage = b.tensor.storage
        // op(b)[p, j] is at offset + p*leading + j, or offset + j*leading + p when transposed.
        let offset = b.tensor.offset + columns.lowerBound * (b.transposed ? b.leading : 1)
        let n = columns.count
        let key = Key(storage: ObjectIdentifier(storage), offset: offset, leading: b.leading, k: k, n: n,
                      transposed: b.transposed, kernel: kernel)
        let found: PackedOperand? = cache.withLock { cache in
            guard let entry = cache.entries[key] else { return nil }
            cache.clock += 1
            cache.entries[key] = (entry.operand, cache.clock)
            return entry.operand
        }
        if let found { return found }
        let packed = PackedOperand(source: storage, kernel: kernel, k: k, n: n, transposed: b.transposed,
                                   values: storage.base + offset, leading: b.leading)
        return cache.withLock { cache in
            if let entry = cache.entries[key] { return entry.operand }     // another thread was first
            cache.clock += 1
            cache.entries[key] = (packed, cache.clock)
            cache.bytes += packed.byteCount
            scope?.keys.withLock { _ = $0.insert(key) }
            while cache.bytes > capacityBytes, cache.entries.count > 1,
                  let oldest = cache.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                cache.entries[oldest.key] = nil
                cache.bytes -= oldest.value.operand.byteCount
            }
            return packed
        }
    }
}

extension Tensor {
    /// a · op(b), as `matmul(a, b, transposeB:)`, for a rank-2 `a` and a weight `b` that stays
    /// the same over many products (a frozen layer). Where the product runs on the library's own
    /// GEMM kernels (AMX or AVX-512), op(b) is packed once and the packing kept in
    /// `PackedWeights`; with the system BLAS this is `matmul`. The result has the same bits
    /// either way.
    public static func matmul(_ a: Tensor, packedWeight b: Tensor, transposeB: Bool = false) -> Tensor {
        let right = transposeB ? b.transposed() : b
        guard a.rank == 2, b.rank == 2 else { return matmul(a, b, transposeB: transposeB) }
        let m = a.shape[0], k = a.shape[1], n = right.shape[1]
        precondition(right.shape[0] == k, "matmul: inner dimensions differ: \(a.shape) @ \(right.shape)")
        let kernel = BLAS.gemmKernel(m: m, n: n, k: k)
        guard kernel != .blas, m > 0, n > 0, k > 0 else { return matmul(a, b, transposeB: transposeB) }
        let aOperand = a.gemmOperand(), bOperand = right.gemmOperand()
        let scope = PackedWeights.reuseScope            // read here: the workers do not see task-locals
        var result = Tensor(uninitializedShape: [m, n])
        result.withUnsafeMutableBufferPointer { pc in
            withExtendedLifetime(aOperand.tensor.storage) {
                BLAS.parallelGemm(kernel, transposeA: aOperand.transposed, m: m, n: n, k: k,
                                  a: aOperand.tensor.storage.base + aOperand.tensor.offset, lda: aOperand.leading,
                                  c: pc.baseAddress!, ldc: n) { columns in
                    PackedWeights.operand(for: bOperand, columns: columns, k: k, kernel: kernel, scope: scope)
                }
            }
        }
        return result
    }
}
