// Frozen weights packed once for the AMX GEMM.
//
// The AMX kernel packs op(B) into bf16 tiles (three pieces per element) on every product, and
// each worker packs all of it. A frozen weight (the base of a LoRA layer, a frozen encoder)
// is the same operand step after step, so `Tensor.matmul(_:packedWeight:transposeB:)` packs it
// once and keeps the packing, keyed by the weight's storage. The cache holds a reference to that
// storage, so copy-on-write guarantees its values never change while cached: a write to the
// weight copies it first, and the copy has a new key. The products give the same bits as
// packing each time (the packed tiles are identical).
// Shapes: a [M, K] · op(b) [K, N] -> [M, N].

import CKernels
import Synchronization

/// op(B) of a GEMM packed once in the AMX kernel's layout, with the storage it came from.
final class PackedOperand: @unchecked Sendable {
    /// Keeps the source alive and, through copy-on-write, unchanged.
    let source: TensorStorage
    let bytes: UnsafeMutableRawPointer
    let byteCount: Int

    init(source: TensorStorage, k: Int, n: Int, transposed: Bool, values: UnsafePointer<Float>, leading: Int) {
        self.source = source
        byteCount = fedvlm_amx_packed_b_bytes(k, n)
        bytes = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(byteCount, 64), alignment: 64)
        fedvlm_amx_pack_b(transposed ? 1 : 0, k, n, values, leading, bytes)
    }

    deinit { bytes.deallocate() }
}

/// The cache of packed frozen weights.
public enum PackedWeights {
    /// The most bytes of packings kept; the least recently used go first. A packing takes 1.5
    /// times its weight's fp32 bytes.
    public static let capacityBytes = 512 << 20

    struct Key: Hashable {
        let storage: ObjectIdentifier
        let offset: Int, leading: Int, k: Int, n: Int
        let transposed: Bool
    }

    struct Cache {
        var entries: [Key: (operand: PackedOperand, lastUse: Int)] = [:]
        var bytes = 0
        var clock = 0
    }

    static let cache = Mutex(Cache())

    /// Bytes of packings currently kept.
    public static var cachedBytes: Int { cache.withLock { $0.bytes } }

    /// Drops every packing (their weights' storages are released with them).
    public static func removeAll() {
        cache.withLock { $0 = Cache() }
    }

    /// The packing of op(b) for a K x N product, made on first use.
    static func operand(for b: (tensor: Tensor, transposed: Bool, leading: Int), k: Int, n: Int) -> PackedOperand {
        let storage = b.tensor.storage
        let key = Key(storage: ObjectIdentifier(storage), offset: b.tensor.offset, leading: b.leading, k: k, n: n,
                      transposed: b.transposed)
        let found: PackedOperand? = cache.withLock { cache in
            guard let entry = cache.entries[key] else { return nil }
            cache.clock += 1
            cache.entries[key] = (entry.operand, cache.clock)
            return entry.operand
        }
        if let found { return found }
        let packed = PackedOperand(source: storage, k: k, n: n, transposed: b.transposed,
                                   values: storage.base + b.tensor.offset, leading: b.leading)
        return cache.withLock { cache in
            if let entry = cache.entries[key] { return entry.operand }     // another thread was first
            cache.clock += 1
            cache.entries[key] = (packed, cache.clock)
            cache.bytes += packed.byteCount
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
    /// the same over many products (a frozen layer). Where the product runs on AMX, op(b) is
    /// packed once and the packing kept in `PackedWeights`; elsewhere this is `matmul`. The
    /// result has the same bits either way.
    public static func matmul(_ a: Tensor, packedWeight b: Tensor, transposeB: Bool = false) -> Tensor {
        let right = transposeB ? b.transposed() : b
        guard a.rank == 2, b.rank == 2, BLAS.preferredGemmKernel == .amx else { return matmul(a, b, transposeB: transposeB) }
        let m = a.shape[0], k = a.shape[1], n = right.shape[1]
        precondition(right.shape[0] == k, "matmul: inner dimensions differ: \(a.shape) @ \(right.shape)")
        guard BLAS.gemmKernel(m: m, n: n, k: k) == .amx else { return matmul(a, b, transposeB: transposeB) }
        let aOperand = a.gemmOperand()
        let packed = PackedWeights.operand(for: right.gemmOperand(), k: k, n: n)
        var result = Tensor(uninitializedShape: [m, n])
        result.withUnsafeMutableBufferPointer { pc in
            withExtendedLifetime((aOperand.tensor.storage, packed)) {
                BLAS.parallelGemm(transposeA: aOperand.transposed, m: m, n: n, k: k,
                                  a: aOperand.tensor.storage.base + aOperand.tensor.offset, lda: aOperand.leading,
                                  packedB: UnsafeRawPointer(packed.bytes), c: pc.baseAddress!, ldc: n)
            }
        }
        return result
    }
}
