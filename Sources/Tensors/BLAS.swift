// The BLAS entry points the library calls, in one place, plus a check that the BLAS that
// was loaded is a fast one (see Docs/Performance.md). GEMM goes to the library's own kernels
// (CKernels): AMX tiles for large products on CPUs with AMX-BF16, the AVX-512 FMA kernel for
// the rest, and the system BLAS on CPUs with neither.

import CBLAS
import CKernels
import Foundation

/// Thin Swift wrappers over CBLAS.
public enum BLAS {
    /// C = alpha op(A) op(B) + beta C, row-major, on the calling thread. `lda`, `ldb`, `ldc`
    /// are row strides. Kernels that already run in parallel chunks call this one. The kernel
    /// is `gemmKernel(m:n:k:)`'s choice for this shape.
    @inlinable
    public static func gemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        gemm(gemmKernel(m: m, n: n, k: k), transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
             alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    }

    /// `gemm` on the given kernel, which must be one this process may run: `preferredGemmKernel`,
    /// `.avx512` when that is `.amx`, or `.blas`.
    @inlinable
    public static func gemm(_ kernel: GemmKernel, transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                            alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, ldb: Int,
                            beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        switch kernel {
        case .amx:
            fedvlm_sgemm_amx(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        case .avx512:
            fedvlm_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        case .blas:
            blasGemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha,
                     a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }

    /// The GEMM kernels the library can run.
    public enum GemmKernel: String, Sendable, CaseIterable {
        /// fp32 products on AMX tiles from a three-way bf16 split of each operand
        /// (`fedvlm_sgemm_amx`): as accurate as fp32 FMA accumulation, not bit-equal to it.
        case amx
        /// The library's fp32 FMA kernel for AVX-512 (`fedvlm_sgemm`).
        case avx512
        /// The system BLAS's `cblas_sgemm`.
        case blas
    }

    /// The fastest kernel this process may use, from the CPU and the environment variable
    /// `FEDVLM_GEMM` (`amx`, `avx512` or `blas`; read once). AMX needs AMX-BF16 and the kernel's
    /// permission for tile state; AVX-512 needs AVX-512F; `blas` always works.
    public static let preferredGemmKernel: GemmKernel = {
        let requested = ProcessInfo.processInfo.environment["FEDVLM_GEMM"].flatMap { GemmKernel(rawValue: $0.lowercased()) }
        let amx = fedvlm_amx_available() != 0, avx512 = fedvlm_sgemm_available() != 0
        switch requested {
        case .blas: return .blas
        case .avx512: return avx512 ? .avx512 : .blas
        case .amx, nil: return amx ? .amx : avx512 ? .avx512 : .blas
        }
    }()

    /// Multiply-adds from which a GEMM runs on AMX: below it, packing and tile set-up cost more
    /// than they save (attention's 64 x 64 tiles stay on the FMA kernel).
    public static let amxThreshold = 1 << 20

    /// The fewest rows and columns of C for AMX: each packed element of one operand is used
    /// once per row or column of the other, and below 64 the packing (three bf16 pieces per
    /// element) costs more than the faster products save. Measured on this CPU: a 16-row
    /// product (one decoding step of 16 sequences) ran at 0.64-0.77x the FMA kernel's speed,
    /// 32-48 rows at 0.8-1.07x, 64 rows at 1.07-1.5x.
    public static let amxMinimumSide = 64

    /// The shortest K for AMX: a tile product takes 32 values of K at once, so K = 16 wastes
    /// half of every product (0.56x the FMA kernel at 512 x 512 x 16; 1.0x at K = 32).
    public static let amxMinimumDepth = 32

    /// The kernel `gemm` runs for an m x k by k x n product: AMX when `preferredGemmKernel` is
    /// AMX and the product has at least `amxThreshold` multiply-adds, m and n at least
    /// `amxMinimumSide` and k at least `amxMinimumDepth`, else the FMA kernel (or BLAS). The
    /// choice depends on the whole product's shape only, so `parallelGemm` makes it once and
    /// every block of a split product runs the same kernel: results never depend on the
    /// number of cores.
    @inlinable
    public static func gemmKernel(m: Int, n: Int, k: Int) -> GemmKernel {
        switch preferredGemmKernel {
        case .amx:
            return m >= amxMinimumSide && n >= amxMinimumSide && k >= amxMinimumDepth && m * n * k >= amxThreshold
                ? .amx : .avx512
        case let other:
            return other
        }
    }

    /// True when GEMMs may run the library's own kernels (AMX or AVX-512) rather than BLAS.
    public static var usesOwnGemmKernel: Bool { preferredGemmKernel != .blas }

    /// `gemm` through the system BLAS's `cblas_sgemm`, whatever `usesOwnGemmKernel` says.
    @inlinable
    public static func blasGemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                                alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<Float>, ldb: Int,
                                beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        ensureConfigured()
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// The GEMM in use, for benchmark headers: "FedVLM AMX (bf16x6) + AVX-512", "FedVLM AVX-512"
    /// or the system BLAS ("OpenBLAS", ...).
    public static var gemmKernelDescription: String {
        switch preferredGemmKernel {
        case .amx: return "FedVLM AMX (bf16x6) + AVX-512"
        case .avx512: return "FedVLM AVX-512"
        case .blas: return runtimeInfo.implementation
        }
    }

    /// Measured fp32 FMA throughput of one core in GFLOPS (`iterations` rounds of 24 independent
    /// AVX-512 FMA chains, 768 FLOPs per round), or nil when the CPU has no AVX-512.
    public static func measuredFMAPeak(iterations: Int) -> Double? {
        let gflops = fedvlm_fma_peak_gflops(iterations)
        return gflops > 0 ? gflops : nil
    }

    /// Multiply-adds below which a GEMM stays on one thread (a few microseconds of work: with
    /// the library's own pool a hand-off costs far less; it was 2^21 while libdispatch woke a
    /// sleeping thread for every job).
    public static let parallelThreshold = 1 << 19

    /// Like `gemm`, but splits C into row blocks (or column blocks when C has few rows) and
    /// computes them on the library's workers. Each element of C is computed by the same
    /// single-threaded kernel with the same K order whatever the split, so results do not
    /// depend on the number of cores.
    @inlinable
    public static func parallelGemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
                                    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                                    b: UnsafePointer<Float>, ldb: Int,
                                    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let kernel = gemmKernel(m: m, n: n, k: k)
        forEachBlock(m: m, n: n, k: k, transposeA: transposeA, a: a, lda: lda, c: c, ldc: ldc) { rows, columns, aBlock, cBlock in
            let bBlock = transposeB ? b + columns.lowerBound * ldb : b + columns.lowerBound
            gemm(kernel, transposeA: transposeA, transposeB: transposeB, m: rows, n: columns.count, k: k, alpha: alpha,
                 a: aBlock, lda: lda, b: bBlock, ldb: ldb, beta: beta, c: cBlock, ldc: ldc)
        }
    }

    /// `parallelGemm` on `kernel` (`.amx` or `.avx512`, `gemmKernel(m:n:k:)`'s choice) with op(B)
    /// packed beforehand (see PackedWeights.swift): C is split into the same blocks as
    /// `parallelGemm` splits it, and `packing(columns)` gives the packing of op(B)'s columns
    /// `columns` (all n for row blocks; a column block needs a packing of its own).
    static func parallelGemm(_ kernel: GemmKernel, transposeA: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                             a: UnsafePointer<Float>, lda: Int, beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
                             packing: (Range<Int>) -> PackedOperand) {
        precondition(kernel != .blas, "parallelGemm: packed operands need the library's own GEMM kernels")
        forEachBlock(m: m, n: n, k: k, transposeA: transposeA, a: a, lda: lda, c: c, ldc: ldc) { rows, columns, aBlock, cBlock in
            let operand = packing(columns)
            withExtendedLifetime(operand) {
                if kernel == .amx {
                    fedvlm_sgemm_amx_packed(transposeA ? 1 : 0, rows, columns.count, k, alpha, aBlock, lda, operand.bytes,
                                            beta, cBlock, ldc)
                } else {
                    fedvlm_sgemm_packed(transposeA ? 1 : 0, rows, columns.count, k, alpha, aBlock, lda,
                                        operand.bytes.assumingMemoryBound(to: Float.self), beta, cBlock, ldc)
                }
            }
        }
    }

    /// The blocks both `parallelGemm`s split an m x n x k product into, each passed to
    /// `body(rows, columns, aBlock, cBlock)` on the library's workers: the whole product on this
    /// thread below `parallelThreshold` (or with one worker); else one block of at least 32 rows
    /// per worker (all columns), or, when C has few rows, one block of at least 32 columns per
    /// worker (all rows). Blocks that size keep the micro-kernel's panels full.
    @inlinable
    static func forEachBlock(m: Int, n: Int, k: Int, transposeA: Bool, a: UnsafePointer<Float>, lda: Int,
                             c: UnsafeMutablePointer<Float>, ldc: Int,
                             _ body: (_ rows: Int, _ columns: Range<Int>, _ aBlock: UnsafePointer<Float>,
                                      _ cBlock: UnsafeMutablePointer<Float>) -> Void) {
        let workers = ParallelConfiguration.currentWorkerCount
        if workers <= 1 || m * n * k < parallelThreshold {
            body(m, 0..<n, a, c)
        } else if m >= 32 * workers || m >= n {
            parallelChunks(m, grain: Swift.max(32, m / workers)) { rows in
                body(rows.count, 0..<n, transposeA ? a + rows.lowerBound : a + rows.lowerBound * lda, c + rows.lowerBound * ldc)
            }
        } else {
            parallelChunks(n, grain: Swift.max(32, n / workers)) { columns in
                body(m, columns, a, c + columns.lowerBound)
            }
        }
    }

    /// Puts OpenBLAS in single-threaded mode once per process: the library owns the threads
    /// (see `parallelChunks`). A no-op for other BLAS implementations.
    @inlinable
    public static func ensureConfigured() { _ = configuration }

    @usableFromInline
    static let configuration: Void = {
        typealias SetThreads = @convention(c) (Int32) -> Void
        let handle = dlopen(nil, RTLD_NOW)
        defer { if let handle { dlclose(handle) } }
        if let symbol = dlsym(handle, "openblas_set_num_threads") {
            unsafeBitCast(symbol, to: SetThreads.self)(1)
        }
    }()

    /// y += alpha x.
    @inlinable
    public static func axpy(count: Int32, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        // With our own GEMM this may be the first OpenBLAS call: keep OpenBLAS single-threaded.
        ensureConfigured()
        cblas_saxpy(count, alpha, x, 1, y, 1)
    }

    /// Which BLAS is loaded, and whether it runs at this CPU's speed.
    public struct RuntimeInfo: Sendable, CustomStringConvertible {
        /// "OpenBLAS" or "reference (netlib)" / "unknown".
        public let implementation: String
        /// OpenBLAS's kernel family ("Haswell", "SkylakeX", ...), nil for other BLAS.
        public let openBLASCore: String?
        /// True when the CPU has AVX-512 (so OpenBLAS should use SkylakeX kernels).
        public let cpuHasAVX512: Bool
        /// A sentence explaining how to get full speed, or nil when all is well.
        public let warning: String?

        public var description: String {
            "\(implementation)\(openBLASCore.map { " (core \($0))" } ?? "")\(warning.map { " — \($0)" } ?? "")"
        }
    }

    /// Inspects the loaded BLAS: OpenBLAS exposes `openblas_get_corename`; netlib does not.
    public static let runtimeInfo: RuntimeInfo = {
        let handle = dlopen(nil, RTLD_NOW)
        defer { if let handle { dlclose(handle) } }
        let cpuFlags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let avx512 = cpuFlags.contains(" avx512f")
        guard let symbol = dlsym(handle, "openblas_get_corename") else {
            return RuntimeInfo(implementation: "reference or unknown BLAS", openBLASCore: nil, cpuHasAVX512: avx512,
                               warning: "slow BLAS: install libopenblas-dev (Debian) so libblas.so.3 points to OpenBLAS")
        }
        typealias CoreNameFunction = @convention(c) () -> UnsafePointer<CChar>?
        let core = unsafeBitCast(symbol, to: CoreNameFunction.self)().map { String(cString: $0) } ?? "unknown"
        return RuntimeInfo(implementation: "OpenBLAS", openBLASCore: core, cpuHasAVX512: avx512,
                           warning: openBLASWarning(core: core, cpuHasAVX512: avx512, ownGemmKernel: usesOwnGemmKernel))
    }()

    /// The warning for OpenBLAS running `core` kernels, or nil when they suit the CPU: on an
    /// AVX-512 CPU anything but the AVX-512 families (SkylakeX, Cooperlake, Sapphire Rapids) runs
    /// at about half speed. With the library's own GEMM kernel that slows only what OpenBLAS still
    /// does (level-1 routines, `FEDVLM_GEMM=blas`), and the warning says so.
    static func openBLASWarning(core: String, cpuHasAVX512: Bool, ownGemmKernel: Bool) -> String? {
        let name = core.lowercased()
        guard cpuHasAVX512, !["skylakex", "cooperlake", "sapphire"].contains(where: { name.contains($0) }) else { return nil }
        let fix = "set OPENBLAS_CORETYPE=SkylakeX before start"
        return ownGemmKernel
            ? "OpenBLAS uses \(core) kernels on an AVX-512 CPU: GEMM runs on FedVLM's own kernel, but OpenBLAS's level-1 routines "
              + "(and FEDVLM_GEMM=blas) run at about half speed; \(fix)"
            : "OpenBLAS uses \(core) kernels on an AVX-512 CPU; \(fix) for about 2x GEMM speed"
    }

    /// For executables: when OpenBLAS would pick slower kernels than this CPU supports, re-executes
    /// the current program with `OPENBLAS_CORETYPE=SkylakeX` set (OpenBLAS reads it only when it
    /// loads, before `main`). Does nothing when the variable is already set or not needed.
    public static func relaunchWithFastKernelsIfNeeded() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil, environment["FEDVLM_NO_RELAUNCH"] == nil,
              runtimeInfo.openBLASCore != nil, runtimeInfo.warning != nil else { return }
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 1)
        setenv("FEDVLM_NO_RELAUNCH", "1", 1)
        let arguments = CommandLine.arguments
        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        cArguments.append(nil)
        execv("/proc/self/exe", &cArguments)
        // execv returns only on failure: carry on with the slower kernels.
    }
}
