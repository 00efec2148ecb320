// Fused scaled-dot-product attention, forward and backward, without the [TQ, TK] score matrix.
//
// Forward (FlashAttention, Dao et al. 2022): one task per (batch, head) plane walks its query
// blocks; for each it visits the key blocks the block may see, computes the score tile
// S = scale · Q_blk K_blkᵀ with one GEMM, adds the mask, keeps a running row maximum m and row sum
// l of e^(S − m) (online softmax), rescales the output accumulator O when m grows, then
// O += P V_blk with a second GEMM. The per-row log-sum-exp L = m + log l is all that backward
// needs besides q, k, v and O.
// Backward (FlashAttention-2, Dao 2023): P = e^(S − L) is recomputed tile by tile; with
// D_i = rowsum(dO ⊙ O): dV += Pᵀ dO, dP = dO Vᵀ, dS = P ⊙ (dP − D), dQ += scale · dS K,
// dK += scale · dSᵀ Q. One task per (batch, key/value head) owns its dK and dV and the dQ rows of
// the G query heads that share that key/value head, so no two tasks write the same memory.
//
// GEMMs go to BLAS (row-major; sub-blocks addressed through leading dimensions; single-threaded
// `BLAS.gemm` calls inside these tasks, the library's threading model). The mask, exponentials and row reductions are SIMD16
// loops over tile rows. Key blocks that lie entirely above the causal diagonal are never computed.
// Tiles: 16 (forward) or 32 (backward) query rows × up to 128 keys. Scratch per worker: two
// 32 × 128 tiles, per-row statistics, and Kᵀ, Vᵀ [D, TK] of one head.
//
// Shapes: B batch, H query heads, HKV key/value heads, G = H / HKV (grouped-query attention: query
// head h reads key/value head h / G), TQ queries, TK keys, D head dimension.
//   q [B, H, TQ, D], k [B, HKV, TK, D], v [B, HKV, TK, D] -> out [B, H, TQ, D], logSumExp [B, H, TQ]
//   bias broadcastable to [B, H, TQ, TK]

import CKernels
import Foundation
import Synchronization

/// The fused attention kernel used by `Variable.scaledDotProductAttention`.
public enum AttentionKernel {
    /// Which keys each query may attend to.
    public struct Mask: Sendable {
        /// Query i (absolute position `causalOffset + i`) sees keys 0...causalOffset + i.
        public var isCausal: Bool
        /// Absolute position of the first query (the KV-cache length before this step).
        public var causalOffset: Int
        /// Additive bias broadcastable to [B, H, TQ, TK]: 0 where allowed, −∞ where masked
        /// (padding masks, block masks such as the encoder-free model's full-attention image span).
        public var bias: Tensor?

        public init(isCausal: Bool = false, causalOffset: Int = 0, bias: Tensor? = nil) {
            self.isCausal = isCausal
            self.causalOffset = causalOffset
            self.bias = bias
        }
    }

    /// Query rows per forward tile: small, so that little work goes to the masked half of the
    /// diagonal tiles under causal masking (OpenBLAS's small kernels run as fast with 16 rows as with 32).
    static let forwardQueryBlockSize = 16
    /// Query rows per backward tile: 32, the inner dimension of dV += Pᵀ dO and dK += dSᵀ Q, which
    /// run about 10 % slower with 16.
    static let backwardQueryBlockSize = 32
    /// Rows of the scratch tiles.
    static var queryBlockSize: Int { Swift.max(forwardQueryBlockSize, backwardQueryBlockSize) }
    /// Keys per tile (the online softmax rescales at most once per key block). 32 × 128 × 64 stays
    /// under OpenBLAS's limit (M·N·K ≤ 10⁶) for its unpacked small-matrix kernels.
    static let keyBlockSize = 128

    /// softmax(scale · q kᵀ + mask) v, and the per-row log-sum-exp of the masked, scaled scores.
    ///
    /// A query row that can see no key (every score −∞) gets a zero output and log-sum-exp −∞.
    /// - Parameter scale: defaults to 1 / sqrt(D).
    public static func forward(query: Tensor, key: Tensor, value: Tensor, mask: Mask = Mask(),
                               scale: Float? = nil) -> (output: Tensor, logSumExp: Tensor) {
        let problem = Problem(query: query, key: key, value: value, mask: mask, scale: scale)
        // Keys and values may be views into a longer buffer (a KV cache's): only their rows
        // need to be dense.
        let q = query.contiguous(), k = Self.denseRows(key), v = Self.denseRows(value)
        var output = Tensor(uninitializedShape: query.shape)
        var logSumExp = Tensor(uninitializedShape: Array(query.shape.prefix(3)))
        let planes = problem.batch * problem.heads
        if problem.depth == 0 {
            // Empty head vectors: every visible score is 0 (bias aside, ignored here), the output is empty.
            logSumExp.withUnsafeMutableBufferPointer { lse in
                for index in lse.indices {
                    let visible = problem.keyLimit(index % problem.queries)
                    lse[index] = visible > 0 ? Foundation.log(Float(visible)) : -.infinity
                }
            }
            return (output, logSumExp)
        }
        withExtendedLifetime((q, k.tensor, v.tensor, problem.biasTensor)) {
            output.withUnsafeMutableBufferPointer { out in
                logSumExp.withUnsafeMutableBufferPointer { lse in
                    let pointers = Pointers(q: q.storage.base + q.offset, k: k.tensor.storage.base + k.tensor.offset,
                                            v: v.tensor.storage.base + v.tensor.offset, out: out.baseAddress!,
                                            lse: lse.baseAddress!, keyPlaneStride: k.planeStride,
                                            valuePlaneStride: v.planeStride)
                    runDynamically(items: planes) { nextItem in
                        let scratch = Scratch(problem, withValues: false)
                        defer { scratch.deallocate() }
                        while let plane = nextItem() { forwardPlane(problem, pointers, plane: plane, scratch: scratch) }
                    }
                }
            }
        }
        return (output, logSumExp)
    }

    /// Gradients of `forward`'s output with respect to q, k and v, given the upstream gradient
    /// dO [B, H, TQ, D] and the `output` and `logSumExp` that `forward` returned for the same inputs.
    /// Rows that saw no key contribute nothing (zero dQ row, nothing to dK and dV).
    public static func backward(query: Tensor, key: Tensor, value: Tensor, output: Tensor, logSumExp: Tensor,
                                outputGradient: Tensor, mask: Mask = Mask(),
                                scale: Float? = nil) -> (query: Tensor, key: Tensor, value: Tensor) {
        let problem = Problem(query: query, key: key, value: value, mask: mask, scale: scale)
        precondition(output.shape == query.shape && outputGradient.shape == query.shape
                     && logSumExp.shape == Array(query.shape.prefix(3)),
                     "AttentionKernel.backward: output \(output.shape), dO \(outputGradient.shape), "
                     + "logSumExp \(logSumExp.shape) do not match q \(query.shape)")
        let q = query.contiguous(), k = key.contiguous(), v = value.contiguous()
        let o = output.contiguous(), dO = outputGradient.contiguous(), lse = logSumExp.contiguous()
        var dQ = Tensor(uninitializedShape: query.shape)
        // dK and dV start uninitialised: each task zeroes its own planes (in parallel, cache-warm).
        var dK = Tensor(uninitializedShape: key.shape), dV = Tensor(uninitializedShape: value.shape)
        if problem.depth == 0 { return (dQ, dK, dV) }       // no elements
        withExtendedLifetime((q, k, v, o, dO, lse, problem.biasTensor)) {
            dQ.withUnsafeMutableBufferPointer { dq in
                dK.withUnsafeMutableBufferPointer { dk in
                    dV.withUnsafeMutableBufferPointer { dv in
                        let pointers = GradientPointers(
                            q: q.storage.base + q.offset, k: k.storage.base + k.offset, v: v.storage.base + v.offset,
                            out: o.storage.base + o.offset, lse: lse.storage.base + lse.offset,
                            dOut: dO.storage.base + dO.offset,
                            dq: dq.baseAddress!, dk: dk.baseAddress!, dv: dv.baseAddress!)
                        runDynamically(items: problem.batch * problem.keyHeads) { nextItem in
                            let scratch = Scratch(problem, withValues: true)
                            defer { scratch.deallocate() }
                            while let keyPlane = nextItem() {
                                backwardKeyPlane(problem, pointers, keyPlane: keyPlane, scratch: scratch)
                            }
                        }
                    }
                }
            }
        }
        return (dQ, dK, dV)
    }
}

// MARK: - Problem description

extension AttentionKernel {
    /// Sizes, scale, causal limits and the bias layout of one call.
    struct Problem {
        let batch: Int, heads: Int, keyHeads: Int, group: Int, queries: Int, keys: Int, depth: Int
        let scale: Float
        let isCausal: Bool, causalOffset: Int
        /// Dense-in-the-last-axis bias and its strides over (B, H, TQ); nil without bias.
        let biasTensor: Tensor?
        let biasBase: UnsafePointer<Float>?
        let biasStrides: (batch: Int, head: Int, query: Int)

        init(query: Tensor, key: Tensor, value: Tensor, mask: Mask, scale: Float?) {
            precondition(query.rank == 4 && key.rank == 4 && value.rank == 4,
                         "attention: q \(query.shape), k \(key.shape), v \(value.shape) must be [B, H, T, D]")
            (batch, heads, queries, depth) = (query.shape[0], query.shape[1], query.shape[2], query.shape[3])
            (keyHeads, keys) = (key.shape[1], key.shape[2])
            precondition(key.shape == value.shape && key.shape[0] == batch && key.shape[3] == depth
                         && keyHeads > 0 && heads % keyHeads == 0,
                         "attention: q \(query.shape) incompatible with k \(key.shape) / v \(value.shape)")
            group = heads / keyHeads
            self.scale = scale ?? 1 / Float(depth).squareRoot()
            isCausal = mask.isCausal
            causalOffset = mask.causalOffset
            if let bias = mask.bias {
                let full = [batch, heads, queries, keys]
                precondition(bias.rank <= 4, "attention: bias \(bias.shape) cannot broadcast to \(full)")
                var view = bias.broadcast(to: full)
                if view.strides[3] != 1 && keys > 1 {
                    // A bias constant along the key axis: make that axis dense (small copy).
                    var perKey = Array(repeating: 1, count: 4 - bias.rank) + bias.shape
                    perKey[3] = keys
                    view = bias.broadcast(to: perKey).contiguous().broadcast(to: full)
                }
                biasTensor = view
                biasBase = UnsafePointer(view.storage.base + view.offset)
                biasStrides = (view.strides[0], view.strides[1], view.strides[2])
            } else {
                biasTensor = nil
                biasBase = nil
                biasStrides = (0, 0, 0)
            }
        }

        /// Number of keys query row i may see (keys 0..<limit).
        @inline(__always)
        func keyLimit(_ i: Int) -> Int {
            isCausal ? Swift.max(0, Swift.min(keys, causalOffset + i + 1)) : keys
        }

        /// The bias row for (b, h, i), dense along the keys.
        @inline(__always)
        func biasRow(batch b: Int, head h: Int, query i: Int) -> UnsafePointer<Float>? {
            biasBase.map { $0 + b * biasStrides.batch + h * biasStrides.head + i * biasStrides.query }
        }
    }

    struct Pointers {
        let q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>
        let out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>
        /// Elements from one (batch, key head) plane of k (of v) to the next: TK·D when dense,
        /// more when the keys are the first TK rows of a longer buffer.
        let keyPlaneStride: Int, valuePlaneStride: Int

        init(q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
             out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>,
             keyPlaneStride: Int, valuePlaneStride: Int) {
            (self.q, self.k, self.v, self.out, self.lse) = (UnsafePointer(q), UnsafePointer(k), UnsafePointer(v), out, lse)
            (self.keyPlaneStride, self.valuePlaneStride) = (keyPlaneStride, valuePlaneStride)
        }
    }

    /// `x` [B, H, T, D] as it stands when element (b, h, t, d) sits at (b·H + h)·P + t·D + d for
    /// some plane distance P ≥ T·D (a view of the first T rows of a longer [B, H, capacity, D]
    /// buffer qualifies), else a dense copy; with P.
    static func denseRows(_ x: Tensor) -> (tensor: Tensor, planeStride: Int) {
        let (batch, heads, rows, depth) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let s = x.strides
        let planeStride = heads > 1 ? s[1] : batch > 1 ? s[0] : rows * depth
        let rowsDense = (depth <= 1 || s[3] == 1) && (rows <= 1 || s[2] == depth)
        let planesEven = batch <= 1 || heads <= 1 || s[0] == heads * planeStride
        if rowsDense && planesEven && planeStride >= rows * depth {
            return (x, planeStride)
        }
        let dense = x.contiguous()
        return (dense, rows * depth)
    }

    struct GradientPointers {
        let q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>
        let out: UnsafePointer<Float>, lse: UnsafePointer<Float>, dOut: UnsafePointer<Float>
        let dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>

        init(q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
             out: UnsafeMutablePointer<Float>, lse: UnsafeMutablePointer<Float>, dOut: UnsafeMutablePointer<Float>,
             dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>) {
            (self.q, self.k, self.v) = (UnsafePointer(q), UnsafePointer(k), UnsafePointer(v))
            (self.out, self.lse, self.dOut) = (UnsafePointer(out), UnsafePointer(lse), UnsafePointer(dOut))
            (self.dq, self.dk, self.dv) = (dq, dk, dv)
        }
    }

    /// Row stride of the score tiles (a multiple of 16, so whole SIMD16 vectors fit in a row).
    static var tileStride: Int { keyBlockSize }

    /// One worker's buffers: two score tiles, per-row statistics, and room for Kᵀ and (backward
    /// only) Vᵀ [D, TK] of the current key/value head (see `KeyOperand`).
    struct Scratch {
        let tile: UnsafeMutablePointer<Float>, secondTile: UnsafeMutablePointer<Float>
        let rowStatistic: UnsafeMutablePointer<Float>, secondRowStatistic: UnsafeMutablePointer<Float>
        let keysTransposed: UnsafeMutablePointer<Float>, valuesTransposed: UnsafeMutablePointer<Float>

        init(_ p: Problem, withValues: Bool) {
            tile = allocateZeroed(queryBlockSize * tileStride)
            secondTile = allocateZeroed(queryBlockSize * tileStride)
            rowStatistic = allocateZeroed(queryBlockSize)
            secondRowStatistic = allocateZeroed(queryBlockSize)
            keysTransposed = allocateZeroed(p.depth * p.keys)
            valuesTransposed = allocateZeroed(withValues ? p.depth * p.keys : 0)
        }

        func deallocate() {
            for pointer in [tile, secondTile, rowStatistic, secondRowStatistic, keysTransposed, valuesTransposed] {
                pointer.deallocate()
            }
        }
    }

    static func allocateZeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
        let pointer = raw.bindMemory(to: Float.self, capacity: count)
        pointer.initialize(repeating: 0, count: count)
        return pointer
    }
}

// MARK: - Scheduling

extension AttentionKernel {
    /// Hands items 0..<items to `ParallelConfiguration.currentWorkerCount` workers, each taking the
    /// next unclaimed item (dynamic scheduling: a worker slowed by other load takes fewer items).
    /// `body` runs once per worker with a function that returns the next item or nil.
    static func runDynamically(items: Int, _ body: (() -> Int?) -> Void) {
        guard items > 0 else { return }
        let counter = WorkCounter()
        let workers = Swift.min(items, ParallelConfiguration.currentWorkerCount)
        parallelChunks(workers, grain: 1) { range in
            for _ in range {
                body {
                    let item = counter.next.wrappingAdd(1, ordering: .relaxed).oldValue
                    return item < items ? item : nil
                }
            }
        }
    }

    final class WorkCounter: Sendable {
        let next = Atomic<Int>(0)
    }
}

// MARK: - Forward

extension AttentionKernel {
    /// Output rows and log-sum-exp of one (batch, head) plane, query block by query block.
    static func forwardPlane(_ p: Problem, _ ptr: Pointers, plane: Int, scratch: Scratch) {
        let d = p.depth, ld = tileStride
        let b = plane / p.heads, h = plane % p.heads
        let keyPlane = b * p.keyHeads + h / p.group
        let v = ptr.v + keyPlane * ptr.valuePlaneStride
        let keys = KeyOperand(ptr.k + keyPlane * ptr.keyPlaneStride, problem: p, rowsUsingIt: p.queries,
                              scratch: scratch.keysTransposed)
        let scores = scratch.tile, rowMax = scratch.rowStatistic, rowSum = scratch.secondRowStatistic
        var i0 = 0
        while i0 < p.queries {
            let m = Swift.min(forwardQueryBlockSize, p.queries - i0)
            let q = ptr.q + (plane * p.queries + i0) * d
            let out = ptr.out + (plane * p.queries + i0) * d
            let lse = ptr.lse + plane * p.queries + i0
            let keyEnd = p.keyLimit(i0 + m - 1)          // the block's last row sees the most keys
            for r in 0..<m { rowMax[r] = -.infinity; rowSum[r] = 0 }

            var j0 = 0
            while j0 < keyEnd {
                let n = Swift.min(keyBlockSize, keyEnd - j0)
                keys.multiply(q, m: m, keys: j0..<(j0 + n), alpha: p.scale, into: scores, ldc: ld)
                for r in 0..<m {
                    let row = scores + r * ld
                    let valid = Swift.max(0, Swift.min(n, p.keyLimit(i0 + r) - j0))
                    if let bias = p.biasRow(batch: b, head: h, query: i0 + r) {
                        RowKernels.add(bias + j0, to: row, count: valid)
                    }
                    let previous = rowMax[r]
                    let newMax = Swift.max(previous, RowKernels.max(row, count: valid))
                    let shift: Float = newMax == -.infinity ? 0 : newMax
                    let blockSum = RowKernels.exponentiate(row, count: valid, zeroingTo: n, shift: shift)
                    if j0 > 0 && previous != newMax {
                        // The running maximum grew: rescale what this row has accumulated.
                        let correction = Foundation.exp(previous - shift)
                        RowKernels.scale(out + r * d, count: d, by: correction)
                        rowSum[r] *= correction
                    }
                    rowSum[r] += blockSum
                    rowMax[r] = newMax
                }
                BLAS.gemm(transposeA: false, transposeB: false, m: m, n: d, k: n, alpha: 1,
                          a: scores, lda: ld, b: v + j0 * d, ldb: d, beta: j0 == 0 ? 0 : 1, c: out, ldc: d)
                j0 += n
            }
            for r in 0..<m {
                if keyEnd > 0 && rowSum[r] > 0 {
                    RowKernels.scale(out + r * d, count: d, by: 1 / rowSum[r])
                    lse[r] = rowMax[r] + Foundation.log(rowSum[r])
                } else {
                    (out + r * d).update(repeating: 0, count: d)
                    lse[r] = -.infinity
                }
            }
            i0 += m
        }
    }

    /// The right operand of the score-like products S = Q Kᵀ and dP = dO Vᵀ for one key/value head.
    ///
    /// With enough query rows it is a transposed copy [D, TK] in scratch, so the products are
    /// row-major NN GEMMs, which OpenBLAS runs with its small-matrix kernels without packing (NT
    /// takes the packing path and is about 1.5x slower at these sizes). For a few query rows
    /// (decoding with a KV cache) the copy would cost as much as the product: the rows [TK, D]
    /// are used as they are.
    struct KeyOperand {
        let base: UnsafePointer<Float>
        let isTransposedCopy: Bool
        let keyCount: Int, depth: Int

        init(_ rows: UnsafePointer<Float>, problem p: Problem, rowsUsingIt: Int, scratch: UnsafeMutablePointer<Float>) {
            keyCount = p.keys
            depth = p.depth
            isTransposedCopy = rowsUsingIt >= 8
            if isTransposedCopy {
                transpose(rows, rows: p.keys, columns: p.depth, into: scratch)
                base = UnsafePointer(scratch)
            } else {
                base = rows
            }
        }

        /// c [m, keys.count] = alpha · a [m, D] × (rows `keys`)ᵀ, with `a` rows D apart.
        @inline(__always)
        func multiply(_ a: UnsafePointer<Float>, m: Int, keys: Range<Int>, alpha: Float,
                      into c: UnsafeMutablePointer<Float>, ldc: Int) {
            if isTransposedCopy {
                BLAS.gemm(transposeA: false, transposeB: false, m: m, n: keys.count, k: depth, alpha: alpha,
                          a: a, lda: depth, b: base + keys.lowerBound, ldb: keyCount, beta: 0, c: c, ldc: ldc)
            } else {
                BLAS.gemm(transposeA: false, transposeB: true, m: m, n: keys.count, k: depth, alpha: alpha,
                          a: a, lda: depth, b: base + keys.lowerBound * depth, ldb: depth, beta: 0, c: c, ldc: ldc)
            }
        }
    }

    /// destination [columns, rows] = sourceᵀ for a dense row-major source [rows, columns],
    /// in 4 × 4 blocks of SIMD4 loads, shuffles and stores.
    static func transpose(_ source: UnsafePointer<Float>, rows: Int, columns: Int,
                          into destination: UnsafeMutablePointer<Float>) {
        typealias V4 = SIMD4<Float>
        @inline(__always) func load(_ p: UnsafePointer<Float>) -> V4 { UnsafeRawPointer(p).loadUnaligned(as: V4.self) }
        @inline(__always) func store(_ v: V4, _ p: UnsafeMutablePointer<Float>) {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: V4.self)
        }
        let fullRows = rows & ~3, fullColumns = columns & ~3
        var r = 0
        while r < fullRows {
            var c = 0
            while c < fullColumns {
                let s = source + r * columns + c
                let r0 = load(s), r1 = load(s + columns), r2 = load(s + 2 * columns), r3 = load(s + 3 * columns)
                let a = V4(r0[0], r1[0], r0[1], r1[1]), b = V4(r0[2], r1[2], r0[3], r1[3])
                let e = V4(r2[0], r3[0], r2[1], r3[1]), f = V4(r2[2], r3[2], r2[3], r3[3])
                let t = destination + c * rows + r
                store(V4(a[0], a[1], e[0], e[1]), t)
                store(V4(a[2], a[3], e[2], e[3]), t + rows)
                store(V4(b[0], b[1], f[0], f[1]), t + 2 * rows)
                store(V4(b[2], b[3], f[2], f[3]), t + 3 * rows)
                c += 4
            }
            for row in r..<(r + 4) {
                for column in fullColumns..<columns { destination[column * rows + row] = source[row * columns + column] }
            }
            r += 4
        }
        for row in fullRows..<rows {
            for column in 0..<columns { destination[column * rows + row] = source[row * columns + column] }
        }
    }
}

// MARK: - Backward

extension AttentionKernel {
    /// dK, dV of one (batch, key/value head) plane and dQ of its G query heads.
    static func backwardKeyPlane(_ p: Problem, _ ptr: GradientPointers, keyPlane: Int, scratch: Scratch) {
        let d = p.depth, ld = tileStride
        let b = keyPlane / p.keyHeads, keyHead = keyPlane % p.keyHeads
        let k = ptr.k + keyPlane * p.keys * d
        let dk = ptr.dk + keyPlane * p.keys * d, dv = ptr.dv + keyPlane * p.keys * d
        dk.update(repeating: 0, count: p.keys * d)
        dv.update(repeating: 0, count: p.keys * d)
        let keys = KeyOperand(k, problem: p, rowsUsingIt: p.group * p.queries, scratch: scratch.keysTransposed)
        let values = KeyOperand(ptr.v + keyPlane * p.keys * d, problem: p, rowsUsingIt: p.group * p.queries,
                                scratch: scratch.valuesTransposed)
        let probabilities = scratch.tile, dS = scratch.secondTile
        let shift = scratch.rowStatistic, rowDot = scratch.secondRowStatistic

        for h in (keyHead * p.group)..<((keyHead + 1) * p.group) {
            let plane = b * p.heads + h
            var i0 = 0
            while i0 < p.queries {
                let m = Swift.min(backwardQueryBlockSize, p.queries - i0)
                let rowOffset = (plane * p.queries + i0) * d
                let q = ptr.q + rowOffset, o = ptr.out + rowOffset, dO = ptr.dOut + rowOffset, dq = ptr.dq + rowOffset
                let lse = ptr.lse + plane * p.queries + i0
                for r in 0..<m {
                    // D_i = rowsum(dO ⊙ O); a row that saw no key (L = −∞) gets shift +∞, so P = 0.
                    rowDot[r] = RowKernels.dot(dO + r * d, o + r * d, count: d)
                    shift[r] = lse[r] == -.infinity ? .infinity : lse[r]
                }
                let keyEnd = p.keyLimit(i0 + m - 1)
                if keyEnd == 0 { dq.update(repeating: 0, count: m * d) }
                var j0 = 0
                while j0 < keyEnd {
                    let n = Swift.min(keyBlockSize, keyEnd - j0)
                    // S = scale · Q Kᵀ and dP = dO Vᵀ for this tile.
                    keys.multiply(q, m: m, keys: j0..<(j0 + n), alpha: p.scale, into: probabilities, ldc: ld)
                    values.multiply(dO, m: m, keys: j0..<(j0 + n), alpha: 1, into: dS, ldc: ld)
                    for r in 0..<m {
                        let row = probabilities + r * ld
                        let valid = Swift.max(0, Swift.min(n, p.keyLimit(i0 + r) - j0))
                        if let bias = p.biasRow(batch: b, head: h, query: i0 + r) {
                            RowKernels.add(bias + j0, to: row, count: valid)
                        }
                        _ = RowKernels.exponentiate(row, count: valid, zeroingTo: n, shift: shift[r])
                        // dS = P ⊙ (dP − D_i) (the scale goes into the GEMMs below).
                        RowKernels.softmaxGradient(probabilities: row, gradient: dS + r * ld, count: n, rowDot: rowDot[r])
                    }
                    // dV += Pᵀ dO, dK += scale · dSᵀ Q, dQ (+)= scale · dS K.
                    BLAS.gemm(transposeA: true, transposeB: false, m: n, n: d, k: m, alpha: 1,
                              a: probabilities, lda: ld, b: dO, ldb: d, beta: 1, c: dv + j0 * d, ldc: d)
                    BLAS.gemm(transposeA: true, transposeB: false, m: n, n: d, k: m, alpha: p.scale,
                              a: dS, lda: ld, b: q, ldb: d, beta: 1, c: dk + j0 * d, ldc: d)
                    BLAS.gemm(transposeA: false, transposeB: false, m: m, n: d, k: n, alpha: p.scale,
                              a: dS, lda: ld, b: k + j0 * d, ldb: d, beta: j0 == 0 ? 0 : 1, c: dq, ldc: d)
                    j0 += n
                }
                i0 += m
            }
        }
    }
}

// MARK: - Row kernels

/// SIMD16 loops over one row of a score tile. Tile rows are `tileStride` long, so the vector
/// loops may read and write whole vectors past `count` (up to the next multiple of 16) inside
/// the tile; lanes past `count` are masked out of every result.
enum RowKernels {
    typealias Vector = VectorMath.Vector
    static let width = VectorMath.width
    static let lanes = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// True in lanes c + lane < count.
    @inline(__always)
    static func inside(_ c: Int, _ count: Int) -> SIMDMask<SIMD16<Int32>> {
        lanes .< SIMD16<Int32>(repeating: Int32(truncatingIfNeeded: count - c))
    }

    /// row[0..<count] += bias[0..<count] (the bias is a tensor row: no reads past count).
    @inline(__always)
    static func add(_ bias: UnsafePointer<Float>, to row: UnsafeMutablePointer<Float>, count: Int) {
        var c = 0
        while c + width <= count {
            store(load(row + c) + load(bias + c), row + c)
            c += width
        }
        while c < count { row[c] += bias[c]; c += 1 }
    }

    /// max(row[0..<count]), −∞ when count = 0.
    @inline(__always)
    static func max(_ row: UnsafeMutablePointer<Float>, count: Int) -> Float {
        var best = Vector(repeating: -.infinity)
        var c = 0
        while c + width <= count {
            let x = load(row + c)
            best.replace(with: x, where: x .> best)
            c += width
        }
        if c < count {
            let x = load(row + c).replacing(with: -.infinity, where: .!inside(c, count))
            best.replace(with: x, where: x .> best)
        }
        var half = best.lowHalf
        half.replace(with: best.highHalf, where: best.highHalf .> half)
        var quarter = half.lowHalf
        quarter.replace(with: half.highHalf, where: half.highHalf .> quarter)
        return Swift.max(Swift.max(quarter[0], quarter[1]), Swift.max(quarter[2], quarter[3]))
    }

    /// e^x for x ≤ 0 (scores minus their row maximum or log-sum-exp), −∞ included: the
    /// polynomial of `VectorMath.expOfClamped` without the overflow, +∞ and NaN selects that
    /// cannot trigger here. Inputs below −86.6 give 0 (e^−86.6 ≈ 2·10⁻³⁸), which keeps every
    /// intermediate a normal float (a subnormal product costs a microcode assist of ~100 cycles).
    @inline(__always)
    static func expNonPositive(_ x: Vector) -> Vector {
        let lower: Float = -86.6
        let underflow = x .< lower
        return VectorMath.expOfClamped(x.replacing(with: lower, where: underflow)).replacing(with: 0, where: underflow)
    }

    /// row[c] = e^(row[c] − shift) for c < count and 0 for count ≤ c < end; returns the sum.
    @inline(__always)
    static func exponentiate(_ row: UnsafeMutablePointer<Float>, count: Int, zeroingTo end: Int, shift: Float,
                             native: Bool = VectorKernels.native) -> Float {
        if native { return fedvlm_attention_exponentiate(row, count, end, shift) }
        let offset = Vector(repeating: shift)
        var total = Vector.zero
        var c = 0
        while c + width <= count {
            let e = expNonPositive(load(row + c) - offset)
            store(e, row + c)
            total += e
            c += width
        }
        if c < count {
            let x = (load(row + c) - offset).replacing(with: -.infinity, where: .!inside(c, count))
            let e = expNonPositive(x)
            store(e, row + c)
            total += e
            c += width
        }
        while c < end { store(.zero, row + c); c += width }
        let half = total.lowHalf + total.highHalf
        let quarter = half.lowHalf + half.highHalf
        return (quarter[0] + quarter[1]) + (quarter[2] + quarter[3])
    }

    /// gradient[c] = probabilities[c] · (gradient[c] − rowDot) for c < count.
    @inline(__always)
    static func softmaxGradient(probabilities: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>,
                                count: Int, rowDot: Float) {
        let dot = Vector(repeating: rowDot)
        var c = 0
        while c < count {
            store(load(probabilities + c) * (load(gradient + c) - dot), gradient + c)
            c += width
        }
    }

    /// row[0..<count] *= factor (a tensor row: no access past count).
    @inline(__always)
    static func scale(_ row: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        let f = Vector(repeating: factor)
        var c = 0
        while c + width <= count { store(load(row + c) * f, row + c); c += width }
        while c < count { row[c] *= factor; c += 1 }
    }

    /// Σ a[c] · b[c] over c < count (tensor rows: no access past count).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var total = Vector.zero
        var c = 0
        while c + width <= count { total += load(a + c) * load(b + c); c += width }
        var tail: Float = 0
        while c < count { tail += a[c] * b[c]; c += 1 }
        let half = total.lowHalf + total.highHalf
        let quarter = half.lowHalf + half.highHalf
        return (quarter[0] + quarter[1]) + (quarter[2] + quarter[3]) + tail
    }
}
