// ResultFiles: writing an experiment's outputs (JSON of every number, CSV and Markdown tables,
// SVG plots, HTML reports) so reruns give byte-identical files.
//
// - JSON is pretty-printed with sorted keys (dictionary order would otherwise vary from run to
//   run), without escaped slashes ("7.501/0.898" stays readable), non-finite numbers as the
//   strings "NaN", "Infinity", "-Infinity", and a final newline.
// - Whole files are written atomically (a temporary file renamed into place), so a crash never
//   leaves half a result behind; parent directories are created as needed.
// - JSON Lines (https://jsonlines.org): one compact JSON value per line, appended, for logs that
//   grow during a run (e.g. metrics per round).

import Foundation

/// Writes and reads result files: JSON, JSON Lines, CSV and text.
public enum ResultFiles {
    /// The encoder behind ``writeJSON(_:to:)``: pretty, sorted keys, unescaped slashes, non-finite
    /// numbers as strings.
    public static func makeJSONEncoder(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }

    /// The decoder matching ``makeJSONEncoder(pretty:)`` (reads "NaN", "Infinity", "-Infinity").
    public static func makeJSONDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }

    /// Creates `directory` and any missing parents; does nothing if it exists.
    ///
    /// - Throws: ``ReportError`` naming the directory if it cannot be created (e.g. a file is in the way).
    public static func createDirectory(_ directory: URL) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return }
            throw ReportError("cannot create directory \(directory.path): a file with that name exists")
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ReportError("cannot create directory \(directory.path): \(error)")
        }
    }

    /// The pretty JSON text of `value` (sorted keys, final newline), as ``writeJSON(_:to:)`` writes it.
    ///
    /// - Throws: ``ReportError`` if the value cannot be encoded.
    public static func jsonText<Value: Encodable>(_ value: Value) throws -> String {
        let data: Data
        do {
            data = try makeJSONEncoder().encode(value)
        } catch {
            throw ReportError("cannot encode \(Value.self) as JSON: \(error)")
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Writes `value` as pretty JSON with sorted keys, atomically, creating parent directories.
    ///
    /// - Throws: ``ReportError`` naming the file if encoding or writing fails.
    public static func writeJSON<Value: Encodable>(_ value: Value, to file: URL) throws {
        let text: String
        do {
            text = try jsonText(value)
        } catch let error as ReportError {
            throw ReportError("\(file.path): \(error.message)")
        }
        try writeText(text, to: file)
    }

    /// Reads a JSON file written by ``writeJSON(_:to:)`` (or any JSON of that shape).
    ///
    /// - Throws: ``ReportError`` naming the file if it cannot be read or decoded.
    public static func readJSON<Value: Decodable>(_ type: Value.Type, from file: URL) throws -> Value {
        let data = try readData(file)
        do {
            return try makeJSONDecoder().decode(type, from: data)
        } catch {
            throw ReportError("\(file.path): cannot decode \(Value.self): \(error)")
        }
    }

    /// Appends `value` as one compact JSON line (sorted keys) to `file`, creating the file and its
    /// parent directories if needed. Not atomic: a crash can leave a partial last line, which
    /// ``readJSONLines(_:from:)`` reports by line number.
    ///
    /// - Throws: ``ReportError`` naming the file if encoding or writing fails.
    public static func appendJSONLine<Value: Encodable>(_ value: Value, to file: URL) throws {
        var data: Data
        do {
            data = try makeJSONEncoder(pretty: false).encode(value)
        } catch {
            throw ReportError("\(file.path): cannot encode \(Value.self) as JSON: \(error)")
        }
        data.append(UInt8(ascii: "\n"))
        try createDirectory(file.deletingLastPathComponent())
        do {
            if !FileManager.default.fileExists(atPath: file.path) {
                try Data().write(to: file)
            }
            let handle = try FileHandle(forWritingTo: file)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: data)
        } catch {
            throw ReportError("cannot append to \(file.path): \(error)")
        }
    }

    /// Reads every non-empty line of a JSON Lines file as a `Value`.
    ///
    /// - Throws: ``ReportError`` naming the file and the 1-based line number that fails to decode.
    public static func readJSONLines<Value: Decodable>(_ type: Value.Type, from file: URL) throws -> [Value] {
        let data = try readData(file)
        let decoder = makeJSONDecoder()
        var values: [Value] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated()
        where !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) {
            do {
                values.append(try decoder.decode(type, from: Data(line)))
            } catch {
                throw ReportError("\(file.path): line \(index + 1) is not a valid \(Value.self): \(error)")
            }
        }
        return values
    }

    /// Writes a table as RFC 4180 CSV (see ``ResultTable/csv(lineEnding:)``), atomically.
    ///
    /// - Throws: ``ReportError`` naming the file if writing fails.
    public static func writeCSV(_ table: ResultTable, to file: URL, lineEnding: CSVLineEnding = .crlf) throws {
        try writeText(table.csv(lineEnding: lineEnding), to: file)
    }

    /// Writes `text` as UTF-8, atomically, creating parent directories.
    ///
    /// - Throws: ``ReportError`` naming the file if writing fails.
    public static func writeText(_ text: String, to file: URL) throws {
        try createDirectory(file.deletingLastPathComponent())
        do {
            try Data(text.utf8).write(to: file, options: .atomic)
        } catch {
            throw ReportError("cannot write \(file.path): \(error)")
        }
    }

    private static func readData(_ file: URL) throws -> Data {
        do {
            return try Data(contentsOf: file)
        } catch {
            throw ReportError("cannot read \(file.path): \(error)")
        }
    }
}
