// safetensors reading and writing: round trips, the on-disk layout, and rejection of damaged
// or hostile files (each a thrown error naming the source and tensor, never a crash).

import Autograd
import Foundation
import Testing
import Tensors
@testable import NN

/// Builds a safetensors byte string from a raw header text and buffer (for malformed inputs).
func rawSafeTensors(header: String, buffer: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
    let headerBytes = Array(header.utf8)
    var data = Data()
    withUnsafeBytes(of: (declaredLength ?? UInt64(headerBytes.count)).littleEndian) { data.append(contentsOf: $0) }
    data.append(contentsOf: headerBytes)
    data.append(contentsOf: buffer)
    return data
}

/// The error thrown when reading `data`, or nil when it reads.
func readError(_ data: Data, source: String = "test.safetensors") -> SafeTensorsError? {
    do {
        _ = try SafeTensors.read(from: data, source: source)
        return nil
    } catch let error as SafeTensorsError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}

@Suite struct SafeTensorsRoundTripTests {
    func sampleSet() -> ParameterSet {
        var generator = RandomGenerator(seed: 21)
        return ParameterSet([
            ("z.last.weight", .randomNormal([3, 4], using: &generator)),
            ("a.first.bias", .randomNormal([4], using: &generator)),
            ("m.scalar", Tensor(2.5)),
            ("m.empty", .zeros([0, 3])),
            ("m.transposed_view", Tensor.randomNormal([2, 3], using: &generator).transposed()),
        ])
    }

    @Test func fileRoundTripKeepsValuesOrderAndMetadata() throws {
        let directory = try makeScratchDirectory("roundtrip")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        let set = sampleSet()
        let metadata = ["format": "pt", "round": "7", "note": "quotes \" and \\ and\nnewlines"]
        try SafeTensors.write(set, metadata: metadata, to: url)
        let (read, readMetadata) = try SafeTensors.read(from: url)
        #expect(read.names == set.names)
        for (name, tensor) in set.entries {
            #expect(read[name]!.shape == tensor.shape)
            #expect(bitPatterns(read[name]!) == bitPatterns(tensor), "\(name)")
        }
        #expect(readMetadata == metadata)
        // Only the target remains: the temporary file was renamed, not left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.safetensors"])
    }

    @Test func writingReplacesAnExistingFile() throws {
        let directory = try makeScratchDirectory("replace")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("state.safetensors")
        try SafeTensors.write(sampleSet(), to: url)
        let small = ParameterSet([("only", Tensor(shape: [2], scalars: [1, -1]))])
        try SafeTensors.write(small, to: url)
        let (read, metadata) = try SafeTensors.read(from: url)
        #expect(read == small && metadata.isEmpty)
    }

    @Test func layoutFollowsTheSpecification() throws {
        let set = ParameterSet([("b", Tensor(shape: [2], scalars: [1, 2])), ("a", Tensor(shape: [1, 1], scalars: [-0.5]))])
        let data = try SafeTensors.encode(set)
        let headerLength = data.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        #expect((8 + headerLength) % 8 == 0, "buffer is 8-byte aligned")
        #expect(data.count == 8 + headerLength + 12)
        let header = String(decoding: data[8..<(8 + headerLength)], as: UTF8.self)
        // Written in set order with consecutive offsets; no metadata object when there is none.
        #expect(header.trimmingCharacters(in: .whitespaces) ==
                #"{"b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[1,1],"data_offsets":[8,12]}}"#)
        let buffer = Array(data[(8 + headerLength)...])
        #expect(buffer == [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40, 0, 0, 0, 0xBF])   // 1.0, 2.0, -0.5 little-endian
        #expect(try SafeTensors.read(from: data).parameters.names == ["b", "a"])
    }

    @Test func readsFromADataSlice() throws {
        let encoded = try SafeTensors.encode(sampleSet(), metadata: ["k": "v"])
        var framed = Data([1, 2, 3])
        framed.append(encoded)
        let slice = framed[3...]
        #expect(slice.startIndex == 3)
        let (read, metadata) = try SafeTensors.read(from: slice)
        #expect(read == sampleSet() && metadata == ["k": "v"])
    }

    @Test func halfPrecisionWideningIsExact() {
        // Normal, largest, smallest normal, subnormals, signed zero, infinities, NaN.
        let cases: [(UInt16, Float)] = [(0x3C00, 1), (0xC000, -2), (0x7BFF, 65504), (0x0400, 0x1p-14),
                                         (0x0001, 0x1p-24), (0x03FF, 1023 * 0x1p-24), (0x8000, -0.0),
                                         (0x7C00, .infinity), (0xFC00, -.infinity), (0x3555, 0.333251953125)]
        for (bits, expected) in cases {
            #expect(SafeTensors.floatFromHalf(bits).bitPattern == expected.bitPattern, "half \(bits)")
        }
        #expect(SafeTensors.floatFromHalf(0x7E00).isNaN)
    }

    @Test func invalidNamesAreRejectedOnWrite() {
        #expect(throws: SafeTensorsError.self) { try SafeTensors.encode(ParameterSet([("", Tensor(1))])) }
        #expect(throws: SafeTensorsError.self) { try SafeTensors.encode(ParameterSet([("__metadata__", Tensor(1))])) }
    }

    @Test func writeIntoAMissingDirectoryNamesThePath() {
        let url = URL(fileURLWithPath: "/nonexistent-directory-for-nn-tests/model.safetensors")
        do {
            try SafeTensors.write(sampleSet(), to: url)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("/nonexistent-directory-for-nn-tests/model.safetensors"))
        }
    }

    @Test func moduleSaveAndLoadParameters() throws {
        let directory = try makeScratchDirectory("module")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("tiny.safetensors")
        let source = TestModel(seed: 31), target = TestModel(seed: 32)
        try source.save(to: url, metadata: ["model": "TestModel"])
        let metadata = try target.loadParameters(from: url)
        #expect(metadata == ["model": "TestModel"])
        #expect(target.parameterSet() == source.parameterSet())

        // A file missing a parameter loads only when not strict; the strict error names file and parameter.
        let partialURL = directory.appendingPathComponent("partial.safetensors")
        try SafeTensors.write(source.parameterSet().filter { $0 != "lm_head.weight" }, to: partialURL)
        do {
            try TestModel(seed: 33).loadParameters(from: partialURL)
            Issue.record("expected a missing-parameter error")
        } catch {
            #expect("\(error)".contains("partial.safetensors") && "\(error)".contains("lm_head.weight"))
        }
        try TestModel(seed: 33).loadParameters(from: partialURL, strict: false)
    }

    @Test func missingFileNamesThePath() {
        let url = URL(fileURLWithPath: "/nonexistent-directory-for-nn-tests/absent.safetensors")
        do {
            _ = try SafeTensors.read(from: url)
            Issue.record("expected an error")
        } catch let error as SafeTensorsError {
            #expect(error.source == url.path)
        } catch {
            Issue.record("unexpected error type \(error)")
        }
    }
}

@Suite struct SafeTensorsValidationTests {
    let entry = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
    let eightBytes: [UInt8] = [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40]

    @Test func wellFormedRawInputReads() throws {
        let (set, metadata) = try SafeTensors.read(from: rawSafeTensors(header: entry, buffer: eightBytes))
        #expect(set["w"]!.scalars == [1, 2] && metadata.isEmpty)
    }

    @Test func truncatedLengthPrefix() throws {
        let error = try #require(readError(Data([1, 2, 3])))
        #expect(error.source == "test.safetensors" && error.reason.contains("truncated"))
    }

    @Test func headerLengthPastTheEnd() throws {
        let error = try #require(readError(rawSafeTensors(header: entry, buffer: eightBytes, declaredLength: 500)))
        #expect(error.reason.contains("500") && error.reason.contains("past the end"))
    }

    @Test func absurdHeaderLengthIsRejectedBeforeReading() throws {
        for length in [UInt64.max, UInt64(SafeTensors.maximumHeaderLength) + 1] {
            let error = try #require(readError(rawSafeTensors(header: entry, buffer: eightBytes, declaredLength: length)))
            #expect(error.reason.contains("exceeds the limit"))
        }
    }

    @Test func invalidJSONAndNonObjects() throws {
        for header in [#"{"w": {"dtype": "F32", "#, "not json at all", "[1, 2, 3]", "\u{FF}"] {
            let error = try #require(readError(rawSafeTensors(header: header)), "header \(header)")
            #expect(error.reason.contains("JSON"), "\(error)")
        }
        // Bytes that are not UTF-8 at all.
        var data = rawSafeTensors(header: "{}")
        data.replaceSubrange(8..<10, with: [0xFF, 0xFE])
        #expect(readError(data)?.reason.contains("UTF-8") == true)
    }

    @Test func malformedEntriesNameTheTensor() throws {
        let headers = [
            #"{"w":[1,2]}"#,
            #"{"w":{"shape":[2],"data_offsets":[0,8]}}"#,
            #"{"w":{"dtype":"F32","data_offsets":[0,8]}}"#,
            #"{"w":{"dtype":"F32","shape":[2]}}"#,
            #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#,
            #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,"8"]}}"#,
            #"{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#,
            #"{"w":{"dtype":"F32","shape":[true],"data_offsets":[0,8]}}"#,
            #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#,
            #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}"#,
        ]
        for header in headers {
            let error = try #require(readError(rawSafeTensors(header: header, buffer: eightBytes)), "header \(header)")
            #expect(error.tensor == "w", "\(error)")
        }
    }

    @Test func unknownDtype() throws {
        let error = try #require(readError(rawSafeTensors(header: #"{"w":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}"#,
                                                         buffer: eightBytes)))
        #expect(error.tensor == "w" && error.reason.contains("I64"))
    }

    @Test func negativeAndAbsurdShapes() throws {
        let negative = try #require(readError(rawSafeTensors(header: #"{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#,
                                                            buffer: eightBytes)))
        #expect(negative.tensor == "w" && negative.reason.contains("non-negative"))
        // The element count overflows Int: rejected by arithmetic, nothing allocated.
        let overflow = try #require(readError(rawSafeTensors(
            header: #"{"w":{"dtype":"F32","shape":[4611686018427387904,4611686018427387904],"data_offsets":[0,8]}}"#, buffer: eightBytes)))
        #expect(overflow.tensor == "w")
        // Huge but representable: fails the size check against the 8 bytes actually present.
        let huge = try #require(readError(rawSafeTensors(
            header: #"{"w":{"dtype":"F32","shape":[1000000000,1000],"data_offsets":[0,8]}}"#, buffer: eightBytes)))
        #expect(huge.tensor == "w" && huge.reason.contains("needs"))
        // A number beyond Int64 in the offsets.
        let beyond = try #require(readError(rawSafeTensors(
            header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,99999999999999999999]}}"#, buffer: eightBytes)))
        #expect(beyond.tensor == "w")
    }

    @Test func offsetsPastTheEndOfATruncatedFile() throws {
        let full = try SafeTensors.encode(ParameterSet([("first", .ones([4])), ("second", .ones([3]))]))
        let error = try #require(readError(full.prefix(full.count - 5)))
        #expect(error.tensor == "second" && error.reason.contains("truncated"))
    }

    @Test func sizeMismatchWithShapeAndDtype() throws {
        let error = try #require(readError(rawSafeTensors(header: #"{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}}"#,
                                                         buffer: eightBytes)))
        #expect(error.tensor == "w" && error.reason.contains("8 bytes") && error.reason.contains("needs 4"))
    }

    @Test func overlappingTensors() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        let error = try #require(readError(rawSafeTensors(header: header, buffer: eightBytes)))
        #expect(error.tensor == "b" && error.reason.contains("overlap") && error.reason.contains("\"a\""))
    }

    @Test func holesAndTrailingBytes() throws {
        let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F16","shape":[1],"data_offsets":[6,8]}}"#
        let gapError = try #require(readError(rawSafeTensors(header: gap, buffer: eightBytes)))
        #expect(gapError.tensor == "b" && gapError.reason.contains("belong to no tensor"))
        let trailing = try #require(readError(rawSafeTensors(header: entry, buffer: eightBytes + [0, 0, 0, 0])))
        #expect(trailing.reason.contains("last 4 bytes"))
    }

    @Test func metadataMustBeStrings() throws {
        let header = #"{"__metadata__":{"epoch":3},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        let error = try #require(readError(rawSafeTensors(header: header, buffer: eightBytes)))
        #expect(error.reason.contains("epoch"))
        let notObject = #"{"__metadata__":"x","w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        #expect(readError(rawSafeTensors(header: notObject, buffer: eightBytes)) != nil)
    }

    @Test func errorDescriptionNamesSourceAndTensor() throws {
        let error = try #require(readError(rawSafeTensors(header: #"{"w":{"dtype":"X","shape":[2],"data_offsets":[0,8]}}"#,
                                                         buffer: eightBytes), source: "/tmp/ckpt.safetensors"))
        #expect(error.description.contains("/tmp/ckpt.safetensors") && error.description.contains("\"w\""))
    }
}
