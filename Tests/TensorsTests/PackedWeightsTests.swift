// Products with a weight packed once (`Tensor.matmul(_:packedWeight:)`, PackedWeights.swift)
// against plain `matmul`, bit for bit, and the cache's promise: a weight written after it was
// packed is never multiplied in its old form.
import Testing
@testable import Tensors

@Suite("Frozen weights packed once")
struct PackedWeightsTests {
    static func bitsEqual(_ a: Tensor, _ b: Tensor) -> Bool {
        a.shape == b.shape && zip(a.scalars, b.scalars).allSatisfy { $0.bitPattern == $1.bitPattern }
    }

    /// (m, n, k): two K blocks (k > 512), several column blocks (n > 256 at k 600), edge tiles,
    /// a product too small for AMX (the AVX-512 kernel's packing), and decoding-sized ones that
    /// split into column blocks on two workers, each with a packing of its own columns.
    @Test(arguments: [(130, 97, 600), (200, 1100, 256), (64, 64, 300), (16, 40, 8), (16, 1100, 300), (16, 4096, 64)])
    func sameBitsAsPackingEachTime(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let a = seededTensor([m, k], seed: 1)
        let weight = seededTensor([n, k], seed: 2)            // [out, in], as a linear layer's
        let weightT = seededTensor([k, n], seed: 3)
        for _ in 0..<2 {                                       // the second time from the cache
            #expect(Self.bitsEqual(Tensor.matmul(a, packedWeight: weight, transposeB: true),
                                   Tensor.matmul(a, weight, transposeB: true)), "\(m) x \(n) x \(k), transposed")
            #expect(Self.bitsEqual(Tensor.matmul(a, packedWeight: weightT), Tensor.matmul(a, weightT)),
                    "\(m) x \(n) x \(k)")
        }
    }

    @Test func aWrittenWeightIsPackedAnew() {
        let a = seededTensor([96, 256], seed: 4)
        var weight = seededTensor([128, 256], seed: 5)
        let before = Tensor.matmul(a, packedWeight: weight, transposeB: true)
        if BLAS.usesOwnGemmKernel { #expect(Self.packings(of: weight) > 0) }
        // Copy-on-write: the cache holds the old storage, so this write copies the weight first.
        weight.withUnsafeMutableBufferPointer { values in
            for i in values.indices { values[i] *= -2 }
        }
        let after = Tensor.matmul(a, packedWeight: weight, transposeB: true)
        #expect(Self.bitsEqual(after, Tensor.matmul(a, weight, transposeB: true)))
        #expect(!Self.bitsEqual(after, before))
        PackedWeights.removeAll()
        #expect(Self.bitsEqual(Tensor.matmul(a, packedWeight: weight, transposeB: true), after))
    }

    /// Packings of `weight`'s storage in the cache (other tests add their own concurrently).
    static func packings(of weight: Tensor) -> Int {
        PackedWeights.cache.withLock { cache in
            cache.entries.keys.filter { $0.storage == ObjectIdentifier(weight.storage) }.count
        }
    }

    /// Inside `reusingWeights` the packings are kept for reuse (the same bits), and they are gone
    /// when it returns; nested calls leave the dropping to the outermost.
    @Test func reusingWeightsDropsItsPackingsWhenItReturns() {
        let a = seededTensor([16, 256], seed: 6)
        let weight = seededTensor([1024, 256], seed: 7)
        let plain = Tensor.matmul(a, weight, transposeB: true)
        #expect(!PackedWeights.isReusingWeights)
        PackedWeights.reusingWeights {
            #expect(PackedWeights.isReusingWeights)
            PackedWeights.reusingWeights {
                #expect(Self.bitsEqual(Tensor.matmul(a, packedWeight: weight, transposeB: true), plain))
            }
            if BLAS.usesOwnGemmKernel { #expect(Self.packings(of: weight) > 0, "dropped by the nested call") }
            #expect(Self.bitsEqual(Tensor.matmul(a, packedWeight: weight, transposeB: true), plain))
        }
        #expect(Self.packings(of: weight) == 0)
        #expect(!PackedWeights.isReusingWeights)
    }
}
