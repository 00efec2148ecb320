// safetensors checkpoints: the format Hugging Face models ship in, so parameter sets move
// between this library and PyTorch (`safetensors.torch.save_file` / `load_file`) unchanged.
//
// File layout (https://huggingface.co/docs/safetensors, "Format"):
//   [8 bytes]  N, unsigned little-endian
//   [N bytes]  UTF-8 JSON object: name -> {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
//              plus an optional "__metadata__": {string: string}
//   [rest]     the byte buffer; [begin, end) is relative to its start, values little-endian row-major.
// The specification requires the buffer to be covered by the tensors exactly (no holes, no
// overlaps), which keeps polyglot files out; the reader enforces that.
//
// Everything in a file is untrusted: every length and offset is checked against the bytes that
// are actually there before anything is allocated, so a damaged or hostile file throws a
// `SafeTensorsError` naming the file and tensor instead of crashing or allocating gigabytes.

import Foundation
import Tensors
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A safetensors file (or buffer) that cannot be read or written.
public struct SafeTensorsError: Error, CustomStringConvertible, Sendable {
    /// The file path, or a label for in-memory data.
    public let source: String
    /// The tensor the problem concerns, when there is one.
    public let tensor: String?
    /// What is wrong.
    public let reason: String

    public init(source: String, tensor: String? = nil, reason: String) {
        self.source = source
        self.tensor = tensor
        self.reason = reason
    }

    public var description: String {
        "safetensors \(source)" + (tensor.map { ", tensor \"\($0)\"" } ?? "") + ": " + reason
    }
}

/// Reading and writing named parameter sets in the safetensors format.
///
/// ```swift
/// try SafeTensors.write(model.parameterSet(), metadata: ["round": "12"], to: url)
/// let (parameters, metadata) = try SafeTensors.read(from: url)
/// ```
/// Files are written as F32; F32, F16 and BF16 files are read (half precisions are widened to
/// Float32 exactly). Tensors are written in the set's order and read back in file order (by
/// data offset), so a write-read round trip keeps the order.
public enum SafeTensors {
    /// Element types this library reads.
    public enum DataType: String, Sendable, CaseIterable {
        /// IEEE 754 binary32.
        case float32 = "F32"
        /// IEEE 754 binary16.
        case float16 = "F16"
        /// bfloat16: the upper 16 bits of a binary32.
        case bfloat16 = "BF16"

        /// Bytes per element.
        public var byteCount: Int { self == .float32 ? 4 : 2 }
    }

    /// Largest JSON header accepted (100 MiB). Real headers are a few hundred bytes per tensor;
    /// the cap stops a corrupt length from turning into a huge read.
    public static let maximumHeaderLength = 100 * 1024 * 1024

    /// The key of the optional string-to-string metadata object in the header.
    public static let metadataKey = "__metadata__"

    // MARK: Writing

    /// Writes `set` as F32 tensors, in set order, to `url`, atomically: the bytes go to a
    /// temporary file in the same directory, which is then renamed over `url`, so a reader
    /// never sees a half-written checkpoint and a failed write leaves any old file intact.
    /// - Throws: `SafeTensorsError` for an invalid name or an I/O failure, naming the path.
    public static func write(_ set: ParameterSet, metadata: [String: String] = [:], to url: URL) throws {
        let path = url.path
        let header = try encodedHeader(set, metadata: metadata, source: path)
        let directory = url.deletingLastPathComponent().path
        var template = Array("\(directory)/.\(url.lastPathComponent).XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw SafeTensorsError(source: path, reason: "cannot create a temporary file in \(directory): \(systemError())")
        }
        let temporaryPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var renamed = false
        defer { if !renamed { unlink(temporaryPath) } }
        // mkstemp creates the file readable by its owner only; a checkpoint is an ordinary file.
        _ = fchmod(descriptor, 0o644)
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: header)
            for (_, tensor) in set.entries { try handle.write(contentsOf: littleEndianBytes(tensor)) }
            try handle.synchronize()
            try handle.close()
        } catch {
            throw SafeTensorsError(source: path, reason: "writing \(temporaryPath) failed: \(error)")
        }
        guard rename(temporaryPath, path) == 0 else {
            throw SafeTensorsError(source: path, reason: "cannot move \(temporaryPath) into place: \(systemError())")
        }
        renamed = true
    }

    /// The complete file contents for `set` (F32, in set order), e.g. to send over a network.
    public static func encode(_ set: ParameterSet, metadata: [String: String] = [:]) throws -> Data {
        var data = try encodedHeader(set, metadata: metadata, source: "in-memory data")
        for (_, tensor) in set.entries { data.append(littleEndianBytes(tensor)) }
        return data
    }

    /// Length prefix plus JSON header, padded with spaces to a multiple of 8 bytes (as the
    /// reference writer does) so the buffer starts aligned.
    private static func encodedHeader(_ set: ParameterSet, metadata: [String: String], source: String) throws -> Data {
        var json = "{"
        var fields: [String] = []
        if !metadata.isEmpty {
            // Sorted so the same set and metadata always give the same bytes.
            let pairs = metadata.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)):\(jsonString($0.value))" }
            fields.append("\(jsonString(metadataKey)):{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for (name, tensor) in set.entries {
            guard !name.isEmpty else { throw SafeTensorsError(source: source, reason: "a tensor has an empty name") }
            guard name != metadataKey else {
                throw SafeTensorsError(source: source, tensor: name, reason: "the name is reserved for metadata")
            }
            let end = offset + tensor.scalarCount * DataType.float32.byteCount
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append("\(jsonString(name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        json += fields.joined(separator: ",") + "}"
        var headerBytes = Array(json.utf8)
        while (headerBytes.count % 8) != 0 { headerBytes.append(UInt8(ascii: " ")) }
        var data = Data(capacity: 8 + headerBytes.count)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: headerBytes)
        return data
    }

    /// A JSON string literal for `text` (quotes, backslashes and control characters escaped;
    /// other characters stay UTF-8).
    private static func jsonString(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// The tensor's elements as little-endian Float32 bytes in row-major order.
    private static func littleEndianBytes(_ tensor: Tensor) -> Data {
        tensor.withUnsafeBufferPointer { buffer in
            #if _endian(little)
            return Data(buffer: buffer)
            #else
            var data = Data(capacity: buffer.count * 4)
            for value in buffer { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            return data
            #endif
        }
    }

    // MARK: Reading

    /// Reads a safetensors file.
    /// - Returns: the tensors (as Float32, in file order) and the header's metadata (empty when absent).
    /// - Throws: `SafeTensorsError` naming the file (and tensor) when the file cannot be read,
    ///   is truncated, or its header is invalid (see `read(from:source:)`).
    public static func read(from url: URL) throws -> (parameters: ParameterSet, metadata: [String: String]) {
        let data: Data
        do {
            // Mapped, not copied: only the byte ranges of the tensors are touched.
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw SafeTensorsError(source: url.path, reason: "cannot read the file: \(error.localizedDescription)")
        }
        return try read(from: data, source: url.path)
    }

    /// Parses safetensors bytes held in memory.
    /// - Parameter source: how errors name the data (a path, "update from client 3", ...).
    /// - Throws: `SafeTensorsError` when the data is shorter than its header claims, the header
    ///   length exceeds `maximumHeaderLength`, the header is not a JSON object of valid entries,
    ///   a dtype is not F32/F16/BF16, a shape is negative or overflows, or the data offsets run
    ///   past the end, disagree with shape × element size, overlap, or leave bytes uncovered.
    public static func read(from data: Data, source: String = "in-memory data") throws
        -> (parameters: ParameterSet, metadata: [String: String]) {
        let (entries, metadata, bufferStart) = try parseHeader(data, source: source)
        var parameters = ParameterSet()
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            for entry in entries {
                parameters[entry.name] = decodeTensor(entry, from: raw, bufferStart: bufferStart)
            }
        }
        return (parameters, metadata)
    }

    /// One tensor's description in the header, validated.
    private struct Entry {
        let name: String
        let dataType: DataType
        let shape: [Int]
        let begin: Int
        let end: Int
    }

    /// Validates the length prefix and header; returns the entries sorted by data offset, the
    /// metadata and the position of the byte buffer within `data`.
    private static func parseHeader(_ data: Data, source: String) throws
        -> (entries: [Entry], metadata: [String: String], bufferStart: Int) {
        func failure(_ reason: String, tensor: String? = nil) -> SafeTensorsError {
            SafeTensorsError(source: source, tensor: tensor, reason: reason)
        }
        guard data.count >= 8 else {
            throw failure("truncated: \(data.count) bytes, fewer than the 8-byte header length")
        }
        let declaredLength = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard declaredLength <= UInt64(maximumHeaderLength) else {
            throw failure("header length \(declaredLength) exceeds the limit of \(maximumHeaderLength) bytes (corrupt file?)")
        }
        let headerLength = Int(declaredLength)
        guard 8 + headerLength <= data.count else {
            throw failure("truncated: header length \(headerLength) runs past the end of the \(data.count)-byte data")
        }
        let start = data.startIndex
        let headerData = data[(start + 8)..<(start + 8 + headerLength)]
        // The specification says UTF-8; JSONSerialization alone would also accept UTF-16/32.
        guard String(data: headerData, encoding: .utf8) != nil else { throw failure("header is not valid UTF-8") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(headerData))
        } catch {
            throw failure("header is not valid JSON: \(error.localizedDescription)")
        }
        guard let header = object as? [String: Any] else { throw failure("header is not a JSON object") }

        var metadata: [String: String] = [:]
        if let rawMetadata = header[metadataKey] {
            guard let dictionary = rawMetadata as? [String: Any] else {
                throw failure("\(metadataKey) is not a JSON object")
            }
            for (key, value) in dictionary {
                guard let text = value as? String else { throw failure("\(metadataKey) value for \"\(key)\" is not a string") }
                metadata[key] = text
            }
        }

        let bufferLength = data.count - 8 - headerLength
        var entries: [Entry] = []
        for (name, rawEntry) in header where name != metadataKey {
            guard let fields = rawEntry as? [String: Any] else { throw failure("entry is not a JSON object", tensor: name) }
            guard let dtypeName = fields["dtype"] as? String else { throw failure("missing or non-string \"dtype\"", tensor: name) }
            guard let dataType = DataType(rawValue: dtypeName) else {
                throw failure("unsupported dtype \"\(dtypeName)\" (readable: \(DataType.allCases.map(\.rawValue).joined(separator: ", ")))",
                              tensor: name)
            }
            guard let rawShape = fields["shape"] as? [Any] else { throw failure("missing or non-array \"shape\"", tensor: name) }
            var shape: [Int] = []
            var elementCount = 1
            for (axis, rawExtent) in rawShape.enumerated() {
                guard let extent = jsonInteger(rawExtent), extent >= 0 else {
                    throw failure("shape entry \(axis) (\(rawExtent)) is not a non-negative integer", tensor: name)
                }
                let (product, overflow) = elementCount.multipliedReportingOverflow(by: extent)
                guard !overflow else { throw failure("shape \(rawShape) has too many elements", tensor: name) }
                shape.append(extent)
                elementCount = product
            }
            guard let rawOffsets = fields["data_offsets"] as? [Any], rawOffsets.count == 2,
                  let begin = jsonInteger(rawOffsets[0]), let end = jsonInteger(rawOffsets[1]) else {
                throw failure("\"data_offsets\" is not a pair of integers", tensor: name)
            }
            guard begin >= 0, begin <= end else {
                throw failure("data_offsets [\(begin), \(end)] are not an increasing range", tensor: name)
            }
            guard end <= bufferLength else {
                throw failure("truncated: data_offsets [\(begin), \(end)] run past the end of the \(bufferLength)-byte buffer",
                              tensor: name)
            }
            let (byteCount, overflow) = elementCount.multipliedReportingOverflow(by: dataType.byteCount)
            guard !overflow, byteCount == end - begin else {
                throw failure("data_offsets [\(begin), \(end)] hold \(end - begin) bytes, but shape \(shape) of \(dtypeName) needs \(overflow ? "more" : String(byteCount))",
                              tensor: name)
            }
            entries.append(Entry(name: name, dataType: dataType, shape: shape, begin: begin, end: end))
        }
        // File order is data order; names break ties between empty tensors deterministically.
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var covered = 0
        var previous: Entry?
        for entry in entries {
            if entry.begin < covered, let previous {
                throw failure("data_offsets [\(entry.begin), \(entry.end)] overlap [\(previous.begin), \(previous.end)] of \"\(previous.name)\"",
                              tensor: entry.name)
            }
            guard entry.begin == covered else {
                throw failure("bytes \(covered)..<\(entry.begin) of the buffer belong to no tensor", tensor: entry.name)
            }
            covered = entry.end
            previous = entry
        }
        guard covered == bufferLength else {
            throw failure("the last \(bufferLength - covered) bytes of the buffer belong to no tensor")
        }
        return (entries, metadata, 8 + headerLength)
    }

    /// An integer from a JSONSerialization value; nil for booleans, fractions and out-of-range numbers.
    private static func jsonInteger(_ value: Any) -> Int? {
        // `value is Bool` holds for the NSNumbers 0 and 1 as well; JSON true/false come back
        // as the distinct boolean NSNumber class.
        if type(of: value as AnyObject) == type(of: NSNumber(value: true)) { return nil }
        if let integer = value as? Int { return integer }
        if let number = value as? Double { return Int(exactly: number) }
        if let number = value as? NSNumber { return Int(exactly: number.doubleValue) }
        return nil
    }

    /// Converts one validated entry to a Float32 tensor.
    private static func decodeTensor(_ entry: Entry, from raw: UnsafeRawBufferPointer, bufferStart: Int) -> Tensor {
        var tensor = Tensor(uninitializedShape: entry.shape)
        let source = bufferStart + entry.begin
        tensor.withUnsafeMutableBufferPointer { out in
            switch entry.dataType {
            case .float32:
                #if _endian(little)
                if !out.isEmpty { UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: raw.baseAddress! + source, byteCount: out.count * 4) }
                #else
                for i in out.indices {
                    out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: source + 4 * i, as: UInt32.self)))
                }
                #endif
            case .float16:
                for i in out.indices {
                    out[i] = floatFromHalf(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: source + 2 * i, as: UInt16.self)))
                }
            case .bfloat16:
                for i in out.indices {
                    let bits = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: source + 2 * i, as: UInt16.self))
                    out[i] = Float(bitPattern: UInt32(bits) << 16)
                }
            }
        }
        return tensor
    }

    /// Exact widening of an IEEE binary16 bit pattern (1 sign, 5 exponent, 10 fraction bits) to Float32.
    static func floatFromHalf(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let fraction = UInt32(bits & 0x03FF)
        switch exponent {
        case 0:
            // Zero or subnormal: fraction · 2^-24, exact in Float32.
            let magnitude = Float(fraction) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            // Infinity or NaN (the payload moves to the top of the Float32 fraction).
            return Float(bitPattern: sign | 0x7F80_0000 | (fraction << 13))
        default:
            // Rebias the exponent from 15 to 127.
            return Float(bitPattern: sign | ((exponent + 112) << 23) | (fraction << 13))
        }
    }

    private static func systemError() -> String { String(cString: strerror(errno)) }
}

extension Module {
    /// Writes every parameter of this module to a safetensors file (F32, checkpoint names,
    /// atomically; see `SafeTensors.write`).
    public func save(to url: URL, metadata: [String: String] = [:]) throws {
        try SafeTensors.write(parameterSet(), metadata: metadata, to: url)
    }

    /// Loads parameters from a safetensors file written by `save(to:)` or by PyTorch
    /// (`safetensors.torch.save_file(model.state_dict(), ...)` with matching names).
    /// - Parameter strict: when true (the default), every parameter of the module must be in
    ///   the file; pass false to load a subset (e.g. adapter weights only).
    /// - Returns: the file's metadata.
    /// - Throws: `SafeTensorsError` for an unreadable file; `ModuleError` naming the file and
    ///   the parameter for an unknown name, a wrong shape or (strict) a missing parameter.
    ///   Nothing is changed when it throws.
    @discardableResult
    public func loadParameters(from url: URL, strict: Bool = true) throws -> [String: String] {
        let (parameters, metadata) = try SafeTensors.read(from: url)
        do {
            try load(parameters, strict: strict)
        } catch let error as ModuleError {
            throw ModuleError("\(url.path): \(error.description)")
        }
        return metadata
    }
}
