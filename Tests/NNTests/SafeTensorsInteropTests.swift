// safetensors interoperability with the Python `safetensors` package, both directions
// (fixtures from Tests/Fixtures/make_nn_fixtures.py):
//  * python_written.safetensors (F32, F16, BF16, metadata) must read to the float32 bit
//    patterns torch's .float() gives, in file order;
//  * the set in swift_written_expected.json is written here to a temporary directory, re-read,
//    and compared byte for byte with the committed swift_written.safetensors, which the Python
//    script checks with `--verify`. With FEDVLM_WRITE_FIXTURES=1 the test rewrites that file.

import Foundation
import Testing
import Tensors
@testable import NN

struct InteropExpectation: Decodable {
    struct Entry: Decodable {
        let name: String
        let dtype: String?
        let shape: [Int]
        let float32_bits: [UInt32]
    }
    let metadata: [String: String]
    let tensors: [Entry]
}

@Suite struct SafeTensorsInteropTests {
    @Test func readsAFileWrittenByPythonSafetensors() throws {
        let expected = try loadFixture("python_written.json", as: InteropExpectation.self)
        #expect(Set(expected.tensors.compactMap(\.dtype)) == ["F32", "F16", "BF16"])
        let (set, metadata) = try SafeTensors.read(from: fixturesDirectory.appendingPathComponent("python_written.safetensors"))
        #expect(metadata == expected.metadata)
        #expect(set.names == expected.tensors.map(\.name), "tensors come back in file (data offset) order")
        for entry in expected.tensors {
            let tensor = try #require(set[entry.name], "missing \(entry.name)")
            #expect(tensor.shape == entry.shape, "\(entry.name)")
            #expect(bitPatterns(tensor) == entry.float32_bits, "\(entry.name) (\(entry.dtype ?? "?"))")
        }
    }

    @Test func writesTheFileThePythonVerifierChecks() throws {
        let expected = try loadFixture("swift_written_expected.json", as: InteropExpectation.self)
        let set = ParameterSet(expected.tensors.map { entry in
            (entry.name, Tensor(shape: entry.shape, scalars: entry.float32_bits.map(Float.init(bitPattern:))))
        })
        let directory = try makeScratchDirectory("interop")
        defer { try? FileManager.default.removeItem(at: directory) }
        let written = directory.appendingPathComponent("swift_written.safetensors")
        try SafeTensors.write(set, metadata: expected.metadata, to: written)

        // Round trip in Swift.
        let (reread, metadata) = try SafeTensors.read(from: written)
        #expect(metadata == expected.metadata)
        #expect(reread.names == expected.tensors.map(\.name))
        for entry in expected.tensors {
            #expect(reread[entry.name].map(bitPatterns) == entry.float32_bits, "\(entry.name)")
        }

        let committed = fixturesDirectory.appendingPathComponent("swift_written.safetensors")
        let bytes = try Data(contentsOf: written)
        if ProcessInfo.processInfo.environment["FEDVLM_WRITE_FIXTURES"] == "1" {
            try SafeTensors.write(set, metadata: expected.metadata, to: committed)
        }
        // The committed file is exactly what this code writes (writing is deterministic), so the
        // Python verification of that file speaks for the current writer.
        #expect(try Data(contentsOf: committed) == bytes,
                "swift_written.safetensors is stale: regenerate with FEDVLM_WRITE_FIXTURES=1 (see Docs/NN.md)")
    }
}
