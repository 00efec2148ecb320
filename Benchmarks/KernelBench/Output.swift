// How results leave the program: a readable table (default) or one JSON object per line
// (`--json`), plus a description of the machine and libraries the numbers came from.
// The JSON field names are shared with Benchmarks/pytorch_reference.py, which reads these
// lines in its `compare` mode and matches rows by ("benchmark", "case").

import Foundation
import Tensors

/// A JSON scalar (the rows carry no nested values).
enum JSONValue: Sendable {
    case string(String)
    case integer(Int)
    case number(Double)
    case bool(Bool)

    /// The value as JSON text; non-finite numbers become `null`.
    var jsonText: String {
        switch self {
        case .string(let text): return JSONValue.quoted(text)
        case .integer(let value): return String(value)
        case .number(let value): return value.isFinite ? String(value) : "null"
        case .bool(let value): return value ? "true" : "false"
        }
    }

    /// A JSON string literal with the escapes RFC 8259 requires.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// One result row: ordered (key, value) pairs so the JSON reads in a stable, logical order.
struct ResultRow: Sendable {
    private(set) var fields: [(String, JSONValue)] = []

    mutating func set(_ key: String, _ value: String) { fields.append((key, .string(value))) }
    mutating func set(_ key: String, _ value: Int) { fields.append((key, .integer(value))) }
    mutating func set(_ key: String, _ value: Double) { fields.append((key, .number(value))) }
    mutating func set(_ key: String, _ value: Bool) { fields.append((key, .bool(value))) }

    /// The row as a single-line JSON object.
    var jsonLine: String {
        "{" + fields.map { "\(JSONValue.quoted($0.0)): \($0.1.jsonText)" }.joined(separator: ", ") + "}"
    }
}

/// The machine and libraries a run used, printed above each table and added to each JSON row.
struct RunEnvironment: Sendable {
    /// `BLAS.runtimeInfo` as text ("OpenBLAS (core SkylakeX)").
    let blas: String
    /// `BLAS.gemmKernelDescription`: the GEMM that ran ("FedVLM AMX (bf16x6) + AVX-512", "FedVLM AVX-512" with
    /// `FEDVLM_GEMM=avx512`, or "OpenBLAS" with `FEDVLM_GEMM=blas`).
    let gemmKernel: String
    /// Threads OpenBLAS uses for GEMM (nil when the BLAS does not say).
    let blasThreads: Int?
    /// Threads of the library's own element-wise kernels (`FEDVLM_THREADS`, default: cores).
    let kernelThreads: Int
    /// Active processors.
    let cores: Int
    /// ISO 8601 start time (UTC).
    let date: String
    /// One-minute load average at start: above the core count, other processes compete for
    /// the cores and the timings are not representative.
    let loadAverage: Double

    static func current() -> RunEnvironment {
        RunEnvironment(blas: BLAS.runtimeInfo.description, gemmKernel: BLAS.gemmKernelDescription, blasThreads: openBLASThreadCount(),
                       kernelThreads: ParallelConfiguration.workerCount,
                       cores: ProcessInfo.processInfo.activeProcessorCount,
                       date: ISO8601DateFormatter().string(from: Date()), loadAverage: oneMinuteLoadAverage())
    }

    /// The kernel's one-minute load average (-1 when unavailable).
    private static func oneMinuteLoadAverage() -> Double {
        var loads = [Double](repeating: -1, count: 3)
        return getloadavg(&loads, 3) >= 1 ? loads[0] : -1
    }

    /// `openblas_get_num_threads()` when OpenBLAS is loaded (looked up at run time so the
    /// program also runs on netlib BLAS).
    private static func openBLASThreadCount() -> Int? {
        guard let handle = dlopen(nil, RTLD_NOW) else { return nil }
        defer { dlclose(handle) }
        guard let symbol = dlsym(handle, "openblas_get_num_threads") else { return nil }
        typealias ThreadCountFunction = @convention(c) () -> Int32
        return Int(unsafeBitCast(symbol, to: ThreadCountFunction.self)())
    }

    /// Threads as one phrase for the table header.
    var threadsDescription: String {
        "\(cores) cores; BLAS threads \(blasThreads.map(String.init) ?? "unknown"), kernel threads \(kernelThreads)"
    }

    /// Adds the environment fields every row carries.
    func annotate(_ row: inout ResultRow) {
        row.set("blas", blas)
        row.set("gemm_kernel", gemmKernel)
        row.set("threads", blasThreads ?? kernelThreads)
        row.set("kernel_threads", kernelThreads)
        row.set("date", date)
        row.set("load_average", loadAverage)
    }
}

/// A plain-text table with a title, right-aligned numeric columns and left-aligned text.
struct TextTable {
    let title: String
    let columns: [String]
    private(set) var rows: [[String]] = []

    init(title: String, columns: [String]) {
        self.title = title
        self.columns = columns
    }

    mutating func append(_ cells: [String]) {
        precondition(cells.count == columns.count, "TextTable: \(cells.count) cells for \(columns.count) columns")
        rows.append(cells)
    }

    /// The table as lines of text; the first column is left-aligned, the others right-aligned.
    func rendered() -> String {
        let widths = columns.indices.map { column in
            ([columns[column]] + rows.map { $0[column] }).map(\.count).max()!
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return ([title, line(columns), rule] + rows.map(line)).joined(separator: "\n")
    }
}

/// Fixed-point text for table cells.
func formatted(_ value: Double, decimals: Int) -> String { String(format: "%.\(decimals)f", value) }

/// Integer with thousands separators ("6,295,808").
func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (index, character) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
        result.append(character)
    }
    return (value < 0 ? "-" : "") + result
}

/// Prints the header lines and the table, or the rows as JSON lines.
func emit(table: TextTable, rows: [ResultRow], environment: RunEnvironment, json: Bool, notes: [String] = []) {
    if json {
        for row in rows { print(row.jsonLine) }
        return
    }
    print("BLAS: \(environment.blas)")
    print("GEMM kernel: \(environment.gemmKernel)\(BLAS.usesOwnGemmKernel ? " (FEDVLM_GEMM=avx512 or blas selects another)" : "")")
    print("Threads: \(environment.threadsDescription)")
    print("Date: \(environment.date)")
    print("Load average (1 min) at start: \(formatted(environment.loadAverage, decimals: 2))"
          + (environment.loadAverage > Double(environment.cores) ? " — busy machine, timings are pessimistic" : ""))
    for note in notes { print(note) }
    print("")
    print(table.rendered())
}
